#!/usr/bin/env bash
# Set up kmlab for development on a fresh machine: a virtual environment in .venv
# with kmlab and every extra ([all]: plots, studio, benchmark peers, tests).
# Safe to run again: it reinstalls only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "kmlab needs Python 3.11 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi

stamp=.venv/.kmlab-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[all]"
    echo "$wanted" > "$stamp"
fi

# Studio's browser tests drive Debian's chromium through Playwright.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then as_root=(sudo -n); fi
    echo "installing Debian's chromium (for Studio's browser tests)..."
    if ! { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
           && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1; then
        echo "warning: could not install chromium with apt-get (run: sudo apt-get install chromium); the browser tests will be skipped" >&2
    fi
fi
