"""`depthmask edit` as a command: help, usage errors (exit 2), bad input
(exit 1), the address as the first line, --port (and a port in use), a
photo that cannot be read (the server starts and says why), the networks
missing (everything but depth and Subject works; the state says why)."""
import os
import shutil
import socket
import subprocess
import time

from edit_server import COFFEE, DM, HOPPER, Server, check, depth_file, finish, scene_args, scratch

T = scratch("server_cli")
photo = os.path.join(T, "coffee.png")
shutil.copy(COFFEE, photo)
depth = depth_file(os.path.join(T, "depth.png"), 600, 400)


def run(*args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([DM, *args], capture_output=True, text=True, timeout=60, env=e)


r = run("edit", "--help")
check(r.returncode == 0 and "--port" in r.stdout and "--sidecar-dir" in r.stdout and
      "--depth" in r.stdout, "edit --help")
r = run("--help")
check(r.returncode == 0 and "  edit IN|DIR" in r.stdout, "the overview lists edit")

for args, needle in [
    ([], "no input"),
    ([photo, "--port", "0"], "--port"),
    ([photo, "--port", "70000"], "--port"),
    ([photo, "--port", "x"], "--port"),
    ([photo, "--port"], "--port needs a value"),
    ([photo, "--proxy", "10"], "--proxy"),
    ([photo, "--out", os.path.join(T, "nope")], "--out"),
    ([photo, "--sidecar-dir", photo], "--sidecar-dir"),
    ([photo, "-o", "x.tif"], "render options"),
    ([photo, "--set", "lens_blur.amount=3"], "render options"),
    ([photo, "--format", "png"], "export"),
    ([photo, "--bogus"], "unknown option"),
    ([photo, photo], "more than one input"),
]:
    r = run("edit", *args)
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 2 and len(lines) == 1 and lines[0].startswith("depthmask: ") and
          needle in lines[0] and r.stdout == "", f"edit {' '.join(args)}: exit 2, {lines}")

r = run("edit", os.path.join(T, "missing.jpg"))
check(r.returncode == 1 and r.stderr.startswith("depthmask: ") and "missing.jpg" in r.stderr
      and r.stdout == "", f"a missing photo: exit 1 ({r.stderr.strip()})")
r = run("edit", photo, "--depth", os.path.join(T, "nodepth.png"), "--depth-range", "1:5")
check(r.returncode == 1 and r.stderr.strip().endswith("nodepth.png: no such file") and r.stdout == "",
      f"a missing --depth file: exit 1 before serving ({r.stderr.strip()})")
empty = os.path.join(T, "empty")
os.makedirs(empty)
r = run("edit", empty)
check(r.returncode == 1 and "no photo" in r.stderr, f"a folder without photos: exit 1 ({r.stderr.strip()})")

# --port: that port, and a second server on it fails with one line.
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
with Server(photo, *scene_args(depth), "--port", str(port)) as s:
    check(s.port == port and s.url == f"http://127.0.0.1:{port}/?token={s.token}",
          f"the first line is the address on --port ({s.url})")
    r = run("edit", photo, *scene_args(depth), "--port", str(port))
    check(r.returncode == 1 and "cannot listen" in r.stderr and r.stdout == "",
          f"a port in use: exit 1 ({r.stderr.strip()})")
    with Server(photo, *scene_args(depth)) as other:
        check(other.port != port and other.token != s.token, "a second session: another port and token")
        check(other.quit() == 0, "the second session quits")
    check(s.quit() == 0, "quit")

# A photo that cannot be read: the server starts and says why.
broken = os.path.join(T, "broken.jpg")
with open(HOPPER, "rb") as src, open(broken, "wb") as f:
    f.write(src.read(3000))
with Server(broken, *scene_args(depth)) as s:
    p = s.get("/api/photos").json()["photos"][0]
    check(isinstance(p["problem"], str) and "broken.jpg" in p["problem"] and "\n" not in p["problem"],
          f"the unreadable photo listed with its problem ({p['problem']})")
    r = s.get("/api/preview")
    check(r.status == 422 and r.json()["error"] == p["problem"], f"its preview: 422 with why ({r})")
    check(s.get("/api/state").status in (200, 422), "its state answers")
    check(s.quit() == 0, "quit")

# The networks missing: no depth, no Subject; the rest works and the state says why.
with Server(photo, "--no-cache", env={"DEPTHMASK_MODELS": os.path.join(T, "no-models")}) as s:
    scene = s.wait_scene()
    check(scene["failed"] and scene["error"], f"the scene fails, saying why ({scene.get('error')})")
    st = s.state()
    check(st["scene"]["failed"] and st["scene"]["error"] == scene["error"], "the state says why")
    r = s.patch({"set": {"correction[0].exposure": -1, "correction[1].mask[0].kind": "subject",
                         "correction[1].exposure": 1}})
    check(r.status == 200, f"a change and a Subject correction are accepted ({r})")
    r = s.get("/api/preview?w=200")
    check(r.status == 200 and r.header("X-Depthmask-Scene") == "failed" and
          "correction[1]" in (r.header("X-Depthmask-Skipped") or ""),
          f"the preview without what needs the scene ({r.status}, {r.header('X-Depthmask-Skipped')})")
    for path in ["/api/depth", "/api/histogram?of=depth", "/api/sample?x=1&y=1", "/api/mask?correction=1"]:
        r = s.get(path)
        check(r.status == 503 and r.json()["progress"]["failed"], f"{path}: 503 with the progress")
    check(s.get("/api/mask?correction=0").status == 200, "a mask that needs no scene still shows")
    check(s.get("/api/histogram?of=image").status == 200, "the image histogram still works")
    check(s.signal() == 0, "Ctrl-C: exit 0")

# Quit while the networks run (no cache): the build stops at its next step,
# it is not waited for (under ASan the networks alone take tens of seconds).
with Server(photo, "--no-cache") as s:
    time.sleep(0.5)
    busy = not s.wait_scene_nowait()
    t0 = time.time()
    code = s.quit(timeout=60)
    took = time.time() - t0
    check(code == 0 and (not busy or took < 10),
          f"quit during the scene's build: exit {code} after {took:.1f} s (building: {busy})")

finish()
