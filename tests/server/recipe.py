"""PATCH /api/recipe and what it changes: bad JSON, bad keys and
out-of-range values refused with the CLI's own one-line message and the
recipe unchanged, all-or-none, undo/redo; the pictures (preview, before,
draft, region, depth, mask, histograms, the eyedropper) and an export."""
import io
import os
import shutil
import subprocess
import time

from PIL import Image

from edit_server import COFFEE, DM, Server, check, depth_file, finish, scene_args, scratch

T = scratch("server_recipe")
photo = os.path.join(T, "coffee.png")
shutil.copy(COFFEE, photo)
depth = depth_file(os.path.join(T, "depth.png"), 600, 400)
out = os.path.join(T, "out")
os.makedirs(out)
EXP = "correction[0].exposure"


def cli_message(*sets):
    """The line `depthmask render --set` prints for the same mistake."""
    r = subprocess.run([DM, "render", COFFEE, "-o", os.path.join(T, "x.tif"), "--no-sidecar",
                        *scene_args(depth),
                        *[a for s in sets for a in ("--set", s)]], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("depthmask: "), r
    return r.stderr.strip()[len("depthmask: "):]


def jpeg(r):
    assert r.status == 200 and r.header("Content-Type") == "image/jpeg", r
    return Image.open(io.BytesIO(r.body))


with Server(photo, *scene_args(depth), "--out", out) as s:
    # The preview is there at once, before any change.
    im = jpeg(s.get("/api/preview"))
    check(im.size == (600, 400), f"the preview of a 600x400 photo is itself ({im.size})")
    check(jpeg(s.get("/api/preview?w=300&h=300")).size == (300, 200), "fitted into 300x300")
    check(jpeg(s.get("/api/preview?h=100")).size == (150, 100), "fitted into a height")
    first = s.get("/api/preview?w=300").body
    st0 = s.state()
    check(st0["photo"]["width"] == 600 and st0["photo"]["height"] == 400, "state: the photo's size")
    check(isinstance(st0.get("process_version"), int) and "params" in st0 and "recipe" in st0,
          "state: the document's recipe, params, process version")
    s.wait_scene()
    sc = s.state()["scene"]
    check(sc["ready"] and sc["depth_used"] == "file" and sc["matte"] == "none",
          f"state: the scene from the depth file ({sc})")

    # Refusals, each with the CLI's message, and the recipe as it was.
    for body, want in [
        ("{", None),
        ("[1, 2]", None),
        ('{"set": {"correction[0].nope": 1}}', cli_message("correction[0].nope=1")),
        ('{"set": {"correction[0].exposure": -100}}', cli_message("correction[0].exposure=-100")),
        ('{"set": {"correction[0].contrast": 500}}', cli_message("correction[0].contrast=500")),
        ('{"set": {"lens_blur.amount": 101}}', cli_message("lens_blur.amount=101")),
        ('{"set": {"correction[0].exposure": -1, "correction[0].contrast": 500}}',
         cli_message("correction[0].contrast=500")),
        ('{"frobnicate": 1}', None),
        ("", None),
    ]:
        r = s.patch(body)
        err = r.json().get("error", "") if r.body.startswith(b"{") else ""
        check(r.status == 400 and err and "\n" not in err and (want is None or err == want),
              f"400 for {body!r}: {err!r}" + ("" if want is None or err == want else f" want {want!r}"))
    st = s.state()
    check(st["recipe"] == st0["recipe"], "the recipe unchanged by every refusal (all or none)")

    # Changes, undo and redo.
    check(s.patch({"set": {EXP: -1.0}}).status == 200, "exposure -1")
    check(s.patch({"set": {EXP: -2.0}}).status == 200, "exposure -2")
    check(s.state()["recipe"].get(EXP) == -2.0, "the state holds -2")
    got = s.get("/api/preview?w=300")
    changed = got.body
    check(changed != first, "the preview follows the recipe")
    rev = s.state()["revision"]
    check(got.header("X-Depthmask-Revision") == str(rev),
          f"the preview says which revision it shows ({got.header('X-Depthmask-Revision')}, state {rev})")
    check(s.get("/api/preview?w=300&before=1").body == first, "before=1 is the photo as it was")
    check(s.patch({"undo": 1}).status == 200 and s.state()["recipe"].get(EXP) == -1.0, "undo: -1")
    check(s.patch({"undo": 1}).status == 200 and s.state()["recipe"].get(EXP) in (None, 0, 0.0),
          "undo again: no exposure")
    check(s.patch({"redo": 1}).status == 200 and s.state()["recipe"].get(EXP) == -1.0, "redo: -1")
    check(s.patch({"redo": 1}).status == 200 and s.state()["recipe"].get(EXP) == -2.0, "redo: -2")
    r = s.patch({"redo": 1})
    check(r.status in (200, 400) and s.state()["recipe"].get(EXP) == -2.0, f"nothing to redo ({r.status})")
    check(s.get("/api/preview?w=300").body == changed, "the same recipe, the same preview")
    check(jpeg(s.get("/api/preview?draft=1")).size == (600, 400), "a draft of a small photo is the photo")

    # The pictures that need the scene.
    r = s.patch({"set": {"correction[1].mask[0].kind": "depth_range",
                         "correction[1].mask[0].depth_range": "0,50", "correction[1].exposure": 1}})
    check(r.status == 200, f"a Depth Range correction ({r})")
    check(jpeg(s.get("/api/region?x=100&y=50&w=64&h=32")).size == (64, 32), "a region at 100 %")
    check(s.get("/api/region?x=590&y=0&w=64&h=32").status == 400, "a region leaving the photo: 400")
    heat, grey = jpeg(s.get("/api/depth")), jpeg(s.get("/api/depth?viz=grey"))
    check(heat.mode == "RGB" and grey.mode == "L" and grey.size == (600, 400), "depth: heat and grey")
    g = grey.load()
    check(g[300, 5] < 40 and g[300, 395] > 215, f"grey depth: near at the top, far below ({g[300, 5]}, {g[300, 395]})")
    m = jpeg(s.get("/api/mask?correction=1")).load()
    check(m[300, 20] > 200 and m[300, 380] < 50, f"the Depth Range mask holds the near half ({m[300, 20]}, {m[300, 380]})")
    check(jpeg(s.get("/api/mask?correction=1&overlay=1")).mode == "RGB", "the mask overlay")
    check(s.get("/api/mask?correction=5").status == 400, "the mask of a correction that is not there: 400")
    h = s.get("/api/histogram?of=depth").json()
    check(h["of"] == "depth" and len(h["counts"]) == 100 and sum(h["counts"]) == h["pixels"] == 240000,
          "the depth histogram: 100 bins over every pixel")
    h = s.get("/api/histogram?of=image").json()
    check(len(h["counts"]["r"]) == 256 and sum(h["counts"]["g"]) == 240000 and
          len(h["clipped"]["shadows"]) == 3 and len(h["clipped"]["highlights"]) == 3,
          "the image histogram with clipping counts")
    near, far = s.get("/api/sample?x=300&y=10").json(), s.get("/api/sample?x=300&y=390&r=4").json()
    check(near["depth"] < 10 and far["depth"] > 90 and near["range"][0] <= near["depth"] <= near["range"][1],
          f"the eyedropper ({near['depth']:.1f}, {far['depth']:.1f}, range {near['range']})")
    check(s.get("/api/sample?x=600&y=0").status == 400, "the eyedropper outside the photo: 400")
    check(s.get("/api/depth?viz=rainbow").status == 400, "an unknown visualisation: 400")

    # Lens Blur's Refine: a Focus stroke set, removed, and back by undo.
    dabs = "0.5,0.5,0.6,0.5"
    r = s.patch({"set": {"refine[0].name": "Focus", "refine[0].mask[0].kind": "brush",
                         "refine[0].mask[0].stroke[0].dabs": dabs}})
    st = s.state()["recipe"]
    check(r.status == 200 and st.get("refine[0].name") == "Focus" and "refine[0].depth" in st and
          st.get("refine[0].mask[0].stroke[0].dabs") == dabs, f"a Focus stroke set ({r})")
    r = s.patch({"set": {"refine[0].amount": 150}})
    check(r.status == 400 and "refine[0].amount: 150 is outside 0..100" in r.json().get("error", ""),
          f"a refine amount over 100: 400 ({r.json().get('error')})")
    check(s.patch({"remove_refine": 1}).status == 400, "removing a refine set that is not there: 400")
    # Visualize Depth shows the depth the blur reads: a Blur set (depth 100)
    # over the near top middle turns it far there, and only there.
    r = s.patch({"set": {"refine[1].depth": 100, "refine[1].mask[0].kind": "radial_gradient",
                         "refine[1].mask[0].top": 0, "refine[1].mask[0].bottom": 0.1,
                         "refine[1].mask[0].left": 0.4, "refine[1].mask[0].right": 0.6,
                         "refine[1].mask[0].feather": 0}})
    g = jpeg(s.get("/api/depth?viz=grey")).load()
    check(r.status == 200 and g[300, 15] > 215 and g[100, 15] < 40,
          f"Visualize Depth with a Blur set painted far over the top middle ({g[300, 15]}; beside it {g[100, 15]})")
    check(s.patch({"remove_refine": 1}).status == 200 and jpeg(s.get("/api/depth?viz=grey")).load()[300, 15] < 40,
          "and near again once it is removed")
    r = s.patch({"remove_refine": 0})
    check(r.status == 200 and not any(k.startswith("refine[") for k in s.state()["recipe"]),
          "remove_refine takes it away")
    check(s.patch({"undo": 1}).status == 200 and
          s.state()["recipe"].get("refine[0].mask[0].stroke[0].dabs") == dabs, "undo brings it back")

    # Export: render's path, into --out.
    for body in [{"format": "gif"}, {"bits": 12}, {"format": "jpeg", "bits": 16},
                 {"name": "../x.tif"}, {"name": ".x.tif"}, {"name": "x.gif"}, {"profile": "cmyk"},
                 {"format": "tiff", "name": "x.png"}]:
        r = s.request("POST", "/api/export", json_body=body)
        check(r.status == 400, f"export {body}: 400 ({r.json().get('error')})")
    r = s.request("POST", "/api/export", json_body={"format": "png", "bits": 16, "name": "mine.png"})
    check(r.status == 202 and r.json()["export"]["state"] == "running", f"export started ({r})")
    seen = []  # the progress as it runs: stages in order, a fraction that never goes back
    for _ in range(600):
        e = s.get("/api/progress").json()["export"]
        if e["state"] != "running":
            break
        if not seen or seen[-1] != (e["stage"], e["fraction"]):
            seen.append((e["stage"], e["fraction"]))
        time.sleep(0.05)
    target = os.path.join(out, "mine.png")
    check(e["state"] == "done" and e["output"] == target and os.path.exists(target),
          f"export done into --out ({e})")
    check(e["stage"] == "done" and e["fraction"] == 1.0, f"the finished export's progress ({e})")
    fr = [f for _, f in seen]
    check(all(0.0 <= a <= b <= 1.0 for a, b in zip(fr, fr[1:])) and
          all(st in ("decode", "depth and matte", "corrections and lens blur", "colour", "encode",
                     "sidecar and output") for st, _ in seen),
          f"the running export's stage and fraction ({seen})")
    with open(target, "rb") as f:
        head = f.read(26)  # PNG signature, IHDR: width, height, bit depth
    size = (int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big"))
    check(size == (600, 400) and head[24] == 16, f"16-bit at full size ({size}, {head[24]} bits)")
    with open(photo + ".xmp") as f:
        check("mine.png" in f.read(), "the sidecar names the output it produced")
    st = s.get("/api/photos").json()["photos"][0]["sidecar"]
    check(st == "saved", f"the export's own write to the sidecar is not 'changed on disk' ({st})")
    # a name without an extension takes the format's
    r = s.request("POST", "/api/export", json_body={"format": "jpeg", "name": "plain"})
    check(r.status == 202, f"export of a name without an extension started ({r})")
    for _ in range(600):
        e = s.get("/api/progress").json()["export"]
        if e["state"] != "running":
            break
        time.sleep(0.05)
    check(e["state"] == "done" and e["output"] == os.path.join(out, "plain.jpg"),
          f"'plain' as JPEG is written as plain.jpg ({e['output']})")

    code = s.quit()
    check(code == 0, f"quit: exit 0 ({code}) {s.stderr()}")

finish()
