#!/usr/bin/env bash
# The main job: set up, obtain Linux 6.1 KVM sources (Debian's linux-source-6.1), index
# them, and write the HTML report of the shipped saved queries to ./report-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/vmxref corpus index linux-kvm
.venv/bin/vmxref check queries/ || echo "(some expectations failed: see above)"
.venv/bin/vmxref report --out report-out queries/
echo "report: $(pwd)/report-out/index.html"
