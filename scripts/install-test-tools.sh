#!/usr/bin/env bash
# Installs the tools the test suite runs besides Python: Prometheus's promtool, which
# tests/monitoring/test_adapter_rules_prometheus.py and tests/monitoring/test_alerting_rules_prometheus.py use to
# check and evaluate the generated rules, and Alertmanager's amtool, which
# tests/monitoring/test_alerting_rules_prometheus.py uses to check the generated Alertmanager
# configuration and its routes. Debian's `prometheus` package ships promtool,
# `prometheus-alertmanager` ships amtool.
# Idempotent: does nothing when both are already on PATH.
set -euo pipefail

tools=(promtool amtool)
declare -A package_of=([promtool]=prometheus [amtool]=prometheus-alertmanager)

missing=()
for tool in "${tools[@]}"; do
    if command -v "$tool" >/dev/null 2>&1; then
        echo "$tool present: $(command -v "$tool")"
    else
        missing+=("$tool")
    fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

packages=()
for tool in "${missing[@]}"; do
    packages+=("${package_of[$tool]}")
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "${missing[*]} missing: install Prometheus (promtool) and Alertmanager (amtool) with" >&2
    echo "this system's package manager (macOS: brew install prometheus alertmanager)," >&2
    echo "then run the tests again" >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "${missing[*]} missing and this is not root (and has no sudo): as root, run" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${packages[*]}" >&2
    exit 1
fi

"${as_root[@]}" apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${packages[@]}"
for tool in "${missing[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "$tool still missing after install" >&2; exit 1; }
    echo "$tool installed: $(command -v "$tool")"
done
