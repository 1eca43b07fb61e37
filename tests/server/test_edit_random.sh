# depthmask edit answers 200 random requests (paths, methods, queries,
# bodies) and never dies (random_requests.py; DM_SEED picks another run).
PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$DM_SOURCE_DIR/tests/server/random_requests.py"
