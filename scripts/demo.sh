#!/usr/bin/env bash
# The main job on the embedded default (no downloads): project the example's English entities
# onto its German translations with the embedded aligner and each projector, then report.
#   bash scripts/demo.sh [--output DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet nox
exec python3 -m nox -s demo -- "$@"
