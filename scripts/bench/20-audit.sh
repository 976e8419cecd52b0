#!/usr/bin/env bash
# Audit log parsing: `vigil audit parse --json` beside laurel and `ausearch -i` on the same large raw
# log (go-libaudit corpus events repeated with fresh serials), alternating runs, medians and ratios.
# Records/s is over wall time; CPU seconds (user+sys) are shown too, as the machine may be shared.
set -euo pipefail
bin="${VIGIL_BIN:-.build/release}"
records="${AUDIT_BENCH_RECORDS:-1000000}"
corpora="${VIGIL_CORPORA:-../shared/corpora}/audit/go-libaudit"
if [ ! -d "$corpora" ]; then echo "== audit: SKIPPED (corpus $corpora not found)"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/vigil-bench" audit generate "$work/big.log" "$records" "$corpora" > "$work/gen.txt"
n=$(awk '/audit_input_records/{print $2}' "$work/gen.txt")
bytes=$(awk '/audit_input_bytes/{print $2}' "$work/gen.txt")
mkdir -p "$work/laurel"
cat > "$work/laurel.conf" <<CONF
directory = "$work/laurel"
[auditlog]
file = "audit.log"
CONF
have_laurel=$(command -v laurel || true)
have_ausearch=$(command -v ausearch || true)
# AUDIT_AUSEARCH=0 leaves out ausearch (slow) when only the laurel ratio is wanted.
# VIGIL_BASELINE_BIN=DIR also times DIR/vigil (an older build) in the same alternation, for before/after.
baseline="${VIGIL_BASELINE_BIN:-}"
if [ "${AUDIT_AUSEARCH:-1}" = "0" ]; then have_ausearch=""; fi
echo "== audit parse: $n records, $((bytes / 1000000)) MB raw (median of 3 runs, alternating)"
TIMEFORMAT='%R %U %S'
measure() { # name command… ; appends "wall cpu" to $work/NAME
  local name=$1; shift
  { time "$@" > /dev/null 2>&1; } 2>> "$work/$name.t" || true
}
for i in 1 2 3; do
  measure vigil "$bin/vigil" audit parse --json "$work/big.log"
  if [ -n "$baseline" ]; then measure baseline "$baseline/vigil" audit parse --json "$work/big.log"; fi
  if [ -n "$have_laurel" ]; then rm -f "$work/laurel/"*; measure laurel sh -c "laurel -c '$work/laurel.conf' < '$work/big.log'"; fi
  if [ -n "$have_ausearch" ]; then measure ausearch ausearch -if "$work/big.log" -i; fi
done
median_wall() { awk '{print $1}' "$work/$1.t" | sort -g | sed -n 2p; }
median_cpu() { awk '{print $2 + $3}' "$work/$1.t" | sort -g | sed -n 2p; }
vw=$(median_wall vigil); vc=$(median_cpu vigil)
printf '%-22s %10s %14s %10s %16s\n' "tool" "wall s" "records/s" "CPU s" "vigil speed-up"
printf '%-22s %10.2f %14.0f %10.2f %16s\n' "vigil audit parse" "$vw" "$(echo "$n / $vw" | bc -l)" "$vc" "1.00"
for peer in baseline laurel ausearch; do
  if [ -s "$work/$peer.t" ]; then
    pw=$(median_wall "$peer"); pc=$(median_cpu "$peer")
    printf '%-22s %10.2f %14.0f %10.2f %16.2f\n' "$peer" "$pw" "$(echo "$n / $pw" | bc -l)" "$pc" "$(echo "$pw / $vw" | bc -l)"
  elif [ "$peer" != baseline ]; then
    printf '%-22s %10s\n' "$peer" "not run (not installed: scripts/install-deps bench; or AUDIT_AUSEARCH=0)"
  fi
done
echo "-- in process (vigil-bench, no output):"
"$bin/vigil-bench" audit parse "$work/big.log" 3

# Live: CPU seconds of the audit sensor during a burst of short processes, beside auditd's own CPU for the
# same burst with the same exec rule writing to disk. Root only; the kernel's audit state is restored and
# auditd is stopped afterwards.
burst="${AUDIT_BURST:-20000}"
if [ "$burst" = "0" ]; then echo "-- live burst: SKIPPED (AUDIT_BURST=0)"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then echo "-- live burst: SKIPPED (needs root)"; exit 0; fi
if pgrep -x auditd > /dev/null; then echo "-- live burst: SKIPPED (an auditd is already running)"; exit 0; fi
echo "== audit live burst: $burst processes (/bin/true), rule -a always,exit -F arch=b64 -S execve"
sensor_out=$("$bin/vigil-bench" audit-sensor "$burst")
sensor_cpu=$(awk '/audit_sensor_cpu_s/{print $2}' <<<"$sensor_out")
echo "$sensor_out" | grep audit_sensor_processes
if ! command -v auditd > /dev/null || ! command -v auditctl > /dev/null; then
  printf '%-22s %10s\n' "vigil sensor CPU s" "$sensor_cpu"; echo "auditd not installed"; exit 0
fi
prev_enabled=$(auditctl -s | awk '/^enabled/{print $2}')
prev_backlog=$(auditctl -s | awk '/^backlog_limit/{print $2}')
mkdir -p "$work/auditd/plugins"
sed -e "s|^log_file.*|log_file = $work/auditd/audit.log|" -e '/^plugin_dir/d' /etc/audit/auditd.conf > "$work/auditd/auditd.conf"
echo "plugin_dir = $work/auditd/plugins" >> "$work/auditd/auditd.conf"
chmod 0640 "$work/auditd/auditd.conf"
auditd -n -c "$work/auditd" > /dev/null 2>&1 &
auditd_pid=$!
restore() {
  kill "$auditd_pid" 2>/dev/null || true
  wait "$auditd_pid" 2>/dev/null || true
  auditctl -D > /dev/null 2>&1 || true
  auditctl -e "$prev_enabled" > /dev/null 2>&1 || true
  auditctl -b "$prev_backlog" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap restore EXIT
sleep 1
auditctl -e 1 > /dev/null
# The same backlog limit the sensor sets, so neither side is spared work by kernel drops.
auditctl -b 8192 > /dev/null
lost0=$(auditctl -s | awk '/^lost/{print $2}')
auditctl -a always,exit -F arch=b64 -S execve -k exec
ticks=$(getconf CLK_TCK)
cpu_of() { awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
c0=$(cpu_of "$auditd_pid")
sh -c "i=0; while [ \$i -lt $burst ]; do /bin/true vigil-burst; i=\$((i+1)); done"
sleep 2
c1=$(cpu_of "$auditd_pid")
auditd_cpu=$(echo "$c1 - $c0" | bc -l)
lines=$(cat "$work/auditd/"audit.log* | grep -c 'type=EXECVE' || true)
lost1=$(auditctl -s | awk '/^lost/{print $2}')
printf '%-22s %10s %10s %8s\n' "burst CPU s" "vigil" "auditd" "ratio"
printf '%-22s %10.2f %10.2f %8.2f\n' "$burst processes" "$sensor_cpu" "$auditd_cpu" "$(echo "$sensor_cpu / $auditd_cpu" | bc -l)"
echo "(auditd wrote $lines EXECVE records to its logs; kernel lost $((lost1 - lost0)) records meanwhile)"
