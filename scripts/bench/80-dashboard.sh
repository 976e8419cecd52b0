#!/usr/bin/env bash
# Dashboard: each page's time as the server answers it over a seeded SQLite store of 1,000,000 events from
# 100 hosts (30 days), the query plans behind the pages' filters, and the same SQL run by the sqlite3 shell on
# the same file in the same run (the floor: what the database alone takes, process start included).
#   DASHBOARD_EVENTS=1000000 DASHBOARD_HOSTS=100 DASHBOARD_RUNS=7 scripts/bench/80-dashboard.sh
set -euo pipefail
bin="${VIGIL_BIN:-.build/release}"
events="${DASHBOARD_EVENTS:-1000000}"
hosts="${DASHBOARD_HOSTS:-100}"
runs="${DASHBOARD_RUNS:-7}"
db="${DASHBOARD_DB:-.build/bench-dashboard/vigil.db}"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

echo "== dashboard: $events events, $hosts hosts in SQLite ($db, kept between runs), median of $runs requests per page"
"$bin/vigil-bench" dashboard "$db" "$events" "$hosts" "$runs" | tee "$work/out.txt" | grep -v '^plan '

echo "== dashboard: query plans (EXPLAIN QUERY PLAN)"
grep '^plan ' "$work/out.txt" | sed 's/^plan /  /'
# A filter that reads the whole table without an index is a finding; text search (LIKE '%…%') has to.
if grep '^plan ' "$work/out.txt" | grep -v 'events_text' | grep -v 'events_process' | grep -q 'SCAN events$'; then
  echo "!! a page filter scans the events table without an index"
fi

if ! command -v sqlite3 >/dev/null; then echo "== dashboard: sqlite3 shell not installed; no database floor"; exit 0; fi
now=1796397600000; day=86400000
month_from=$(( now - now % day - 29 * day )); hour_from=$(( now - now % 3600000 - 23 * 3600000 ))
stats() { echo "SELECT (time - $1) / $2, severity_id, class_uid, host_id, count(*) FROM events WHERE time >= $1 AND time < $(( $1 + $2 * $3 )) GROUP BY 1, 2, 3, 4;"; }
page() { echo "SELECT events.id, events.time, events.host_id, hosts.hostname, events.json FROM events JOIN hosts ON hosts.id = events.host_id $1 ORDER BY events.time DESC, events.id ASC LIMIT 101;"; }
text="WHERE (events.cmd_line LIKE '%authorized_keys%' ESCAPE '\\' OR events.process_path LIKE '%authorized_keys%' ESCAPE '\\' OR events.user_name LIKE '%authorized_keys%' ESCAPE '\\' OR events.json LIKE '%authorized_keys%' ESCAPE '\\')"
daily="SELECT day - $(( month_from / day )), severity_id, class_uid, host_id, n FROM event_counts_daily WHERE day >= $(( month_from / day )) AND day < $(( month_from / day + 30 )) AND n > 0;"
declare -A sql=(
  [overview]="SELECT id FROM hosts; $(stats $hour_from 3600000 24) $daily"
  [overview_raw]="SELECT id FROM hosts; $(stats $hour_from 3600000 24) $(stats $month_from $day 30)"
  [events]="$(page '')"
  [events_user]="$(page "WHERE events.user_name = 'alice'")"
  [events_text]="$(page "$text")"
)
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-22s %14s %16s %8s\n' "page" "vigil (ms)" "sqlite3 (ms)" "ratio"
for name in overview overview_raw events events_user events_text; do
  sqlite3 "$db" "${sql[$name]}" >/dev/null  # warm
  times=()
  for ((i = 0; i < runs; i++)); do
    s=$(date +%s%N); sqlite3 "$db" "${sql[$name]}" >/dev/null; e=$(date +%s%N); times+=($(( (e - s) / 1000 )))
  done
  floor=$(median "${times[@]}")
  # overview_raw: the same page's SQL counting the month from the events table instead of the daily counts.
  ours=$(awk -v k="page_${name%_raw}_ms" '$1 == k {print $2}' "$work/out.txt")
  printf '%-22s %14s %16.1f %8.2f\n' "$name" "$ours" "$(echo "$floor/1000" | bc -l)" "$(echo "$ours / ($floor/1000)" | bc -l)"
done
