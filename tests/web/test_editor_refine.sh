# Lens Blur's Refine brush (Focus, Blur) in the editor page, in headless
# chromium (refine.mjs). Screenshots in $DM_BUILD_DIR/editor-screens/.
exec node "$DM_SOURCE_DIR/tests/web/refine.mjs"
