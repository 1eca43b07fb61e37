# depthmask edit through real HTTP on 127.0.0.1: token and Host checks, the
# 1 MiB body limit, routes, methods, the listening address (security.py).
PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$DM_SOURCE_DIR/tests/server/security.py"
