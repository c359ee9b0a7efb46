#!/usr/bin/env bash
# Create ./.venv and install vmxref (pinned dependencies) with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip >/dev/null 2>&1 || true
# compat mode: a plain path entry; the default editable mode installs an import hook that
# loads pathlib and re at every start of Python (about 20 ms of every vmxref command)
.venv/bin/pip install -q -e '.[test]' --config-settings editable_mode=compat
