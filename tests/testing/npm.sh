# Sourced by the test scripts that run on Node.js (tests/k8s, tests/console).
# npm_packages DIR: exits 2 when node or npm is missing; installs the
# packages pinned in DIR/package-lock.json into DIR/node_modules when they
# are missing or older than the lock file.
npm_packages() {
  local dir=$1 tool
  for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "$(basename "$0"): $tool not found (scripts/install-deps.sh installs it)" >&2
      exit 2
    fi
  done
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error \
       --update-notifier=false >/dev/null)
  fi
}
