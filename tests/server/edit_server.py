"""Helpers for the editor server's tests: start `depthmask edit`, talk to it
over real HTTP on 127.0.0.1 (http.client), stop it. Imported by the
tests/server/*.py scripts that the test_*.sh files run."""
import http.client
import json
import os
import select
import signal
import subprocess
import sys
import time

DM = os.environ["DM_BIN"]
TMP_ROOT = os.path.join(os.environ.get("DM_BUILD_DIR", "/tmp"), "test-tmp")
COFFEE = "/usr/lib/python3/dist-packages/skimage/data/coffee.png"
CHELSEA = "/usr/lib/python3/dist-packages/skimage/data/chelsea.png"
HOPPER = "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"

FAILS = []


def check(cond, what):
    if cond:
        print(f"ok: {what}")
    else:
        print(f"FAIL: {what}", file=sys.stderr)
        FAILS.append(what)
    return cond


def finish():
    if FAILS:
        print(f"{len(FAILS)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print("all passed")


def scratch(name):
    d = os.path.join(TMP_ROOT, name)
    subprocess.run(["rm", "-rf", d], check=True)
    os.makedirs(d)
    return d


def depth_file(path, width, height):
    """A 16-bit grey depth map (0 = near at the top, far at the bottom), so
    scenes build without the networks."""
    import numpy as np
    from PIL import Image
    ramp = np.linspace(0, 65535, height, dtype=np.float64)[:, None].repeat(width, axis=1)
    Image.fromarray(ramp.astype(np.uint16)).save(path)
    return path


def scene_args(depth):
    """A scene without the networks: the depth file, no matte, no cache."""
    return ["--depth", depth, "--depth-encoding", "near01", "--matte", "none", "--no-cache"]


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return f"<{self.status} {self.body[:200]!r}>"


class Server:
    """`depthmask edit ARGS...`; the first stdout line gives port and token."""

    def __init__(self, *args, env=None, timeout=30):
        self.args = [DM, "edit", *args]
        e = dict(os.environ)
        e.update(env or {})
        self.err_path = os.path.join(TMP_ROOT, f"edit-{os.getpid()}-{time.time_ns()}.err")
        self.err = open(self.err_path, "w+")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=self.err, env=e,
                                     text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("http://127.0.0.1:"):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"edit did not start: {line!r} {self.stderr()}")
        self.url = line.strip()
        rest = self.url[len("http://127.0.0.1:"):]
        self.port = int(rest.split("/")[0])
        self.token = rest.split("token=")[1]
        self.host = f"127.0.0.1:{self.port}"

    def stderr(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()

    def conn(self, timeout=60):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, token=True, host=None, headers=None,
                conn=None, json_body=None):
        """One request; `token` True puts it in X-Depthmask-Token, a string
        sends that string, None sends none; `host` None sends the right one."""
        h = dict(headers or {})
        if token is True:
            h["X-Depthmask-Token"] = self.token
        elif isinstance(token, str):
            h["X-Depthmask-Token"] = token
        if json_body is not None:
            body = json.dumps(json_body)
        if isinstance(body, str):
            body = body.encode()
        c = conn or self.conn()
        c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        if host is not False:
            c.putheader("Host", host if host is not None else self.host)
        for k, v in h.items():
            c.putheader(k, v)
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        out = Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        if conn is None:
            c.close()
        return out

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def patch(self, body, photo=None, **kw):
        path = f"/api/photos/{photo}/recipe" if photo is not None else "/api/recipe"
        return self.request("PATCH", path, json_body=body if not isinstance(body, (str, bytes)) else None,
                            body=body if isinstance(body, (str, bytes)) else None, **kw)

    def state(self, photo=None):
        path = f"/api/photos/{photo}/state" if photo is not None else "/api/state"
        r = self.get(path)
        assert r.status == 200, r
        return r.json()

    def wait_scene(self, photo=None, timeout=60):
        path = f"/api/photos/{photo}/progress" if photo is not None else "/api/progress"
        end = time.time() + timeout
        while time.time() < end:
            p = self.get(path).json()["scene"]
            if p["ready"] or p["failed"]:
                return p
            time.sleep(0.1)
        raise RuntimeError("the scene was not built in time")

    def wait_scene_nowait(self):
        """Is the scene built (or failed) already?"""
        p = self.get("/api/progress").json()["scene"]
        return p["ready"] or p["failed"]

    def alive(self):
        return self.proc.poll() is None

    def quit(self, timeout=30):
        """POST /api/quit; the exit code (0 = clean, and no leak under ASan)."""
        r = self.request("POST", "/api/quit")
        assert r.status == 200, r
        return self.wait(timeout)

    def signal(self, sig=signal.SIGINT, timeout=30):
        self.proc.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout=30):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return -999

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.alive():
            self.proc.kill()
            self.proc.wait()
        self.err.close()
        os.unlink(self.err_path)
