# depthmask edit keeps the sidecar in step: debounced saves that render
# reads, a sidecar changed on disk meanwhile (merge), saves on quit, Ctrl-C
# and SIGTERM, --sidecar-dir (sidecar.py).
PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$DM_SOURCE_DIR/tests/server/sidecar.py"
