#!/usr/bin/env bash
# Installs the Debian 12 packages Sluice needs to build, test and run, when
# any is missing, plus any packages named as arguments (make fuzz: clang).
# Safe to run again: it does nothing when all are present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl openssl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libpistache-dev libssl-dev libmysqlcppconn-dev libabsl-dev libgtest-dev libgmock-dev
  libsimdjson-dev nlohmann-json3-dev libspdlog-dev libcurl4-openssl-dev
  liblua5.4-dev libjemalloc-dev jq mariadb-server mariadb-client nginx-light procps
  kubectl nodejs chromium fonts-dejavu-core
  "$@"
)
# Debian's npm; a Node.js that bundles its own npm provides the command.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Debian's packaging starts services it installs; Sluice runs its own
# instances, so keep the system ones from starting during the install.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  created_policy=1
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
[ "$created_policy" -eq 1 ] && $sudo rm -f "$policy"
exit 0
