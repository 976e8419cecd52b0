#!/usr/bin/env bash
# Tamper-evident archive: VigilLedger appends, proofs and verify, beside the single-core SHA-256 rate
# on the tree's own message sizes (the hashing limit: one leaf hash and about one node hash per entry),
# measured in the same run, and `openssl speed` on 64-byte messages as the peer for raw hashing.
set -euo pipefail
bin="${VIGIL_BIN:-.build/release}"
scratch="${VIGIL_BENCH_SCRATCH:-.build/bench-ledger}"
large="${VIGIL_BENCH_LEDGER_LARGE:-10000000}"
echo "== Merkle archive (one core; each figure a median of 3 inside vigil-bench; scratch on $(df -P "$(dirname "$scratch")" | awk 'NR==2{print $1}'))"
out=$("$bin/vigil-bench" ledger "$scratch" "$large")
get() { awk -v k="$1" '$1==k{print $2}' <<<"$out"; }
line=$(openssl speed -seconds 1 -bytes 64 -evp sha256 2>/dev/null | tail -1)
openssl64=$(awk '{gsub("k","",$NF); printf "%.0f", $NF*1000/64}' <<<"$line")
hash=$(get sha256_small_hashes_s); limit=$(get hash_limit_appends_s)
label=$([ "$large" = 10000000 ] && echo 1e7 || echo "$large")
row() { printf '%-40s %14s %14s %8s  %s\n' "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a / b}'; }
row "measure" "vigil" "limit/peer" "ratio" "note"
row "SHA-256 leaf+node msgs (hashes/s)" "$hash" "$openssl64" "$(ratio "$hash" "$openssl64")" "peer: openssl speed, 64-byte"
row "appends/s, memory" "$(get append_memory_s)" "$limit" "$(ratio "$(get append_memory_s)" "$limit")" "limit = hash rate / 2; target >= 1,000,000"
row "appends/s, directory, fsync per 1,000" "$(get append_durable_s)" "$limit" "$(ratio "$(get append_durable_s)" "$limit")" "target >= 200,000 (Tessera reports ~2,900)"
minverify=$(awk -v h="$hash" 'BEGIN{printf "%.3f", 2000000 / h}')
row "verify 1e6 entries (s)" "$(get verify_1e6_s)" "$minverify" "$(ratio "$minverify" "$(get verify_1e6_s)")" "limit = 2e6 hashes at the hash rate"
for l in 1e6_dir 1e6_mem "${label}_mem"; do
  row "inclusion proof gen, $l (us)" "$(get "proof_gen_${l}_us")" "50" "" "target < 50 us"
  row "inclusion proof verify, $l (us)" "$(get "proof_verify_${l}_us")" "" "" ""
done
