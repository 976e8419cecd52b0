"""Reference evaluation of Sigma rules with pySigma and its SQLite backend, for Vigil's differential test
and benchmark.

usage: pysigma_reference.py RULES.json EVENTS.jsonl OUT.txt CACHE.json [--repeat N]

RULES.json is a list of {"key": rule key, "path": rule file, "logsource": index key}. Each event line is
{"id": n, "ls": index key or list of keys, "f": {field: value}}; keyword text is the field "_raw". Each rule is converted
to SQL once (cached in CACHE.json by the rule text's hash and the pySigma version) and run over the events
of its log source (all events for rules with only a product). OUT.txt gets one "event-id rule-key" line per
match; the last line of standard output is "reference_seconds S" (query time for all rules, median of N).
"""

import hashlib
import json
import re
import sqlite3
import sys
import time
from importlib import metadata

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection


def regexp(pattern, value):
    if value is None:
        return 0
    return 1 if re.search(pattern, value) is not None else 0


def convert(rules, cache_path):
    version = metadata.version("pysigma") + "/" + metadata.version("pysigma-backend-sqlite")
    try:
        with open(cache_path) as f:
            cache = json.load(f)
    except (OSError, ValueError):
        cache = {}
    backend = sqliteBackend(fulltext_field="_raw")
    out = {}
    changed = False
    for rule in rules:
        text = open(rule["path"], encoding="utf-8").read()
        digest = hashlib.sha256((version + "\n" + text).encode()).hexdigest()
        entry = cache.get(digest)
        if entry is None:
            try:
                queries = backend.convert(SigmaCollection.from_yaml(text))
                entry = {"queries": [str(q) for q in queries]}
            except Exception as error:  # a rule the reference cannot convert
                entry = {"error": str(error)}
            cache[digest] = entry
            changed = True
        out[rule["key"]] = entry
    if changed:
        with open(cache_path, "w") as f:
            json.dump(cache, f)
    return out


def main():
    rules_path, events_path, out_path, cache_path = sys.argv[1:5]
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    rules = json.load(open(rules_path))
    converted = convert(rules, cache_path)
    events = [json.loads(line) for line in open(events_path, encoding="utf-8") if line.strip()]
    columns = {"_raw"}
    for event in events:
        columns.update(k.lower() for k in event["f"])
    for entry in converted.values():
        for query in entry.get("queries", []):
            for name in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s+(?:LIKE|GLOB|REGEXP|=|IS|<|>)", query):
                columns.add(name.lower())
    columns = sorted(columns)
    con = sqlite3.connect(":memory:")
    con.create_function("regexp", 2, regexp, deterministic=True)
    declared = ", ".join(f'"{c}" TEXT COLLATE NOCASE' for c in columns)
    by_source = {}
    for event in events:
        keys = event["ls"] if isinstance(event["ls"], list) else [event["ls"]]
        for key in keys:
            by_source.setdefault(key, []).append(event)
    keys = sorted({r["logsource"] for r in rules})
    placeholders = ", ".join("?" for _ in columns)
    for key in keys:
        table = "logs_" + re.sub(r"[^a-z0-9_]", "_", key.replace("*", "any"))
        con.execute(f'CREATE TABLE "{table}" (eid INTEGER, {declared})')
        chosen = events if key == "*" else by_source.get(key, [])
        rows = []
        for event in chosen:
            fields = {k.lower(): v for k, v in event["f"].items()}
            rows.append([event["id"]] + [fields.get(c) for c in columns])
        con.executemany(f'INSERT INTO "{table}" VALUES (?, {placeholders})', rows)
    con.commit()
    failures = []
    times = []
    matches = set()
    for _ in range(repeat):
        start = time.perf_counter()
        for rule in rules:
            entry = converted[rule["key"]]
            if "error" in entry:
                failures.append(f'{rule["key"]}: {entry["error"]}')
                continue
            table = "logs_" + re.sub(r"[^a-z0-9_]", "_", rule["logsource"].replace("*", "any"))
            for query in entry["queries"]:
                sql = re.sub(r"^SELECT \* FROM logs\b", f'SELECT eid FROM "{table}"', query)
                try:
                    for (eid,) in con.execute(sql):
                        matches.add((eid, rule["key"]))
                except sqlite3.Error as error:
                    failures.append(f'{rule["key"]}: {error}: {sql[:200]}')
        times.append(time.perf_counter() - start)
    with open(out_path, "w") as f:
        for eid, key in sorted(matches):
            f.write(f"{eid} {key}\n")
    for failure in sorted(set(failures)):
        print("reference_failure", failure)
    times.sort()
    print("reference_events", len(events))
    print("reference_seconds", times[len(times) // 2])


main()
