#!/usr/bin/env bash
# The main job on the bundled example: verify it, rewrite eval mode into tune
# mode, and lower tune to a fold plus a folded convolution. Prints the IR.
#   examples/run-demo.sh [BUILD_DIR] [INPUT.mlir]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${1:-$ROOT/build}"
INPUT="${2:-$ROOT/examples/transfer_step.mlir}"
OPT="$BUILD_DIR/bin/convbn-opt"

echo "== input: $(basename "$INPUT") (eval mode), verified"
"$OPT" "$INPUT" >/dev/null
echo "== after -convbn-eval-to-tune -convbn-decompose-tune -canonicalize"
"$OPT" "$INPUT" -convbn-eval-to-tune -convbn-decompose-tune -canonicalize
