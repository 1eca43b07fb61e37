"""depthmask edit's doors: the token, the Host header, the body limit, what
is reachable (routes, methods), the address it listens on, the page."""
import os
import shutil
import socket

from edit_server import COFFEE, Server, check, depth_file, finish, scene_args, scratch

T = scratch("server_security")
photo = os.path.join(T, "coffee.png")
shutil.copy(COFFEE, photo)
depth = depth_file(os.path.join(T, "depth.png"), 600, 400)
with open(os.path.join(T, "secret.txt"), "w") as f:
    f.write("not for the browser\n")

with Server(photo, *scene_args(depth)) as s:
    check(len(s.token) == 32 and all(c in "0123456789abcdef" for c in s.token),
          f"the token is 128 bits in hex ({s.token})")
    ok = s.get("/api/photos")
    check(ok.status == 200 and ok.json()["photos"][0]["name"] == "coffee.png", "token in the header")
    check(s.get(f"/api/photos?token={s.token}", token=None).status == 200, "token in the query")
    check(s.get(f"/?token={s.token}", token=None).status == 200, "the page with its token")

    # Every way of not having the token.
    for label, path, token in [
        ("no token", "/api/photos", None),
        ("no token, the page", "/", None),
        ("no token, a photo's path", "/api/photos/0/thumb", None),
        ("a wrong token", "/api/photos", "0" * 32),
        ("the token one digit off", "/api/photos", s.token[:-1] + ("0" if s.token[-1] != "0" else "1")),
        ("a prefix of the token", "/api/photos", s.token[:16]),
        ("the token and more", "/api/photos", s.token + "0"),
        ("the token in upper case", "/api/photos", s.token.upper()),
        ("an empty token", "/api/photos", ""),
        ("a wrong token in the query", "/api/photos?token=" + "f" * 32, None),
        ("the token under another name", f"/api/photos?tok={s.token}", None),
    ]:
        r = s.get(path, token=token)
        check(r.status == 403 and "token" in r.json()["error"], f"403 for {label}: {r}")

    # DNS rebinding: a page of another name resolved to 127.0.0.1.
    for host in [False, "evil.example", f"evil.example:{s.port}", "127.0.0.1", f"127.0.0.1:{s.port + 1}",
                 f"localhost:{s.port}.evil.example", f"0.0.0.0:{s.port}", f"[::1]:{s.port}",
                 f"127.0.0.1:{s.port} ", f"127.0.0.2:{s.port}"]:
        r = s.get("/api/photos", host=host)
        check(r.status == 403 and "Host" in r.json()["error"], f"403 for Host {host!r}: {r}")
    for host in [f"localhost:{s.port}", f"LOCALHOST:{s.port}", f"127.0.0.1:{s.port}"]:
        check(s.get("/api/photos", host=host).status == 200, f"Host {host} accepted")
    r = s.get("/api/photos", host="evil.example", token=None)
    check(r.status == 403, "no token and a wrong Host: 403")

    # Bodies: 1 MiB is the limit, declared or not. A declared one is refused
    # as soon as the headers are in (the client need not send it).
    def declared(length, token=True):
        c = s.conn()
        c.putrequest("PATCH", "/api/recipe", skip_host=True)
        c.putheader("Host", s.host)
        if token:
            c.putheader("X-Depthmask-Token", s.token)
        c.putheader("Content-Length", str(length))
        c.endheaders()
        r = c.getresponse()
        r.read()
        c.close()
        return r.status

    st = declared(1024 * 1024 + 1)
    check(st == 413, f"a declared body over 1 MiB: 413 at once ({st})")
    st = declared(10 ** 12, token=False)
    check(st == 403, f"a big body without the token: 403 first ({st})")
    c = s.conn()
    c.putrequest("PATCH", "/api/recipe", skip_host=True)
    c.putheader("Host", s.host)
    c.putheader("X-Depthmask-Token", s.token)
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    for _ in range(20):
        chunk = b" " * 65536
        c.send(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
    c.send(b"0\r\n\r\n")
    r = c.getresponse()
    check(r.status == 413, f"a chunked body growing over 1 MiB: 413 ({r.status})")
    r.read()
    c.close()
    r = s.request("PATCH", "/api/recipe", body=b'{"set": {}}' + b" " * (1024 * 1024 - 20))
    check(r.status in (200, 400), f"a body just under 1 MiB is read ({r.status})")

    # Routes and methods.
    for path in ["/api/nope", "/api/photos/0/nope", "/api/photos/7/state", "/api/photos/0",
                 "/api/photos/0/state/more", "/nope", "/web/app.js", "/secret.txt",
                 "/coffee.png", "/api/photos/coffee.png/thumb", "/etc/passwd",
                 "/api/photos/0%2fstate", "/api/photos%2f0%2fstate"]:
        r = s.get(path)
        check(r.status == 404, f"404 for {path} ({r.status})")
    for path in ["/api/photos/%2e%2e/state", "/../secret.txt", "/api/../secret.txt", "/api/photos/../../secret.txt",
                 "/%2e%2e/secret.txt", "/api/photos/0/%00", "/api/%zz", "/?a=%g"]:
        r = s.get(path)
        check(r.status in (400, 404) and b"not for the browser" not in r.body,
              f"{path} refused ({r.status})")
    for method, path, allow in [("GET", "/api/recipe", "PATCH"), ("POST", "/api/state", "GET"),
                                ("DELETE", "/api/photos", "GET"), ("GET", "/api/quit", "POST"),
                                ("PUT", "/api/export", "POST"), ("POST", "/", "GET"),
                                ("GET", "/api/sync", "POST")]:
        r = s.request(method, path)
        check(r.status == 405 and (r.header("Allow") or "").startswith(allow),
              f"405 for {method} {path}, Allow: {r.header('Allow')}")
    check(s.request("HEAD", "/api/photos").status == 200, "HEAD answers as GET")
    check(s.get("/api/preview?w=abc").status == 400, "a malformed query value: 400")
    check(s.get("/api/region?x=0&y=0&w=0&h=10").status == 400, "an empty region: 400")

    # Replies say what they are and are not cached; the page carries the token in an import map.
    r = s.get("/")
    page = r.body.decode()
    check(r.header("Content-Type").startswith("text/html") and f"/api.js?token={s.token}" in page
          and "dm:importmap" not in page, "the page's import map names /api.js with the token")
    r = s.get(f"/api.js?token={s.token}", token=None)
    check(r.status == 200 and r.header("Content-Type").startswith("text/javascript")
          and b"X-Depthmask-Token" in r.body, "the module is served with its type")
    check(s.get("/api/photos").header("Cache-Control") == "no-store", "API replies are not stored")
    check(s.get("/api/photos").header("X-Content-Type-Options") == "nosniff", "nosniff")

    # It listens on 127.0.0.1 and nowhere else.
    addrs = []
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A" and int(local.split(":")[1], 16) == s.port:
                addrs.append(local.split(":")[0])
    check(addrs == ["0100007F"], f"listening on 127.0.0.1 only ({addrs})")
    try:
        other = socket.create_connection(("::1", s.port), timeout=2)
        other.close()
        check(False, "no IPv6 listener")
    except OSError:
        check(True, "no IPv6 listener")

    check(s.alive(), "still running after all that")
    code = s.quit()
    check(code == 0, f"POST /api/quit: exit 0 ({code}) {s.stderr()}")

finish()
