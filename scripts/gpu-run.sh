#!/usr/bin/env bash
# The GPU run in two steps, for a GPU machine that has PyTorch and the NVIDIA
# driver but no LLVM/MLIR:
#
#   scripts/gpu-run.sh build      # here: compile every conformance case and
#                                 # every benchmark block for sm_90 (host code
#                                 # + embedded cubins + the runtime library)
#                                 # into gpu-artifacts/artifacts.tar.xz
#   scripts/gpu-run.sh build checks bench   # only those parts (of checks,
#                                 # bench, bf16, plain, variants): what `run`
#                                 # and the default `bench` need
#   scripts/gpu-run.sh short 64   # on the GPU machine, first where device
#                                 # time is short: in one call of at most
#                                 # SHORT_SECONDS (540), the tensor-core
#                                 # conformance suite, then our tune in the
#                                 # candidate builds against each other
#                                 # (benchmarks/compare_builds.py) and the
#                                 # fastest build's table (needs build
#                                 # short, or checks bench bf16)
#   scripts/gpu-run.sh run        # on the GPU machine, from the repository
#                                 # root with gpu-artifacts/ beside it
#   scripts/gpu-run.sh sanitize   # then, there: compute-sanitizer
#   scripts/gpu-run.sh profile    # there: Nsight Compute on the tensor-core
#                                 # kernels of two 3x3 layers (throughput by
#                                 # unit, sectors, bank conflicts, stalls;
#                                 # BENCH_KERNELS=tc-copies: that build's)
#   BENCH_QUICK=1 scripts/gpu-run.sh bench 32   # there: the table first, no
#                                 # torch.compile or whole network (fits
#                                 # a short device budget)
#   scripts/gpu-run.sh compare    # there: our tune alone, build against
#                                 # build (tc, tc-splitkconv, tc-nosplitk,
#                                 # tc-perimage, tc-fcopies, tc-copies,
#                                 # tc-k128, tc-k128r), every batch each was
#                                 # built for
#   BENCH_DTYPE=bf16 scripts/gpu-run.sh compare   # there: the same in bf16,
#                                 # tc against tc-narrowk (K steps of 16)
#                                 # and tc-k128 (64)
#   scripts/gpu-run.sh bench 32   # then, there: the benchmark at batch 32
#   scripts/gpu-run.sh bench 64   # (one batch size per call)
#   BENCH_DTYPE=bf16 scripts/gpu-run.sh bench 32   # bf16 activations/weights
#
# `run` executes the conformance suite on the GPU against PyTorch float64,
# twice: the default kernels, then with convolutions on tensor cores
# (tensor-cores=true, f32 as TF32); then ResNet-50 through convbn.load
# (tune, eval, tune on tensor cores), forward and gradients against float64. `sanitize` runs compute-sanitizer's
# memcheck on a representative forward + backward case (Inductor's Conv2d +
# BN, tune mode), and memcheck, racecheck and synccheck on a tensor-core
# case.
# `bench` runs benchmarks/convbn_bench.py (ResNet-50's conv + BN layers
# against cuDNN and torch.compile), with the tensor-core kernels unless
# BENCH_KERNELS=plain, in f32 unless BENCH_DTYPE=bf16 (tensor cores only);
# with the f32 tensor-core kernels, also the whole ResNet-50 forward +
# backward (compiled here, attached there with convbn.load).
# Reports go to $OUT (or ./): gpu-conformance*.txt, gpu-resnet50-*.txt, gpu-*check*.txt,
# bench-tc-bN.txt and bench-tc-bN/bench.json (bench-tc-bf16-bN*; + bench.png
# when matplotlib is there; else draw it here with convbn_bench.py --plot).
# The libraries compress about 70x (similar cubins), so the archive stays
# far below what travels with a run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARTIFACTS="${GPU_ARTIFACTS:-$ROOT/gpu-artifacts}"
# The copies configuration (3x3 filters in (f, kh, kw, c) order, their
# inputs in (n, h, w, c) order, both read by cp.async): built and checked
# by `build`/`run`, timed by BENCH_KERNELS=tc-copies; the filters' copies
# alone by BENCH_KERNELS=tc-fcopies.
COPIES_OPTIONS="tensor-core-filter-copies=true tensor-core-input-copies=true tensor-core-async-copies=true"
FILTER_COPIES_OPTIONS="tensor-core-filter-copies=true tensor-core-async-copies=true"
# The conformance cases that take K steps of 128 bytes in `checks`: 3x3
# windows of 64 and 32 channels (steps of 32 f32 or 64 bf16 elements), K
# tails, several window offsets per step, a split filter gradient.
K128_CASES="tiles_tail_f32,tiles_window_f32,tiles_window_bf16,tiles_strided_bf16,tiles_stem_f32,tiles_split_k_f32"
# The conformance cases whose kernels take 3 or 4 stages with the copies
# (tensor-core-stages): 3x3 windows (forward and backward-data, both
# operands copied), a split 1x1 filter gradient (ranges of 8 steps, the
# last ones' copies ahead zero-fills), a K tail.
STAGES_CASES="tiles_window_f32,tiles_window_bf16,tiles_window_strided_f32,tiles_split_k_f32,tiles_tail_f32"
# The conformance cases whose GEMMs have more than 64 rows, backward-data
# included in one (cases.tall_cases): the 128-row blocks' cases, since a
# kernel of 64 rows or fewer keeps 64.
TALL_CASES="tall_"
# Up to 96 KiB of shared memory per kernel (tensor-core-max-shared-bytes),
# dynamic above 48 KiB: 128-row blocks keep K steps of 128 bytes.
DYNAMIC_BYTES=98304

# The pipeline options of each tensor-core build beside the default (tc):
# what `build` compiles it with, and what `bench` labels its results with
# (BENCH_KERNELS). Fails for a name that is not one.
variant_options() {
  case "$1" in
    tc-nomerge) echo merge-kernels=false ;;
    tc-recompute) echo recompute-producers=true ;;
    tc-noprefetch) echo tensor-core-prefetch=false ;;
    tc-wide) echo narrow-indices=false ;;
    tc-m64|tc-m128) echo "tensor-core-block-m=${1#tc-m}" ;;
    tc-scalar) echo tensor-core-vector-gathers=false ;;
    tc-async) echo tensor-core-async-copies=true ;;
    tc-copies) echo "$COPIES_OPTIONS" ;;
    tc-fcopies) echo "$FILTER_COPIES_OPTIONS" ;;
    tc-nosplitk) echo tensor-core-split-k=false ;;
    tc-perimage) echo tensor-core-images-along-n=false ;;
    tc-narrowk) echo tensor-core-k-step-bytes=32 ;;
    tc-k128) echo tensor-core-k-step-bytes=128 ;;
    tc-k128r) echo "tensor-core-k-step-bytes=128 tensor-core-max-registers=128" ;;
    tc-copiesk128) echo "$COPIES_OPTIONS tensor-core-k-step-bytes=128" ;;
    tc-copies3|tc-copies4) echo "$COPIES_OPTIONS tensor-core-stages=${1#tc-copies}" ;;
    tc-copies3-b6) echo "$COPIES_OPTIONS tensor-core-stages=3 tensor-core-blocks-per-sm=6" ;;
    tc-copies3-b6-fg) echo "$COPIES_OPTIONS tensor-core-stages=3 tensor-core-blocks-per-sm=6 tensor-core-filter-gradient-input-copies=true" ;;
    tc-k128d) echo "tensor-core-k-step-bytes=128 tensor-core-max-shared-bytes=$DYNAMIC_BYTES" ;;
    tc-splitkconv) echo tensor-core-split-k-convolutions=true ;;
    tc-n128) echo "$COPIES_OPTIONS tensor-core-stages=3 tensor-core-block-n=128 tensor-core-max-shared-bytes=$DYNAMIC_BYTES" ;;
    tc-mn128) echo "$COPIES_OPTIONS tensor-core-stages=3 tensor-core-block-m=128 tensor-core-block-n=128 tensor-core-max-shared-bytes=$DYNAMIC_BYTES" ;;
    tc-mn128-skc) echo "$(variant_options tc-mn128) tensor-core-split-k-convolutions=true" ;;
    *) return 1 ;;
  esac
}
# The tensor-core conformance sets beside the default kernels' suite: the
# candidate builds whose cases `build` compiles, `run` checks and `short`
# checks for the fastest build.
CONFORMANCE_SETS="tc-copies tc-k128 tc-copiesk128 tc-copies3 tc-copies3-b6 tc-copies3-b6-fg tc-copies4 tc-k128d tc-n128 tc-mn128 tc-mn128-skc"
# conformance_set NAME: set_cases and set_options of the set NAME (one of
# CONFORMANCE_SETS; fails for another name), built with NAME's options:
#   tc-copies: the 3x3 cases with their filters read in (f, kh, kw, c)
#     order and their inputs in (n, h, w, c) order, with cp.async;
#   tc-k128: K steps of 128 bytes (32 f32 or 64 16-bit elements a step,
#     the output tile over the operand tiles);
#   tc-copiesk128: both, on the 3x3 cases;
#   tc-copies3, tc-copies4: the copies with 3 and 4 stages of tiles;
#   tc-copies3-b6: tc-copies3 laid out for 6 blocks an SM (the output
#     tile over the operand tiles, ptxas's registers fitted to 6 blocks);
#   tc-copies3-b6-fg: tc-copies3-b6 with the filter gradients reading the
#     input's channels-last copy too;
#   tc-k128d: 128-row blocks (forced) with K steps of 128 bytes, in
#     dynamic shared memory;
#   tc-n128, tc-mn128: the copies with 3 stages in blocks of 128 columns
#     (warps 64 columns wide), with 128 rows too in tc-mn128 (warps of
#     64 x 64), in dynamic shared memory where they take more than 48 KiB;
#   tc-mn128-skc: tc-mn128 with the convolutions' K split where their
#     grids have few blocks (tensor-core-split-k-convolutions).
# and set_random: conformance.py's arguments for the random cases a set
# adds (RANDOM_TILES, in the sets of the builds `short` times first).
RANDOM_TILES="--random-tiles 6 --seed 1"
conformance_set() {
  set_options="$(variant_options "$1")" || return 1
  set_random=""
  case "$1" in
    tc-copies|tc-copiesk128) set_cases=tiles_window ;;
    tc-k128) set_cases="$K128_CASES" ;;
    tc-copies3|tc-copies3-b6|tc-copies3-b6-fg)
      set_cases="$STAGES_CASES,random_tiles"
      set_random="$RANDOM_TILES" ;;
    tc-copies4|tc-n128) set_cases="$STAGES_CASES" ;;
    tc-mn128|tc-mn128-skc) set_cases="$STAGES_CASES,$TALL_CASES" ;;
    tc-k128d) set_cases="$K128_CASES,$TALL_CASES"; set_options="$set_options tensor-core-block-m=128" ;;
    *) return 1 ;;
  esac
}
# The builds `short` times (f32, then bf16) at its batch, the most
# promising by the offline evidence first, and among the first three one
# build per distinct idea (operand copies; copies in 128 x 128 blocks),
# then tc-mn128 with its few-block grids split along K: those a short call
# has no time left for are skipped.
SHORT_F32_BUILDS="tc tc-copies3-b6 tc-mn128 tc-mn128-skc tc-copies3 tc-copies3-b6-fg tc-n128 tc-copies tc-copiesk128 tc-k128d tc-copies4 tc-k128 tc-splitkconv"
SHORT_BF16_BUILDS="tc tc-mn128 tc-k128 tc-k128d tc-copiesk128"
REPORTS="${OUT:-$ROOT}"

# The archive into $ARTIFACTS/unpacked ($PYTHON's tarfile: no xz tool needed).
unpack() {
  "$PYTHON" - "$ARTIFACTS/artifacts.tar.xz" "$ARTIFACTS/unpacked" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1]) as tar:
    tar.extractall(sys.argv[2], filter="data")
PY
}

case "${1:-}" in
  build)
    # `build [PART...]`: every part unless some are named (checks, bench,
    # bf16, plain, variants; the first two are what `run` and the default
    # `bench` need, so a short lease can start on them while the rest
    # still builds). `build short` alone is what `short` needs (about 25
    # minutes here): the tensor-core conformance cases and the candidate
    # builds at batch 64.
    shift
    parts=("${@:-checks bench bf16 plain variants}")
    parts=(${parts[*]})
    wants() { local p; for p in "${parts[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }
    for part in "${parts[@]}"; do
      case "$part" in checks|bench|bf16|plain|variants|short) ;;
        *) echo "gpu-run.sh: build parts are checks, bench, bf16, plain, variants and short" >&2; exit 2 ;;
      esac
    done
    "$ROOT/scripts/dev.sh" setup
    rm -rf "$ARTIFACTS"
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    py() { "$ROOT/.venv/bin/python" "$@"; }
    bench_variant() {  # NAME [BATCH...]: the tensor-core build NAME (batch 32 unless given)
      local name="$1" options
      options="$(variant_options "$name")" ||
        { echo "gpu-run.sh: no tensor-core build $name" >&2; return 1; }
      shift
      local batches=("${@:-32}")
      py "$ROOT/benchmarks/convbn_bench.py" --device cuda --batch "${batches[@]}" \
        --build-only "$work/bench-$name${BUILD_DTYPE:+-$BUILD_DTYPE}" --tensor-cores \
        --pipeline-options "$options" ${BUILD_DTYPE:+--dtype "$BUILD_DTYPE"}
    }
    # The tensor-core conformance cases: every case with the default
    # kernels, and each candidate build's cases with its options.
    tc_conformance() {
      py "$ROOT/test/Conformance/conformance.py" \
        --target cuda --compile-only --workdir "$work/conformance-tc" --tensor-cores
      local name
      for name in $CONFORMANCE_SETS; do
        conformance_set "$name"
        # shellcheck disable=SC2086  # set_random: arguments, word-split
        py "$ROOT/test/Conformance/conformance.py" \
          --target cuda --compile-only --workdir "$work/conformance-$name" --tensor-cores \
          --only "$set_cases" --pipeline-options "$set_options" $set_random
      done
    }
    if wants checks; then
      py "$ROOT/test/Conformance/conformance.py" \
        --target cuda --compile-only --workdir "$work/conformance"
      tc_conformance
      # The cases whose operands take the vector paths, with those vectors
      # copied by cp.async (tensor-core-async-copies, off by default).
      py "$ROOT/test/Conformance/conformance.py" \
        --target cuda --compile-only --workdir "$work/conformance-tc-async" --tensor-cores \
        --only tiles_exact,tiles_tail --pipeline-options tensor-core-async-copies=true
      # ResNet-50 through the PyTorch flow, checked there against float64:
      # tune and eval, tune on tensor cores, and tune on tensor cores with
      # the operand copies.
      for variant in tune eval tune-tc tune-tc-copies; do
        flags=(--mode "${variant%%-*}")
        case "$variant" in *-tc*) flags+=(--tensor-cores) ;; esac
        [ "$variant" = tune-tc-copies ] && flags+=(--pipeline-options "$COPIES_OPTIONS")
        PYTHONPATH="$ROOT/python" py "$ROOT/test/Torch/network_parity.py" \
          resnet50 --expect-raised 53 --target cuda "${flags[@]}" \
          --save "$work/parity/resnet50-$variant"
      done
      # The tensor-core kernels' aligned-buffer contract, with tensors at an
      # offset (test/Tools/gpu-alignment.test).
      py "$ROOT/test/Tools/Inputs/gpu_alignment.py" "$work/alignment" --compile-only
    fi
    if wants bench; then
      py "$ROOT/benchmarks/convbn_bench.py" \
        --device cuda --build-only "$work/bench-tc" --tensor-cores --whole-network
      # The experiments that the H200 profile points to
      # (BENCH_KERNELS=tc-copies, tc-fcopies), split-K for the
      # convolutions too (tc-splitkconv), and the default's split-K and
      # images along N left out (tc-nosplitk, tc-perimage).
      bench_variant tc-copies 32 64
      bench_variant tc-splitkconv 32 64
      # K steps of 128 bytes (32 f32 elements), at batch 32 and 64, and
      # the same with up to 128 registers per thread (ptxas would give
      # them about 80 for the occupancy of 36 KiB of shared memory).
      bench_variant tc-k128 32 64
      bench_variant tc-k128r 32 64
      # Both: the operand copies with K steps of 128 bytes.
      bench_variant tc-copiesk128 32 64
      # The operand copies with 3 stages of tiles (batch 32 and 64) and 4
      # (batch 64).
      bench_variant tc-copies3 32 64
      bench_variant tc-copies4 64
      # tc-copies3 with 6 blocks an SM instead of 4 (batch 32 and 64).
      bench_variant tc-copies3-b6 32 64
      # The same with the filter gradients reading the input's
      # channels-last copy (fewer sectors, more index arithmetic).
      bench_variant tc-copies3-b6-fg 32 64
      # K steps of 128 bytes with up to 96 KiB of shared memory (128-row
      # blocks where the grid is large), batch 64.
      bench_variant tc-k128d 64
      # The copies with 3 stages in blocks of 128 columns, and of 128 x 128
      # (warps of 64 x 64), batch 32 and 64.
      bench_variant tc-n128 32 64
      bench_variant tc-mn128 32 64
      # tc-mn128 with the convolutions' few-block grids split along K.
      bench_variant tc-mn128-skc 64
      bench_variant tc-fcopies
      bench_variant tc-nosplitk
      bench_variant tc-perimage
    fi
    if wants bf16; then
      py "$ROOT/benchmarks/convbn_bench.py" \
        --device cuda --build-only "$work/bench-tc-bf16" --tensor-cores --dtype bf16
      # bf16 with K steps of 16 elements instead of 32 (tc-narrowk, bf16
      # only: f32's steps are 16 either way) and of 64 (tc-k128), at batch
      # 32 and 64.
      BUILD_DTYPE=bf16 bench_variant tc-narrowk 32 64
      BUILD_DTYPE=bf16 bench_variant tc-k128 32 64
      BUILD_DTYPE=bf16 bench_variant tc-copiesk128 32 64
      BUILD_DTYPE=bf16 bench_variant tc-k128d 64
      BUILD_DTYPE=bf16 bench_variant tc-mn128 64
    fi
    if wants short && ! wants checks && ! wants bench && ! wants bf16; then
      tc_conformance
      # The builds `short` compares, at batch 64 (f32, then bf16).
      py "$ROOT/benchmarks/convbn_bench.py" \
        --device cuda --batch 64 --build-only "$work/bench-tc" --tensor-cores
      for name in $SHORT_F32_BUILDS; do
        [ "$name" = tc ] || bench_variant "$name" 64
      done
      py "$ROOT/benchmarks/convbn_bench.py" \
        --device cuda --batch 64 --build-only "$work/bench-tc-bf16" --tensor-cores --dtype bf16
      for name in $SHORT_BF16_BUILDS; do
        [ "$name" = tc ] && continue
        BUILD_DTYPE=bf16 bench_variant "$name" 64
      done
    fi
    if wants plain; then  # the loop-nest kernels at both batches
      py "$ROOT/benchmarks/convbn_bench.py" --device cuda --build-only "$work/bench"
    fi
    if wants variants; then
      # Pipeline choices to compare, at batch 32 (BENCH_KERNELS=tc-nomerge,
      # tc-recompute, tc-noprefetch, tc-wide, tc-m64, tc-m128, tc-scalar,
      # tc-async; tc-copies, tc-fcopies, tc-splitkconv, tc-nosplitk,
      # tc-perimage, tc-k128 and tc-k128r are built with bench, tc-narrowk
      # and tc-k128 with bf16).
      for variant in tc-nomerge tc-recompute tc-noprefetch tc-wide tc-m64 \
                     tc-m128 tc-scalar tc-async; do
        bench_variant "$variant"
      done
    fi
    # Only what the run needs travels: the libraries, the signatures that
    # CompiledModule.call checks tensors against, and the saved networks'
    # model.json for convbn.load.
    find "$work" -type f ! -name 'module.so' ! -name 'libconvbn_cuda_runtime.so' \
      ! -name 'signatures.json' ! -name 'model.json' -delete
    mkdir -p "$ARTIFACTS"
    py - "$work" "$ARTIFACTS/artifacts.tar.xz" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[2], "w:xz") as tar:
    tar.add(sys.argv[1], arcname="artifacts")
PY
    echo "built: ${parts[*]}"
    du -sh "$ARTIFACTS" ;;
  run)
    PYTHON="${PYTHON:-python3}"
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
    unpacked="$ARTIFACTS/unpacked"
    rm -rf "$unpacked"
    unpack
    set -o pipefail
    status=0
    PYTHONUNBUFFERED=1 "$PYTHON" "$ROOT/test/Conformance/conformance.py" \
      --target cuda --prebuilt "$unpacked/artifacts/conformance" 2>&1 \
      | tee "$REPORTS/gpu-conformance.txt" || status=1
    PYTHONUNBUFFERED=1 "$PYTHON" "$ROOT/test/Conformance/conformance.py" \
      --target cuda --tensor-cores --prebuilt "$unpacked/artifacts/conformance-tc" 2>&1 \
      | tee "$REPORTS/gpu-conformance-tensor-cores.txt" || status=1
    PYTHONUNBUFFERED=1 "$PYTHON" "$ROOT/test/Conformance/conformance.py" \
      --target cuda --tensor-cores --prebuilt "$unpacked/artifacts/conformance-tc-async" \
      --only tiles_exact,tiles_tail --pipeline-options tensor-core-async-copies=true 2>&1 \
      | tee "$REPORTS/gpu-conformance-tensor-cores-async.txt" || status=1
    for name in $CONFORMANCE_SETS; do
      conformance_set "$name"
      if [ ! -d "$unpacked/artifacts/conformance-$name" ]; then
        echo "gpu-run.sh: no conformance-$name in the archive" >&2
        status=1
        continue
      fi
      # shellcheck disable=SC2086  # set_random: arguments, word-split
      PYTHONUNBUFFERED=1 "$PYTHON" "$ROOT/test/Conformance/conformance.py" \
        --target cuda --tensor-cores --prebuilt "$unpacked/artifacts/conformance-$name" \
        --only "$set_cases" --pipeline-options "$set_options" $set_random 2>&1 \
        | tee "$REPORTS/gpu-conformance-tensor-cores-${name#tc-}.txt" || status=1
    done
    # ResNet-50 (batch 2, 64x64) attached with convbn.load: output and every
    # gradient against float64 (TF32 tensor cores held to 3e-2; the
    # operand copies' build where the archive has it).
    for variant in tune eval tune-tc tune-tc-copies; do
      [ -d "$unpacked/artifacts/parity/resnet50-$variant" ] || continue
      PYTHONPATH="$ROOT/python" PYTHONUNBUFFERED=1 "$PYTHON" "$ROOT/test/Torch/network_parity.py" \
        resnet50 --expect-raised 53 --target cuda --mode "${variant%%-*}" \
        $(case "$variant" in *-tc*) echo --tolerance 3e-2 ;; esac) \
        --load "$unpacked/artifacts/parity/resnet50-$variant" 2>&1 \
        | tee "$REPORTS/gpu-resnet50-$variant.txt" || status=1
    done
    PYTHONPATH="$ROOT/python" "$PYTHON" "$ROOT/test/Tools/Inputs/gpu_alignment.py" \
      "$unpacked/artifacts/alignment" --prebuilt 2>&1 \
      | tee "$REPORTS/gpu-alignment.txt" || status=1
    exit $status ;;
  sanitize)
    # Unpacks the archive unless `run` did.
    PYTHON="${PYTHON:-python3}"
    unpacked="$ARTIFACTS/unpacked"
    [ -d "$unpacked" ] || unpack
    set -o pipefail
    status=0
    compute-sanitizer --tool memcheck --error-exitcode 1 \
      "$PYTHON" "$ROOT/test/Conformance/conformance.py" --target cuda \
      --prebuilt "$unpacked/artifacts/conformance" --only inductor_conv2d_bias_tune 2>&1 \
      | tee "$REPORTS/gpu-memcheck.txt" || status=1
    for tool in memcheck racecheck synccheck; do
      compute-sanitizer --tool $tool --error-exitcode 1 \
        "$PYTHON" "$ROOT/test/Conformance/conformance.py" --target cuda --tensor-cores \
        --prebuilt "$unpacked/artifacts/conformance-tc" --only tiles_tail_f16_train 2>&1 \
        | tee "$REPORTS/gpu-$tool-tensor-cores.txt" || status=1
    done
    exit $status ;;
  profile)
    # Nsight Compute on one tune step of the benchmark's two deepest 3x3
    # layers (layer3.1.conv2 and layer4.1.conv2, batch 32, f32 as TF32 on
    # tensor cores, the build BENCH_KERNELS names: tc by default, or a
    # variant such as tc-copies; unpacks the archive unless `run` did): per kernel its
    # throughput against the device's peak (SM, L1, L2, DRAM), memory
    # traffic by unit (sectors per request, shared-memory bank conflicts),
    # warp stalls, occupancy and launch figures, to set beside
    # benchmarks/kernel_times.py and the offline kernel_report.py. The
    # clocks are left as they are (--clock-control none).
    PYTHON="${PYTHON:-python3}"
    [ -d "$ARTIFACTS/unpacked" ] || unpack
    kernels="${BENCH_KERNELS:-tc}"
    report="gpu-ncu-tensor-cores.txt"
    [ "$kernels" = tc ] || report="gpu-ncu-$kernels.txt"
    if [ ! -d "$ARTIFACTS/unpacked/artifacts/bench-$kernels" ]; then
      echo "gpu-run.sh: no build bench-$kernels in the archive" >&2
      exit 2
    fi
    set -o pipefail
    ncu --clock-control none --section SpeedOfLight --section MemoryWorkloadAnalysis_Tables \
      --section WarpStateStats --section Occupancy --section LaunchStats \
      -k regex:'l(16|22)_b32_tune' \
      "$PYTHON" "$ROOT/benchmarks/kernel_times.py" --batch 32 --layers 16 22 \
      --variants ours-tune --run-only --prebuilt "$ARTIFACTS/unpacked/artifacts/bench-$kernels" 2>&1 \
      | tee "$REPORTS/$report" ;;
  bench)
    # Unpacks the archive unless `run` did; one batch size per call keeps
    # each call within the device's per-command limit.
    PYTHON="${PYTHON:-python3}"
    [ -d "$ARTIFACTS/unpacked" ] || unpack
    shift
    # BENCH_KERNELS=tc (default): convolutions on tensor cores; =plain: the
    # scalar loop-nest kernels; =tc-nomerge: tc with merge-kernels=false;
    # =tc-recompute: tc with recompute-producers=true; =tc-noprefetch: tc
    # with one stage of shared tiles; =tc-wide: tc with 64-bit index
    # arithmetic, narrow-indices=false; =tc-m64, =tc-m128: every
    # tensor-core kernel with blocks of 64 or 128 rows, tensor-core-block-m;
    # =tc-scalar: tc gathering one element at a time,
    # tensor-core-vector-gathers=false; =tc-async: tc with vector operands
    # copied by cp.async, tensor-core-async-copies=true; =tc-copies: tc-async
    # with 3x3 filters read in (f, kh, kw, c) order and their inputs in
    # (n, h, w, c) order, tensor-core-filter-copies=true
    # tensor-core-input-copies=true; =tc-fcopies: tc-async with the filters'
    # copies alone; =tc-nosplitk: tc with one block per filter-gradient
    # tile, tensor-core-split-k=false; =tc-perimage: tc with one image per
    # grid z, tensor-core-images-along-n=false (the last twelve at batch 32
    # only, but tc-copies at 64 too); =tc-splitkconv: tc with the
    # convolutions' K split too, tensor-core-split-k-convolutions=true
    # (batch 32 and 64); =tc-narrowk: tc in bf16 with K steps
    # of 16 elements, tensor-core-k-step-bytes=32 (BENCH_DTYPE=bf16
    # only, batch 32 and 64); =tc-k128: tc with K steps of 128 bytes (32
    # f32 or 64 bf16 elements), tensor-core-k-step-bytes=128 (f32 and
    # bf16, batch 32 and 64); =tc-k128r: tc-k128 with up to 128 registers
    # per thread, tensor-core-max-registers=128 (f32, batch 32 and 64);
    # =tc-copiesk128: tc-copies with K steps of 128 bytes (f32 and bf16,
    # batch 32 and 64); =tc-copies3, =tc-copies4: tc-copies with 3 or 4
    # stages of operand tiles, tensor-core-stages (f32; 3 at batch 32 and
    # 64, 4 at 64); =tc-copies3-b6: tc-copies3 laid out for 6 blocks an
    # SM, tensor-core-blocks-per-sm=6 (f32, batch 32 and 64);
    # =tc-copies3-b6-fg: tc-copies3-b6 with the filter gradients reading
    # the input's channels-last copy,
    # tensor-core-filter-gradient-input-copies (f32, batch 32 and 64);
    # =tc-k128d: tc-k128 with up to 96 KiB of shared memory
    # per kernel, dynamic above 48 KiB, tensor-core-max-shared-bytes (f32
    # and bf16, batch 64); =tc-n128, =tc-mn128: tc-copies with 3 stages in
    # blocks of 128 columns, tensor-core-block-n=128, with 128 rows too in
    # tc-mn128 (f32 at batch 32 and 64, tc-mn128 in bf16 at 64);
    # =tc-mn128-skc: tc-mn128 with tensor-core-split-k-convolutions (f32,
    # batch 64).
    kernels="${BENCH_KERNELS:-tc}"
    dtype="${BENCH_DTYPE:-f32}"
    built="$ARTIFACTS/unpacked/artifacts/bench"
    name="$kernels"
    flags=(--dtype "$dtype")
    case "$kernels" in
      tc) built="$built-tc"; flags+=(--tensor-cores) ;;
      plain) ;;
      # (the options only label the results: the libraries are built)
      *) if options="$(variant_options "$kernels")"; then
           built="$built-$kernels"
           flags+=(--tensor-cores --pipeline-options "$options")
         else
           echo "gpu-run.sh: BENCH_KERNELS is tc, plain, tc-nomerge, tc-recompute, tc-noprefetch, tc-wide, tc-m64, tc-m128, tc-scalar, tc-async, tc-copies, tc-fcopies, tc-nosplitk, tc-perimage, tc-splitkconv, tc-narrowk, tc-k128, tc-k128r, tc-copiesk128, tc-copies3, tc-copies3-b6, tc-copies3-b6-fg, tc-copies4, tc-k128d, tc-n128, tc-mn128 or tc-mn128-skc" >&2
           exit 2
         fi ;;
    esac
    # BENCH_QUICK=1: no torch.compile column (it compiles each of the 23
    # layers, minutes in all) and no whole network, so that the table and
    # its target lines fit one short call where device time is scarce.
    # Otherwise the whole ResNet-50 (eval and tune through convbn.load),
    # built with the f32 tensor-core kernels, runs after the layers.
    if [ "${BENCH_QUICK:-0}" = 1 ]; then
      flags+=(--no-inductor)
      name="$name-quick"
    elif [ "$kernels" = tc ] && [ "$dtype" = f32 ]; then
      flags+=(--whole-network)
    fi
    if [ "$dtype" != f32 ]; then
      if [ "$kernels" = plain ] || [ "$dtype" != bf16 ] || [ ! -d "$built-$dtype" ]; then
        echo "gpu-run.sh: BENCH_DTYPE=bf16 is built for tc, tc-narrowk, tc-k128, tc-copiesk128 and tc-k128d only" >&2
        exit 2
      fi
      built="$built-$dtype"; name="$name-$dtype"
    fi
    # BENCH_ARGS: more options of convbn_bench.py (e.g. "--modes tune" or
    # "--layers 5"; the results then go to bench-NAME-part-bN).
    if [ -n "${BENCH_ARGS:-}" ]; then name="$name-part"; fi
    # CONVBN_RUNTIME_NO_MEMORY_POOL=1 (read by the runtime): buffers from
    # cuMemAlloc/cuMemFree instead of the stream-ordered pool.
    if [ -n "${CONVBN_RUNTIME_NO_MEMORY_POOL:-}" ]; then name="$name-nopool"; fi
    batches=("${@:-32}")
    for batch in "${batches[@]}"; do
      # shellcheck disable=SC2086  # BENCH_ARGS: more options, word-split
      PYTHONUNBUFFERED=1 "$PYTHON" "$ROOT/benchmarks/convbn_bench.py" --device cuda \
        --batch "$batch" --prebuilt "$built" "${flags[@]}" ${BENCH_ARGS:-} \
        --out "$REPORTS/bench-$name-b$batch" 2>&1 | tee "$REPORTS/bench-$name-b$batch.txt"
    done ;;
  compare)
    # `compare [BUILD...]`, there: our tune alone (BENCH_QUICK=1,
    # --modes tune: beside PyTorch eager's eval and hand-written tune, no
    # torch.compile, no whole network) for
    # each build (tc, tc-splitkconv, tc-nosplitk, tc-perimage, tc-fcopies,
    # tc-copies, tc-k128, tc-k128r, tc-copiesk128, tc-copies3,
    # tc-copies3-b6, tc-copies3-b6-fg, tc-copies4, tc-k128d, tc-n128,
    # tc-mn128 and tc-mn128-skc unless named; with
    # BENCH_DTYPE=bf16, tc, tc-narrowk, tc-k128, tc-copiesk128, tc-k128d and
    # tc-mn128)
    # at every batch it was built for, one after the other, so that one
    # short call compares them; the reports are bench-NAME-quick-part-bN
    # (bench-NAME-quick-bf16-part-bN).
    [ -d "$ARTIFACTS/unpacked" ] || { PYTHON="${PYTHON:-python3}"; unpack; }
    shift
    suffix=""
    default_builds="tc tc-splitkconv tc-nosplitk tc-perimage tc-fcopies tc-copies tc-k128 tc-k128r tc-copiesk128 tc-copies3 tc-copies3-b6 tc-copies3-b6-fg tc-copies4 tc-k128d tc-n128 tc-mn128 tc-mn128-skc"
    if [ "${BENCH_DTYPE:-f32}" != f32 ]; then
      suffix="-$BENCH_DTYPE"; default_builds="tc tc-narrowk tc-k128 tc-copiesk128 tc-k128d tc-mn128"
    fi
    builds=("${@:-$default_builds}")
    builds=(${builds[*]})
    status=0
    for build in "${builds[@]}"; do
      batches=()
      for dir in "$ARTIFACTS/unpacked/artifacts/bench-$build$suffix"/batch*; do
        [ -d "$dir" ] && batches+=("${dir##*/batch}")
      done
      if [ ${#batches[@]} = 0 ]; then
        echo "gpu-run.sh: no build bench-$build$suffix in the archive" >&2
        status=1
        continue
      fi
      BENCH_KERNELS="$build" BENCH_QUICK=1 BENCH_ARGS="--modes tune" \
        "$ROOT/scripts/gpu-run.sh" bench "${batches[@]}" || status=1
    done
    exit $status ;;
  short)
    # `short [BATCH]`, there, in one call where device time is short: the
    # checks and timings that decide the speed target, most telling first,
    # each skipped once less time is left than it needs (SHORT_SECONDS,
    # default 540, counted from the start; a running step is stopped when
    # they end, or when it runs past its own cap, and what it wrote stays):
    #   1. the tensor-core conformance suite (the default kernels; at most
    #      150 s);
    #   2. our f32 tune alone at BATCH (default 64) for the first
    #      SHORT_FIRST (default 3) builds of SHORT_F32_BUILDS, beside
    #      PyTorch eager (BENCH_QUICK=1, --modes tune), and
    #      benchmarks/compare_builds.py over them (short-f32-bBATCH.txt,
    #      .json): the fastest build, each layer's fastest, the ratios;
    #   3. the fastest build's conformance cases, where it is not tc;
    #   4. its whole table at BATCH, every mode (BENCH_QUICK=1: the three
    #      target lines), so that a call too short for the rest still
    #      brings the table of the most promising build;
    #   5. the rest of SHORT_F32_BUILDS, compared with the first ones
    #      (short-f32-bBATCH.txt, .json again), and a new fastest build's
    #      conformance cases and table;
    #   6. the same comparison in bf16 for SHORT_BF16_BUILDS
    #      (short-bf16-bBATCH.txt, .json), then the fastest bf16 build's
    #      table.
    # short-log.txt has each step's seconds and exit status, to size the
    # next short call by.
    PYTHON="${PYTHON:-python3}"
    export PYTHON
    budget="${SHORT_SECONDS:-540}"
    batch="${2:-64}"
    start=$SECONDS
    log="$REPORTS/short-log.txt"
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | tee "$log" || true
    [ -d "$ARTIFACTS/unpacked" ] || unpack
    built="$ARTIFACTS/unpacked/artifacts"
    status=0
    # step NAME SECONDS CAP REPORT COMMAND...: COMMAND, its output also in
    # $REPORTS/REPORT (none for -), unless fewer than SECONDS are left;
    # stopped after CAP seconds, or when the budget ends.
    step() {
      local name="$1" need="$2" cap="$3" report="$4" left rc=0 began=$SECONDS
      shift 4
      left=$((budget - (SECONDS - start)))
      if [ "$left" -lt "$need" ]; then
        echo "short: skipped $name (${left}s left, it takes about ${need}s)" | tee -a "$log"
        return 0
      fi
      [ "$left" -le "$cap" ] || left=$cap
      if [ "$report" = - ]; then
        timeout "$left" "$@" || rc=$?
      else
        timeout "$left" "$@" 2>&1 | tee "$REPORTS/$report" || rc=${PIPESTATUS[0]}
      fi
      echo "short: $name: $((SECONDS - began))s, exit $rc" | tee -a "$log"
      [ "$rc" = 0 ] || status=1
    }
    # conformance BUILD: the conformance cases built with BUILD's options.
    conformance() {
      set_cases="" set_options="" set_random=""
      if [ "$1" != tc ] && ! conformance_set "$1"; then
        echo "short: no conformance cases built for $1" | tee -a "$log"
        return 0
      fi
      # shellcheck disable=SC2086  # set_random: arguments, word-split
      step "conformance $1" 60 150 "gpu-conformance-short-$1.txt" env PYTHONUNBUFFERED=1 \
        "$PYTHON" "$ROOT/test/Conformance/conformance.py" --target cuda --tensor-cores \
        --prebuilt "$built/conformance-$1" ${set_cases:+--only "$set_cases"} \
        ${set_options:+--pipeline-options "$set_options"} $set_random
    }
    # compare DTYPE BUILD...: our tune alone for each BUILD not timed yet
    # in this call, then compare_builds.py over every BUILD's finished run;
    # sets $fastest.
    declare -A timed=()
    compare_dtype() {
      local dtype="$1" suffix="" build runs=()
      shift
      [ "$dtype" = f32 ] || suffix="-$dtype"
      for build in "$@"; do
        [ -d "$built/bench-$build$suffix/batch$batch" ] ||
          { echo "short: no build bench-$build$suffix at batch $batch" | tee -a "$log"; continue; }
        if [ -z "${timed[$build$suffix]:-}" ]; then
          timed[$build$suffix]=1
          rm -rf "$REPORTS/bench-$build-quick$suffix-part-b$batch"
          step "$dtype tune $build" 45 120 - env BENCH_KERNELS="$build" BENCH_DTYPE="$dtype" \
            BENCH_QUICK=1 BENCH_ARGS="--modes tune" "$ROOT/scripts/gpu-run.sh" bench "$batch"
        fi
        local json="$REPORTS/bench-$build-quick$suffix-part-b$batch/bench.json"
        if [ -f "$json" ] && "$PYTHON" -c \
             'import json, sys; sys.exit(not json.load(open(sys.argv[1])).get("complete"))' "$json"; then
          runs+=("$build=$json")
        fi
      done
      fastest=""
      [ ${#runs[@]} -gt 0 ] || return 0
      step "compare $dtype" 5 30 "short-$dtype-b$batch.txt" "$PYTHON" "$ROOT/benchmarks/compare_builds.py" \
        "${runs[@]}" --json "$REPORTS/short-$dtype-b$batch.json"
      if [ -f "$REPORTS/short-$dtype-b$batch.json" ]; then
        fastest="$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["fastest"])' \
          "$REPORTS/short-$dtype-b$batch.json")"
        echo "short: fastest $dtype build at batch $batch: $fastest" | tee -a "$log"
      fi
    }
    # checked BUILD: BUILD's conformance cases (none for tc, whose suite
    # came first) and its whole table, in f32.
    checked() {
      [ "$1" = tc ] || conformance "$1"
      step "f32 table $1" 120 300 - env BENCH_KERNELS="$1" \
        BENCH_QUICK=1 "$ROOT/scripts/gpu-run.sh" bench "$batch"
    }
    conformance tc
    read -r -a f32_builds <<< "$SHORT_F32_BUILDS"
    first="${SHORT_FIRST:-3}"
    compare_dtype f32 "${f32_builds[@]:0:$first}"
    f32_fastest="$fastest"
    [ -z "$f32_fastest" ] || checked "$f32_fastest"
    if [ ${#f32_builds[@]} -gt "$first" ]; then
      compare_dtype f32 "${f32_builds[@]}"
      [ -z "$fastest" ] || [ "$fastest" = "$f32_fastest" ] || checked "$fastest"
    fi
    read -r -a bf16_builds <<< "$SHORT_BF16_BUILDS"
    compare_dtype bf16 "${bf16_builds[@]}"
    [ -z "$fastest" ] || step "bf16 table $fastest" 120 300 - env BENCH_KERNELS="$fastest" \
      BENCH_DTYPE=bf16 BENCH_QUICK=1 "$ROOT/scripts/gpu-run.sh" bench "$batch"
    echo "short: $((SECONDS - start))s in all, exit $status" | tee -a "$log"
    exit $status ;;
  *)
    echo "usage: scripts/gpu-run.sh build|run|sanitize|profile|bench [BATCH...]|compare [BUILD...]|short [BATCH]" >&2
    exit 2 ;;
esac
