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

# OSV zip archive: the same advisories as one OSV record per (package, CVE) and per entry, DEFLATE level 6
# (as OSV publishes all.zip; records shaped like its Debian ones), read by Vigil and by Python's zipfile
# in the same run, round by round.
echo "== vuln: OSV zip archive built from the same data, beside Python's zipfile (median of rounds)"
python3 - "$json" "$work/osv.zip" <<'PY'
import json, sys, zipfile
data = json.load(open(sys.argv[1]))
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as z:
    for package in sorted(data):
        for cve in sorted(data[package]):
            info = data[package][cve].get("releases", {}).get("bookworm")
            if not info: continue
            fixed = info.get("fixed_version", "")
            events = [{"introduced": "0"}] + ([{"fixed": fixed}] if fixed and fixed != "0" else [])
            z.writestr("DEBIAN-%s-%s.json" % (cve, package), json.dumps({
                "schema_version": "1.6.0", "id": "DEBIAN-%s" % cve, "modified": "2024-06-01T00:00:00Z",
                "published": "2024-01-01T00:00:00Z", "upstream": [cve],
                "details": data[package][cve].get("description", ""),
                "affected": [{"package": {"name": package, "ecosystem": "Debian:12",
                                          "purl": "pkg:deb/debian/%s?arch=source" % package},
                              "ranges": [{"type": "ECOSYSTEM", "events": events}]}],
                "references": [{"type": "ADVISORY", "url": "https://security-tracker.debian.org/tracker/" + cve}],
            }, indent=2))
PY
zip_peer() {
  python3 - "$work/osv.zip" 5 <<'PY'
import json, os, statistics, sys, time, zipfile
path, runs = sys.argv[1], int(sys.argv[2])
size = os.path.getsize(path)
with zipfile.ZipFile(path) as z:
    total = sum(i.file_size for i in z.infolist())
def inflate():
    with zipfile.ZipFile(path) as z:
        for i in z.infolist(): z.read(i)
def load():
    with zipfile.ZipFile(path) as z:
        for i in z.infolist(): json.loads(z.read(i))
for name, work in (("zip_inflate", inflate), ("zip_load", load)):
    times = []
    for _ in range(runs):
        start = time.perf_counter(); work(); times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    print("%s_json_mb_s %.1f MB/s" % (name, total / 1e6 / seconds))
    print("%s_zip_mb_s %.1f MB/s" % (name, size / 1e6 / seconds))
    start = time.process_time()
    for _ in range(runs): work()
    seconds = (time.process_time() - start) / runs
    print("%s_cpu_json_mb_s %.1f MB/s" % (name, total / 1e6 / seconds))
    print("%s_cpu_zip_mb_s %.1f MB/s" % (name, size / 1e6 / seconds))
PY
}
rounds="${VULN_ZIP_ROUNDS:-3}"
: > "$work/zip-vigil.txt"; : > "$work/zip-python.txt"
for ((i = 0; i < rounds; i++)); do
  "$bin/vigil-bench" vuln-zip "$work/osv.zip" 5 >> "$work/zip-vigil.txt"
  zip_peer >> "$work/zip-python.txt"
done
zmedian() { awk -v k="$1" '$1 == k {print $2}' "$2" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "archive: $(zmedian zip_bytes "$work/zip-vigil.txt") bytes, $(zmedian zip_entries "$work/zip-vigil.txt") entries, $(zmedian zip_json_bytes "$work/zip-vigil.txt") bytes of JSON"
printf '%-44s %12s %12s %8s\n' "measure (MB/s)" "vigil" "zipfile" "speedup"
for key in zip_inflate_json_mb_s zip_inflate_zip_mb_s zip_load_json_mb_s zip_load_zip_mb_s \
  zip_inflate_cpu_json_mb_s zip_load_cpu_json_mb_s; do
  v=$(zmedian "$key" "$work/zip-vigil.txt"); p=$(zmedian "$key" "$work/zip-python.txt")
  case "$key" in zip_inflate*) what="inflate + CRC-32 all entries";; *) what="+ load records (py json.loads)";; esac
  case "$key" in *_cpu_json_mb_s) of="JSON per CPU s";; *_json_mb_s) of="of JSON";; *) of="of zip";; esac
  printf '%-44s %12s %12s %8.2f\n' "$what, $of" "$v" "$p" "$(echo "$v / $p" | bc -l)"
done
for key in zip_compile_json_mb_s zip_compile_zip_mb_s zip_compile_cpu_json_mb_s; do
  case "$key" in *_cpu_json_mb_s) of="JSON per CPU s";; *_json_mb_s) of="of JSON";; *) of="of zip";; esac
  printf '%-44s %12s %12s %8s\n' "+ compile into the index, $of" "$(zmedian "$key" "$work/zip-vigil.txt")" "-" "-"
done
