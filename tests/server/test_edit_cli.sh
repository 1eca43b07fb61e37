# depthmask edit as a command: help, usage errors, bad input, --port, an
# unreadable photo, the networks missing (cli.py).
PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$DM_SOURCE_DIR/tests/server/cli.py"
