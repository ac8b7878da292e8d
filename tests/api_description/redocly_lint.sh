#!/usr/bin/env bash
# Redocly's recommended rules on the API description (contract section 9: no error). The CLI comes from npm at
# a pinned version through npx; without npx (no Node.js) the test is skipped, visibly (exit 77 → CTest
# "Skipped"). Warnings are printed; any error fails.
# usage: redocly_lint.sh PRINT_OPENAPI_BINARY
set -euo pipefail
if ! command -v npx >/dev/null; then
    echo "npx not found (Debian package npm): Redocly lint skipped"
    exit 77
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$1" >"$work/openapi.json"
cd "$work"
npx --yes @redocly/cli@2.77.0 lint --format=stylish openapi.json
