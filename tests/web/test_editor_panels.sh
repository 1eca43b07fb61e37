# The editor page's panels through real mouse and keyboard events, one session
# on a real photo (panels.mjs): Depth Range's far handle dragged (preview,
# mask, recipe, sidecar's crs:DepthMax), the eyedropper on the subject, a
# radial gradient and a brush stroke drawn, an Adjust slider by keyboard and
# its reset, Ctrl+Z, the loupe, and an export that `depthmask render` of the
# same sidecar reproduces bit for bit. Screenshots in
# $DM_BUILD_DIR/editor-screens/panels-*.png.
exec node "$DM_SOURCE_DIR/tests/web/panels.mjs"
