#!/usr/bin/env bash
# The end-to-end slice against the container images (`make image-test`, run
# through ctest from tests/images): podman runs MariaDB
# (localhost/sluice-mariadb), the five services and the TLS front the way
# the Kubernetes manifests do -- read-only root file systems, non-root users,
# no capabilities, keys mounted read-only -- and curl goes through nginx:
# ops /readyz of every service, an integration and a token listener created
# with the admin key on 8444, a record POSTed over HTTPS to the listener URL
# on 8443 and read back through the admin API. It also checks each image:
# every binary's libraries resolve, the binaries are stripped, the
# HEALTHCHECKs answer, and every container stops cleanly on its stop signal.
#
# All containers share one private network namespace holding only loopback
# (like the edge pod, where nginx reaches the edge on 127.0.0.1; the TLS
# front joins the edge's namespace explicitly), so the ports are those of
# docker/compose.yaml and nothing on the host can collide with them.
# Everything is removed on exit, failed or not. Prints one line per check
# and "image-test: N passed, M failed"; exits non-zero on any failure.
#
# Environment: STORAGE_DRIVER (default vfs, as scripts/images.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}
"$root/scripts/install-deps.sh" podman runc iproute2

pm() { podman --storage-driver "$STORAGE_DRIVER" --cgroup-manager=cgroupfs --runtime runc "$@"; }

id=sluice-it-$$
ns=$id
tmp=$(mktemp -d /tmp/sluice-image-test.XXXXXX)
secrets=$tmp/secrets
containers=()
passed=0
failed=0
start=$SECONDS

pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

teardown() {
  local c
  set +e
  if [ "$failed" -gt 0 ] || [ "${1:-}" = aborted ]; then
    for c in "${containers[@]}"; do
      echo "--- logs of $c (last 20 lines)"
      pm logs --tail 20 "$c" 2>&1
    done
  fi
  for ((i = ${#containers[@]} - 1; i >= 0; i--)); do
    pm rm --force --volumes --time 5 "${containers[$i]}" >/dev/null 2>&1
  done
  ip netns delete "$ns" 2>/dev/null
  rm -rf "$tmp"
}
trap 'teardown aborted' EXIT
trap 'exit 130' INT TERM

# What an earlier run left when it was killed outright (a ctest timeout):
# its containers and network namespace carry the pid of a process gone.
for stale in $(pm ps -a --format '{{.Names}}' | sed -n 's/^\(sluice-it-[0-9]*\)-.*/\1/p' | sort -u) \
  $(ip netns list | sed -n 's/^\(sluice-it-[0-9]*\).*/\1/p'); do
  [ -d "/proc/${stale#sluice-it-}" ] && continue
  pm ps -a --format '{{.Names}}' | grep "^$stale-" | xargs -r podman --storage-driver "$STORAGE_DRIVER" \
    --cgroup-manager=cgroupfs --runtime runc rm --force --volumes >/dev/null 2>&1 || true
  ip netns delete "$stale" 2>/dev/null || true
done

images=(auth schema storage retention edge edge-tls mariadb)
for image in "${images[@]}"; do
  if ! pm image exists "localhost/sluice-$image"; then
    echo "image-test: localhost/sluice-$image is missing; run make images first" >&2
    exit 1
  fi
done

# --- the images themselves ---------------------------------------------------
binary_of() {
  case "$1" in
    edge-tls) echo /usr/sbin/nginx ;;
    *) echo "/usr/local/bin/sluice-$1" ;;
  esac
}
for image in auth schema storage retention edge edge-tls; do
  bin=$(binary_of "$image")
  if out=$(pm run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1000:1000 \
    --entrypoint ldd "localhost/sluice-$image" "$bin" 2>&1) && ! grep -q 'not found' <<<"$out"; then
    pass "sluice-$image: every library of $bin resolves ($(wc -l <<<"$out") libraries)"
  else
    fail "sluice-$image: ldd $bin: $(grep 'not found' <<<"$out" | tr -s ' \t\n' ' ')"
  fi
done
for image in auth schema storage retention edge; do
  bin=$(binary_of "$image")
  mnt=$(pm image mount "localhost/sluice-$image")
  sections=$(readelf -S --wide "$mnt$bin")
  size=$(stat -c %s "$mnt$bin")
  pm image unmount "localhost/sluice-$image" >/dev/null
  if grep -qE '\.debug_|\.symtab' <<<"$sections"; then
    fail "sluice-$image: $bin still has debug information or a symbol table"
  else
    pass "sluice-$image: $bin is stripped ($((size / 1024)) KiB)"
  fi
done
for image in auth schema storage retention edge edge-tls; do
  user=$(pm image inspect --format '{{.Config.User}}' "localhost/sluice-$image")
  health=$(pm image inspect --format '{{if .Config.Healthcheck}}{{join .Config.Healthcheck.Test " "}}{{end}}' \
    "localhost/sluice-$image")
  stop=$(pm image inspect --format '{{.Config.StopSignal}}' "localhost/sluice-$image")
  want_stop=""
  [ "$image" = edge-tls ] && want_stop=SIGQUIT
  if [ -n "$user" ] && [ "${user%%:*}" != root ] && [ "${user%%:*}" != 0 ] && [ -n "$health" ] &&
    [ "$stop" = "$want_stop" ]; then
    pass "sluice-$image: runs as $user, HEALTHCHECK ${health#CMD }${want_stop:+, STOPSIGNAL $stop}"
  else
    fail "sluice-$image: user '$user', healthcheck '$health', stop signal '$stop' (want '$want_stop')"
  fi
done

# --- the stack -------------------------------------------------------------------
"$root/scripts/image-secrets.sh" "$secrets" >/dev/null
ip netns add "$ns"
ip -n "$ns" link set lo up

# As the pods: read-only root, the image's non-root user, no capabilities.
common=(--detach --read-only --cap-drop all --security-opt no-new-privileges
  --ulimit nofile=1024:1024 --ulimit nproc=1000:1000)
# The environment of docker/compose.yaml, with loopback addresses and an ops
# port each (one network namespace here, one per container there).
targets_env=(-e SLUICE_AUTH_TARGET=127.0.0.1:9101 -e SLUICE_SCHEMA_TARGET=127.0.0.1:9102
  -e SLUICE_STORAGE_TARGET=127.0.0.1:9103 -e SLUICE_RETENTION_TARGET=127.0.0.1:9104
  -e SLUICE_LOG_LEVEL=info)
db_env=(-e SLUICE_DB_HOST=127.0.0.1 -e SLUICE_DB_PORT=3306 -e SLUICE_DB_USER=sluice
  -e SLUICE_DB_PASSWORD_FILE=/run/sluice/db-password
  -v "$secrets/db-password:/run/sluice/db-password:ro")

run() {  # name, podman run arguments...
  local name=$id-$1 status=0
  shift
  containers+=("$name")
  pm run --name "$name" "${common[@]}" "$@" >/dev/null 2>"$tmp/run.err" || status=$?
  # Without systemd podman cannot schedule HEALTHCHECKs by itself (it says so
  # on every run); they are run explicitly below.
  grep -v 'unable to get systemd connection' "$tmp/run.err" >&2 || true
  return "$status"
}

run mariadb --network "ns:/run/netns/$ns" --user mysql \
  --tmpfs /var/lib/mysql:U --tmpfs /run/mysqld:U \
  -e MARIADB_USER=sluice -e MARIADB_PASSWORD_FILE=/run/sluice/db-password \
  -v "$secrets/db-password:/run/sluice/db-password:ro" \
  -v "$root/docker/mariadb-grants.sql:/docker-entrypoint-initdb.d/sluice-grants.sql:ro" \
  localhost/sluice-mariadb

healthy() {  # container, seconds: until its HEALTHCHECK passes
  local deadline=$((SECONDS + $2))
  until pm healthcheck run "$1" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}
if healthy "$id-mariadb" 60; then
  pass "mariadb: up and healthy"
else
  fail "mariadb: not healthy after 60 s"
  exit 1
fi

service() {  # name, grpc port, ops port, extra arguments...
  local name=$1 grpc=$2 ops=$3
  shift 3
  run "$name" --network "ns:/run/netns/$ns" "${targets_env[@]}" "${db_env[@]}" \
    -e SLUICE_GRPC_ADDRESS="127.0.0.1:$grpc" -e SLUICE_OPS_PORT="$ops" "$@" \
    "localhost/sluice-$name"
}
service auth 9101 9191 -e SLUICE_SECRET_KEY_FILE=/run/sluice/secret-key \
  -v "$secrets/secret-key:/run/sluice/secret-key:ro"
service storage 9103 9193
service retention 9104 9194
service schema 9102 9192
# The edge pod: Pistache on 127.0.0.1:9080/9081, nginx in the same network
# namespace terminating TLS on 8443/8444.
run edge --network "ns:/run/netns/$ns" "${targets_env[@]}" -e SLUICE_OPS_PORT=9090 \
  -e SLUICE_ADMIN_KEY_FILE=/run/sluice/admin-key -e SLUICE_PUBLIC_URL=https://localhost:8443 \
  -v "$secrets/admin-key:/run/sluice/admin-key:ro" localhost/sluice-edge
run edge-tls --network "container:$id-edge" --tmpfs /var/lib/sluice-nginx:U \
  -v "$root/docker/nginx.conf:/etc/sluice/nginx.conf:ro" \
  -v "$secrets/tls.crt:/etc/sluice/tls/tls.crt:ro" -v "$secrets/tls.key:/etc/sluice/tls/tls.key:ro" \
  localhost/sluice-edge-tls

in_ns() { ip netns exec "$ns" "$@"; }
admin_key=$(cat "$secrets/admin-key")
status="" body=""
# req METHOD URL [curl arguments...]: sets status and body.
req() {
  local method=$1 url=$2
  shift 2
  status=$(in_ns curl -sS --max-time 10 --cacert "$secrets/tls.crt" -o "$tmp/body" \
    -w '%{http_code}' -X "$method" "$@" "$url" 2>"$tmp/curl-error") || status=000
  body=$(cat "$tmp/body" 2>/dev/null || true)
  [ "$status" != 000 ] || body=$(cat "$tmp/curl-error")
}
expect() {  # description, expected status
  if [ "$status" = "$2" ]; then pass "$1: $status"; else fail "$1: expected $2, got $status: $body"; fi
}
admin() {  # METHOD PATH [curl arguments...]
  local method=$1 path=$2
  shift 2
  req "$method" "https://localhost:8444$path" -H "Authorization: Bearer $admin_key" "$@"
}

ops_ports=(auth:9191 storage:9193 retention:9194 schema:9192 edge:9090)
for entry in "${ops_ports[@]}"; do
  name=${entry%%:*} port=${entry##*:} deadline=$((SECONDS + 90))
  until req GET "http://127.0.0.1:$port/readyz" && [ "$status" = 200 ]; do
    [ $SECONDS -lt $deadline ] || break
    sleep 0.5
  done
  expect "$name: GET /readyz on ops port $port" 200
done
for name in auth storage retention schema edge; do
  if healthy "$id-$name" 10; then pass "$name: HEALTHCHECK healthy"; else fail "$name: HEALTHCHECK not healthy"; fi
done
if healthy "$id-edge-tls" 30; then pass "edge-tls: HEALTHCHECK healthy"; else fail "edge-tls: HEALTHCHECK not healthy"; fi

for name in mariadb auth storage retention schema edge edge-tls; do
  c=$id-$name
  uid=$(pm exec "$c" id -u 2>/dev/null || echo "?")
  readonly_root=$(pm inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$c")
  if [ "$uid" != 0 ] && [ "$uid" != "?" ] && [ "$readonly_root" = true ] &&
    ! pm exec "$c" touch /sluice-write-probe >/dev/null 2>&1; then
    pass "$name: runs as uid $uid on a read-only root"
  else
    fail "$name: uid $uid, read-only root $readonly_root"
  fi
done

# --- the slice through the TLS front ---------------------------------------------
req GET https://localhost:8444/api/v1/integrations
expect "admin API without the admin key" 401
req GET https://localhost:8444/
if [ "$status" = 200 ] && grep -q 'console.js' <<<"$body"; then
  req GET https://localhost:8444/console.js
  expect "web console: GET / and its script from the image" 200
else
  fail "web console: GET / answered $status without the console page"
fi
admin POST /api/v1/integrations -H 'Content-Type: application/json' -d '{"name":"image-test"}'
expect "POST /api/v1/integrations" 201
integration=$(jq -r '.uuid // empty' <<<"$body" 2>/dev/null || true)
listener="" url="" token=""
if [ -n "$integration" ]; then
  admin POST "/api/v1/integrations/$integration/listeners" -H 'Content-Type: application/json' -d '{
    "name": "orders",
    "auth": {"method": "token", "readFrom": "header", "name": "X-Api-Token"},
    "structure": {"baseName": "image_test_orders", "rootPath": "", "primaryKey": ["id"],
                  "sample": {"id": 1, "name": "a", "score": 1.5, "active": true}}}'
  expect "POST …/listeners (token in X-Api-Token)" 201
  listener=$(jq -r '.uuid // empty' <<<"$body" 2>/dev/null || true)
  url=$(jq -r '.url // empty' <<<"$body" 2>/dev/null || true)
  token=$(jq -r '.token // empty' <<<"$body" 2>/dev/null || true)
fi
if [ -n "$listener" ] && [ -n "$token" ] && [ "$url" = "https://localhost:8443/$integration/$listener" ]; then
  pass "the listener's URL is $url, with a generated token"
  record='{"id":42,"name":"Bob","score":2.5,"active":false}'
  req POST "$url" -H 'Content-Type: application/json' -H "X-Api-Token: $token" -d "$record"
  expect "HTTPS POST of a record to the listener URL" 200
  if [ "$body" = '{"status":"ok","records":1}' ]; then
    pass "the ingest answer is $body"
  else
    fail "the ingest answer is $body"
  fi
  req POST "$url" -H 'Content-Type: application/json' -H "X-Api-Token: not-the-token" -d "$record"
  expect "POST with a wrong token" 401
  admin GET "/api/v1/integrations/$integration/listeners/$listener/records/42"
  expect "GET …/records/42" 200
  if [ "$(jq -c '[.id, .name, .score, .active, (.lastModified | type)]' <<<"$body" 2>/dev/null)" = \
    '[42,"Bob",2.5,false,"string"]' ]; then
    pass "the record reads back as sent, with lastModified"
  else
    fail "the record read back: $body"
  fi
  admin GET "/api/v1/integrations/$integration/listeners/$listener/records?limit=10"
  expect "GET …/records" 200
  if [ "$(jq -c '[.records[].id]' <<<"$body" 2>/dev/null)" = '[42]' ]; then
    pass "the listener holds exactly that record"
  else
    fail "the records listed: $body"
  fi
else
  fail "no listener to post to (uuid '$listener', url '$url')"
fi

# --- a clean stop, front first, as Kubernetes and compose do -------------------------
for name in edge-tls edge schema retention storage auth mariadb; do
  c=$id-$name
  t0=$SECONDS
  pm stop --time 20 "$c" >/dev/null 2>&1 || true
  code=$(pm inspect --format '{{.State.ExitCode}}' "$c" 2>/dev/null || echo "?")
  if [ "$code" = 0 ]; then
    pass "$name: stopped on its stop signal, exit 0 after $((SECONDS - t0)) s"
  else
    fail "$name: exit code $code after stop"
  fi
done

echo "image-test: $passed passed, $failed failed ($((SECONDS - start)) s)"
trap - EXIT
teardown
[ "$failed" -eq 0 ]
