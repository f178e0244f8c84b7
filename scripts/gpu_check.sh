#!/usr/bin/env bash
# Every GPU check in one command, on a fresh machine with an NVIDIA GPU and this working
# tree: set up .venv with the torch, cuda and dev extras, then
#   accel hardware --measure      (device roofs, host<->device copies, PCIe under load)
#   accel selftest --gpu          (every GPU backend on every kernel, checked on the CPU)
#   the book comparisons          (accel compare KERNEL --preset book on the GPU backends)
#   pytest -m gpu                 (the tests that need a real GPU)
#   python -m benchmarks --only gpu --quick
# each with a timeout, all within a budget of 530 s (under 9 minutes with start-up): a
# step that no longer fits is skipped and said so, never run past the budget. Every
# output goes to one folder:
#   bash scripts/gpu_check.sh [OUT]       # OUT defaults to gpu-check-<UTC time>
# Exit code: 0 when every step exited 0; 1 when one failed or timed out; 2 when there is
# no NVIDIA GPU here (nothing run). summary.txt in OUT lists each step, its exit code and
# its time; a step the budget could not fit says "skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-gpu-check-$(date -u +%Y%m%dT%H%M%SZ)}"
budget="${GPU_CHECK_BUDGET_S:-530}"
python="${PYTHON:-python3}"
venv=.venv
mkdir -p "$out"
summary="$out/summary.txt"
: >"$summary"
started=$(date +%s)
failed=0

note() { printf '%s\n' "$*" | tee -a "$summary"; }

if ! command -v nvidia-smi >/dev/null 2>&1; then
  note "no NVIDIA GPU here: nvidia-smi not found (install the NVIDIA driver); nothing run"
  exit 2
fi
if ! nvidia-smi -L >"$out/nvidia-smi.txt" 2>&1 || ! grep -q '^GPU' "$out/nvidia-smi.txt"; then
  note "no NVIDIA GPU here: nvidia-smi lists none (see $out/nvidia-smi.txt); nothing run"
  exit 2
fi
nvidia-smi -q >"$out/nvidia-smi-q.txt" 2>&1

# step NAME LIMIT_S COMMAND...: run COMMAND with at most LIMIT_S seconds (less when the
# budget has less left), its output in OUT/NAME.txt, its exit code in the summary.
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((budget - ($(date +%s) - started)))
  if [ "$left" -lt 10 ]; then
    note "$name: skipped (budget of ${budget} s spent)"
    failed=1
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  local begin=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" >"$out/$name.txt" 2>&1
  local code=$?
  local took=$(($(date +%s) - begin))
  if [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; then
    note "$name: timed out after ${limit} s"
    failed=1
  else
    note "$name: exit $code in ${took} s"
    [ "$code" -ne 0 ] && failed=1
  fi
}

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv" >"$out/venv.txt" 2>&1 || { note "setup: cannot create $venv"; exit 1; }
fi
step setup 150 "$venv/bin/python" -m pip install --disable-pip-version-check -e '.[torch,cuda,dev]'
accel="$venv/bin/accel"
export ACCEL_HOME="$out/accel-home"  # the store of this check, kept with its outputs

step backends 30 "$accel" backends
step hardware 70 "$accel" hardware --measure --json
step selftest 150 "$accel" selftest --gpu
book=numba_parallel,numba_cuda,cupy,torch_cuda
for kernel in julia diffusion norm pi primes; do
  step "book-$kernel" 25 "$accel" compare "$kernel" --preset book --backends "$book" --repeats 3
done
step pytest-gpu 180 "$venv/bin/python" -m pytest -m gpu -q -p no:cacheprovider
step benchmarks 90 "$venv/bin/python" -m benchmarks --only gpu --quick --out "$out/benchmarks"

note "total: $(($(date +%s) - started)) s; outputs in $out"
exit "$failed"
