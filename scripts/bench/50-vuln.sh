#!/usr/bin/env bash
# Vulnerability assessment: advisory compile rate (MB/s), and `vigil vuln scan` end to end on the real
# Debian 12 snapshot beside debsecan reading its precompiled feed of the same data, in the same run.
set -euo pipefail
bin="${VIGIL_BIN:-.build/release}"
# ../shared/corpora from the package root or any folder above it (as the tests look), or $VIGIL_CORPORA.
corpora="${VIGIL_CORPORA:-}"
if [ -z "$corpora" ]; then
  dir=$(pwd)
  while [ "$dir" != "/" ]; do
    if [ -f "$dir/../shared/corpora/README.md" ]; then corpora="$dir/../shared/corpora"; break; fi
    dir=$(dirname "$dir")
  done
fi
data="$corpora/vuln/debian"
if [ ! -f "$data/bookworm-changelog-derived.json" ]; then
  echo "== vuln: SKIPPED, shared corpus vuln/debian not found (looked in $corpora)"; exit 0
fi
runs="${VULN_RUNS:-15}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
json="$data/bookworm-changelog-derived.json"; status="$data/dpkg-status.snapshot"
printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' > "$work/os-release"

echo "== vuln: compiling advisory data into the index (median of 5)"
"$bin/vigil-bench" vuln "$json" 5 | tee "$work/compile.txt"

# The index scan reads, compiled once; debsecan's feed, written once from the same JSON.
"$bin/vigil" vuln update --from "$json" --release bookworm --index "$work/index.sqlite" >/dev/null
mkdir -p "$work/feed"
python3 - "$json" "$work/feed/bookworm" <<'PY'
import json, sys, zlib
data = json.load(open(sys.argv[1]))
names, index, lines = [], {}, []
for package in sorted(data):
    for cve in sorted(data[package]):
        info = data[package][cve].get("releases", {}).get("bookworm")
        if not info: continue
        fixed = info.get("fixed_version", "")
        if info.get("status") == "resolved" and fixed in ("", "0"): continue
        if cve not in index:
            index[cve] = len(names)
            names.append("%s,,%s" % (cve, data[package][cve].get("description", "").replace("\n", " ")))
        urgency = {"low": "L", "medium": "M", "high": "H"}.get(info.get("urgency", "").rstrip("*"), " ")
        resolved = info.get("status") == "resolved"
        lines.append("%s,%d,S%s?%s,%s," % (package, index[cve], urgency, "F" if resolved else " ", fixed if resolved else ""))
text = "VERSION 1\n" + "".join(n + "\n" for n in names) + "\n" + "".join(l + "\n" for l in lines) + "\n\n"
open(sys.argv[2], "wb").write(zlib.compress(text.encode()))
PY

vigil_args=(vuln scan --status "$status" --os-release "$work/os-release" --index "$work/index.sqlite" --no-record)
debsecan_args=(--suite bookworm --source "file://$work/feed/" --status "$status" --format simple --config /dev/null
  --whitelist "$work/whitelist" --history "$work/history")
vigil_scan() { "$bin/vigil" "${vigil_args[@]}"; }
debsecan_scan() { debsecan "${debsecan_args[@]}"; }
if ! command -v debsecan >/dev/null; then
  echo "== vuln scan: debsecan not installed (scripts/install-deps bench); timing vigil only"
fi
nv=$(vigil_scan | wc -l)
nd=$(command -v debsecan >/dev/null && debsecan_scan | wc -l || echo 0)
now() { date +%s%N; }
# CPU seconds (user + system) of one run, from GNU time when present.
cpu() { if [ -x /usr/bin/time ]; then /usr/bin/time -f "%U %S" -o "$work/cpu" "$@" >/dev/null 2>&1; awk '{printf "%d", ($1 + $2) * 1000000}' "$work/cpu"; else "$@" >/dev/null 2>&1; echo 0; fi; }
vt=(); dt=(); vc=(); dc=()
for ((i = 0; i < runs; i++)); do
  s=$(now); vigil_scan >/dev/null; e=$(now); vt+=($(( (e - s) / 1000 )))
  vc+=($(cpu "$bin/vigil" "${vigil_args[@]}"))
  if command -v debsecan >/dev/null; then
    s=$(now); debsecan_scan >/dev/null; e=$(now); dt+=($(( (e - s) / 1000 )))
    dc+=($(cpu "$(command -v debsecan)" "${debsecan_args[@]}"))
  fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mv=$(median "${vt[@]}"); md=$( [ ${#dt[@]} -gt 0 ] && median "${dt[@]}" || echo 0)
mvc=$(median "${vc[@]}"); mdc=$( [ ${#dc[@]} -gt 0 ] && median "${dc[@]}" || echo 0)
echo "== vuln scan end to end: $(wc -c <"$status") bytes of dpkg status, $(grep -c '^Package:' "$status") packages, median of $runs runs"
printf '%-44s %12s %12s %8s\n' "measure" "vigil" "debsecan" "ratio"
printf '%-44s %12s %12s %8s\n' "findings (binary package, CVE)" "$nv" "$nd" "-"
if [ "$md" -gt 0 ]; then
  printf '%-44s %12.1f %12.1f %8.3f\n' "scan, process start to last finding (ms)" "$(echo "$mv/1000" | bc -l)" "$(echo "$md/1000" | bc -l)" "$(echo "$mv / $md" | bc -l)"
fi
if [ "$md" -gt 0 ] && [ "$mdc" -gt 0 ]; then
  printf '%-44s %12.1f %12.1f %8.3f\n' "scan, CPU time user+system (ms)" "$(echo "$mvc/1000" | bc -l)" "$(echo "$mdc/1000" | bc -l)" "$(echo "$mvc / $mdc" | bc -l)"
fi
if [ "$md" -eq 0 ]; then
  printf '%-44s %12.1f %12s %8s\n' "scan, process start to last finding (ms)" "$(echo "$mv/1000" | bc -l)" "-" "-"
fi
awk '/_mb_s/ {printf "%-44s %12s %12s %8s\n", "compile " $1 " (target >= 50)", $2, "-", "-"}' "$work/compile.txt"
