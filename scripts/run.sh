#!/usr/bin/env bash
# kmlab's main job on its built-in demo data, after setting everything up.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/kmlab demo "$@"
