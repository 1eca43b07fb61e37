# depthmask edit FOLDER: which files are its photos, unreadable ones listed
# with their problem, per-photo paths, thumbnails, sync (folder.py).
PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$DM_SOURCE_DIR/tests/server/folder.py"
