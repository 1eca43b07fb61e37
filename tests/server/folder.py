"""depthmask edit FOLDER: its photos recognised by content (not subfolders,
not hidden files, no symlink leading out, no other file), a photo that
cannot be read listed with its problem, per-photo paths, thumbnails, and
POST /api/sync between two photos."""
import io
import os
import shutil
import time

from PIL import Image

from edit_server import CHELSEA, COFFEE, HOPPER, Server, check, depth_file, finish, scene_args, scratch

T = scratch("server_folder")
F = os.path.join(T, "photos")
os.makedirs(os.path.join(F, "sub"))
shutil.copy(COFFEE, os.path.join(F, "b_coffee.png"))
shutil.copy(CHELSEA, os.path.join(F, "a_cat"))          # a photo without an extension
shutil.copy(HOPPER, os.path.join(F, "sub", "hopper.jpg"))  # in a subfolder: not served
shutil.copy(HOPPER, os.path.join(F, ".hidden.jpg"))
shutil.copy(HOPPER, os.path.join(T, "outside.jpg"))
os.symlink(os.path.join(T, "outside.jpg"), os.path.join(F, "c_link_out.jpg"))
os.symlink(os.path.join(F, "sub", "hopper.jpg"), os.path.join(F, "c_link_sub.jpg"))
os.symlink("b_coffee.png", os.path.join(F, "d_link_in.png"))  # stays in the folder: a photo
with open(os.path.join(F, "notes.txt"), "w") as f:
    f.write("a text file named like nothing\n")
with open(os.path.join(F, "e_notes.jpg"), "w") as f:
    f.write("a text file named like a photo\n")
with open(os.path.join(F, "f_broken.jpg"), "wb") as f:
    f.write(b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"garbage" * 10)  # a JPEG's start, then nothing
with open(HOPPER, "rb") as src, open(os.path.join(F, "g_truncated.jpg"), "wb") as f:
    f.write(src.read(4000))
depth = depth_file(os.path.join(T, "depth.png"), 600, 400)

with Server(F, *scene_args(depth)) as s:
    photos = s.get("/api/photos").json()["photos"]
    names = [p["name"] for p in photos]
    check(names == ["a_cat", "b_coffee.png", "d_link_in.png", "f_broken.jpg", "g_truncated.jpg"],
          f"the folder's photos by content, sorted, nothing else ({names})")
    check([p["id"] for p in photos] == ["0", "1", "2", "3", "4"], "ids are their places")
    by = {p["name"]: p for p in photos}
    check(by["b_coffee.png"]["width"] == 600 and by["b_coffee.png"]["height"] == 400
          and by["b_coffee.png"]["problem"] is None, "size from the header, no problem")
    check(by["a_cat"]["width"] == 451 and by["a_cat"]["height"] == 300, "the cat's size")
    check(isinstance(by["f_broken.jpg"]["problem"], str) and "\n" not in by["f_broken.jpg"]["problem"],
          f"an unreadable photo listed with its one-line problem ({by['f_broken.jpg']['problem']})")

    check(s.get("/api/state").status == 400, "the short form with several photos: 400")
    r = s.get("/api/photos/4/preview")
    check(r.status == 422, f"a truncated photo cannot be previewed: 422 ({r})")
    p4 = [p for p in s.get("/api/photos").json()["photos"] if p["id"] == "4"][0]
    check(isinstance(p4["problem"], str) and "JPEG" in p4["problem"],
          f"once opened, its problem is listed ({p4['problem']})")
    check(s.get("/api/photos/3/state").status in (200, 422), "the broken photo's state answers")

    r = s.get("/api/photos/0/thumb")
    im = Image.open(io.BytesIO(r.body)) if r.status == 200 else None
    check(im is not None and max(im.size) == 256 and r.header("Content-Type") == "image/jpeg",
          f"a thumbnail, long side 256 ({im.size if im else r})")
    check(s.get("/api/photos/3/thumb").status == 422, "no thumbnail of the broken photo: 422")

    # Sync: photo 1's settings to photo 0.
    r = s.patch({"set": {"correction[0].exposure": -1.5, "lens_blur.amount": 60}}, photo=1)
    check(r.status == 200, f"photo 1 changed ({r})")
    check(s.state(0)["recipe"].get("correction[0].exposure") in (None, 0, 0.0), "photo 0 untouched")
    words = {p["id"]: p["sidecar"] for p in s.get("/api/photos").json()["photos"]}
    check(words["0"] == "none" and words["1"] in ("unsaved", "saved"),
          f"sidecar states: none, and unsaved or saved ({words['0']}, {words['1']})")
    for _ in range(40):
        if [p for p in s.get("/api/photos").json()["photos"] if p["id"] == "1"][0]["sidecar"] == "saved":
            break
        time.sleep(0.1)
    check(os.path.exists(os.path.join(F, "b_coffee.png.xmp")), "photo 1's sidecar saved after the debounce")
    for body in ['{"from": "1", "to": ["9"]}', '{"from": "7", "to": ["0"]}', '{"to": ["0"]}',
                 '{"from": "1", "to": "0"}', "{", '{"from": "1", "to": ["0"], "sections": [1]}']:
        r = s.request("POST", "/api/sync", body=body)
        check(r.status == 400, f"sync {body}: 400 ({r.json().get('error')})")
    check(s.state(0)["recipe"].get("correction[0].exposure") in (None, 0, 0.0),
          "a refused sync changes nothing")
    r = s.request("POST", "/api/sync", json_body={"from": "1", "to": ["0", "2"],
                                                  "sections": ["masks", "adjust", "lens_blur"]})
    check(r.status == 200 and r.json().get("synced") == ["0", "2"], f"synced ({r})")
    for i in (0, 2):
        rec = s.state(i)["recipe"]
        check(rec.get("correction[0].exposure") == -1.5 and rec.get("lens_blur.amount") == 60,
              f"photo {i} has photo 1's settings")
    check(s.patch({"undo": 1}, photo=0).status == 200 and
          s.state(0)["recipe"].get("correction[0].exposure") in (None, 0, 0.0), "a sync is one undo")
    r = s.request("POST", "/api/sync", json_body={"from": 1, "to": [0], "sections": ["lens_blur"]})
    check(r.status == 200 and s.state(0)["recipe"].get("lens_blur.amount") == 60 and
          s.state(0)["recipe"].get("correction[0].exposure") in (None, 0, 0.0),
          "sync of the lens blur alone")

    check(s.get("/api/photos/1/preview?w=100").status == 200, "a per-photo preview")
    check(s.quit() == 0, f"quit: exit 0 {s.stderr()}")

finish()
