#!/usr/bin/env bash
# Starts and stops a local Sluice stack: a private MariaDB, the five
# services and the nginx TLS front, all state under $SLUICE_VAR.
#
#   stack.sh up            start what is not running; wait until ready
#   stack.sh run           up, print the URLs, stop everything on Ctrl-C
#   stack.sh down          stop everything (data survives)
#   stack.sh start NAME    start one part (mariadb, auth, schema, storage,
#   stack.sh stop NAME     retention, edge, nginx)
#   stack.sh status
#
# Environment: SLUICE_VAR (default ./var), SLUICE_BUILD (default ./build),
# SLUICE_ADMIN_KEY (else a generated one in $SLUICE_VAR/admin-key),
# SLUICE_PORT_BASE (tests: every port derived from it), SLUICE_TLS_CERT and
# SLUICE_TLS_KEY (a CA-issued chain and key; else a self-signed pair),
# SLUICE_TRUSTED_PROXIES (CIDRs of proxies whose X-Forwarded-For is believed),
# SLUICE_DB_ADDRESS ("host:port,host:port,…" of a MySQL server or cluster
# to use instead of the private MariaDB), SLUICE_GRPC_TLS=1 (mutual TLS
# between the services, from a CA generated in $SLUICE_VAR/grpc-tls),
# SLUICE_OPS_ADDRESS (where ops endpoints listen; default 127.0.0.1).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
VAR=$(mkdir -p "${SLUICE_VAR:-$root/var}" && cd "${SLUICE_VAR:-$root/var}" && pwd)
BUILD=${SLUICE_BUILD:-$root/build}

if [ -n "${SLUICE_PORT_BASE:-}" ]; then
  b=$SLUICE_PORT_BASE
  INGEST_TLS_PORT=$b ADMIN_TLS_PORT=$((b + 1)) INGEST_HTTP_PORT=$((b + 2)) ADMIN_HTTP_PORT=$((b + 3))
  EDGE_OPS_PORT=$((b + 4)) AUTH_PORT=$((b + 5)) AUTH_OPS_PORT=$((b + 6)) SCHEMA_PORT=$((b + 7))
  SCHEMA_OPS_PORT=$((b + 8)) STORAGE_PORT=$((b + 9)) STORAGE_OPS_PORT=$((b + 10))
  RETENTION_PORT=$((b + 11)) RETENTION_OPS_PORT=$((b + 12)) DB_PORT=$((b + 13))
else
  INGEST_TLS_PORT=8443 ADMIN_TLS_PORT=8444 INGEST_HTTP_PORT=9080 ADMIN_HTTP_PORT=9081
  EDGE_OPS_PORT=9090 AUTH_PORT=9101 AUTH_OPS_PORT=9191 SCHEMA_PORT=9102 SCHEMA_OPS_PORT=9192
  STORAGE_PORT=9103 STORAGE_OPS_PORT=9193 RETENTION_PORT=9104 RETENTION_OPS_PORT=9194
  DB_PORT=13306
fi
HOST=${SLUICE_HOST:-localhost}

mkdir -p "$VAR/run" "$VAR/log"

log() { echo "sluice: $*" >&2; }

pid_of() { cat "$VAR/run/$1.pid" 2>/dev/null || true; }

# A process that exists and has not exited: a killed child whose parent has
# not reaped it yet (a zombie, state Z) is not running.
alive() {
  local state
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
  state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

running() { alive "$(pid_of "$1")"; }

wait_http() {  # url seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

ensure_secrets() {
  mkdir -p "$VAR/tls"
  if [ -n "${SLUICE_TLS_CERT:-}" ]; then
    TLS_CERT=$SLUICE_TLS_CERT TLS_KEY=$SLUICE_TLS_KEY
  else
    TLS_CERT=$VAR/tls/cert.pem TLS_KEY=$VAR/tls/key.pem
    if [ ! -s "$TLS_CERT" ] || [ ! -s "$TLS_KEY" ]; then
      log "generating a self-signed TLS certificate in $VAR/tls"
      (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$HOST" \
        -addext "subjectAltName=DNS:$HOST,DNS:localhost,IP:127.0.0.1" \
        -keyout "$TLS_KEY" -out "$TLS_CERT" 2>/dev/null)
    fi
  fi
  if [ ! -s "$VAR/secret-key" ]; then
    (umask 077 && openssl rand -base64 32 > "$VAR/secret-key.new" &&
      mv -f "$VAR/secret-key.new" "$VAR/secret-key")
  fi
  if [ "${SLUICE_GRPC_TLS:-0}" = 1 ]; then ensure_grpc_tls; fi
  # Replaced whole (rename), never truncated in place: a running edge reads
  # the file whenever it changes.
  if [ -n "${SLUICE_ADMIN_KEY:-}" ]; then
    if [ "$(cat "$VAR/admin-key" 2>/dev/null)" != "$SLUICE_ADMIN_KEY" ]; then
      (umask 077 && printf '%s\n' "$SLUICE_ADMIN_KEY" > "$VAR/admin-key.new" &&
        mv -f "$VAR/admin-key.new" "$VAR/admin-key")
    fi
  elif [ ! -s "$VAR/admin-key" ]; then
    (umask 077 && openssl rand -base64 33 | tr '+/' '-_' > "$VAR/admin-key.new" &&
      mv -f "$VAR/admin-key.new" "$VAR/admin-key")
  fi
}

# A CA and one certificate for every service (each is a server to some and a
# client of others), as a cert-manager Certificate would give them.
ensure_grpc_tls() {
  local dir=$VAR/grpc-tls
  [ -s "$dir/tls.crt" ] && [ -s "$dir/ca.crt" ] && return 0
  log "generating the internal gRPC CA and certificate in $dir"
  mkdir -p "$dir"
  (umask 077
   openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=Sluice internal CA" \
     -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
   openssl req -newkey rsa:2048 -nodes -subj "/CN=sluice" \
     -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
   printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > "$dir/ext.cnf"
   openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
     -days 825 -extfile "$dir/ext.cnf" -out "$dir/tls.crt" 2>/dev/null
   rm -f "$dir/tls.csr" "$dir/ext.cnf")
}

start_mariadb() {
  running mariadb && return 0
  [ -n "${SLUICE_DB_ADDRESS:-}" ] && return 0
  local data=$VAR/mysql
  if [ ! -d "$data/mysql" ]; then
    log "initializing MariaDB in $data"
    mkdir -p "$data"
    mariadb-install-db --no-defaults --datadir="$data" --user="$(id -un)" \
      --auth-root-authentication-method=normal --skip-test-db >"$VAR/log/mariadb-install.log" 2>&1
  fi
  log "starting mariadb on 127.0.0.1:$DB_PORT"
  nohup mariadbd --no-defaults --user="$(id -un)" --datadir="$data" --socket="$VAR/run/mysql.sock" \
    --port="$DB_PORT" --bind-address=127.0.0.1 --skip-log-bin --innodb-flush-log-at-trx-commit=1 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin --max-connections=500 \
    --pid-file="$VAR/run/mariadbd.pid" --log-error="$VAR/log/mariadb.log" \
    >>"$VAR/log/mariadb.log" 2>&1 &
  echo $! > "$VAR/run/mariadb.pid"
  local deadline=$((SECONDS + 60))
  until mariadb-admin --no-defaults --socket="$VAR/run/mysql.sock" -uroot ping >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ] || ! running mariadb; then
      log "mariadb did not start; see $VAR/log/mariadb.log"
      return 1
    fi
    sleep 0.1
  done
}

service_env() {
  echo SLUICE_DB_HOST=${SLUICE_DB_ADDRESS:-127.0.0.1} SLUICE_DB_PORT=$DB_PORT SLUICE_DB_USER=root \
    SLUICE_OPS_ADDRESS=${SLUICE_OPS_ADDRESS:-127.0.0.1} \
    SLUICE_AUTH_TARGET=127.0.0.1:$AUTH_PORT SLUICE_SCHEMA_TARGET=127.0.0.1:$SCHEMA_PORT \
    SLUICE_STORAGE_TARGET=127.0.0.1:$STORAGE_PORT SLUICE_RETENTION_TARGET=127.0.0.1:$RETENTION_PORT
  if [ "${SLUICE_GRPC_TLS:-0}" = 1 ]; then
    echo SLUICE_GRPC_TLS_CERT_FILE=$VAR/grpc-tls/tls.crt SLUICE_GRPC_TLS_KEY_FILE=$VAR/grpc-tls/tls.key \
      SLUICE_GRPC_TLS_CA_FILE=$VAR/grpc-tls/ca.crt
  fi
  [ -z "${SLUICE_GRPC_MAX_CONNECTION_AGE_MS:-}" ] || echo SLUICE_GRPC_MAX_CONNECTION_AGE_MS=$SLUICE_GRPC_MAX_CONNECTION_AGE_MS
}

start_service() {  # name grpc_port ops_port
  running "$1" && return 0
  log "starting $1"
  # shellcheck disable=SC2046
  nohup env $(service_env) SLUICE_GRPC_ADDRESS=127.0.0.1:$2 SLUICE_OPS_PORT=$3 \
    SLUICE_SECRET_KEY_FILE="$VAR/secret-key" \
    "$BUILD/services/$1/sluice-$1" >>"$VAR/log/$1.log" 2>&1 &
  echo $! > "$VAR/run/$1.pid"
}

start_edge() {
  running edge && return 0
  log "starting edge"
  local public="https://$HOST:$INGEST_TLS_PORT"
  # shellcheck disable=SC2046
  nohup env $(service_env) SLUICE_OPS_PORT=$EDGE_OPS_PORT SLUICE_INGEST_HTTP_PORT=$INGEST_HTTP_PORT \
    SLUICE_ADMIN_HTTP_PORT=$ADMIN_HTTP_PORT SLUICE_ADMIN_KEY_FILE="$VAR/admin-key" \
    SLUICE_PUBLIC_URL="$public" SLUICE_CONSOLE_DIR="$root/services/edge/console" \
    "$BUILD/services/edge/sluice-edge" >>"$VAR/log/edge.log" 2>&1 &
  echo $! > "$VAR/run/edge.pid"
}

start_nginx() {
  running nginx && return 0
  log "starting nginx (TLS) on $INGEST_TLS_PORT and $ADMIN_TLS_PORT"
  mkdir -p "$VAR/nginx"
  local user_line=""
  if [ "$(id -u)" -eq 0 ]; then
    user_line="user nobody nogroup;"
    chown nobody:nogroup "$VAR/nginx"
  fi
  # Proxies in front whose X-Forwarded-For names the real client (a cloud
  # load balancer, an ingress controller): SLUICE_TRUSTED_PROXIES="10.0.0.0/8 …".
  local real_ip="" cidr
  for cidr in ${SLUICE_TRUSTED_PROXIES:-}; do real_ip="$real_ip set_real_ip_from $cidr;"; done
  sed -e "s|@VAR@|$VAR|g" -e "s|@TLS_CERT@|$TLS_CERT|g" -e "s|@TLS_KEY@|$TLS_KEY|g" \
    -e "s|@REAL_IP_FROM@|$real_ip|g" -e "s|@USER@|$user_line|g" -e "s|@INGEST_HTTP_PORT@|$INGEST_HTTP_PORT|g" \
    -e "s|@ADMIN_HTTP_PORT@|$ADMIN_HTTP_PORT|g" -e "s|@INGEST_TLS_PORT@|$INGEST_TLS_PORT|g" \
    -e "s|@ADMIN_TLS_PORT@|$ADMIN_TLS_PORT|g" "$root/services/edge/nginx.conf.in" > "$VAR/nginx.conf"
  nohup nginx -p "$VAR/nginx" -c "$VAR/nginx.conf" -g 'daemon off;' >>"$VAR/log/nginx.log" 2>&1 &
  echo $! > "$VAR/run/nginx.pid"
}

start_one() {
  case "$1" in
    mariadb) start_mariadb ;;
    auth) start_service auth "$AUTH_PORT" "$AUTH_OPS_PORT" ;;
    schema) start_service schema "$SCHEMA_PORT" "$SCHEMA_OPS_PORT" ;;
    storage) start_service storage "$STORAGE_PORT" "$STORAGE_OPS_PORT" ;;
    retention) start_service retention "$RETENTION_PORT" "$RETENTION_OPS_PORT" ;;
    edge) start_edge ;;
    nginx) ensure_secrets; start_nginx ;;
    *) log "unknown part: $1"; return 2 ;;
  esac
}

stop_one() {
  local pid
  pid=$(pid_of "$1")
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    while alive "$pid"; do
      if [ $SECONDS -ge $deadline ]; then kill -KILL "$pid" 2>/dev/null || true; break; fi
      sleep 0.05
    done
  fi
  rm -f "$VAR/run/$1.pid"
}

PARTS=(mariadb auth storage retention schema edge nginx)

up() {
  for bin in auth schema storage retention edge; do
    if [ ! -x "$BUILD/services/$bin/sluice-$bin" ]; then
      log "missing $BUILD/services/$bin/sluice-$bin; build first (make build)"
      exit 1
    fi
  done
  ensure_secrets
  for part in "${PARTS[@]}"; do start_one "$part"; done
  if ! wait_http "http://127.0.0.1:$EDGE_OPS_PORT/readyz" 90; then
    log "the stack did not become ready; logs are in $VAR/log"
    curl -sS "http://127.0.0.1:$EDGE_OPS_PORT/readyz" >&2 || true
    exit 1
  fi
  wait_http "http://127.0.0.1:$SCHEMA_OPS_PORT/readyz" 30 || true
  wait_http "http://127.0.0.1:$STORAGE_OPS_PORT/readyz" 30 || true
  wait_http "http://127.0.0.1:$AUTH_OPS_PORT/readyz" 30 || true
  local deadline=$((SECONDS + 30))
  until curl -ksS -o /dev/null --max-time 2 "https://127.0.0.1:$INGEST_TLS_PORT/" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ] || ! running nginx; then
      log "the TLS front did not start; see $VAR/log/nginx.log"
      exit 1
    fi
    sleep 0.1
  done
}

down() {
  # The front and the services stop together (each drains its own calls),
  # then the database.
  local stoppers=()
  for part in nginx edge schema retention storage auth; do
    stop_one "$part" &
    stoppers+=($!)
  done
  # Wait for these only: under `run` the services are children of this shell.
  wait "${stoppers[@]}"
  stop_one mariadb
}

banner() {
  cat <<MSG

Sluice is running.
  ingest URL : https://$HOST:$INGEST_TLS_PORT/{serviceUuid}/{listenerUuid}
  admin URL  : https://$HOST:$ADMIN_TLS_PORT/api/v1   (console: https://$HOST:$ADMIN_TLS_PORT/)
  admin key  : $(cat "$VAR/admin-key")
  TLS cert   : $TLS_CERT (self-signed unless SLUICE_TLS_CERT is set; curl --cacert it)
  logs       : $VAR/log/
MSG
}

case "${1:-}" in
  up) up; banner ;;
  run)
    up
    banner
    echo "Press Ctrl-C to stop."
    trap 'echo; down; exit 0' INT TERM
    while true; do sleep 1; done
    ;;
  down) down ;;
  start) ensure_secrets; start_one "$2" ;;
  stop) stop_one "$2" ;;
  status)
    for part in "${PARTS[@]}"; do
      if running "$part"; then echo "$part: running ($(pid_of "$part"))"; else echo "$part: stopped"; fi
    done
    ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
