# Shell helpers of the benchmarks (bench/run.sh, bench/features.sh), which
# set root, work, admin, cacert and SLUICE_ADMIN_KEY before sourcing this.

api() {  # METHOD PATH [BODY]
  curl -sS --cacert "$cacert" -X "$1" "$admin$2" -H "Authorization: Bearer $SLUICE_ADMIN_KEY" \
    -H 'Content-Type: application/json' ${3:+--data-binary "$3"}
}

# wrk over HTTPS, 2 threads, 64 connections, bench/post.lua's records.
# Runs are called in command substitutions (subshells), so their counters
# live in files: every run takes ids of its own ($work/offset), and
# $work/acked is there for a caller to add acknowledged records up in.
echo 0 > "$work/offset"; echo 0 > "$work/acked"
run_wrk() {  # URL AUTH SECRET BATCH SECONDS -> RESULT line
  local offset=$(( $(cat "$work/offset") + 1000000000 ))
  echo "$offset" > "$work/offset"
  RECORD=$root/bench/record.json SIGNED=$work/signed.lua AUTH=$2 SECRET=$3 BATCH=$4 OFFSET=$offset \
    wrk -t2 -c64 -d"$5"s --timeout 10s --latency -s "$root/bench/post.lua" "$1" | sed -n 's/^RESULT //p'
}
