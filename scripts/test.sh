#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh machine, then runs them.
#   bash scripts/test.sh              # default run (fast tests; slow/model-backed ones are opt-in)
#   bash scripts/test.sh -m slow      # extra pytest arguments are passed through
# Debian's Apertium (a real rule-based translator the translator tests use) is installed with
# apt-get when missing; that needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v apertium >/dev/null 2>&1 || need+=(apertium)
for pair in apertium-eng-spa apertium-eng-cat apertium-eu-en; do
  dpkg -s "$pair" >/dev/null 2>&1 || need+=("$pair")
done
if [ "${#need[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -m pip install --quiet nox
exec python3 -m nox -s tests -- "$@"
