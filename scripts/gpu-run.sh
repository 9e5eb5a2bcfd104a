#!/usr/bin/env bash
# The GPU run in two steps, for a GPU machine that has PyTorch and the NVIDIA
# driver but no LLVM/MLIR:
#
#   scripts/gpu-run.sh build      # here: compile every conformance case and
#                                 # every benchmark block for sm_90 (host code
#                                 # + embedded cubins + the runtime library)
#                                 # into gpu-artifacts/artifacts.tar.xz
#   scripts/gpu-run.sh run        # on the GPU machine, from the repository
#                                 # root with gpu-artifacts/ beside it
#   scripts/gpu-run.sh bench 32   # then, there: the benchmark at batch 32
#   scripts/gpu-run.sh bench 64   # (one batch size per call)
#
# `run` executes the conformance suite on the GPU against PyTorch float64 and
# compute-sanitizer's memcheck on a representative forward + backward case
# (Inductor's Conv2d + BN, tune mode). `bench` runs benchmarks/convbn_bench.py
# (ResNet-50's conv + BN layers against cuDNN and torch.compile). Reports go
# to $OUT (or ./): gpu-conformance.txt, gpu-memcheck.txt, bench-bN.txt and
# bench-bN/bench.json (+ bench.png when matplotlib is there; else draw it
# here with convbn_bench.py --plot).
# The libraries compress about 70x (similar cubins), so the archive stays
# far below what travels with a run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARTIFACTS="$ROOT/gpu-artifacts"
REPORTS="${OUT:-$ROOT}"

case "${1:-}" in
  build)
    "$ROOT/scripts/dev.sh" setup
    rm -rf "$ARTIFACTS"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    "$ROOT/.venv/bin/python" "$ROOT/test/Conformance/conformance.py" \
      --target cuda --compile-only --workdir "$work/conformance"
    "$ROOT/.venv/bin/python" "$ROOT/benchmarks/convbn_bench.py" \
      --device cuda --build-only "$work/bench"
    # Only what the run needs travels.
    find "$work" -type f ! -name 'module.so' ! -name 'libconvbn_cuda_runtime.so' -delete
    mkdir -p "$ARTIFACTS"
    "$ROOT/.venv/bin/python" - "$work" "$ARTIFACTS/artifacts.tar.xz" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[2], "w:xz") as tar:
    tar.add(sys.argv[1], arcname="artifacts")
PY
    du -sh "$ARTIFACTS" ;;
  run)
    PYTHON="${PYTHON:-python3}"
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
    unpacked="$ARTIFACTS/unpacked"
    rm -rf "$unpacked"
    "$PYTHON" - "$ARTIFACTS/artifacts.tar.xz" "$unpacked" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as tar:
    tar.extractall(sys.argv[2], filter="data")
PY
    set -o pipefail
    status=0
    PYTHONUNBUFFERED=1 "$PYTHON" "$ROOT/test/Conformance/conformance.py" \
      --target cuda --prebuilt "$unpacked/artifacts/conformance" 2>&1 \
      | tee "$REPORTS/gpu-conformance.txt" || status=1
    compute-sanitizer --tool memcheck --error-exitcode 1 \
      "$PYTHON" "$ROOT/test/Conformance/conformance.py" --target cuda \
      --prebuilt "$unpacked/artifacts/conformance" --only inductor_conv2d_bias_tune 2>&1 \
      | tee "$REPORTS/gpu-memcheck.txt" || status=1
    exit $status ;;
  bench)
    # After `run` (which unpacks the archive); one batch size per call keeps
    # each call within the device's per-command limit.
    PYTHON="${PYTHON:-python3}"
    shift
    batches=("${@:-32}")
    for batch in "${batches[@]}"; do
      PYTHONUNBUFFERED=1 "$PYTHON" "$ROOT/benchmarks/convbn_bench.py" --device cuda \
        --batch "$batch" --prebuilt "$ARTIFACTS/unpacked/artifacts/bench" \
        --out "$REPORTS/bench-b$batch" 2>&1 | tee "$REPORTS/bench-b$batch.txt"
    done ;;
  *)
    echo "usage: scripts/gpu-run.sh build|run|bench [BATCH...]" >&2
    exit 2 ;;
esac
