#!/usr/bin/env bash
# ctest fixture: brings a throwaway Sluice stack (its own MariaDB in a temp
# dir, every service, the TLS front) up before the end-to-end tests and
# down after them. The tests find it through $1/stack.env.
#   stack_fixture.sh up DIR BUILD | down DIR
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
dir=$2

. "$source_dir/tests/testing/ports.sh"

case "$1" in
  up)
    build=$3
    [ -d "$dir" ] && SLUICE_VAR="$dir/var" "$source_dir/scripts/stack.sh" down >/dev/null 2>&1 || true
    rm -rf "$dir"
    mkdir -p "$dir"
    base=$(free_port_base 14) || { echo "no free port range" >&2; exit 1; }
    key="test-admin-key-$(openssl rand -hex 16)"
    cat > "$dir/stack.env" <<ENV
SLUICE_VAR=$dir/var
SLUICE_BUILD=$build
SLUICE_PORT_BASE=$base
SLUICE_ADMIN_KEY=$key
SLUICE_SOURCE=$source_dir
SLUICE_METRICS_LISTENER_CAP=8
SLUICE_GRPC_TLS=1
SLUICE_OPS_ADDRESS=0.0.0.0
ENV
    set -a; . "$dir/stack.env"; set +a
    if ! "$source_dir/scripts/stack.sh" up; then
      for f in "$dir"/var/log/*.log; do echo "== $f"; tail -n 20 "$f"; done
      exit 1
    fi
    ;;
  down)
    if [ -f "$dir/stack.env" ]; then
      set -a; . "$dir/stack.env"; set +a
      "$source_dir/scripts/stack.sh" down
    fi
    ;;
esac
