# The editor page on a folder (folder.mjs): the filmstrip, another photo
# opened from it and with Ctrl+Left/Right, Sync of one photo's settings to
# another through the page.
exec node "$DM_SOURCE_DIR/tests/web/folder.mjs"
