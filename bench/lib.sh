# Sourced by the benchmark scripts.
# make_24mp OUT.jpg: a 6000x4000 (24 MP) JPEG, quality 92, upscaled with lanczos3 from a real
# photo (matplotlib's grace_hopper.jpg, public domain, 512x600) and cropped to 3:2.
make_24mp() {
  local src=/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg tmp
  tmp=$(mktemp /tmp/dm-bench-up.XXXXXX.v)
  vips resize "$src" "$tmp" 11.72 --kernel lanczos3
  vips crop "$tmp" "$1[Q=92]" 0 1000 6000 4000
  rm -f "$tmp"
}
