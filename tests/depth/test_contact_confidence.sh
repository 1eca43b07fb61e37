# The confidence flags where a subject sits on a surface (src/depth/
# confidence.c), on a tune scene (tests/data/dof-split.json): tune8, a cup
# on a table before a backdrop. depthmask-depth-eval's "confidence" line
# gives the confidence's mean on the true contacts (background within
# side/50 of the cup at the cup's own depth: the table at its foot) and on
# the rest of that ring. The contact must read low (< 0.5) and the clear
# ring high (> 0.7); before the ground rule the contact read 0.77. The
# editor's advice to use Subject follows (`depthmask depth` prints it).
. "$(dirname "$0")/fusion_eval_lib.sh"
S=tune8_cup0.55m_on_table_backdrop1.0m
run_eval "$DM_SOURCE_DIR/tests/data/dof-tune/scenes/$S" >/dev/null
line=$(awk -v s="$S" '$1 == "confidence" && $2 == s' "$T/out.txt")
echo "$line"
contact=$(echo "$line" | awk '{ print $4 }')
clear=$(echo "$line" | awk '{ print $6 }')
if [ -n "$contact" ] && awk -v v="$contact" 'BEGIN { exit !(v < 0.5) }'; then
  echo "ok: the confidence at the cup's contact with the table is low: $contact"
else
  fail "the confidence at the contact is '$contact', not below 0.5"
fi
at_least "$clear" 0.7 "$S: the confidence on the ring away from the contact"
cp "$DM_SOURCE_DIR/tests/data/dof-tune/scenes/$S/aif.png" "$T/cup.png"
"$DM_BUILD_DIR/depthmask" depth "$T/cup.png" -o "$T/cup_depth.png" --no-cache >"$T/depth.txt" 2>&1 \
  || fail "depthmask depth: $(cat "$T/depth.txt")"
grep -q "^advice: .*outline meets surroundings at its own depth.*use Subject" "$T/depth.txt" \
  && echo "ok: depth advises Subject for the cup" || fail "no advice for the cup: $(cat "$T/depth.txt")"
finish
