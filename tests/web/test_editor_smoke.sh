# The editor page in headless chromium (playwright-core, tools/browser): it
# loads, paints a preview, repaints it after a recipe change (smoke.mjs).
# Screenshots in $DM_BUILD_DIR/editor-screens/.
exec node "$DM_SOURCE_DIR/tests/web/smoke.mjs"
