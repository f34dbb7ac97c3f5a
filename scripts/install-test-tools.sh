#!/usr/bin/env bash
# Installs the tools the test suite runs besides Python: Prometheus's promtool, which
# tests/test_adapter_rules_prometheus.py uses to evaluate the prometheus-adapter rules.
# Debian's `prometheus` package ships promtool; `prometheus-alertmanager` comes along so that
# the machines have the same Prometheus tools as the integrator's setup.
# Idempotent: does nothing when promtool is already on PATH.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
    echo "promtool present: $(command -v promtool)"
    exit 0
fi

packages=(prometheus prometheus-alertmanager)
if ! command -v apt-get >/dev/null 2>&1; then
    echo "promtool is missing: install Prometheus (it ships promtool) with this system's" >&2
    echo "package manager (macOS: brew install prometheus), then run the tests again" >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "promtool is missing and this is not root (and has no sudo): as root, run" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${packages[*]}" >&2
    exit 1
fi

"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${packages[@]}"
command -v promtool >/dev/null 2>&1 || { echo "promtool still missing after install" >&2; exit 1; }
echo "promtool installed: $(command -v promtool)"
