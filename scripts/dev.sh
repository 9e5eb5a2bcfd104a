#!/usr/bin/env bash
# The project's one entry point: installs what is missing, configures, builds,
# and runs the main job or the tests. Safe to run again: each step is skipped
# when its result is already there.
#
#   scripts/dev.sh setup   install packages and the Python venv, configure, build
#   scripts/dev.sh demo    setup, then compile the bundled example (the main job)
#   scripts/dev.sh check   setup, then run every test (what CI runs)
#   scripts/dev.sh docs    setup, then refresh docs/generated from ODS
#
# Environment: BUILD_DIR (default build), JOBS (default: number of cores),
# CONVBN_SKIP_APT=1 to never call apt-get (then missing packages are errors).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
VENV="$ROOT/.venv"
LLVM_PREFIX=/usr/lib/llvm-22
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
PACKAGES=(libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22
          libclang-rt-22-dev ninja-build cmake python3-venv)

say() { printf '[convbn] %s\n' "$*"; }
die() { printf '[convbn] error: %s\n' "$*" >&2; exit 1; }

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
      || printf '%s ' "$p"
  done
}

install_packages() {
  command -v dpkg-query >/dev/null \
    || die "this set-up needs a Debian system (dpkg-query not found); install LLVM/MLIR 22 and point MLIR_DIR at it by hand"
  local missing
  missing="$(missing_packages)"
  [ -z "$missing" ] && return 0
  [ "${CONVBN_SKIP_APT:-0}" = 1 ] \
    && die "missing packages: $missing(CONVBN_SKIP_APT=1 forbids installing them)"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null \
      || die "missing packages: $missing; run as root or install them: apt-get install $missing"
    sudo="sudo"
  fi
  say "installing: $missing"
  $sudo apt-get update -qq \
    || die "apt-get update failed: check the network and /etc/apt/sources.list*"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null \
    || die "apt-get install $missing failed; LLVM/MLIR 22.1.8 come from Debian bookworm-security or newer"
  [ -f "$LLVM_PREFIX/lib/cmake/mlir/MLIRConfig.cmake" ] \
    || die "MLIR's CMake package is not at $LLVM_PREFIX/lib/cmake/mlir after installing libmlir-22-dev"
}

setup_venv() {
  local req="$ROOT/python/requirements.txt" stamp="$VENV/.requirements.sha256"
  local want
  want="$(cat "$req" "$ROOT/python/pyproject.toml" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  say "creating the Python environment in .venv"
  python3 -m venv "$VENV" || die "python3 -m venv failed (is python3-venv installed?)"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null \
    || die "pip could not upgrade itself: is PyPI reachable?"
  "$VENV/bin/python" -m pip install -q -r "$req" \
    || die "pip install -r python/requirements.txt failed: is PyPI reachable?"
  # The convbn package itself, editable: it finds the build through its
  # source location (or $CONVBN_BUILD_DIR).
  "$VENV/bin/python" -m pip install -q --no-deps -e "$ROOT/python" \
    || die "pip install -e python failed"
  echo "$want" > "$stamp"
}

configure() {
  [ -f "$BUILD_DIR/build.ninja" ] && return 0
  local cc=cc cxx=c++
  if command -v clang++-22 >/dev/null; then cc=clang-22; cxx=clang++-22; fi
  say "configuring $BUILD_DIR with $cxx"
  CC=$cc CXX=$cxx cmake -G Ninja -S "$ROOT" -B "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
    -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit" \
    -DPython3_EXECUTABLE="$VENV/bin/python" >/dev/null \
    || die "cmake configure failed; remove $BUILD_DIR and rerun to see why"
}

build() {
  ninja -C "$BUILD_DIR" -j"$JOBS" convbn-opt convbn-doc convbn_cuda_runtime convbn_cpu_runtime convbn_capi \
    || die "the build failed (see the compiler output above)"
}

setup() { install_packages; setup_venv; configure; build; }

case "${1:-setup}" in
  setup) setup ;;
  demo)
    setup
    "$ROOT/examples/run-demo.sh" "$BUILD_DIR" ;;
  check)
    setup
    status=0
    ninja -C "$BUILD_DIR" -j"$JOBS" check-convbn || status=$?
    if [ -f "$BUILD_DIR/conformance-report.txt" ]; then
      say "conformance against PyTorch (float64):"
      sed -n '/^worst relative error/,$p' "$BUILD_DIR/conformance-report.txt"
    fi
    exit $status ;;
  docs)
    setup
    cp "$BUILD_DIR"/docs/ConvBN/*.md "$ROOT/docs/generated/"
    say "docs/generated refreshed from ODS" ;;
  *) die "unknown command '$1' (expected setup, demo, check or docs)" ;;
esac
