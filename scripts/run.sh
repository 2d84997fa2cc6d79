#!/usr/bin/env bash
# kmlab's main job, after setting everything up: kmlab Studio in the browser, on the built-in
# demo data (the tutorial's four blobs).  Prints its address; Ctrl+C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/kmlab studio "$@"
