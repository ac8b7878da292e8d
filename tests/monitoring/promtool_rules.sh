#!/usr/bin/env bash
# The alert rules load (promtool check rules) and each alert's unit test passes (promtool test rules).
# promtool comes from the Debian package `prometheus`, which scripts/test installs.
# usage: promtool_rules.sh CONFIG_PROMETHEUS_DIR
set -euo pipefail
dir="$1"
if ! command -v promtool >/dev/null; then
    echo "promtool not found: install the Debian package prometheus (scripts/test does)" >&2
    exit 1
fi
promtool check rules "$dir/alerts.yml"
# promtool resolves rule_files relative to the test file.
promtool test rules "$dir/alerts_test.yml"
