#!/usr/bin/env bash
# Every GPU check in one command, on a fresh machine with an NVIDIA GPU and this working
# tree: set up .venv with the torch, cuda and dev extras, then
#   accel hardware --measure      (device roofs, host<->device copies, PCIe under load)
#   accel selftest --gpu          (every GPU backend on every kernel, checked on the CPU)
#   the book comparisons          (accel compare KERNEL --preset book on the GPU backends)
#   pytest -m gpu                 (the tests that need a real GPU)
#   python -m benchmarks --only gpu --quick
#   diffusion's CUDA-graph variants beside their backends (accel compare --variant)
# each with a timeout, all within a budget of 530 s (under 9 minutes with start-up): a
# step that no longer fits is skipped and said so, never run past the budget (a step's
# limit leaves room for its kill grace within the budget). Every output goes to one
# folder (a relative OUT is taken from where the command runs):
#   bash scripts/gpu_check.sh [OUT]       # OUT defaults to gpu-check-<UTC time>
# GPU_CHECK_BUDGET_S sets the budget, PYTHON the interpreter that makes .venv,
# GPU_CHECK_VENV another venv to use instead of .venv.
# Exit code: 0 when every step exited 0; 1 when one failed or timed out; 2 when there is
# no NVIDIA GPU here (nothing run). summary.txt in OUT lists each step, its exit code and
# its time; a step the budget could not fit says "skipped".
set -uo pipefail
out="${1:-gpu-check-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out" || { echo "gpu_check: cannot create $out" >&2; exit 1; }
out=$(cd "$out" && pwd)  # absolute: accel's workers and pytest run in other folders
cd "$(dirname "$0")/.."
budget="${GPU_CHECK_BUDGET_S:-530}"
python="${PYTHON:-python3}"
venv="${GPU_CHECK_VENV:-.venv}"  # another venv (absolute path): the tests' stand-in
# Seconds a step gets after its time limit to exit before it is killed.
grace=10
# A GPU check on the GPU: Numba's simulator, if the caller's shell enables it, would run
# every numba_cuda kernel on the CPU.
unset NUMBA_ENABLE_CUDASIM
summary="$out/summary.txt"
: >"$summary"
started=$(date +%s)
failed=0

note() { printf '%s\n' "$*" | tee -a "$summary"; }

if ! command -v nvidia-smi >/dev/null 2>&1; then
  note "no NVIDIA GPU here: nvidia-smi not found (install the NVIDIA driver); nothing run"
  exit 2
fi
# nvidia-smi hangs where the driver is wedged: every call outside a step has a limit too
if ! timeout --kill-after=5 30 nvidia-smi -L >"$out/nvidia-smi.txt" 2>&1 ||
  ! grep -q '^GPU' "$out/nvidia-smi.txt"; then
  note "no NVIDIA GPU here: nvidia-smi lists none (see $out/nvidia-smi.txt); nothing run"
  exit 2
fi
timeout --kill-after=5 30 nvidia-smi -q >"$out/nvidia-smi-q.txt" 2>&1

# step NAME LIMIT_S COMMAND...: run COMMAND with at most LIMIT_S seconds (less when the
# budget has less left), its output in OUT/NAME.txt, its exit code in the summary.
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((budget - ($(date +%s) - started) - grace))
  if [ "$left" -lt 10 ]; then
    note "$name: skipped (budget of ${budget} s spent)"
    failed=1
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  local begin=$(date +%s)
  timeout --kill-after="$grace" "$limit" "$@" >"$out/$name.txt" 2>&1
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

export ACCEL_HOME="$out/accel-home"  # the store of this check, kept with its outputs
if [ ! -x "$venv/bin/python" ]; then
  timeout --kill-after=5 60 "$python" -m venv "$venv" >"$out/venv.txt" 2>&1 ||
    { note "setup: cannot create $venv (see $out/venv.txt)"; exit 1; }
fi
step setup 150 "$venv/bin/python" -m pip install --disable-pip-version-check -e '.[torch,cuda,dev]'
accel="$venv/bin/accel"

step backends 30 "$accel" backends
step hardware 70 "$accel" hardware --measure --json
step selftest 150 "$accel" selftest --gpu
book=numba_parallel,numba_cuda,cupy,torch_cuda
for kernel in julia diffusion norm pi primes; do
  step "book-$kernel" 25 "$accel" compare "$kernel" --preset book --backends "$book" --repeats 3
done
step pytest-gpu 180 "$venv/bin/python" -m pytest -m gpu -q -p no:cacheprovider
step benchmarks 90 "$venv/bin/python" -m benchmarks --only gpu --quick --out "$out/benchmarks"
# last, so they never crowd out the checks above: diffusion's launch per step beside the
# same steps in one CUDA graph, for the lecture's launch-overhead lesson
for graph in torch_cuda:torch_graph cupy:cupy_graph; do
  step "book-diffusion-${graph#*:}" 25 "$accel" compare diffusion --preset book \
    --backends "${graph%%:*}" --variant "${graph#*:}" --repeats 3
done

note "total: $(($(date +%s) - started)) s; outputs in $out"
exit "$failed"
