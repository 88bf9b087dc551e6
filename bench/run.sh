#!/usr/bin/env bash
# `make bench` (DESIGN §9): a Release build of Sluice on a fresh database
# under var/bench (ports from 22000), loaded by wrk over HTTPS with
# keep-alive (2 threads, 64 connections) with the ~1 KiB record of
# bench/record.json (a nested object, a 3-item child array), beside two
# ceilings measured in the same run with the same wrk settings:
#   https200       nginx with the front's TLS settings reading each body and
#                  answering 200;
#   mariadbDirect  MariaDB absorbing the same rows from one client, 64
#                  records per durable transaction (bench/mariadb_direct.cc).
# Also 50-record batches, each auth method, peak RSS and CPU per process,
# and the rows found afterwards against the records acknowledged.
# Writes bench/results/latest.json and bench/results/latest.png.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" wrk gnuplot-nox libnginx-mod-http-lua
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}
build=$root/build-release
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "${JOBS:-2}" >/dev/null

export SLUICE_VAR=$root/var/bench SLUICE_PORT_BASE=22000 SLUICE_BUILD=$build
export SLUICE_ADMIN_KEY=bench-admin-key-$(openssl rand -hex 8)
stack=$root/scripts/stack.sh
admin=https://localhost:22001
ingest=https://localhost:22000
db="mariadb --no-defaults -uroot -h127.0.0.1 -P22013 -N"
out=$root/bench/results
work=$(mktemp -d)
mkdir -p "$out"
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  "$stack" down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
"$stack" down >/dev/null 2>&1 || true
rm -rf "$SLUICE_VAR"
"$stack" up >/dev/null
cacert=$SLUICE_VAR/tls/cert.pem
. "$root/bench/lib.sh"

integration=$(api POST /api/v1/integrations '{"name":"bench"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["uuid"])')
listener() {  # NAME AUTH-JSON -> JSON of the created listener
  python3 - "$1" "$2" "$root/bench/record.json" <<'PY' > "$work/listener.json"
import json, sys
name, auth, record = sys.argv[1], json.loads(sys.argv[2]), json.load(open(sys.argv[3]))
print(json.dumps({"name": name, "auth": auth,
                  "structure": {"baseName": name, "primaryKey": ["id"], "sample": record}}))
PY
  api POST "/api/v1/integrations/$integration/listeners" "$(cat "$work/listener.json")"
}
get() { python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', ''))"; }
token_json=$(listener bench_token '{"method":"token","readFrom":"header","name":"X-Api-Token"}')
token_uuid=$(get uuid <<<"$token_json"); token=$(get token <<<"$token_json")
none_uuid=$(listener bench_none '{"method":"none"}' | get uuid)
basic_json=$(listener bench_basic '{"method":"basic","username":"uxi"}')
basic_uuid=$(get uuid <<<"$basic_json"); basic=$(printf 'uxi:%s' "$(get password <<<"$basic_json")" | base64 -w0)
github_secret=$(openssl rand -hex 32)
github_uuid=$(listener bench_github "{\"method\":\"hmac\",\"preset\":\"github\",\"secret\":\"$github_secret\"}" | get uuid)

# GitHub signs each body: 5,000 signed bodies, sent in turn (later rounds
# upsert the same records).
python3 - "$root/bench/record.json" "$github_secret" > "$work/signed.lua" <<'PY'
import hashlib, hmac, sys
record, secret = open(sys.argv[1]).read().strip(), sys.argv[2].encode()
print("signed = {")
for i in range(1, 5001):
    body = record.replace('"id":1,', '"id":%d,' % i, 1)
    sig = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
    print("{[==[%s]==], %r}," % (body, "sha256=" + sig))
print("}")
PY

field() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
token_run() {  # BATCH SECONDS: against the token listener, counting acknowledgements
  local r
  r=$(run_wrk "$ingest/$integration/$token_uuid" token "$token" "$1" "$2")
  echo $(( $(cat "$work/acked") + $(field acked "$r") )) > "$work/acked"
  echo "$r"
}

# Processes and their CPU seconds / peak RSS (a process with its children).
pids() { for name in edge auth schema storage retention nginx mariadbd; do
  echo "$name $(cat "$SLUICE_VAR/run/$name.pid")"; done; }
tree() { echo "$1"; for c in $(pgrep -P "$1" || true); do tree "$c"; done; }
cpu_of() { local t=0; for p in $(tree "$1"); do
  t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
rss_of() { local t=0; for p in $(tree "$1"); do
  t=$((t + $(awk '/VmHWM/ {print $2}' "/proc/$p/status"))); done; echo "$t"; }
ticks=$(getconf CLK_TCK)

echo "== warm-up"
token_run 1 5 >/dev/null
pids > "$work/pids"
while read -r name pid; do echo "$name $(cpu_of "$pid")"; done < "$work/pids" > "$work/cpu-before"
echo "== single records, token auth, ${SECONDS_PER_RUN} s"
single=$(token_run 1 "$SECONDS_PER_RUN"); echo "$single"
while read -r name pid; do echo "$name $(cpu_of "$pid") $(rss_of "$pid")"; done < "$work/pids" > "$work/cpu-after"
echo "== 50-record batches"
batch=$(token_run 50 "$SECONDS_PER_RUN"); echo "$batch"
echo "== auth methods, 10 s each"
auth_none=$(run_wrk "$ingest/$integration/$none_uuid" none "" 1 10); echo "none:   $auth_none"
auth_token=$(token_run 1 10); echo "token:  $auth_token"
auth_basic=$(run_wrk "$ingest/$integration/$basic_uuid" basic "$basic" 1 10); echo "basic:  $auth_basic"
auth_github=$(run_wrk "$ingest/$integration/$github_uuid" github "" 1 10); echo "github: $auth_github"
rows_found=$($db -e "SELECT COUNT(*) FROM sluice_data.bench_token")
# Acknowledged: records the edge answered 2xx for (its per-listener
# counter). wrk sees fewer: it stops reading when a run ends, while the
# requests then in flight are still committed and answered.
acknowledged=$(curl -s http://127.0.0.1:22004/metrics |
  sed -n 's/^sluice_edge_listener_records_total{listener="'"$token_uuid"'"} //p')
acknowledged_by_wrk=$(cat "$work/acked")
echo "acknowledged $acknowledged (wrk saw $acknowledged_by_wrk), rows found $rows_found"

echo "== ceiling https200"
sed -e "s|@DIR@|$work|g" -e "s|@PORT@|22100|g" -e "s|@TLS_CERT@|$SLUICE_VAR/tls/cert.pem|g" \
    -e "s|@TLS_KEY@|$SLUICE_VAR/tls/key.pem|g" \
    -e "s|@USER@|$([ "$(id -u)" -eq 0 ] && echo 'user root;')|g" \
    "$root/bench/https200.conf.in" > "$work/https200.conf"
nginx -c "$work/https200.conf" -p "$work"
https200=$(run_wrk "https://localhost:22100/" none "" 1 "$SECONDS_PER_RUN"); echo "$https200"
kill "$(cat "$work/nginx.pid")"; rm -f "$work/nginx.pid"
echo "== ceiling mariadbDirect"
direct=$("$build/bench/mariadb_direct" 22013 "$SECONDS_PER_RUN"); echo "$direct"

python3 - "$out/latest.json" "$work" "$ticks" <<PY
import json, os, platform, subprocess, sys
path, work, ticks = sys.argv[1], sys.argv[2], int(sys.argv[3])
def kv(line):
    return {k: float(v) for k, v in (p.split("=") for p in line.split())}
single, batch = kv("""$single"""), kv("""$batch""")
auth = {m: kv(l) for m, l in [("none", """$auth_none"""), ("token", """$auth_token"""),
                               ("basic", """$auth_basic"""), ("github", """$auth_github""")]}
https200, direct = kv("""$https200"""), kv("""$direct""")
before = {l.split()[0]: int(l.split()[1]) for l in open(os.path.join(work, "cpu-before"))}
after = {l.split()[0]: (int(l.split()[1]), int(l.split()[2])) for l in open(os.path.join(work, "cpu-after"))}
cpu_s = {n: (after[n][0] - before[n]) / ticks for n in after}
requests = single["requests"]
result = {
  "sluice": {"rps": single["rps"], "recordsPerS": single["rps"], "p50Ms": single["p50"],
             "p99Ms": single["p99"],
             "rssMiB": {n: round(after[n][1] / 1024, 1) for n in after},
             "cpuSeconds": {n: round(s, 2) for n, s in cpu_s.items()},
             "cpuUsPerRequest": {n: round(s / requests * 1e6, 1) for n, s in cpu_s.items()},
             "non2xx": single["non2xx"], "errors": single["errors"]},
  "batch": {"recordsPerS": round(batch["rps"] * 50), "rps": batch["rps"],
            "p50Ms": batch["p50"], "p99Ms": batch["p99"]},
  "auth": {m: {"rps": a["rps"], "p50Ms": a["p50"], "p99Ms": a["p99"]} for m, a in auth.items()},
  "ceilings": {"https200": {"rps": https200["rps"], "p50Ms": https200["p50"], "p99Ms": https200["p99"]},
               "mariadbDirect": {"recordsPerS": direct["recordsPerS"]}},
  "acknowledged": int("$acknowledged"), "acknowledgedSeenByWrk": int("$acknowledged_by_wrk"),
  "rowsFound": int("$rows_found"),
  "machine": {"cpus": os.cpu_count(), "kernel": platform.release(),
              "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                           if l.startswith("model name")), ""),
              "memGiB": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
              "seconds": int("$SECONDS_PER_RUN")},
}
combined = 1 / (1 / https200["rps"] + 1 / direct["recordsPerS"])
result["ratios"] = {"singleOverCombined": round(single["rps"] / combined, 3),
                    "batchOverMariadbDirect": round(batch["rps"] * 50 / direct["recordsPerS"], 3),
                    "combined": round(combined, 1)}
json.dump(result, open(path, "w"), indent=2)
print(json.dumps(result, indent=2))
PY

# The plot: throughput and p99 beside the ceilings.
python3 - "$out/latest.json" > "$work/plot.dat" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
rows = [("sluice\\nsingle", r["sluice"]["recordsPerS"], r["sluice"]["p99Ms"]),
        ("sluice\\n50-batch", r["batch"]["recordsPerS"], r["batch"]["p99Ms"]),
        ("https200\\nceiling", r["ceilings"]["https200"]["rps"], r["ceilings"]["https200"]["p99Ms"]),
        ("mariadbDirect\\nceiling", r["ceilings"]["mariadbDirect"]["recordsPerS"], None)]
for name, rate, p99 in rows:  # mariadbDirect has no latency: NaN is skipped
    print('"%s" %f %s' % (name, rate, "NaN" if p99 is None else "%f" % p99))
PY
gnuplot <<GP
set terminal pngcairo size 1100,450 font ",10"
set output "$out/latest.png"
set multiplot layout 1,2 title "make bench: Sluice beside its ceilings (wrk -t2 -c64, HTTPS keep-alive, ~1 KiB records)"
set decimalsign "."
set bmargin 4
set style fill solid 0.7
set boxwidth 0.6
set grid ytics
set yrange [0:*]
set title "records (requests) per second"
plot "$work/plot.dat" using 0:2:xtic(1) with boxes notitle lc rgb "#3b7dd8", \
     "" using 0:2:(sprintf("%.0f", \$2)) with labels offset 0,0.7 notitle
set title "p99 latency, ms"
plot "$work/plot.dat" using 0:3:xtic(1) with boxes notitle lc rgb "#d8733b", \
     "" using 0:3:(sprintf("%.1f", \$3)) with labels offset 0,0.7 notitle
unset multiplot
GP
echo "wrote $out/latest.json and $out/latest.png"
