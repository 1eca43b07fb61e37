"""200 random requests over paths, methods, queries, headers and bodies (a
fixed seed, printed): the server answers every one with a status it means
(never a 5xx but 503 for a scene being built), and never dies; then it
quits cleanly (no leak under ASan)."""
import json
import os
import random
import shutil

from edit_server import CHELSEA, COFFEE, Server, check, depth_file, finish, scene_args, scratch

SEED = int(os.environ.get("DM_SEED", "14"))
rng = random.Random(SEED)
print(f"seed {SEED}")

T = scratch("server_random")
F = os.path.join(T, "photos")
os.makedirs(F)
shutil.copy(COFFEE, os.path.join(F, "coffee.png"))
shutil.copy(CHELSEA, os.path.join(F, "chelsea.png"))
depth = depth_file(os.path.join(T, "depth.png"), 600, 400)

METHOD_OF = {"photos": "GET", "sync": "POST", "quit": "POST", "thumb": "GET", "state": "GET",
             "recipe": "PATCH", "preview": "GET", "region": "GET", "depth": "GET", "mask": "GET",
             "histogram": "GET", "sample": "GET", "export": "POST", "progress": "GET"}
ENDPOINTS = ["photos", "sync", "quit", "thumb", "state", "recipe", "preview", "region", "depth",
             "mask", "histogram", "sample", "export", "progress"]
METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS", "get", "BREW"]
KEYS = ["correction[0].exposure", "correction[1].contrast", "correction[0].mask[0].kind",
        "correction[0].mask[0].depth_range", "lens_blur.amount", "lens_blur.focal_range",
        "correction[63].amount", "correction[64].amount", "nope", "", "lens_blur.bokeh"]
VALUES = [0, -1, 1.5, 1e300, -1e300, "0,50", "depth_range", "subject", "blades", True, None,
          [], {}, "x" * 300, "\u00e9\u0000", 70, 2 ** 63]


def random_path():
    k = rng.random()
    if k < 0.45:
        return "/api/" + rng.choice(ENDPOINTS[3:])
    if k < 0.8:
        pid = rng.choice(["0", "1", "2", "-1", "00", "1e0", "%30", "..", "x"])
        return f"/api/photos/{pid}/" + rng.choice(ENDPOINTS)
    if k < 0.9:
        return "/api/" + rng.choice(ENDPOINTS[:3])
    return rng.choice(["/", "/index.html", "/api.js", "/api", "/api/", "//api//photos",
                       "/%2e%2e/x", "/a/b/c/d/e/f/g/h/i", "/api/photos/0/thumb/", "/%ff", "/%"])


def random_query():
    if rng.random() < 0.3:
        return ""
    pairs = []
    for _ in range(rng.randint(1, 5)):
        key = rng.choice(["w", "h", "x", "y", "r", "before", "draft", "viz", "of", "correction",
                          "overlay", "token", "zz", ""])
        val = rng.choice(["0", "1", "-5", "16", "300", "99999999999", "abc", "", "heat", "grey",
                          "depth", "image", "%41", "+", "1.5", "%00"])
        pairs.append(f"{key}={val}")
    return "?" + "&".join(pairs)


def random_body():
    k = rng.random()
    if k < 0.3:
        return None
    if k < 0.6:
        op = rng.choice(["set", "undo", "redo", "add_correction", "remove_correction", "add_mask",
                         "remove_mask", "from", "format"])
        if op == "set":
            body = {"set": {rng.choice(KEYS): rng.choice(VALUES) for _ in range(rng.randint(0, 3))}}
        elif op == "from":
            body = {"from": rng.choice(["0", "1", 5, None]), "to": rng.choice([["0"], ["1"], [], "0", [None]]),
                    "sections": rng.choice([["masks"], ["adjust", "lens_blur"], ["nope"], None])}
        elif op == "format":
            body = {"format": rng.choice(["jpeg", "png", "tiff", "gif", 1]),
                    "bits": rng.choice([8, 16, 32, 12, "8"]), "name": rng.choice(["r.jpg", "../r.jpg", ".r", "", None])}
        else:
            body = {op: rng.choice(VALUES)}
        return json.dumps(body).encode()
    if k < 0.8:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
    return rng.choice([b"{", b"[]", b"null", b'{"set": []}', b'{"set": {"a": 1}, "set": {"b": 2}}',
                       b"\xef\xbb\xbf{}", b'"str"', b"1" * 5000, b"{" * 10000])


ALLOWED = {200, 202, 400, 403, 404, 405, 409, 413, 414, 422, 503}
with Server(F, *scene_args(depth)) as s:
    statuses = {}
    for i in range(200):
        path = random_path()
        # Mostly the endpoint's own method, so the handlers see the queries and bodies.
        name = path.rstrip("/").split("/")[-1]
        method = METHOD_OF[name] if name in METHOD_OF and rng.random() < 0.7 else rng.choice(METHODS)
        path += random_query()
        if path.startswith("/api/quit") or "/quit" in path.split("?")[0]:
            path = "/api/photos"  # quitting is the end of the test, not a random event
        body = random_body()
        headers = {}
        if rng.random() < 0.2:
            headers[rng.choice(["Content-Type", "X-Depthmask-Token", "Accept", "Origin"])] = \
                rng.choice(["application/json", "text/plain", "", "x" * 100, s.token])
        token = True if rng.random() < 0.9 else rng.choice([None, "0" * 32])
        host = None if rng.random() < 0.95 else rng.choice([False, "evil.example"])
        try:
            r = s.request(method, path, body=body, token=token, host=host, headers=headers)
            status = r.status
        except Exception as e:  # a dropped connection is an answer missing
            status = f"no answer: {e!r}"
        statuses[status] = statuses.get(status, 0) + 1
        if status not in ALLOWED:
            check(False, f"request {i}: {method} {path} body {body[:80] if body else None!r} -> {status}")
        if not s.alive():
            check(False, f"the server died at request {i}: {method} {path}")
            break
    print("statuses:", dict(sorted(statuses.items(), key=str)))
    check(s.alive(), "alive after 200 random requests")
    check(s.get("/api/photos").status == 200, "and still answering")
    code = s.quit()
    check(code == 0, f"quit: exit 0 ({code}) {s.stderr()[-2000:]}")

finish()
