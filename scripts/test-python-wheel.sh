#!/usr/bin/env bash
# Builds the Python library's wheel (python -m build), installs it in a fresh virtual environment
# and runs the pytest suite against the installed package, not the source tree
# (SQUALL_TEST_INSTALLED=1; the suite checks where squall was imported from).
#   scripts/test-python-wheel.sh [pytest args...]     e.g. --junitxml=out.xml
# Needs the `build` module (pip install build); the build fetches setuptools as pyproject says.
set -euo pipefail
cd "$(dirname "$0")/../multilang/python"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m build --wheel --outdir "$work/dist" . >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
wheel=$(ls "$work"/dist/*.whl)
echo "built $(basename "$wheel")"
# msgpack and pytest come from the system's site-packages; squall only from the wheel.
python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install -q --no-deps --ignore-installed "$wheel"
SQUALL_TEST_INSTALLED=1 "$work/venv/bin/python" -m pytest tests -q -p no:cacheprovider "$@"
