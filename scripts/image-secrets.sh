#!/usr/bin/env bash
# Makes the files the Sluice containers read, in DIR (default var/compose,
# which docker/compose.yaml mounts; `make image-test` uses a temporary one):
#   admin-key    the admin API key (SLUICE_ADMIN_KEY when set)
#   secret-key   32 random bytes, base64: seals HMAC secrets at rest (auth)
#   db-password  the password of MariaDB's `sluice` account
#   tls.crt      the certificate chain of 8443/8444 (SLUICE_TLS_CERT when
#   tls.key      set, with SLUICE_TLS_KEY; else a self-signed pair for
#                SLUICE_HOST, default localhost)
# Files that exist are kept. The directory is 0700 and the files 0444: the
# containers' own users (10001, www-data, mysql) read them through read-only
# bind mounts, other local users cannot reach them.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/var/compose}
host=${SLUICE_HOST:-localhost}
mkdir -p "$dir"
chmod 0700 "$dir"

write() {  # name, command printing its content
  local name=$1
  shift
  if [ ! -s "$dir/$name" ]; then
    (umask 077 && "$@" >"$dir/$name.tmp") && mv "$dir/$name.tmp" "$dir/$name"
  fi
  chmod 0444 "$dir/$name"
}

if [ -n "${SLUICE_ADMIN_KEY:-}" ]; then
  rm -f "$dir/admin-key"
  write admin-key printf '%s\n' "$SLUICE_ADMIN_KEY"
else
  write admin-key sh -c "openssl rand -base64 33 | tr '+/' '-_'"
fi
write secret-key openssl rand -base64 32
write db-password openssl rand -hex 24

if [ -n "${SLUICE_TLS_CERT:-}" ]; then
  rm -f "$dir/tls.crt" "$dir/tls.key"
  write tls.crt cat "$SLUICE_TLS_CERT"
  write tls.key cat "${SLUICE_TLS_KEY:?SLUICE_TLS_KEY goes with SLUICE_TLS_CERT}"
elif [ ! -s "$dir/tls.crt" ] || [ ! -s "$dir/tls.key" ]; then
  rm -f "$dir/tls.crt" "$dir/tls.key"
  names="DNS:localhost,IP:127.0.0.1"
  [ "$host" = localhost ] || names="DNS:$host,$names"
  (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$host" \
    -addext "subjectAltName=$names" \
    -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null)
  chmod 0444 "$dir/tls.crt" "$dir/tls.key"
fi
echo "$dir"
