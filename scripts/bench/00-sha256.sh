#!/usr/bin/env bash
# SHA-256: VigilCrypto beside `openssl speed -evp sha256`, one core, same run.
set -euo pipefail
bin="${VIGIL_BIN:-.build/release}"
echo "== SHA-256 (one core; median of 3 runs each, alternating Vigil / openssl)"
v16=(); vsmall=(); o16=(); osmall=()
for i in 1 2 3; do
  out=$("$bin/vigil-bench" sha256 1.0)
  v16+=("$(awk '/sha256_16k_mb_s/{print $2}' <<<"$out")")
  vsmall+=("$(awk '/sha256_200b_hashes_s/{print $2}' <<<"$out")")
  # openssl speed prints bytes/s per block size in its last line, in thousands of bytes per second.
  line=$(openssl speed -seconds 1 -bytes 16384 -evp sha256 2>/dev/null | tail -1)
  o16+=("$(awk '{gsub("k","",$NF); printf "%.1f", $NF*1000/1e6}' <<<"$line")")
  line=$(openssl speed -seconds 1 -bytes 200 -evp sha256 2>/dev/null | tail -1)
  osmall+=("$(awk '{gsub("k","",$NF); printf "%.0f", $NF*1000/200}' <<<"$line")")
done
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
mv16=$(median "${v16[@]}"); mo16=$(median "${o16[@]}"); mvs=$(median "${vsmall[@]}"); mos=$(median "${osmall[@]}")
printf '%-34s %14s %14s %8s\n' "measure" "vigil" "openssl" "ratio"
printf '%-34s %14s %14s %8.3f\n' "16 KiB blocks (MB/s)" "$mv16" "$mo16" "$(awk -v a="$mv16" -v b="$mo16" 'BEGIN{print a/b}')"
printf '%-34s %14s %14s %8.3f\n' "200-byte messages (hashes/s)" "$mvs" "$mos" "$(awk -v a="$mvs" -v b="$mos" 'BEGIN{print a/b}')"
