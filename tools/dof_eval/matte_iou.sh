#!/usr/bin/env bash
# How the automatic subject matte (ISNet, checked against the colours) differs from a scene's
# true matte: whole-object errors (IoU of the 0.5 regions, pixels wrongly in / out) apart from
# edge errors (mean |alpha - true| in the 12-px band the scorer uses, and outside it).
# Explains the "automatic vs true matte" gap of issue 13 item 2.
#   tools/dof_eval/matte_iou.sh [BUILD_DIR] SCENE_DIR...
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
if [ $# -gt 0 ] && [ -x "$1/depthmask" ]; then BUILD=$1; shift; fi
[ $# -gt 0 ] || { echo "usage: matte_iou.sh [BUILD_DIR] SCENE_DIR..." >&2; exit 2; }
export DEPTHMASK_MODELS=${DEPTHMASK_MODELS:-$ROOT/models}
OUT=$(mktemp -d /tmp/dof-iou.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
echo '| scene | IoU | wrongly in | wrongly out | band mean abs error | outside band |'
echo '|---|---|---|---|---|---|'
for S in "$@"; do
  n=$(basename "$S")
  nice -n 19 "$BUILD/depthmask" depth "$S/aif.png" -o "$OUT/d.png" --matte-out "$OUT/m.png" \
    --depth "$S/depth16.png" --depth-encoding linear --depth-range 0.5:50 --no-cache >/dev/null
  /usr/bin/python3 - "$S/mask_gt.png" "$OUT/m.png" "$n" <<'PY'
import sys
import numpy as np
from PIL import Image
from scipy import ndimage as nd
def plane(p):
    a = np.asarray(Image.open(p)).astype(np.float64)
    a = a / (65535.0 if a.max() > 255 else 255.0)
    return a[..., 0] if a.ndim == 3 else a
gt, auto, name = plane(sys.argv[1]), plane(sys.argv[2]), sys.argv[3]
g, a = gt > 0.5, auto > 0.5
# the scorer's band: 12 px around the true matte's edge and its soft pixels
edge = (g != nd.binary_erosion(g)) | ((gt > 0.01) & (gt < 0.99))
band = nd.binary_dilation(edge, iterations=12)
err = np.abs(auto - gt)
print('| %s | %.4f | %d | %d | %.4f | %.4f |' % (name, (g & a).sum() / max(1, (g | a).sum()),
      (a & ~g).sum(), (g & ~a).sum(), err[band].mean(), err[~band].mean()))
PY
done
