# The cluster recipes in docs/batch, without Slurm or Kubernetes: the Slurm
# array script and the Indexed Job manifest are well formed and agree with
# themselves on N; then both run for real (bash, and sh -c, with the variables
# the scheduler would set) and their shards together give exactly the files,
# byte for byte, of one unsharded batch.
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/batch_lib.sh"
SRC="${DM_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
SBATCH="$SRC/docs/batch/slurm_array.sbatch"
JOB="$SRC/docs/batch/k8s_indexed_job.yaml"

# --- the Slurm script, statically ---------------------------------------
bash -n "$SBATCH" && ok "sbatch script parses" || fail "bash -n $SBATCH"
head -1 "$SBATCH" | grep -q '^#!' || fail "sbatch script has no #! line (sbatch refuses it)"
N=$(sed -n 's/^#SBATCH[[:space:]]\{1,\}--array=1-\([0-9]\{1,\}\).*/\1/p' "$SBATCH")
case "$N" in '' | *[!0-9]* | 0) fail "no '#SBATCH --array=1-N' in $SBATCH"; finish ;; esac
ok "Slurm array: N = $N"
grep -qF -- '--shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}"' "$SBATCH" \
  || fail "sbatch script does not pass --shard \"\${SLURM_ARRAY_TASK_ID}/\${SLURM_ARRAY_TASK_COUNT}\""
grep -qE '^#SBATCH[[:space:]]+--cpus-per-task=[0-9]+' "$SBATCH" || fail "no #SBATCH --cpus-per-task"
grep -qE '^#SBATCH[[:space:]]+--mem=[0-9]+[KMGT]?' "$SBATCH" || fail "no #SBATCH --mem"
grep -qx 'set -euo pipefail' "$SBATCH" || fail "sbatch script lacks set -euo pipefail"
# sbatch stops reading directives at the first command.
first_cmd=$(grep -nvE '^[[:space:]]*(#|$)' "$SBATCH" | head -1 | cut -d: -f1)
last_dir=$(grep -n '^#SBATCH' "$SBATCH" | tail -1 | cut -d: -f1)
[ "${last_dir:-0}" -lt "${first_cmd:-0}" ] || fail "an #SBATCH line comes after the first command (line $first_cmd)"

# A stand-in depthmask that records its arguments, one a line.
mkdir -p "$T/stub"
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"$STUB_OUT"\n' >"$T/stub/depthmask"
chmod +x "$T/stub/depthmask"
STUB_OUT="$T/args" SLURM_ARRAY_TASK_ID=$N SLURM_ARRAY_TASK_COUNT=$N PATH="$T/stub:$PATH" \
  bash "$SBATCH" "/in dir" --preset p.xmp -o out 2>"$T/err" || fail "sbatch script with a stub: $(cat "$T/err")"
printf '%s\n' batch "/in dir" --preset p.xmp -o out --shard "$N/$N" --jobs auto >"$T/args.want"
cmp -s "$T/args" "$T/args.want" && ok "sbatch script passes its arguments and the shard" \
  || fail "sbatch script ran: $(tr '\n' ' ' <"$T/args" 2>/dev/null), want: $(tr '\n' ' ' <"$T/args.want")"
# Outside an array task it must refuse, not render everything N times.
rm -f "$T/args"
env -u SLURM_ARRAY_TASK_ID -u SLURM_ARRAY_TASK_COUNT STUB_OUT="$T/args" PATH="$T/stub:$PATH" \
  bash "$SBATCH" /in --preset p.xmp -o out 2>/dev/null && fail "sbatch script ran without SLURM_ARRAY_TASK_ID"
[ -e "$T/args" ] && fail "sbatch script started depthmask without a shard"

# --- the Kubernetes manifest, statically --------------------------------
# Prints "problem: ..." lines; writes N and the container's argv (NUL-separated).
"$PY" - "$JOB" "$T/k8s_n" "$T/k8s_argv" >"$T/yaml.out" 2>&1 <<'EOF' || fail "manifest check crashed: $(cat "$T/yaml.out")"
import re, sys, yaml
path, n_out, argv_out = sys.argv[1:]
problems = []
def need(cond, what):
    if not cond: problems.append(what)
docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
need(len(docs) == 1, "want one document, got %d" % len(docs))
job = docs[0] if docs else {}
need(job.get("apiVersion") == "batch/v1", "apiVersion is %r" % job.get("apiVersion"))
need(job.get("kind") == "Job", "kind is %r" % job.get("kind"))
spec = job.get("spec") or {}
need(spec.get("completionMode") == "Indexed", "completionMode is %r" % spec.get("completionMode"))
n, par = spec.get("completions"), spec.get("parallelism")
need(isinstance(n, int) and n >= 1, "completions is %r" % n)
need(par == n, "parallelism %r != completions %r" % (par, n))
need("backoffLimitPerIndex" in spec or "backoffLimit" in spec, "no backoffLimitPerIndex or backoffLimit")
pod = (spec.get("template") or {}).get("spec") or {}
need(pod.get("restartPolicy") == "Never", "restartPolicy is %r" % pod.get("restartPolicy"))
cs = pod.get("containers") or []
need(len(cs) == 1, "want one container, got %d" % len(cs))
c = cs[0] if cs else {}
cmd = c.get("command") or []
need(len(cmd) == 3 and cmd[:2] == ["/bin/sh", "-c"], "command is not [/bin/sh, -c, STRING]: %r" % cmd)
m = re.search(r"--shard \$\(\(JOB_COMPLETION_INDEX\+1\)\)/(\d+)(\s|$)", cmd[-1] if cmd else "")
need(m is not None, "command lacks --shard $((JOB_COMPLETION_INDEX+1))/N")
need(m is None or int(m.group(1)) == n, "command's shard count %s != completions %r" % (m and m.group(1), n))
req = (c.get("resources") or {}).get("requests") or {}
need("cpu" in req and "memory" in req, "no cpu and memory requests: %r" % req)
# /data, where the command's paths live, is a shared claim.
vols = {v.get("name"): v for v in pod.get("volumes") or []}
data = [m.get("name") for m in c.get("volumeMounts") or [] if m.get("mountPath") == "/data"]
need(data and "persistentVolumeClaim" in vols.get(data[0], {}), "/data is not a mounted persistentVolumeClaim")
for p in problems: print("problem:", p)
if not problems:
    open(n_out, "w").write(str(n))
    open(argv_out, "w").write("\0".join(cmd) + "\0")
EOF
if grep -q '^problem: ' "$T/yaml.out"; then
  sed 's/^problem: /FAIL: k8s manifest: /' "$T/yaml.out" >&2
  FAILS=$((FAILS + $(grep -c '^problem: ' "$T/yaml.out")))
  finish
fi
K=$(cat "$T/k8s_n")
mapfile -d '' -t ARGV <"$T/k8s_argv"
ok "k8s Indexed Job: N = $K, command: ${ARGV[2]}"
# The container's shell does the 0-based to 1-based arithmetic.
STUB_OUT="$T/args" JOB_COMPLETION_INDEX=$((K - 1)) PATH="$T/stub:$PATH" "${ARGV[@]}" 2>"$T/err" \
  || fail "k8s command with a stub: $(cat "$T/err")"
grep -qx -- "$K/$K" "$T/args" && ok "k8s command: index $((K - 1)) is shard $K/$K" \
  || fail "k8s command at index $((K - 1)) ran: $(tr '\n' ' ' <"$T/args")"

# --- both recipes for real ----------------------------------------------
# Five real photos, JPEG and PNG, at most 320 px so the runs are quick.
batch_photos "$T/photos"
PHOTOS=$(LC_ALL=C ls "$T/photos")
# The preset: gradients only, so no depth or matte network runs.
gradient_preset "$T/photos/coffee.png" "$T/look.xmp"

# Each run gets its own copy of the photos and preset laid out as the
# Kubernetes manifest's /data: a sidecar one run leaves beside a photo is not read by
# the next, and the outputs' paths differ while their bytes must not.
make_root() {
  mkdir -p "$1/in" && cp "$T/photos"/* "$1/in/" && cp "$T/look.xmp" "$1/look.xmp"
}
# The photos shard I of N takes, one name a line: photo k when k % N + 1 == I.
share() {
  local k=0 f
  for f in $PHOTOS; do
    [ $((k % $2 + 1)) -eq "$1" ] && echo "$f"
    k=$((k + 1))
  done
}
# One output per photo, NAME-dm.EXT (any EXT: the Kubernetes command keeps the default format).
one_each() {
  local f stem n
  [ -d "$1" ] || { fail "$1: no output folder"; return; }
  for f in $PHOTOS; do
    stem=${f%.*}
    n=$(find "$1" -maxdepth 1 -name "$stem-dm.*" ! -name '*.xmp' | wc -l)
    [ "$n" -eq 1 ] || fail "$1: $n outputs for $f, want 1: $(ls "$1" 2>&1 | tr '\n' ' ')"
  done
}
# The same outputs (hidden files, such as the batch's own bookkeeping, are
# not outputs) and the same bytes, except in sidecars: they name their
# output's absolute path.
same_outputs() {
  local ref=$1 got=$2 label=$3 f bad=0
  [ -n "$(ls "$ref" 2>/dev/null)" ] || { fail "$label: no reference, one batch wrote nothing"; return; }
  if [ "$(LC_ALL=C ls "$ref")" != "$(LC_ALL=C ls "$got" 2>&1)" ]; then
    fail "$label: files $(ls "$got" 2>&1 | tr '\n' ' '), one batch's: $(ls "$ref" | tr '\n' ' ')"
    return
  fi
  for f in "$ref"/*; do
    case "$f" in *.xmp) continue ;; esac
    cmp -s "$f" "$got/${f##*/}" || { fail "$label: ${f##*/} differs from one batch's"; bad=1; }
  done
  [ "$bad" -eq 0 ] && ok "$label: the shards' union is one batch's $(ls "$ref" | wc -l) files, byte for byte"
  expect_no_temp "$got"
}

# depthmask on PATH is the binary under test, whatever its file is called.
mkdir -p "$T/bin"
ln -sf "$(cd "$(dirname "$DM")" && pwd)/$(basename "$DM")" "$T/bin/depthmask"

# Slurm: the reference is one batch with the same arguments.
make_root "$T/whole"
run whole "$PHOTOS" "$DM" batch "$T/whole/in" --preset "$T/whole/look.xmp" -o "$T/whole/out" --format png --bits 8
one_each "$T/whole/out"
make_root "$T/slurm"
for i in $(seq 1 "$N"); do
  run "slurm-$i" "$(share "$i" "$N")" env SLURM_ARRAY_TASK_ID="$i" SLURM_ARRAY_TASK_COUNT="$N" \
    PATH="$T/bin:$PATH" bash "$SBATCH" "$T/slurm/in" --preset "$T/slurm/look.xmp" -o "$T/slurm/out" \
    --format png --bits 8
done
same_outputs "$T/whole/out" "$T/slurm/out" "Slurm array of $N"

# Kubernetes: /data becomes a folder here (quoted for the shell); the
# reference is the very same command without its --shard.
at() { "$PY" -c 'import shlex, sys; print(sys.argv[1].replace("/data/", shlex.quote(sys.argv[2]) + "/"))' "$@"; }
whole_cmd=$("$PY" -c 'import re, sys; print(re.sub(r" --shard \S+", "", sys.argv[1]))' "${ARGV[2]}")
make_root "$T/k8s-whole"
run k8s-whole "$PHOTOS" env PATH="$T/bin:$PATH" "${ARGV[0]}" "${ARGV[1]}" "$(at "$whole_cmd" "$T/k8s-whole")"
one_each "$T/k8s-whole/out"
make_root "$T/k8s"
for j in $(seq 0 $((K - 1))); do
  run "k8s-$j" "$(share $((j + 1)) "$K")" env JOB_COMPLETION_INDEX="$j" PATH="$T/bin:$PATH" \
    "${ARGV[0]}" "${ARGV[1]}" "$(at "${ARGV[2]}" "$T/k8s")"
done
same_outputs "$T/k8s-whole/out" "$T/k8s/out" "k8s Indexed Job of $K"
finish
