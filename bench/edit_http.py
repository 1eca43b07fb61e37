#!/usr/bin/python3
"""Issue 14's speed bars through the editor's real HTTP API: from a PATCH of one slider to the
last byte of the next preview JPEG, as the page does it (PATCH /api/recipe, then GET
/api/preview, draft=1 while a slider moves, the full proxy once it rests), for a Depth Range
handle, Smoothness, Exposure and Lens Blur Amount; a region of 800x800 at 100 %; and the
server's peak memory (VmHWM) after the first open and during an export.

usage: edit_http.py DEPTHMASK PHOTO CACHE_DIR [REPEAT]
The recipe is the issue's: Depth Range [0, 35] intersected with Subject (Exposure +0.3),
Background (Exposure -0.7), lens blur 50. Depth and matte come from CACHE_DIR (bench/edit.sh
fills it first)."""
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse

DM, PHOTO, CACHE = sys.argv[1], sys.argv[2], sys.argv[3]
REPEAT = int(sys.argv[4]) if len(sys.argv) > 4 else 15

proc = subprocess.Popen([DM, "edit", PHOTO, "--cache", CACHE, "--threads", "2"],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
url = urllib.parse.urlparse(proc.stdout.readline().strip())
token = urllib.parse.parse_qs(url.query)["token"][0]
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
HEAD = {"X-Depthmask-Token": token, "Host": "%s:%d" % (url.hostname, url.port)}


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    headers = dict(HEAD, **({"Content-Type": "application/json"} if data else {}))
    conn.request(method, path, body=data, headers=headers)
    r = conn.getresponse()
    payload = r.read()
    return r.status, payload


def memory_mib(field):
    with open("/proc/%d/status" % proc.pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def peak_mib():
    return memory_mib("VmHWM")


def reset_peak():
    """The next peak_mib() is the peak from here on (proc(5): clear_refs, 5)."""
    with open("/proc/%d/clear_refs" % proc.pid, "w") as f:
        f.write("5")


while True:
    status, body = call("GET", "/api/progress")
    progress = json.loads(body)
    scene = progress.get("scene", progress)
    if scene.get("ready") or scene.get("failed"):
        break
    time.sleep(0.1)

recipe = {
    "correction[0].mask[0].kind": "depth_range", "correction[0].mask[0].depth_range": [0, 35],
    "correction[0].mask[0].smoothness": 30, "correction[0].mask[1].kind": "subject",
    "correction[0].mask[1].mode": "intersect", "correction[0].exposure": 0.3,
    "correction[1].mask[0].kind": "background", "correction[1].exposure": -0.7,
    "lens_blur.amount": 50,
}
status, body = call("PATCH", "/api/recipe", {"set": recipe})
assert status == 200, body
call("GET", "/api/preview")
call("GET", "/api/preview?draft=1")
print("editor over HTTP, %s, 2 threads, %d changes per case; the first open: peak %.0f MiB, "
      "then %.0f MiB held" % (os.path.basename(PHOTO), REPEAT, peak_mib(), memory_mib("VmRSS")))
reset_peak()

CASES = [("Depth Range far handle", "correction[0].mask[0].depth_range", lambda i: [0, 36 + i % 20]),
         ("Smoothness", "correction[0].mask[0].smoothness", lambda i: 31 + i % 20),
         ("Exposure (Background)", "correction[1].exposure", lambda i: -0.69 + 0.01 * (i % 20)),
         ("Lens Blur Amount", "lens_blur.amount", lambda i: 51 + i % 20)]
for draft in (1, 0):
    for name, key, value in CASES:
        times = []
        for i in range(REPEAT):
            t = time.monotonic()
            status, body = call("PATCH", "/api/recipe", {"set": {key: value(i)}})
            assert status == 200, body
            status, jpg = call("GET", "/api/preview" + ("?draft=1" if draft else ""))
            assert status == 200 and jpg[:2] == b"\xff\xd8", (status, jpg[:200])
            times.append(time.monotonic() - t)
        times.sort()
        print("  %-12s %-24s median %6.1f ms   p95 %6.1f ms" % (
            "draft" if draft else "proxy 1600", name, 1e3 * statistics.median(times),
            1e3 * times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]))

print("  steady state over those previews: peak %.0f MiB" % peak_mib())
reset_peak()
times = []
for i in range(3):
    call("PATCH", "/api/recipe", {"set": {"correction[1].exposure": -0.5 - 0.01 * i}})
    t = time.monotonic()
    status, jpg = call("GET", "/api/region?x=2600&y=900&w=800&h=800")
    assert status == 200, jpg[:200]
    times.append(time.monotonic() - t)
print("  region 800x800 at 100 %% after a change: median %.0f ms; peak %.0f MiB"
      % (1e3 * statistics.median(times), peak_mib()))
print("  held after the region: %.0f MiB" % memory_mib("VmRSS"))
reset_peak()
status, body = call("POST", "/api/export", {"format": "tiff", "bits": 16, "name": "bench-export"})
while status in (200, 202):
    status, body = call("GET", "/api/progress")
    p = json.loads(body).get("export", {})
    if p.get("done") or p.get("failed") or p.get("state") in ("done", "failed", "idle"):
        break
    time.sleep(0.2)
print("  export (16-bit TIFF) done: peak %.0f MiB, then %.0f MiB held" % (peak_mib(), memory_mib("VmRSS")))
call("POST", "/api/quit")
proc.wait(timeout=60)
