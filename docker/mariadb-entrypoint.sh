#!/bin/sh
# Entrypoint of localhost/sluice-mariadb (docker/mariadb.Dockerfile): on the
# first start it initializes the data directory and creates MARIADB_USER
# (password from MARIADB_PASSWORD_FILE or MARIADB_PASSWORD) and runs
# /docker-entrypoint-initdb.d/*.sql; then it runs mariadbd in the foreground
# with any arguments given.
set -eu
datadir=/var/lib/mysql
if [ ! -d "$datadir/mysql" ]; then
  mariadb-install-db --no-defaults --datadir="$datadir" --skip-test-db \
    --auth-root-authentication-method=socket >/dev/null
  umask 077
  init=$(mktemp --suffix=.sql /tmp/init.XXXXXX)
  if [ -n "${MARIADB_USER:-}" ]; then
    password=${MARIADB_PASSWORD:-}
    if [ -n "${MARIADB_PASSWORD_FILE:-}" ]; then password=$(cat "$MARIADB_PASSWORD_FILE"); fi
    if [ -z "$password" ]; then
      echo "mariadb-entrypoint: MARIADB_USER needs MARIADB_PASSWORD_FILE or MARIADB_PASSWORD" >&2
      exit 1
    fi
    # SQL string literals: double every backslash and single quote.
    quote() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g"; }
    printf "CREATE USER '%s'@'%%' IDENTIFIED BY '%s';\n" \
      "$(quote "$MARIADB_USER")" "$(quote "$password")" >>"$init"
  fi
  for f in /docker-entrypoint-initdb.d/*.sql; do
    [ -r "$f" ] && cat "$f" >>"$init"
  done
  set -- "--init-file=$init" "$@"
fi
exec mariadbd --no-defaults --datadir="$datadir" --socket=/run/mysqld/mysqld.sock \
  --port=3306 --bind-address="${MARIADB_BIND_ADDRESS:-0.0.0.0}" --skip-log-bin \
  --innodb-flush-log-at-trx-commit=1 --character-set-server=utf8mb4 \
  --collation-server=utf8mb4_bin "$@"
