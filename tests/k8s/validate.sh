#!/usr/bin/env bash
# Renders every overlay under k8s/overlays with `kubectl kustomize` and runs
# the schema and policy checks of validate.mjs on it, offline.
#
#   tests/k8s/validate.sh [K8S_DIR]    check K8S_DIR (default: the repo's k8s/)
#   tests/k8s/validate.sh --self-test  check that every check fails on the
#                                      deliberately broken fixtures/broken.yaml
#   tests/k8s/validate.sh --containers [--self-test]
#                                      the same for docker/Dockerfile,
#                                      .dockerignore and docker/compose.yaml
#                                      (containers.mjs; fixtures/containers)
#
# Installs the pinned npm packages into tests/k8s/node_modules when they are
# missing or older than package-lock.json; writes nothing else in the tree.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

# Requirements an overlay must meet beyond the common checks.
declare -A requirements=([prod]="grpc-mtls")

. "$repo/tests/testing/npm.sh"
npm_packages "$here"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# self_test SCRIPT EXPECTED ARGS...: runs node SCRIPT ARGS on broken fixtures;
# passes when it exits 1 with a finding of every check it lists and every
# line of the file EXPECTED (none when empty).
self_test() {
  local script=$1 expected=$2 status=0 missing=0 check line
  shift 2
  node "$here/$script" --source-dir "$repo" "$@" >"$tmp/out" || status=$?
  if [ "$status" -ne 1 ]; then
    echo "self-test: $script exited $status on its fixtures, expected 1"
    missing=1
  fi
  while IFS=$'\t' read -r check _; do
    if ! grep -q "^FAIL $check: " "$tmp/out"; then
      echo "self-test: check $check reported nothing on the broken fixtures"
      missing=1
    fi
  done < <(node "$here/$script" --list-checks)
  if [ -n "$expected" ]; then
    while IFS= read -r line; do
      case "$line" in ''|'#'*) continue ;; esac
      if ! grep -qF -- "$line" "$tmp/out"; then
        echo "self-test: missing: $line"
        missing=1
      fi
    done <"$expected"
  fi
  if [ "$missing" -ne 0 ]; then
    echo "--- $script output:"
    cat "$tmp/out"
    return 1
  fi
  echo "self-test: every check of $script failed on its broken fixtures" \
       "($(grep -c '^FAIL ' "$tmp/out") findings)"
}

if [ "${1:-}" = "--containers" ]; then
  if [ "${2:-}" != "--self-test" ]; then
    exec node "$here/containers.mjs" --source-dir "$repo"
  fi
  fixtures="$here/fixtures/containers"
  self_test containers.mjs "" --dockerfile "$fixtures/Dockerfile" \
    --compose "$fixtures/compose.yaml" --dockerignore "$fixtures/partial.dockerignore" \
    --nginx "$fixtures/nginx.conf"
  exit
fi

if [ "${1:-}" = "--self-test" ]; then
  self_test validate.mjs "$here/fixtures/broken.expected" --name fixture \
    --require grpc-mtls "$here/fixtures/broken.yaml"
  exit
fi

if ! command -v kubectl >/dev/null 2>&1; then
  echo "validate.sh: kubectl not found (scripts/install-deps.sh installs it)" >&2
  exit 2
fi

k8s="$(cd "${1:-$repo/k8s}" && pwd)"
passed=0
failed=0
for overlay in "$k8s"/overlays/*/; do
  name="$(basename "$overlay")"
  [ -f "$overlay/kustomization.yaml" ] || continue
  if ! kubectl kustomize "$overlay" >"$tmp/$name.yaml" 2>"$tmp/$name.err"; then
    echo "FAIL render: $name: kubectl kustomize $overlay failed:"
    sed 's/^/  /' "$tmp/$name.err"
    failed=$((failed + 1))
    continue
  fi
  args=(--source-dir "$repo" --name "$name")
  for r in ${requirements[$name]:-}; do args+=(--require "$r"); done
  if node "$here/validate.mjs" "${args[@]}" "$tmp/$name.yaml"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
if [ $((passed + failed)) -eq 0 ]; then
  echo "validate.sh: no overlay under $k8s/overlays" >&2
  exit 2
fi
echo "k8s overlays: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
