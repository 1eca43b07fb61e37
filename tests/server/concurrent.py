"""Four clients at once, each on its own keep-alive connection: slider
changes, draft and full previews (superseded ones answer 409), state,
thumbnails, histograms. Every request answered as it should be; the recipe
ends as the last change left it; the server quits cleanly."""
import os
import shutil
import threading

from edit_server import COFFEE, Server, check, depth_file, finish, scene_args, scratch

T = scratch("server_concurrent")
photo = os.path.join(T, "coffee.png")
shutil.copy(COFFEE, photo)
depth = depth_file(os.path.join(T, "depth.png"), 600, 400)
ROUNDS = 12

with Server(photo, *scene_args(depth)) as s:
    s.wait_scene()
    r = s.patch({"set": {f"correction[{k}].exposure": 0 for k in range(4)}})
    check(r.status == 200, f"four corrections, one per client ({r})")
    problems, superseded, lock = [], [0], threading.Lock()
    last = {}

    def client(k):
        conn = s.conn()
        key = f"correction[{k}].exposure"
        try:
            for i in range(ROUNDS):
                value = round(-2 + 0.25 * i, 2)
                r = s.patch({"set": {key: value}}, conn=conn)
                if r.status != 200:
                    problems.append(f"client {k}: PATCH -> {r}")
                with lock:
                    last[key] = value
                r = s.get(f"/api/preview?w=320&draft={i % 2}", conn=conn)
                if r.status == 409:
                    with lock:
                        superseded[0] += 1
                elif r.status != 200 or not r.body.startswith(b"\xff\xd8"):
                    problems.append(f"client {k}: preview -> {r}")
                extra = ["/api/state", "/api/photos/0/thumb", "/api/histogram?of=image",
                         "/api/photos", "/api/progress", "/api/region?x=0&y=0&w=32&h=32"][(i + k) % 6]
                r = s.get(extra, conn=conn)
                if r.status != 200:
                    problems.append(f"client {k}: {extra} -> {r}")
        except Exception as e:  # a dropped connection
            problems.append(f"client {k}: {e!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    check(not any(t.is_alive() for t in threads), "all four clients finished")
    check(not problems, f"every request answered as it should be: {problems[:5]}")
    print(f"{superseded[0]} previews superseded (409)")
    recipe = s.state()["recipe"]
    check(all(recipe.get(k) == v for k, v in last.items()),
          f"the recipe holds each client's last change ({ {k: recipe.get(k) for k in last} })")
    check(s.get("/api/preview?w=100").status == 200, "a preview after the storm")
    check(s.quit() == 0, f"quit: exit 0 {s.stderr()[-2000:]}")

finish()
