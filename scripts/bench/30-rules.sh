#!/usr/bin/env bash
# Sigma detection: Vigil's RuleMatcher beside pySigma's SQLite backend, same rules (every active SigmaHQ Linux
# rule plus the built-in ruleset), same events, same run. One core; CPU time for Vigil, query time for SQLite.
set -euo pipefail
bin="${VIGIL_BIN:-.build/release}"
events="${RULES_BENCH_EVENTS:-100000}"
corpus="${VIGIL_CORPORA:-../shared/corpora}/sigma/linux"
work=.build/rules-bench
if [ ! -d "$corpus" ]; then echo "== Sigma rules: SKIPPED, corpus $corpus not found"; exit 0; fi
echo "== Sigma detection ($events events: 70% process starts, 12% file, 8% network, 10% auth lines)"
venv=.build/sigma-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import sigma.backends.sqlite" 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q pysigma pysigma-backend-sqlite || {
    echo "SKIPPED reference: cannot install pysigma pysigma-backend-sqlite into $venv"; venv=""; }
fi
out=$("$bin/vigil-bench" rules "$corpus" Rules "$events" "$work")
echo "$out" | grep -v rules_unfiltered
vigil_s=$(awk '/^rules_cpu_seconds/{print $2}' <<<"$out")
vigil_rate=$(awk '/^rules_events_per_s/{print $2}' <<<"$out")
printf '%-44s %14s %14s %8s\n' "measure" "vigil" "pysigma-sqlite" "ratio"
if [ -n "$venv" ]; then
  ref=$("$venv/bin/python" Tests/VigilRulesTests/Fixtures/pysigma_reference.py "$work/rules.json" "$work/events.jsonl" \
    "$work/reference-matches.txt" "$work/cache.json" --repeat 3)
  ref_s=$(awk '/^reference_seconds/{print $2}' <<<"$ref")
  ref_rate=$(echo "$events / $ref_s" | bc -l)
  printf '%-44s %14.0f %14.0f %8.1f\n' "events/s, all rules (one core)" "$vigil_rate" "$ref_rate" \
    "$(echo "$vigil_rate / $ref_rate" | bc -l)"
  printf '%-44s %14.3f %14.3f\n' "seconds for $events events" "$vigil_s" "$ref_s"
  # Same match set? (correlations are Vigil-only; the reference runs detection rules)
  if cmp -s <(sort "$work/vigil-matches.txt") <(sort "$work/reference-matches.txt"); then
    echo "match sets identical: $(wc -l <"$work/vigil-matches.txt") (event, rule) pairs"
  else
    echo "match sets differ: vigil $(wc -l <"$work/vigil-matches.txt"), reference $(wc -l <"$work/reference-matches.txt")"
  fi
else
  printf '%-44s %14.0f %14s\n' "events/s, all rules (one core)" "$vigil_rate" "n/a"
fi
