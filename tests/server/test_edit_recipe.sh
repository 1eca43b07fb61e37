# depthmask edit through real HTTP: PATCH /api/recipe (bad JSON, bad keys,
# out-of-range values with the CLI's message, all or none, undo/redo) and
# every picture and the export of the result (recipe.py).
PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 "$DM_SOURCE_DIR/tests/server/recipe.py"
