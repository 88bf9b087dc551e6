#!/usr/bin/env bash
# What webhook logging, transform scripts and retention purges cost ingest,
# measured on this machine against a stack of its own (var/bench-features,
# ports from 21000). Not part of `make test`; run as `make bench-features`.
#
#   1. logging: wrk POSTs of unique ~1 KiB records (2 threads, 64
#      connections, HTTPS keep-alive) with webhook logging on, then off
#      (SLUICE_LOG_ENTRIES=0), twice each;
#   2. scripts: the same POSTs as 50-record batches to a listener without a
#      script and to one with a trivial script (`return record`);
#   3. purge: ingest p99 on one listener while retention deletes 1,000,000
#      expired records (with 1,000,000 child rows) of another.
# Prints one line per run and writes bench/results/features.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" wrk
export SLUICE_VAR=$root/var/bench-features SLUICE_PORT_BASE=21000
export SLUICE_BUILD=${SLUICE_BUILD:-$root/build}
export SLUICE_ADMIN_KEY=bench-admin-key-$(openssl rand -hex 8)
SECONDS_PER_RUN=${SECONDS_PER_RUN:-15}
stack=$root/scripts/stack.sh
admin=https://localhost:21001
ingest=https://localhost:21000
db="mariadb --no-defaults -uroot -h127.0.0.1 -P21013 -N -D sluice_data"
out=$root/bench/results
mkdir -p "$out"
work=$(mktemp -d)
cacert=$SLUICE_VAR/tls/cert.pem
trap '"$stack" down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

"$stack" down >/dev/null 2>&1 || true
rm -rf "$SLUICE_VAR"
"$stack" up >/dev/null

. "$root/bench/lib.sh"
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

record=$(cat "$root/bench/record.json")
integration=$(api POST /api/v1/integrations '{"name":"bench"}' | field '["uuid"]')
listener() {  # NAME BASE [EXTRA-JSON] -> "uuid token"
  local body
  body=$(python3 - "$1" "$2" "${3:-{\}}" "$record" <<'PY'
import json, sys
name, base, extra, record = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
body = {"name": name, "auth": {"method": "token", "readFrom": "header", "name": "X-Api-Token"},
        "structure": {"baseName": base, "primaryKey": ["id"], "sample": record}}
body.update(extra)
print(json.dumps(body))
PY
)
  api POST "/api/v1/integrations/$integration/listeners" "$body" |
    python3 -c "import json,sys; d=json.load(sys.stdin); print(d['uuid'], d['token'])"
}
read -r plain plain_token < <(listener plain plain)
read -r scripted scripted_token < <(listener scripted scripted \
  '{"script":"function transform(record, ctx) return record end"}')
read -r expiring expiring_token < <(listener expiring expiring)

run_plain() {  # LISTENER TOKEN BATCH SECONDS -> "rps=… p99=…"
  run_wrk "$ingest/$integration/$1" token "$2" "$3" "$4"
}
restart_edge() {  # [ENV=VALUE]: the edge again, ready for traffic
  "$stack" stop edge >/dev/null
  env "$@" "$stack" start edge >/dev/null
  until curl -sf http://127.0.0.1:21004/readyz >/dev/null; do sleep 0.1; done
  run_plain "$plain" "$plain_token" 1 2 >/dev/null  # warm-up
}

results=$work/results
touch "$results"
note() { echo "$1 $2" >> "$results"; echo "$1: $2"; }  # LABEL "rps=… p99=…"
PHASES=${PHASES:-logging script purge}
has() { [[ " $PHASES " == *" $1 "* ]]; }
mapping_plain=0 mapping_script=0 purge=0
if has logging; then
echo "== webhook logging (${SECONDS_PER_RUN} s per run)"
run_plain "$plain" "$plain_token" 1 5 >/dev/null  # warm-up
for round in 1 2; do
  note logging_on "$(run_plain "$plain" "$plain_token" 1 "$SECONDS_PER_RUN")"
  restart_edge SLUICE_LOG_ENTRIES=0
  note logging_off "$(run_plain "$plain" "$plain_token" 1 "$SECONDS_PER_RUN")"
  restart_edge SLUICE_LOG_ENTRIES=10
done

fi

if has script; then
echo "== transform script, 50-record batches"
for round in 1 2; do
  note batch_no_script "$(run_plain "$plain" "$plain_token" 50 "$SECONDS_PER_RUN")"
  note batch_trivial_script "$(run_plain "$scripted" "$scripted_token" 50 "$SECONDS_PER_RUN")"
done
mapping_plain=$("$SLUICE_BUILD/bench/mapping_bench" 200000 | sed -n 's/.* \([0-9.]*\) us per record.*/\1/p')
mapping_script=$("$SLUICE_BUILD/bench/mapping_bench" 200000 script | sed -n 's/.* \([0-9.]*\) us per record.*/\1/p')
echo "edge CPU per record: mapping ${mapping_plain} us, behind a trivial script ${mapping_script} us"
fi

if has purge; then
echo "== ingest p99 during a purge of 1,000,000 records"
# Expired rows written straight into the listener's tables (root and one
# child each), two hours old.
$db -e "INSERT INTO expiring (id, name, lastModified)
        SELECT seq, 'old', UTC_TIMESTAMP(6) - INTERVAL 2 HOUR FROM seq_1_to_1000000;
        INSERT INTO expiring_items (id, _position, sku, lastModified)
        SELECT seq, 0, 'sku', UTC_TIMESTAMP(6) - INTERVAL 2 HOUR FROM seq_1_to_1000000;"
note no_purge "$(run_plain "$plain" "$plain_token" 1 "$SECONDS_PER_RUN")"
purge_seconds=${PURGE_SECONDS:-40}
start=$(date +%s.%N)
api PATCH "/api/v1/integrations/$integration/listeners/$expiring" '{"retention":"1h"}' >/dev/null
note during_purge "$(run_plain "$plain" "$plain_token" 1 "$purge_seconds")"
left=$($db -e "SELECT COUNT(*) FROM expiring")
until [ "$left" -eq 0 ]; do sleep 1; left=$($db -e "SELECT COUNT(*) FROM expiring"); done
purge=$(python3 -c "import time; print(round(time.time() - $start, 1))")
echo "purge of 1,000,000 records took ${purge} s"
fi

python3 - "$results" "$out/features.json" "$mapping_plain" "$mapping_script" "$purge" <<'PY'
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, *pairs = line.split()
    runs[label].append({k: float(v) for k, v in (p.split("=") for p in pairs)})
def mean(label, key):
    if not runs[label]:
        return None  # phase not run (PHASES)
    return round(statistics.mean(r[key] for r in runs[label]), 2)
result = {
    "logging": {s: {"rps": mean(f"logging_{s}", "rps"), "p99Ms": mean(f"logging_{s}", "p99")}
                for s in ("on", "off")},
    "script": {
        "batchRecordsPerS": {"none": round((mean("batch_no_script", "rps") or 0) * 50),
                             "trivial": round((mean("batch_trivial_script", "rps") or 0) * 50)},
        "edgeUsPerRecord": {"mapping": float(sys.argv[3]),
                            "mappingBehindTrivialScript": float(sys.argv[4])}},
    "purge": {"records": 1000000, "seconds": float(sys.argv[5]),
              "ingestP99Ms": {"before": mean("no_purge", "p99"), "during": mean("during_purge", "p99")},
              "ingestRps": {"before": mean("no_purge", "rps"), "during": mean("during_purge", "rps")}},
}
json.dump(result, open(sys.argv[2], "w"), indent=2)
print(json.dumps(result, indent=2))
PY
