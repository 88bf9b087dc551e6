#!/bin/bash
# HEALTHCHECK of the Sluice images, which have no curl: a minimal HTTP GET
# over bash's /dev/tcp.
#   sluice-healthcheck [PATH]        GET PATH (default /healthz) on the ops
#                                    port ($SLUICE_OPS_PORT, 9090); healthy
#                                    when it answers 200
#   sluice-healthcheck --tcp PORT…   healthy when every PORT accepts a TCP
#                                    connection on loopback (the TLS front)
set -u

connect() {  # host port: opens fd 3 (a local address: refused at once)
  exec 3<>"/dev/tcp/$1/$2"
} 2>/dev/null

if [ "${1:-}" = "--tcp" ]; then
  shift
  for port in "$@"; do
    connect 127.0.0.1 "$port" || { echo "port $port refuses connections"; exit 1; }
    exec 3<&- 3>&-
  done
  exit 0
fi

path=${1:-/healthz}
port=${SLUICE_OPS_PORT:-9090}
host=${SLUICE_OPS_ADDRESS:-127.0.0.1}
case "$host" in 0.0.0.0 | "" | "::" | "[::]") host=127.0.0.1 ;; esac

connect "$host" "$port" || { echo "ops port $host:$port refuses connections"; exit 1; }
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
status=""
IFS= read -r -t 2 status <&3 || true
exec 3<&- 3>&-
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) echo "GET $path on $host:$port: ${status:-no answer}"; exit 1 ;;
esac
