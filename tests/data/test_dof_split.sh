# tests/data/dof-split.json, the declared tune/report split of the lens-blur scenes (issue 13):
# every declared scene has its files, its f/8 input and its description; every scene folder under
# tests/data/dof-*/scenes is declared; no photograph is shared by a tune and a report scene.
# The kit's dev scenes are skipped (with a note) when ../shared/dof-eval is absent.
exec /usr/bin/python3 "$(dirname "$0")/../../tools/dof_eval/split.py" --check
