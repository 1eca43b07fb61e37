# depthmask edit with 4 clients at once: patches, superseding previews,
# state, thumbnails, histograms, regions (concurrent.py).
PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$DM_SOURCE_DIR/tests/server/concurrent.py"
