#!/usr/bin/env bash
# The main job on the bundled example:
#  1. verify it, rewrite eval mode into tune mode, lower tune to a fold plus a
#     folded convolution, and print the IR;
#  2. print what each block keeps for backward, eval against tune;
#  3. compile it with the CPU pipeline to the LLVM dialect, and with the GPU
#     pipeline (kernels assembled by ptxas) where the CUDA toolkit is;
#  4. compile and run PyTorch Inductor's Conv2d + BatchNorm test configuration
#     (forward + backward, every mode) and compare with PyTorch float64.
#   examples/run-demo.sh [BUILD_DIR] [INPUT.mlir]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${1:-$ROOT/build}"
INPUT="${2:-$ROOT/examples/transfer_step.mlir}"
OPT="$BUILD_DIR/bin/convbn-opt"
PYTHON="$ROOT/.venv/bin/python"

echo "== 1. $(basename "$INPUT"): eval mode, verified; after -convbn-eval-to-tune -convbn-decompose-tune -canonicalize"
"$OPT" "$INPUT" -convbn-eval-to-tune -convbn-decompose-tune -canonicalize

echo "== 2. memory kept for backward (-convbn-memory-report)"
"$OPT" "$INPUT" -convbn-memory-report -o /dev/null

echo "== 3. -convbn-cpu-pipeline: convbn -> linalg -> loops -> LLVM dialect"
"$OPT" "$INPUT" -convbn-cpu-pipeline -o "$BUILD_DIR/demo.llvm.mlir"
echo "wrote $BUILD_DIR/demo.llvm.mlir ($(grep -c 'llvm\.' "$BUILD_DIR/demo.llvm.mlir") LLVM dialect ops)"

if [ -x /usr/local/cuda/bin/ptxas ]; then
  echo "== 3'. -convbn-gpu-pipeline=format=bin: every loop nest a kernel, assembled by ptxas for sm_90"
  "$OPT" "$INPUT" -convbn-gpu-pipeline="format=bin" -o "$BUILD_DIR/demo.gpu.mlir"
  echo "wrote $BUILD_DIR/demo.gpu.mlir ($(grep -c 'gpu.binary @' "$BUILD_DIR/demo.gpu.mlir") kernels)"
fi

echo "== 4. Conv2d(3 -> 32, k3, s2) + BatchNorm2d, 4 x 3 x 96 x 96, every mode, against PyTorch float64"
CONVBN_BUILD_DIR="$BUILD_DIR" "$PYTHON" "$ROOT/test/Conformance/conformance.py" --only inductor_conv2d
