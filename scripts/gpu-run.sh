#!/usr/bin/env bash
# The GPU run in two steps, for a GPU machine that has PyTorch and the NVIDIA
# driver but no LLVM/MLIR:
#
#   scripts/gpu-run.sh build      # here: compile every conformance case for
#                                 # sm_90 into gpu-artifacts/ (host code +
#                                 # embedded cubins + the runtime library)
#   scripts/gpu-run.sh run        # on the GPU machine, from the repository
#                                 # root with gpu-artifacts/ beside it
#
# `run` executes the conformance suite on the GPU against PyTorch float64,
# then compute-sanitizer's memcheck on a representative forward + backward
# case (Inductor's Conv2d + BN, tune mode); reports go to $OUT (or ./) as
# gpu-conformance.txt and gpu-memcheck.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARTIFACTS="$ROOT/gpu-artifacts"
REPORTS="${OUT:-$ROOT}"

case "${1:-}" in
  build)
    "$ROOT/scripts/dev.sh" setup
    rm -rf "$ARTIFACTS"
    "$ROOT/.venv/bin/python" "$ROOT/test/Conformance/conformance.py" \
      --target cuda --compile-only --workdir "$ARTIFACTS"
    # Only what the run needs travels.
    find "$ARTIFACTS" -type f ! -name 'module.so' ! -name 'libconvbn_cuda_runtime.so' -delete
    du -sh "$ARTIFACTS" ;;
  run)
    PYTHON="${PYTHON:-python3}"
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
    set -o pipefail
    PYTHONUNBUFFERED=1 "$PYTHON" "$ROOT/test/Conformance/conformance.py" \
      --target cuda --prebuilt "$ARTIFACTS" 2>&1 | tee "$REPORTS/gpu-conformance.txt"
    compute-sanitizer --tool memcheck --error-exitcode 1 \
      "$PYTHON" "$ROOT/test/Conformance/conformance.py" --target cuda \
      --prebuilt "$ARTIFACTS" --only inductor_conv2d_bias_tune 2>&1 \
      | tee "$REPORTS/gpu-memcheck.txt" ;;
  *)
    echo "usage: scripts/gpu-run.sh build|run" >&2
    exit 2 ;;
esac
