#!/usr/bin/env bash
# The server end to end: 1,000 agents enroll, then send zstd NDJSON batches over keep-alive loopback sockets
# (a raw HTTP/1.1 load generator in vigil-bench, not URLSession). Events/s acknowledged (stored + detected) and
# archived (ledger outbox drained), p99 acknowledgement latency, beside the raw insert rate of the same engine
# (pre-encoded rows straight into `events`, 100 per durable transaction) measured in the same run.
set -euo pipefail
bin="${VIGIL_BIN:-.build/release}"
agents="${SERVER_BENCH_AGENTS:-1000}"
batches="${SERVER_BENCH_BATCHES:-5}"
events="${SERVER_BENCH_EVENTS:-100}"
connections="${SERVER_BENCH_CONNECTIONS:-64}"
echo "== Server ingest: $agents agents × $batches batches × $events events, $connections keep-alive connections"
printf '%-10s %14s %14s %9s %9s %14s %7s\n' engine "acked ev/s" "archived ev/s" "p50 ms" "p99 ms" "raw insert/s" ratio
for engine in sqlite postgres; do
  if ! out=$("$bin/vigil-bench" server "$engine" Rules "$agents" "$batches" "$events" "$connections" 2>&1); then
    echo "$engine: SKIPPED or failed: $(tail -1 <<<"$out")"
    continue
  fi
  get() { awk -v k="$1" '$1==k{print $2}' <<<"$out"; }
  printf '%-10s %14s %14s %9s %9s %14s %7s\n' "$engine" "$(get server_acked_events_per_s)" \
    "$(get server_archived_events_per_s)" "$(get server_ack_p50_ms)" "$(get server_ack_p99_ms)" \
    "$(get server_raw_insert_per_s)" "$(get server_ratio_to_raw)"
  grep -E '^server_(events|group_commit|detections|enroll)' <<<"$out" | sed "s/^/  $engine: /"
done
echo "targets: >= 50,000 events/s end to end with SQLite on 2 cores; >= 0.5 of the engine's raw insert rate"
