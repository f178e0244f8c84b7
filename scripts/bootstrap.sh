#!/usr/bin/env bash
# Set up accel in ./.venv and run the main job, or the test suite.
#   bash scripts/bootstrap.sh          # set up, then: hardware report + Julia on every backend
#   bash scripts/bootstrap.sh test     # set up, then: the test suite
# Re-running is cheap: installed pieces are kept. PYTHON=python3.12 picks the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-demo}"
python="${PYTHON:-python3}"
venv=.venv
pip_quiet=(--quiet --disable-pip-version-check)

say() { printf '\n== %s\n' "$*"; }

if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv with $($python --version 2>&1)"
  "$python" -m venv "$venv"
fi
say "installing accel with the torch, plot, fleet and dev extras (torch pinned to 2.13.0)"
"$venv/bin/python" -m pip install "${pip_quiet[@]}" -e '.[torch,plot,fleet,dev]'

# valgrind for simulated cache counters where the CPU cannot count (most VMs): install it
# where this machine allows (Debian/Ubuntu as root); otherwise runs say why they have none.
if ! command -v valgrind >/dev/null 2>&1 && [ -z "${ACCEL_VALGRIND:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing valgrind with apt-get"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind) \
      >/dev/null || echo "apt-get could not install valgrind: counted runs will say so"
  else
    echo "valgrind is not installed and this machine cannot install it here:"
    echo "  where perf cannot count either, counted runs say so with the command that fixes it."
  fi
fi

# PyPy for the `pypy` backend: install it where this machine allows (Debian/Ubuntu as root),
# then a PyPy virtual environment inside .venv with numpy, where the backend looks first.
if ! command -v pypy3 >/dev/null 2>&1 && [ -z "${ACCEL_PYPY:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing pypy3 pypy3-venv with apt-get"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pypy3 pypy3-venv) \
      >/dev/null || echo "apt-get could not install pypy3: the pypy backend will say so"
  else
    echo "pypy3 is not installed and this machine cannot install it here:"
    echo "  the pypy backend will report itself unavailable with the command that fixes it."
  fi
fi
if [ -n "${ACCEL_PYPY:-}" ]; then
  echo "ACCEL_PYPY=$ACCEL_PYPY: the pypy backend uses that interpreter (nothing to install)"
elif command -v pypy3 >/dev/null 2>&1 && [ ! -x "$venv/pypy/bin/pypy3" ]; then
  say "creating the PyPy environment $venv/pypy (with numpy)"
  if pypy3 -m venv "$venv/pypy"; then
    "$venv/pypy/bin/pypy3" -m pip install "${pip_quiet[@]}" 'numpy<=2.0.2' \
      || echo "numpy did not install under PyPy (the pypy backend does not need it)"
  else
    rm -rf "$venv/pypy"
    echo "pypy3 -m venv failed (is pypy3-venv installed?): the pypy backend uses pypy3 from PATH"
  fi
fi

case "$mode" in
  demo)
    say "accel hardware"
    "$venv/bin/accel" hardware
    say "accel compare julia --preset book"
    "$venv/bin/accel" compare julia --preset book
    ;;
  test)
    say "python -m pytest"
    "$venv/bin/python" -m pytest "${@:2}"
    ;;
  *)
    echo "usage: bash scripts/bootstrap.sh [demo|test [pytest options]]" >&2
    exit 2
    ;;
esac
