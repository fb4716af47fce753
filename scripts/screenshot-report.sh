#!/usr/bin/env bash
# Renders a running caseflow's monthly report as HTML and screenshots it with headless Chromium:
# writes report.html and report.png in the current directory.
#   scripts/screenshot-report.sh [GRPC_URL] [LA] [MONTH]
# Defaults: http://127.0.0.1:50051, authority 372, the last complete month. HEIGHT (default
# 2000) sets the screenshot's height in pixels. Needs chromium: apt-get install -y chromium
set -euo pipefail
grpc=${1:-http://127.0.0.1:50051}
la=${2:-372}
month=${3:-}
command -v chromium >/dev/null || { echo "chromium not found: apt-get install -y chromium" >&2; exit 1; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
(cd "$root" && cargo run -q -p caseflow -- report --grpc "$grpc" --la "$la" ${month:+--month "$month"} --format html) >report.html
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$profile" \
    --screenshot="$PWD/report.png" --window-size="1280,${HEIGHT:-2000}" \
    "file://$PWD/report.html" 2>"$profile/chromium.log" || { cat "$profile/chromium.log" >&2; exit 1; }
echo "wrote report.html and report.png"
