#!/usr/bin/env bash
# ctest fixture of the galera suite (make test-galera): a 3-node MariaDB
# Galera cluster on loopback ports and a Sluice stack whose services reach
# it through all three nodes (SLUICE_DB_ADDRESS). The tests find both
# through $1/stack.env.
#   galera_fixture.sh up DIR BUILD | down DIR | start-node DIR N | kill-node DIR N
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
dir=$2

. "$source_dir/tests/testing/ports.sh"

log() { echo "galera: $*" >&2; }

# Node N (1..3): its MySQL port, and the group-communication port G with
# G+1 (incremental state transfer) and G+2 (full state transfer).
node_port() { echo $((SLUICE_PORT_BASE + 12 + $1)); }
gcomm_port() { echo $((SLUICE_PORT_BASE + 13 + 3 * $1)); }

node_sql() {  # N SQL
  mariadb --no-defaults -uroot --socket="$GALERA_DIR/node$1/mysql.sock" \
    --batch --skip-column-names -e "$2" 2>/dev/null
}

wait_synced() {  # N seconds
  local deadline=$((SECONDS + $2))
  until [ "$(node_sql "$1" "SHOW STATUS LIKE 'wsrep_local_state_comment'" | cut -f2)" = Synced ]; do
    if [ $SECONDS -ge $deadline ]; then
      log "node $1 did not reach Synced; see $GALERA_DIR/node$1/error.log"
      tail -n 30 "$GALERA_DIR/node$1/error.log" >&2 || true
      return 1
    fi
    sleep 0.3
  done
}

start_node() {  # N [new]
  local n=$1 node=$GALERA_DIR/node$1 g peers=""
  for i in 1 2 3; do peers="$peers${peers:+,}127.0.0.1:$(gcomm_port "$i")"; done
  g=$(gcomm_port "$n")
  # The nodes run as mysql: state transfers (rsync) run as the server's user
  # and must own what they copy.
  if [ ! -d "$node/data/mysql" ]; then
    install -d -o mysql -g mysql "$node" "$node/data"
    mariadb-install-db --no-defaults --user=mysql --datadir="$node/data" \
      --auth-root-authentication-method=normal --skip-test-db >"$node/install.log" 2>&1
  fi
  local extra=()
  [ "${2:-}" = new ] && extra+=(--wsrep-new-cluster)
  nohup mariadbd --no-defaults --user=mysql --datadir="$node/data" --socket="$node/mysql.sock" \
    --port="$(node_port "$n")" --bind-address=127.0.0.1 --pid-file="$node/mariadbd.pid" \
    --log-error="$node/error.log" --skip-log-bin --innodb-flush-log-at-trx-commit=1 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin --max-connections=500 \
    --wsrep-on=ON --wsrep-provider=/usr/lib/galera/libgalera_smm.so \
    --wsrep-cluster-address="gcomm://$peers" --wsrep-node-address="127.0.0.1:$g" \
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$g;ist.recv_addr=127.0.0.1:$((g + 1))" \
    --wsrep-sst-receive-address="127.0.0.1:$((g + 2))" --wsrep-sst-method=rsync \
    --binlog-format=ROW --innodb-autoinc-lock-mode=2 --default-storage-engine=InnoDB \
    "${extra[@]}" >>"$node/error.log" 2>&1 &
  echo $! > "$node/pid"
  wait_synced "$n" 120
}

kill_node() {
  local pid
  pid=$(cat "$GALERA_DIR/node$1/pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$GALERA_DIR/node$1/pid"
}

load_env() { set -a; . "$dir/stack.env"; set +a; }

case "$1" in
  up)
    build=$3
    [ -f "$dir/stack.env" ] && "$0" down "$dir" >/dev/null 2>&1 || true
    rm -rf "$dir"
    mkdir -p "$dir"
    # The stack's ports (0-12), the nodes' MySQL ports (13-15), their
    # group-communication ports (16-24).
    base=$(free_port_base 25) || { log "no free port range"; exit 1; }
    # The nodes' files sit where the mysql user can reach them.
    galera_dir=$(mktemp -d /tmp/sluice-galera.XXXXXX)
    chmod 755 "$galera_dir"
    SLUICE_PORT_BASE=$base
    address=""
    for i in 1 2 3; do address="$address${address:+,}127.0.0.1:$(node_port "$i")"; done
    cat > "$dir/stack.env" <<ENV
SLUICE_VAR=$dir/var
SLUICE_BUILD=$build
SLUICE_PORT_BASE=$base
SLUICE_ADMIN_KEY=test-admin-key-$(openssl rand -hex 16)
SLUICE_SOURCE=$source_dir
SLUICE_DB_ADDRESS=$address
GALERA_DIR=$galera_dir
GALERA_NODE_PORTS=$(node_port 1),$(node_port 2),$(node_port 3)
ENV
    load_env
    start=$SECONDS
    start_node 1 new
    start_node 2
    start_node 3
    log "3 nodes synced in $((SECONDS - start)) s (ports $GALERA_NODE_PORTS)"
    if ! "$source_dir/scripts/stack.sh" up; then
      for f in "$dir"/var/log/*.log; do echo "== $f"; tail -n 20 "$f"; done
      exit 1
    fi
    ;;
  down)
    [ -f "$dir/stack.env" ] || exit 0
    load_env
    "$source_dir/scripts/stack.sh" down || true
    for i in 3 2 1; do kill_node "$i"; done
    rm -rf "$GALERA_DIR"
    ;;
  kill-node) load_env; kill_node "$3" ;;
  start-node) load_env; start_node "$3" ;;
  *) sed -n '2,7p' "$0"; exit 2 ;;
esac
