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

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "validate.sh: $tool not found (scripts/install-deps.sh installs it)" >&2
    exit 2
  fi
done

if [ ! -f "$here/node_modules/.package-lock.json" ] ||
   [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error \
     --update-notifier=false >/dev/null)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if [ "${1:-}" = "--containers" ]; then
  if [ "${2:-}" != "--self-test" ]; then
    exec node "$here/containers.mjs" --source-dir "$repo"
  fi
  fixtures="$here/fixtures/containers"
  status=0
  node "$here/containers.mjs" --source-dir "$repo" --dockerfile "$fixtures/Dockerfile" \
    --compose "$fixtures/compose.yaml" --dockerignore "$fixtures/partial.dockerignore" \
    >"$tmp/out" || status=$?
  missing=0
  if [ "$status" -ne 1 ]; then
    echo "self-test: containers.mjs exited $status on $fixtures, expected 1"
    missing=1
  fi
  while IFS=$'\t' read -r check _; do
    if ! grep -q "^FAIL $check: " "$tmp/out"; then
      echo "self-test: check $check reported nothing on the broken fixtures"
      missing=1
    fi
  done < <(node "$here/containers.mjs" --list-checks)
  if [ "$missing" -ne 0 ]; then
    echo "--- containers.mjs output:"
    cat "$tmp/out"
    exit 1
  fi
  echo "self-test: every container check failed on the broken fixtures" \
       "($(grep -c '^FAIL ' "$tmp/out") findings)"
  exit 0
fi

if [ "${1:-}" = "--self-test" ]; then
  fixture="$here/fixtures/broken.yaml"
  status=0
  node "$here/validate.mjs" --source-dir "$repo" --name fixture --require grpc-mtls \
    "$fixture" >"$tmp/out" || status=$?
  missing=0
  if [ "$status" -ne 1 ]; then
    echo "self-test: validate.mjs exited $status on $fixture, expected 1"
    missing=1
  fi
  while IFS=$'\t' read -r check _; do
    if ! grep -q "^FAIL $check: " "$tmp/out"; then
      echo "self-test: check $check reported nothing on the broken fixture"
      missing=1
    fi
  done < <(node "$here/validate.mjs" --list-checks)
  while IFS= read -r expected; do
    case "$expected" in ''|'#'*) continue ;; esac
    if ! grep -qF -- "$expected" "$tmp/out"; then
      echo "self-test: missing: $expected"
      missing=1
    fi
  done <"$here/fixtures/broken.expected"
  if [ "$missing" -ne 0 ]; then
    echo "--- validate.mjs output:"
    cat "$tmp/out"
    exit 1
  fi
  echo "self-test: every check failed on the broken fixture, with every expected message" \
       "($(grep -c '^FAIL ' "$tmp/out") findings)"
  exit 0
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
