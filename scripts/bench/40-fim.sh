#!/usr/bin/env bash
# FIM: `vigil fim init`, full and fast `check` beside AIDE (SHA-256 only, BENCHMARKS.md config) and the
# hashing limits (`find | xargs -P2 sha256sum`, and the same with `openssl dgst -sha256`), in one run,
# on /usr and on a seeded tree of 200,000 small files plus four 256 MiB files under .build/.
# Wall time, CPU seconds (user+sys) and peak RSS are medians of FIM_BENCH_RUNS runs (default 3), run
# pair by pair (vigil, aide, limits, vigil, aide, …). Environment: FIM_BENCH_FILES, FIM_BENCH_PATHS.
set -euo pipefail
bin="${VIGIL_BIN:-.build/release}"
work="$(pwd)/.build/bench-fim"
files="${FIM_BENCH_FILES:-200000}"
runs="${FIM_BENCH_RUNS:-3}"
tree="$work/tree"
paths="${FIM_BENCH_PATHS:-/usr $tree}"
mkdir -p "$work"
command -v aide >/dev/null || { echo "40-fim: aide is missing (scripts/install-deps bench)" >&2; exit 1; }

if [[ " $paths " == *" $tree "* && ! -f "$work/tree-$files.done" ]]; then
  echo "== generating $files files + 4 × 256 MiB under $tree (seed 42)"
  rm -rf "$tree" "$work"/tree-*.done
  "$bin/vigil-bench" fim generate "$tree" "$files" 42 >/dev/null
  touch "$work/tree-$files.done"
fi

# measure LABEL CMD…: appends "wall cpu rss_kib" to $work/LABEL.times
measure() {
  local label="$1"; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.out" "$@" >/dev/null 2>"$work/err.out" || true
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$work/time.out" >>"$work/$label.times"
}
median() { sort -g | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
column_of() { awk -v c="$2" '{print $c}' "$work/$1.times" | median; }

group="type+mode+inode+nlink+uid+gid+size+mtime+ctime+link_target+sha256"
printf '%-10s %-11s %-10s %9s %9s %10s\n' "path" "operation" "tool" "wall s" "cpu s" "peak MiB" > "$work/table"
for path in $paths; do
  name=$(basename "$path")
  rm -f "$work"/*.times
  cat >"$work/vigil.yaml" <<YAML
version: 1
paths:
  - path: '$path'
    group: '$group'
YAML
  cat >"$work/aide.conf" <<CONF
database_in=file:$work/aide.db
database_out=file:$work/aide.db.new
gzip_dbout=no
num_workers=2
report_url=stdout
FIM = p+i+n+u+g+s+m+c+l+ftype+sha256
$path FIM
CONF
  nfiles=$(find "$path" -type f | wc -l)
  size=$(du -sh --apparent-size "$path" 2>/dev/null | cut -f1)
  echo "== $path: $nfiles files, $size (warming the page cache)"
  find "$path" -type f -print0 | xargs -0 -P2 -n 512 cat >/dev/null 2>&1 || true
  for run in $(seq "$runs"); do
    rm -f "$work/vigil.sqlite"*
    measure vigil-init "$bin/vigil" fim init --config "$work/vigil.yaml" --db "$work/vigil.sqlite"
    measure vigil-full "$bin/vigil" fim check --full --db "$work/vigil.sqlite"
    measure vigil-fast "$bin/vigil" fim check --fast --db "$work/vigil.sqlite"
    rm -f "$work/aide.db" "$work/aide.db.new"
    measure aide-init aide --init -c "$work/aide.conf"
    mv "$work/aide.db.new" "$work/aide.db"
    measure aide-check aide --check -c "$work/aide.conf"
    measure sha256sum bash -c "find '$path' -type f -print0 | xargs -0 -P2 -n 256 sha256sum"
    measure openssl bash -c "find '$path' -type f -print0 | xargs -0 -P2 -n 256 openssl dgst -sha256"
  done
  for label in vigil-init aide-init vigil-full aide-check vigil-fast sha256sum openssl; do
    printf '%-10s %-11s %-10s %9s %9s %10.0f\n' "$name" "${label#*-}" "${label%%-*}" \
      "$(column_of "$label" 1)" "$(column_of "$label" 2)" "$(echo "$(column_of "$label" 3) / 1024" | bc -l)" >>"$work/table"
  done
  w() { column_of "$1" 1; }
  ratio() { echo "scale=2; $(w "$1") / $(w "$2")" | bc -l; }
  {
    echo "$name ratios (wall): init/sha256sum $(ratio vigil-init sha256sum), init/openssl $(ratio vigil-init openssl), full/sha256sum $(ratio vigil-full sha256sum),"
    echo "  aide-init/vigil-init $(ratio aide-init vigil-init), aide-check/vigil-full $(ratio aide-check vigil-full), aide-check/vigil-fast $(ratio aide-check vigil-fast)"
  } >>"$work/ratios"
done
echo "== FIM (median of $runs runs each; same attribute set for vigil and AIDE; 2 hashing workers each)"
cat "$work/table"
cat "$work/ratios"; rm -f "$work/ratios"

if [[ " $paths " == *" $tree "* ]]; then
  # The change set of BENCHMARKS.md, found by both tools; the tree is regenerated next time.
  rm -f "$work/vigil.sqlite"* "$work/aide.db" "$work/aide.db.new"
  sed -i "s|^  - path: .*|  - path: '$tree'|" "$work/vigil.yaml"
  sed -i "s|^/.* FIM$|$tree FIM|" "$work/aide.conf"
  "$bin/vigil" fim init --config "$work/vigil.yaml" --db "$work/vigil.sqlite" >/dev/null
  aide --init -c "$work/aide.conf" >/dev/null 2>&1 || true; mv "$work/aide.db.new" "$work/aide.db"
  "$bin/vigil-bench" fim mutate "$tree" 7
  rm -f "$work/tree-$files.done"
  vigil_summary=$("$bin/vigil" fim check --fast --json --db "$work/vigil.sqlite" | jq -c .summary || true)
  aide_summary=$(aide --check -c "$work/aide.conf" 2>/dev/null | grep -E "^ *(Total number|Added|Removed|Changed) entries" | tr -s ' ' | paste -sd';' || true)
  echo "change set found: vigil fast check $vigil_summary"
  echo "                  aide check $aide_summary"
fi
