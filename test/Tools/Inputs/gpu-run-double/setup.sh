#!/usr/bin/env bash
# setup.sh SOURCE_ROOT DEST: the scratch tree of gpu-run-short.test. The
# real scripts/gpu-run.sh as DEST/scripts/real.sh behind the test double,
# the conformance double, the real compare_builds.py, and an unpacked
# archive with a folder for every build `short` times (the doubles never
# look inside).
set -euo pipefail
src="$1" dest="$2" here="$(dirname "${BASH_SOURCE[0]}")"
rm -rf "$dest"
mkdir -p "$dest/scripts" "$dest/test/Conformance" "$dest/benchmarks" "$dest/out"
cp "$src/scripts/gpu-run.sh" "$dest/scripts/real.sh"
cp "$here/gpu-run.sh" "$dest/scripts/gpu-run.sh"
cp "$here/conformance.py" "$dest/test/Conformance/conformance.py"
cp "$src/benchmarks/compare_builds.py" "$dest/benchmarks/"
builds="$(sed -n 's/^SHORT_F32_BUILDS="\(.*\)"$/\1/p' "$src/scripts/gpu-run.sh")"
bf16="$(sed -n 's/^SHORT_BF16_BUILDS="\(.*\)"$/\1/p' "$src/scripts/gpu-run.sh")"
for build in $builds; do mkdir -p "$dest/art/unpacked/artifacts/bench-$build/batch64"; done
for build in $bf16; do mkdir -p "$dest/art/unpacked/artifacts/bench-$build-bf16/batch64"; done
