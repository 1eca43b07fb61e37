# Sourced (bash), not run: the one command line that renders a dof-eval scene with depthmask's
# physical lens blur from the scene's true depth and camera.json's lens, shared by run_report.sh,
# run_auto.sh and the ctest tests that score scenes (tests/blur, tests/cli/test_lens_blur.sh).
#   dof_camera SCENE                 prints "f_mm N focus_m depth16_near_m depth16_far_m"
#   dof_render DM SCENE IN OUT MATTE [extra render args...]
#       renders IN (the scene's aif.png, or its f/8 input) to OUT (8-bit) with MATTE (a file,
#       none or auto) under nice; stdout is dropped, stderr and the exit status are depthmask's.
dof_camera() {
  /usr/bin/python3 -c "import json,sys; c=json.load(open(sys.argv[1])); print(c['f_mm'], c['N'], c['focus_m'], c['depth16_near_m'], c['depth16_far_m'])" "$1/camera.json"
}

dof_render() {
  local dm=$1 S=$2 in=$3 out=$4 matte=$5 f N focus near far
  shift 5
  read -r f N focus near far < <(dof_camera "$S")
  nice -n 19 "$dm" render "$in" -o "$out" --bits 8 --no-sidecar --no-cache \
    --depth "$S/depth16.png" --depth-range "$near:$far" --depth-encoding linear --matte "$matte" \
    --set lens_blur.mode=physical --set lens_blur.f_mm="$f" --set lens_blur.f_number="$N" \
    --set lens_blur.focus_m="$focus" --set lens_blur.sensor_width_mm=36 "$@" >/dev/null
}
