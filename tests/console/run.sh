#!/usr/bin/env bash
# The console and OpenAPI checks, as ctest runs them:
#
#   tests/console/run.sh lint       redocly lint of docs/openapi.yaml (no stack)
#   tests/console/run.sh contract   every documented operation called on the
#                                   test stack, answers checked against the spec
#   tests/console/run.sh browser    the console driven in headless Chromium on
#                                   the test stack; screenshots under $2 (or
#                                   build/console-screenshots)
#
# The stack is the ctest fixture's ($SLUICE_TEST_STACK/stack.env). Installs
# the pinned npm packages into tests/console/node_modules when they are
# missing or older than package-lock.json.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

. "$repo/tests/testing/npm.sh"
npm_packages "$here"

stack_env() {
  local env="${SLUICE_TEST_STACK:-}/stack.env"
  if [ -z "${SLUICE_TEST_STACK:-}" ] || [ ! -f "$env" ]; then
    echo "run.sh: no test stack (set SLUICE_TEST_STACK to a stack_fixture.sh directory)" >&2
    exit 2
  fi
  echo "$env"
}

case "${1:-}" in
  lint)
    exec "$here/node_modules/.bin/redocly" lint --config "$here/redocly.yaml" "$repo/docs/openapi.yaml"
    ;;
  contract)
    exec node "$here/contract.mjs" --stack-env "$(stack_env)" --spec "$repo/docs/openapi.yaml"
    ;;
  browser)
    if [ ! -x /usr/bin/chromium ]; then
      echo "run.sh: /usr/bin/chromium not found (scripts/install-deps.sh installs it)" >&2
      exit 2
    fi
    exec node "$here/browser.mjs" --stack-env "$(stack_env)" \
      --out "${2:-$repo/build/console-screenshots}"
    ;;
  *)
    echo "usage: tests/console/run.sh lint | contract | browser [SCREENSHOT_DIR]" >&2
    exit 2
    ;;
esac
