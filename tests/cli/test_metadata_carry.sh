# render keeps the photo's own XMP and IPTC (issue 17): grace_hopper as a
# JPEG, a TIFF and a PNG, given an XMP packet (dc:title, photoshop:Headline,
# an Iptc4xmpCore field, Camera Raw and depthmask settings) and IPTC-IIM
# (2:05 ObjectName, 2:80 By-line) by exiftool, is rendered to JPEG, TIFF and
# PNG; exiftool reads back the input's title, headline, genre and IPTC
# fields, and no crs: or dm: field. PNG has no place for IPTC: its outputs
# keep the XMP only.
. "$(dirname "$0")/lib.sh"
command -v exiftool >/dev/null || { fail "exiftool missing (setup.sh installs libimage-exiftool-perl)"; finish; }
command -v python3 >/dev/null || { fail "python3 missing"; finish; }

# Not named like a sidecar of the inputs (in.xmp, in.jpg.xmp): render would
# read it as their recipe. This is what goes inside the photos.
cat >"$T/packet.xml" <<'EOF'
<?xpacket begin="﻿" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
    xmlns:dm="http://ns.depthmask.org/1.0/"
    photoshop:Headline="Rear Admiral &amp; computer pioneer"
    Iptc4xmpCore:IntellectualGenre="Portrait"
    crs:Version="15.0" crs:ProcessVersion="11.0" crs:Exposure2012="+1.00" crs:HasSettings="True"
    dm:RecipeVersion="1" dm:ProcessVersion="5">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Grace Hopper, 1984 — é</rdf:li></rdf:Alt></dc:title>
   <crs:ToneCurvePV2012><rdf:Seq><rdf:li>0, 0</rdf:li><rdf:li>255, 255</rdf:li></rdf:Seq></crs:ToneCurvePV2012>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
EOF

cp "$HOPPER" "$T/in.jpg"
for f in tif png; do
  "$DM" render "$HOPPER" -o "$T/in.$f" --no-sidecar >/dev/null 2>"$T/err" || fail "making in.$f: $(cat "$T/err")"
done
exiftool -q -overwrite_original "-xmp<=$T/packet.xml" -IPTC:ObjectName='Grace Hopper' \
  -IPTC:By-line='US Navy' "$T/in.jpg" "$T/in.tif" || fail "exiftool could not write the inputs' metadata"
exiftool -q -overwrite_original "-xmp<=$T/packet.xml" "$T/in.png" || fail "exiftool could not write in.png's XMP"
sums=$(sha256sum "$T"/in.*)

# check.py IN.json OUT.json OUT: OUT has IN's fields (IPTC ones if IN has
# them and OUT is no PNG) and no Camera Raw or depthmask field; IN must hold them all, crs: and dm:
# included, or the test proves nothing.
cat >"$T/check.py" <<'EOF'
import json, sys
src = json.load(open(sys.argv[1]))[0]
out = json.load(open(sys.argv[2]))[0]
png = sys.argv[3].endswith(".png")
errs = []
fields = ["XMP-dc:Title", "XMP-photoshop:Headline", "XMP-iptcCore:IntellectualGenre"]
if "IPTC:ObjectName" in src and not png:
    fields += ["IPTC:ObjectName", "IPTC:By-line"]
for k in fields:
    if out.get(k) != src.get(k) or src.get(k) is None:
        errs.append(f"{k}: {out.get(k)!r}, input has {src.get(k)!r}")
if src.get("XMP-dc:Title") != "Grace Hopper, 1984 — é":
    errs.append(f"input title {src.get('XMP-dc:Title')!r}")
settings = lambda d: [k for k in d if k.startswith(("XMP-crs", "XMP-dm:"))]
if len(settings(src)) < 6:
    errs.append(f"input lacks its settings: {settings(src)}")
if settings(out):
    errs.append(f"settings carried: {settings(out)}")
if png and any(k.startswith("IPTC:") for k in out):
    errs.append("IPTC in a PNG")
print("; ".join(errs))
EOF

for in in jpg tif png; do
  exiftool -j -G1 "$T/in.$in" >"$T/in_$in.json"
  for out in jpg tif png; do
    o="$T/out_$in.$out"
    "$DM" render "$T/in.$in" -o "$o" --no-sidecar --set 'correction[0].mask[0].kind=linear_gradient' \
      --set 'correction[0].exposure=-0.5' >/dev/null 2>"$T/err" || { fail "render $in -> $out: $(cat "$T/err")"; continue; }
    [ -s "$T/err" ] && fail "render $in -> $out warned: $(cat "$T/err")"
    exiftool -j -G1 "$o" >"$T/out.json"
    problems=$(python3 "$T/check.py" "$T/in_$in.json" "$T/out.json" "$o")
    [ -z "$problems" ] && ok "$in -> $out keeps the photo's XMP and IPTC, not its settings" \
      || fail "$in -> $out: $problems"
    exiftool -b -XMP "$o" | grep -q 'camera-raw\|ns.depthmask.org' && fail "$in -> $out: a settings namespace is still declared"
    # Well-formed by exiftool's checks. It would have TIFF's IPTC tag typed
    # LONG as Photoshop writes it; libtiff writes UNDEFINED, the type the
    # tag's registration gives.
    v=$(exiftool -s3 -validate -warning -a "$o")
    [ "$v" = OK ] || [ "$v" = "1 Warning"$'\n'"Non-standard format (undef) for IFD0 0x83bb IPTC-NAA" ] \
      || fail "$in -> $out: exiftool -validate: $v"
  done
done

[ "$(sha256sum "$T"/in.*)" = "$sums" ] || fail "an input changed"
finish
