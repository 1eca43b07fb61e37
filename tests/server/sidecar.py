"""The sidecar kept in step with the editor: written after the debounce and
re-read by `depthmask render` (the same pixels as the same change made with
--set); changed on disk by another program meanwhile (merged by field: both
survive, the state names the outside fields); flushed by quit and by Ctrl-C
before the debounce; kept in --sidecar-dir when asked."""
import os
import re
import shutil
import signal
import subprocess
import time

import numpy as np
from PIL import Image

from edit_server import COFFEE, DM, Server, check, depth_file, finish, scene_args, scratch

T = scratch("server_sidecar")
depth = depth_file(os.path.join(T, "depth.png"), 600, 400)


def fresh(name):
    d = os.path.join(T, name)
    os.makedirs(d)
    shutil.copy(COFFEE, os.path.join(d, "coffee.png"))
    return os.path.join(d, "coffee.png")


def xmp_field(path, name):
    try:
        with open(path) as f:
            m = re.search(name + r'="([^"]*)"', f.read())
    except FileNotFoundError:
        return None
    return m.group(1) if m else None


def wait_for(cond, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def render(photo, out, *sets):
    r = subprocess.run([DM, "render", photo, "-o", out, *scene_args(depth),
                        *[a for s in sets for a in ("--set", s)]], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return np.asarray(Image.open(out), np.int32)


# Written after the debounce, read back by render.
photo = fresh("debounce")
xmp = photo + ".xmp"
with Server(photo, *scene_args(depth)) as s:
    t0 = time.time()
    check(s.patch({"set": {"correction[0].exposure": -1.0}}).status == 200, "exposure -1")
    check(wait_for(lambda: xmp_field(xmp, "crs:LocalExposure2012") == "-0.25", 3),
          f"the sidecar written {time.time() - t0:.2f} s after the change")
    check(time.time() - t0 <= 1.5, "within the debounce and a tick")
    # render reads the editor's sidecar: the same pixels as --set on a bare copy.
    mine = render(photo, os.path.join(T, "a.png"))
    bare = fresh("bare")
    want = render(bare, os.path.join(T, "b.png"), "correction[0].exposure=-1")
    check(mine.shape == want.shape and np.abs(mine - want).max() == 0,
          "render reads the editor's sidecar: the same pixels as --set")

    # Another program changes the sidecar (render commits it, under the
    # photo's lock, with a lens blur); the editor merges by field.
    render(photo, os.path.join(T, "c.png"), "lens_blur.amount=70")
    check(xmp_field(xmp, "crs:BlurAmount") == "70", "render wrote the lens blur into the sidecar")
    check(s.patch({"set": {"correction[0].contrast": 20}}).status == 200, "contrast 20 in the editor")
    check(wait_for(lambda: xmp_field(xmp, "crs:LocalContrast2012") == "0.2", 3),
          "the editor's change saved")
    check(xmp_field(xmp, "crs:BlurAmount") == "70" and xmp_field(xmp, "crs:LocalExposure2012") == "-0.25",
          "the other program's lens blur and the earlier exposure survive the merge")
    st = s.state()
    check(st["recipe"].get("lens_blur.amount") == 70, f"the editor now holds the outside change")
    outside = st.get("outside_fields") or []
    check(any("lens_blur" in f for f in outside), f"the state names the outside fields ({outside})")
    check(s.quit() == 0, f"quit: exit 0 {s.stderr()}")

# Quit and Ctrl-C save what the debounce has not yet.
for how in ("quit", "SIGINT", "SIGTERM"):
    photo = fresh(how)
    with Server(photo, *scene_args(depth)) as s:
        s.patch({"set": {"correction[0].exposure": -3.0}})
        code = s.quit() if how == "quit" else s.signal(getattr(signal, how))
        check(code == 0 and xmp_field(photo + ".xmp", "crs:LocalExposure2012") == "-0.75",
              f"{how}: exit {code}, the change saved")

# --sidecar-dir: the recipe lives there, nothing beside the photo.
photo = fresh("dir")
recipes = os.path.join(T, "recipes")
os.makedirs(recipes)
with Server(photo, *scene_args(depth), "--sidecar-dir", recipes) as s:
    s.patch({"set": {"correction[0].exposure": 0.5}})
    code = s.quit()
check(code == 0 and os.path.exists(os.path.join(recipes, "coffee.png.xmp")) and
      not os.path.exists(photo + ".xmp"), "--sidecar-dir holds the recipe")

# An export of a photo whose recipe is only in a legacy photo.xmp renders it, as render does.
photo = fresh("legacy")
legacy = os.path.join(os.path.dirname(photo), "coffee.xmp")
render(photo, os.path.join(T, "l0.png"), "correction[0].exposure=-1")  # writes coffee.png.xmp
os.rename(photo + ".xmp", legacy)
want = render(photo, os.path.join(T, "l1.png"))  # reads the legacy one (and writes its own)
os.unlink(photo + ".xmp")
with Server(photo, *scene_args(depth)) as s:
    r = s.request("POST", "/api/export", json_body={"format": "png", "bits": 16, "name": "l2.png"})
    check(r.status == 202, f"export started ({r})")
    check(wait_for(lambda: s.get("/api/progress").json()["export"]["state"] != "running", 60),
          "export finished")
    e = s.get("/api/progress").json()["export"]
    got = np.asarray(Image.open(e["output"]), np.int32) if e["state"] == "done" else None
    check(got is not None and np.abs(got - want).max() == 0,
          f"the export renders the legacy recipe as render does ({e})")
    check(s.quit() == 0, "quit")

finish()
