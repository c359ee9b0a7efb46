#!/usr/bin/env bash
# Run the tests. Fast fixture tier always; the real-corpus tier (Linux 6.1 KVM, fetched from
# Debian's linux-source-6.1 package on first use) when VMXREF_CORPUS_TESTS=1.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
