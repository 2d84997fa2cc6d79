#!/usr/bin/env bash
# The whole test suite (unit, conformance, doctests), after setting everything up.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
