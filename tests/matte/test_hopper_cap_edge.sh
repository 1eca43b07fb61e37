# Issue 13 item 2 on a real portrait: Grace Hopper (matplotlib's
# grace_hopper.jpg, US Navy portrait, public domain) with Background -1 EV
# and the automatic matte. Along the right side of her white cap against
# the sky, where the issue found a 3-5 px band keeping the sky's old
# brightness, the pixels 1-4 px outside the hand-drawn outline
# (fixtures/grace_hopper_outline.txt) must keep on average less than 5 % of
# the stop (measured: 0.111 before the colour check and the layers, 0.017
# with them). The whole outline's figure is printed, not asserted: there
# the network's matte is confidently wrong in places (hair over the flag),
# which no edge treatment can undo (see the issue 13 closing note).
. "$DM_SOURCE_DIR/tests/cli/lib.sh"
PY=/usr/bin/python3
OUTLINE="$DM_SOURCE_DIR/tests/matte/fixtures/grace_hopper_outline.txt"
EDGE="$DM_SOURCE_DIR/tests/matte/outline_edge.py"
"$DM" render "$HOPPER" -o "$T/orig.png" --bits 8 --no-sidecar >/dev/null 2>"$T/err" || fail "render: $(cat "$T/err")"
"$DM" render "$HOPPER" -o "$T/bg.png" --bits 8 --no-sidecar --set 'correction[0].mask[0].kind=background' \
  --set 'correction[0].exposure=-1' >/dev/null 2>"$T/err" || fail "render: $(cat "$T/err")"
cap=$($PY "$EDGE" "$OUTLINE" "$T/orig.png" "$T/bg.png" -1 --box 330,40,380,75) || fail "outline_edge.py"
all=$($PY "$EDGE" "$OUTLINE" "$T/orig.png" "$T/bg.png" -1) || fail "outline_edge.py"
echo "cap's right side: $cap"
echo "whole outline:    $all"
if $PY -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d['pixels'] > 80 and d['kept_mean'] < 0.05 else 1)" "$cap"; then
  ok "cap edge keeps < 5 % of the stop"
else
  fail "cap edge keeps too much of the stop: $cap"
fi
finish
