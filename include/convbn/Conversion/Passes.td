//===- Passes.td - Conversions out of the convbn dialect ---*- tablegen -*-===//

#ifndef CONVBN_CONVERSION_PASSES_TD
#define CONVBN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertConvBNToLinalg : Pass<"convert-convbn-to-linalg"> {
  let summary = "Lower every convbn op, forward and backward, to linalg on tensors";
  let description = [{
    Lowers `convbn.conv_bn` (all four modes), `convbn.fold` and
    `convbn.backward` (all four modes) to `linalg`, `tensor`, `arith` and
    `math` ops on tensors. Convolutions become linalg named convolutions
    (`conv_{1d_ncw_fcw,2d_nchw_fchw,3d_ncdhw_fcdhw}`, `conv_2d_ngchw_gfchw`
    for grouped 2-D, `depthwise_conv_*` for depthwise) or, for the grouped
    1-D and 3-D forms upstream has no named op for, an equivalent
    `linalg.generic`; everything else is `linalg.generic`.

    * tune: the fold (the scale `gamma * rsqrt(var + eps)` in two
      channel-sized `linalg.generic`s, which `convbn-fuse-elementwise`
      merges, the weight-sized folded filter and the channel-sized folded
      bias), the convolution over the folded filter into an
      accumulator initialized with the folded bias; nothing activation-sized
      normalizes the output.
    * eval: convolution (+ conv bias), then the per-channel affine over the
      activation, which also yields the conv output kept for backward.
    * train: convolution, batch mean and biased variance (two passes),
      normalization, running statistics with the unbiased variance.
    * deploy: convolution with the folded filter and bias.
    * backward: backward-data as stride-1 convolutions of the gradient with
      the transposed, flipped filter, one per phase of the input positions
      modulo the stride (with the taps that reach that phase, written into
      every stride-th position); backward-filter and
      the bias and BN-parameter gradients as reductions; the chain rule through
      the fold for tune (only the input and weight-sized tensors are read);
      the full batch-norm backward for train. Only requested gradients are
      computed.

    Arithmetic is f32 whatever the element types, and results are rounded
    once to their types. Reductions over batch and spatial positions (batch
    statistics, bias and BN-parameter gradients, backward-filter) sum
    M = N x spatial terms; a running f32 sum loses up to M * 2^-24, so by
    default they accumulate in f64 (`f64-reductions`). Only the batch dimension
    may be dynamic; anything else is rejected with an error naming the op and
    the reason before any rewriting.
  }];
  let options = [
    Option<"f64Reductions", "f64-reductions", "bool", /*default=*/"true",
           "Accumulate reductions over batch and spatial positions in f64">,
    Option<"phasesInPlace", "phases-in-place", "bool", /*default=*/"true",
           "Strided backward-data: each stride phase accumulates in its "
           "strided positions of the input gradient (kernels that can write "
           "strided outputs, as on the GPU); false: in a contiguous tensor "
           "then copied there (row-vectorized loop nests, as on the CPU)">,
    Option<"stackedPhasesRows", "stacked-phases-rows", "int64_t",
           /*default=*/"0",
           "Strided backward-data whose input channels times stride phases "
           "are at most this many (every phase present, no dilation, one "
           "group; a network's first layer: 3 channels x 4 phases): one "
           "stride-1 correlation with the phases stacked along its output "
           "channels, over the union of their windows, then a "
           "depth-to-space transpose into the input gradient; fills the rows "
           "of a tensor-core tile that each phase's own correlation leaves "
           "nearly empty, and reads the gradient once instead of once per "
           "phase, for the union's extra taps (zeros); 0: a correlation "
           "per phase">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvBNFuseElementwise : Pass<"convbn-fuse-elementwise"> {
  let summary = "Fuse the linalg lowering's elementwise chains where nothing is recomputed";
  let description = [{
    Applies upstream's elementwise fusion patterns
    (`linalg::populateElementwiseOpsFusionPatterns`) to the lowering's
    `linalg.generic` ops on tensors, but only where producer and consumer
    iterate over the same number of points, the consumer is all-parallel,
    and so is every other use of the producer: the producer then disappears
    (with several uses, each consumer recomputes it instead of reading it
    back). So `rsqrt(var + eps)` and the scale
    `gamma * rsqrt(var + eps)` become one per-channel generic, and the
    recomputed folded weight and its flipped transpose (tune's
    backward-data) one weight-sized generic; nothing per-channel is
    recomputed per element of an activation, bias broadcasts stay
    broadcasts, and reductions keep the form later passes recognize.
    Reshapes are propagated only where that enables such a fusion: a
    generic whose one use is a `tensor.expand_shape` is expanded through
    it (upstream's `linalg::populateFoldReshapeOpsByExpansionPatterns`)
    when every use of the reshaped value can absorb it, as when the
    backward-data lowering views the folded weight with a group dimension
    before transposing it.

    With `reductions`, a consumer may also be a reduction (the producer
    still all-parallel, over as many points), and a consumer reading the
    producer through a `tensor.collapse_shape` is expanded to read it
    directly (chains of reshapes composed first). The CPU pipeline sets it
    once its backward-filter reductions are GEMMs: Tune's filter gradient,
    which both the scaled weight gradient and gamma's gradient read, is
    then recomputed from the GEMM's result in each of them instead of
    written in f64 and read back twice.
  }];
  let options = [
    Option<"reductions", "reductions", "bool", /*default=*/"false",
           "Also fuse into reductions, and expand consumers through the "
           "collapse_shape of a producer they could absorb (after the "
           "rewrites that match reductions' exact form)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// GPU: passes between the linalg lowering and upstream's NVVM lowering
//===----------------------------------------------------------------------===//

def ConvBNRaiseFromLinalg : Pass<"convbn-raise-from-linalg"> {
  let summary = "Raise a linalg convolution followed by eval-mode batch norm into convbn.conv_bn";
  let description = [{
    Recognizes what torch-mlir's linalg-on-tensors output makes of a
    convolution followed by batch normalization in eval mode, and replaces
    it by one `convbn.conv_bn eval` op, so that `-convbn-eval-to-tune` and
    the lowering apply to models imported from PyTorch.

    The convolution is `linalg.conv_1d_ncw_fcw`, `linalg.conv_2d_nchw_fchw`
    or `linalg.conv_3d_ncdhw_fcdhw`; or, grouped, `linalg.conv_2d_ngchw_gfchw`
    over operands reshaped from ungrouped tensors (`tensor.expand_shape`,
    result collapsed back) or `linalg.depthwise_conv_2d_nchw_chw` over a
    filter collapsed from `[C, 1, kh, kw]`, as torch-mlir emits them (the
    raised op gets `groups`). Its input is the block input or a zero
    `tensor.pad` of it on the spatial dimensions (the padding), and its
    accumulator is a zero `linalg.fill` or a broadcast of a 1-D bias
    (`linalg.broadcast` or a broadcasting `linalg.generic`). The batch norm
    is any all-parallel elementwise computation on the convolution result
    that evaluates `(y - mean) * rsqrt(var + eps) [* gamma] [+ beta]`
    (also `/ sqrt(var + eps)`), with per-channel operands that are 1-D
    tensors reached directly or through `tensor.expand_shape` and
    per-channel `linalg.generic`s, and `eps` a constant. Both forms
    torch-mlir produces match: the chain of small generics (var + eps,
    rsqrt, subtract, multiply, multiply by gamma, add beta) and one generic
    over input, weight, bias, mean and var (what
    `-linalg-fuse-elementwise-ops` makes of the chain). The body is matched
    as an expression, so operand order and commuted operations do not
    matter.

    A convolution whose result has other users (the conv output is needed
    elsewhere), whose batch norm computes batch statistics (training mode),
    or whose intermediate values have other users is left alone with a
    warning that names the reason; the IR stays as it was, so results stay
    correct. With `report`, every raised pair gets a remark, every
    convolution with no batch norm after it a remark, and the module a
    summary remark with the counts.
  }];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Remark on every raised pair and on the totals">,
  ];
  let dependentDialects = ["::mlir::convbn::ConvBNDialect"];
}

def ConvBNBackwardFilterToMatmul
    : Pass<"convbn-backward-filter-to-matmul", "::mlir::ModuleOp"> {
  let summary = "CPU: the backward-filter reduction as im2col + "
                "a GEMM or as channels-last contractions";
  let description = [{
    The linalg lowering writes a 2-D convolution's filter gradient as one
    `linalg.generic` whose input index `oh*s + kh*d` no vectorizer takes.
    This pass rewrites it, on tensors, as a GEMM per batch chunk p:

        dW[p, f, (c, kh, kw)] += G[p, f, (n, oh, ow)] * col[p, (n, oh, ow), (c, kh, kw)]

    with `col` the padded input's windows copied once (im2col: as many
    elements as the forward convolution's own im2col matrix) and G the
    output gradient, both copied in the accumulator's type (f64 by default,
    so results keep the generic's precision; upstream's vector patterns
    take a uniform contraction; G is only reshaped when a chunk is one
    image and it has that type already), and one `linalg.batch_matmul`.
    When the partials are only summed over the chunks (as the lowering
    does), the chunks fold into the GEMM's reduction instead: one GEMM over
    all images, accumulated into the sum's own accumulator, replaces both.

    With an f64 accumulator and operands of at most 32 bits (the default),
    that GEMM runs in f32 over chunks of whole images instead, as the GPU's
    tensor-core kernels do: per chunk, the windows and G are copied in f32
    (G only reshaped for one f32 image), one f32 `linalg.batch_matmul` sums
    the chunk's positions, and its result is added to the f64 accumulator
    (an `scf.for` over the chunks, none for one chunk; into a zero
    accumulator, as the lowering's, one chunk's result is only widened, a
    copy that `convbn-fuse-elementwise{reductions}` can recompute in each
    of its readers). A chunk is the
    fewest images, dividing the batch, with at least `f32-chunk-positions`
    output positions (the whole batch if no fewer do); the f64 GEMM read
    twice the bytes, with half the lanes per vector, and copied the
    windows of the whole batch at once. Every f32 sum then has one chunk's
    terms (a few thousand, where the lowering's own f32 mode sums the
    whole batch), and the sum across chunks is f64.
    `f32-chunk-positions=0` keeps the single GEMM in the accumulator's type,
    as does a batch with fewer than 32 output positions in all (stage 4 at
    batch 1), where the f32 product's weight-sized fill and addition cost
    more than the f64 GEMM.

    By default (`channels-last`), where a chunk's copies of the input and
    G as [n, h, w, c] and [n, oh, ow, f], plus its weight-sized partials,
    have fewer elements than its im2col matrix (not for a 1x1 kernel, nor
    for many filters over few positions), each chunk is instead one f32
    `linalg.contract` per kernel offset (i, j), with no im2col copy:

        part[i, j] = sum over (n, oh, ow) of
                     xt[n, oh*s0 + i*d0, ow*s1 + j*d1, :] (x) gt[n, oh, ow, :]

    on a strided view of the input copy, an outer product of channels and
    filters per position, both rows contiguous. The lanes are the channels
    (partials [f, kh, kw, c], added to the f64 accumulator one small
    transpose per filter), or the filters where there are more of them
    (the stem's 3 channels: partials [kh, kw, c, f]). At batch 8 on one
    core, 64 -> 64 3x3 at 28x28 went from 10.0 to 5.0 ms (im2col GEMM to
    this), the stem from 9.2 to 6.4 ms.

    Where channels-last does not pay and `pack-lanes` (L, 32 by default)
    divides K = channels x kernel window, the f32 chunks' windows are
    copied in panels instead, col[K / L, (n, oh, ow), L], each panel
    contiguous, and the GEMM is one `linalg.contract` over the panels
    into part[K / L, f, L], added to the f64 accumulator [f, K]: a lanes
    tile of the contraction then reads its panel's rows one after the
    other, where in [(n, oh, ow), K] they were K elements apart (1 KiB
    for 256 channels) and their loads were the GEMM's hottest
    instructions. At batch 8 on one core the
    filter gradient of 256 -> 128 1x1 at 28x28 went from 6.6-7.5 to
    3.7-4.6 ms (PyTorch: 3.0). `pack-lanes=0` keeps
    [(n, oh, ow), K] and a `linalg.batch_matmul`.

    `-convbn-vectorize-convolutions` then tiles and vectorizes the GEMMs
    and contractions.
    Grouped, 1-D and 3-D reductions and dynamic shapes are left as they
    are.
  }];
  let options = [
    Option<"f32ChunkPositions", "f32-chunk-positions", "int64_t",
           /*default=*/"2048",
           "With an f64 accumulator: the GEMM runs in f32 over chunks of "
           "whole images with at least this many output positions, each "
           "chunk added to the f64 accumulator; 0: one GEMM in the "
           "accumulator's type">,
    Option<"channelsLastContractions", "channels-last", "bool",
           /*default=*/"true",
           "In the f32 chunks: one channels x filters contraction per "
           "kernel offset on channels-last copies of the input and the "
           "output gradient, instead of im2col, where those copies are "
           "smaller than the im2col matrix">,
    Option<"packLanes", "pack-lanes", "int64_t", /*default=*/"32",
           "In the f32 chunks' im2col GEMMs: the windows copied in panels "
           "of this many columns, [K / L, positions, L] (K = channels x "
           "kernel window, when L divides it), each panel contiguous, and "
           "the GEMM a linalg.contract over the panels; 0: "
           "[positions, K] and a linalg.batch_matmul">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvBNCollapseContiguousLoops
    : Pass<"convbn-collapse-contiguous-loops", "::mlir::ModuleOp"> {
  let summary = "CPU: merge the loops of linalg.generic ops that every operand indexes contiguously";
  let description = [{
    For each `linalg.generic` on tensors with static shapes, projected
    permutation indexing maps and no `linalg.index`, every maximal run of
    consecutive loops with one iterator type that all indexing maps keep
    contiguous becomes one loop (upstream's `collapseOpIterationDims`, with
    reshapes of the operands). A weight-sized op over filters x channels x
    3 x 3, for example, becomes filters x (channels * 9), so that the loops
    of `convert-linalg-to-loops` have a long unit-stride inner loop that
    LLVM's loop vectorizer takes with plain vector loads and stores instead
    of gathers and scatters across a 3-long loop. Then, where the innermost
    loop is a reduction and a parallel loop is the innermost dimension of
    every operand (a sum over batch chunks), that loop is moved innermost
    (upstream's `interchangeGenericOp`). The arithmetic and the order in
    which each result sums its terms are unchanged. `-convbn-cpu-pipeline{vectorize=true}` runs it.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvBNTraceGlobalLoads
    : Pass<"convbn-trace-global-loads", "::mlir::ModuleOp"> {
  let summary = "CPU: count what the emulated tensor-core kernels' gathers "
                "read from global memory";
  let description = [{
    Instruments the CPU emulation of the tensor-core kernels
    (`-convbn-tensor-core-convolutions{cpu-emulation=true}`, which marks
    its loops: include/convbn/Conversion/TensorCoreEmulation.h). Before each
    emulated kernel's grid it calls `convbn_trace_kernel` with the kernel's
    name (its function, GEMM, M, N, K and block tile); before each loop
    over a block's threads that gathers a K step's operand tiles,
    `convbn_trace_step`; and before each load from global memory in that
    loop (every `memref.load` and `vector.load` not on the emulated shared
    memory), `convbn_trace_load` with a number for the load, the thread's
    id, the address read and its width in bytes. The functions are the
    CPU runtime's tracer (`libconvbn_cpu_runtime`, CpuRuntime.h): it groups
    the 32 lanes of a warp that run one load in one step into a request, as
    the GPU's load unit does, and counts each request's distinct 32-byte
    sectors, the sectors distinct within each block's K step and within
    the whole kernel, and the bytes the lanes asked for. The emulation
    reads what the GPU reads: the same clamped addresses for gathers
    through registers, nothing for an asynchronous copy that zero-fills.
    `-convbn-cpu-pipeline{emulate-tensor-cores trace-global-loads}` runs it
    after the kernels are built; `benchmarks/sector_report.py` reports the
    counts per kernel. A module without emulated kernels is left as it is.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::memref::MemRefDialect"
  ];
}

def ConvBNTileTransposes
    : Pass<"convbn-tile-transposes", "::mlir::ModuleOp"> {
  let summary = "CPU: transposing elementwise ops tiled into cache-sized blocks";
  let description = [{
    For each all-parallel `linalg.generic` on tensors with static shapes,
    one result written through the identity map and a largest input that
    indexes every loop but unit ones directly (`d`, or `s * d` at a stride,
    as the windows of a strided 1x1 kernel) or flipped (`c - d`; what it
    reads of unit loops counts as a constant, as a 1x1 kernel's flip `-d`,
    or `-2 * d` in a stride phase), in another order than the output, its
    innermost loop included (a transpose: the channels-last filters and
    inputs of the vectorized convolutions, backward-data's composed with the
    flipped filter and Tune's fold, the filters-in-lanes GEMM's filter), the
    moved loops (those the input orders differently from some other loop)
    that every operand indexes directly are tiled by the largest divisor of
    their extent at most `block-size`, the loops before the first moved one
    by 1, the others kept whole: an `scf.for` nest over the blocks, each the
    same generic on slices of its operands (a block of b elements read at
    stride s: (b - 1) x s + 1 of them, from s times the block's first).
    Lowered to loops in the output's order, the untiled copy read its source
    with the stride of a whole row of it for every element of its innermost
    loop (512 x 512 x 3 x 3 filters channels-last: 4.9 ms); in blocks of 8
    each block reads and writes short contiguous runs that stay in the L1
    cache (2.4 ms). The backward-data of a 512 -> 2048 1x1 convolution at
    4x4 (batch 8) took 9.6 ms with its transposed filters untiled, 3.3 ms
    tiled; of 1024 -> 2048 at stride 2 (7x7 -> 4x4), 20.4 and 7.7 ms. A
    transpose whose innermost loop stays innermost (backward-data's flipped
    filter alone, runs of kh x kw) already moves contiguous runs and is left
    alone. (Upstream's tiling computes wrong slices for flipped dimensions,
    which is why this pass builds the loops of slices itself.) Values are
    copied and computed exactly as before.
    `-convbn-cpu-pipeline{vectorize=true}` runs it
    (`vector-transpose-block`).

    ```mlir
    // wt[kh, kw, f, c] = W[f, c, 2 - kh, 2 - kw], 512 x 512 x 3 x 3:
    // 64 x 64 blocks of 3 x 3 x 8 x 8.
    %t = scf.for %f = %c0 to %c512 step %c8 iter_args(%a = %init) -> (...) {
      %u = scf.for %c = %c0 to %c512 step %c8 iter_args(%b = %a) -> (...) {
        %in = tensor.extract_slice %w[%f, %c, 0, 0] [8, 8, 3, 3] [1, 1, 1, 1]
        %out = tensor.extract_slice %b[0, 0, %f, %c] [3, 3, 8, 8] [1, 1, 1, 1]
        %blk = linalg.generic ... ins(%in) outs(%out)
        %r = tensor.insert_slice %blk into %b[0, 0, %f, %c] [3, 3, 8, 8] [1, 1, 1, 1]
        scf.yield %r
      }
      scf.yield %u
    }
    ```
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"8",
           "Largest tile of a moved loop (the largest divisor of its "
           "extent at most this)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvBNVectorizeConvolutions
    : Pass<"convbn-vectorize-convolutions", "::mlir::ModuleOp"> {
  let summary = "CPU: 2-D convolutions as tiled, vectorized channels-last "
                "convolutions or im2col contractions; contractions as "
                "register-tiled outer products";
  let description = [{
    A transform-dialect schedule, applied to every `linalg.conv_2d_nchw_fchw`
    on tensors with static shapes and one element type (forward and
    backward-data convolutions of the linalg lowering).

    By default (`channels-last`), a convolution (not 1x1) whose transposed
    copies (input, filters and result) have no more elements than the
    copies of the form it would otherwise take (its im2col matrix, kernel
    window x positions; with the filters-in-lanes GEMM below, which copies
    them too, also its filters and result) becomes a direct channels-last
    convolution:
    the input copied to [n, h, w, c], the filters to [kh, kw, c, f], a
    `linalg.conv_2d_nhwc_hwcf` into zeros whose result is added to the
    output transposed. Its tiles are one image, one output row and one
    kernel row, and at most `channels-last-tile-sizes` (8, 32, 16) of the
    output width, filters and channels, each the largest divisor of its
    dimension (a narrow row leaves more filters to the tile; at a stride
    s > 1, fewer channels, so that the (width - 1) x s + 1 input positions
    a step reads, times its channels, stay within width x the channel
    limit: 8 channels at stride 2, where 16 spilled registers and the
    forward of 256 -> 256 at 14x14 -> 7x7 took 5.5 instead of 3.8 ms);
    `transform.structured.decompose` makes each a 1-D convolution, which
    upstream's vectorizer turns into outer products with the filters in the
    lanes and whole rows of channels read from the input: no im2col copy.
    At batch 8 on one core this ran the forward and backward-data
    convolutions of 64 -> 64 3x3 at 28x28 at about 190 GFLOP/s (im2col:
    about 115); at 224 px, 512 -> 512 3x3 at 7x7, which the
    filters-in-lanes GEMM took while the copies were compared with the
    im2col matrix alone, went from 39 to 17.5 ms forward and from 44 to
    21.5 ms backward-data, and at stride 2 (14x14 -> 7x7) from 42 to 21
    ms forward and from 41 to 29 ms backward-data (PyTorch: 13-19 ms).
    A 1x1 kernel, or many filters over few positions where the
    alternative is plain im2col (512 -> 512 3x3 at 4x4, whose 2.4M filter
    elements cost more to copy transposed than the faster multiply-adds
    save), does not take it.

    When a tile holds fewer filters than the convolution has
    (`filter-blocks`, the default), the filters are instead copied in
    blocks of a tile's filters, [f / B, kh, kw, c, B] (a reshape of the
    filters, then one transposing copy), and an `scf.for` over the blocks
    runs one channels-last convolution per block, on its block (a
    contiguous slice) into its filters' slice of the result: each tile
    then reads its filters as one stream instead of B from every row of
    all the filters, and a block stays in cache while the tiles sweep
    every row of the batch. At batch 8 on one core, 256 -> 256 3x3 at 7x7
    (8 blocks of 32, 2.4 MB of filters) went from 5.5-6.0 to 3.3-3.6 ms
    forward and from 6.2-6.9 to 3.8-3.9 ms backward-data; the layers with
    fewer filters (whose filters stay in the L2 cache anyway) moved by
    less than the noise.

    Otherwise: `transform.structured.convert_conv2d_to_img2col`, the resulting
    contraction (batch x filters x positions x reduction) tiled with
    `scf.for` and vectorized, contractions lowered to outer products. When
    a contraction's operands do not stay in cache (over 1 MiB) and it has
    several tiles of positions, its reduction is first blocked
    (`reduction-block`: by the largest divisor of it at most that, outside
    the tiles), and inside a block the tiles sweep positions outside
    filters, so that a block of each operand, and each tile of the im2col
    matrix across the filter tiles, is reused from cache (unblocked, the
    backward-filter GEMM streamed both operands from memory once per
    output tile); smaller ones, or ones with one tile of positions, stream
    their operands in long rows as before. Each
    tile size is the largest divisor of the dimension (the block, for the
    reduction) at most `tile-sizes`, so no vector needs a mask.
    A convolution with fewer filters than the filter tile (the stem's
    backward-data, 3 output channels) skips im2col, whose copy would cost
    more than the GEMM: it becomes a generic whose innermost loop is the
    output width (a direct convolution for LLVM's loop vectorizer).
    A convolution whose filters fill more vector lanes than its output
    positions (a tile of 7 of 16 lanes at 7x7, 4 at 2x2) becomes, when the
    lanes saved outweigh the copies (`filter-lanes`; the multiply-adds
    saved against about 40 per element of the filters copied transposed
    and of the result added transposed, copies that
    `convbn-tile-transposes` tiles), one `linalg.batch_matmul` of batch
    1 with the batch folded into the positions and the filters in the
    lanes: [1, (n, oh, ow), (c, kh, kw)] x [1, (c, kh, kw), f], on copies
    of the windows and of the filters transposed, its result added to the
    output (tiled as the contractions below). At batch 8, 7x7, 256 -> 256
    channels 3x3 this halved the forward and backward-data convolutions (7.1
    -> 3.6 ms on one core). With `filter-blocks` (the default) and more
    filters than a tile's lanes, the filters are copied in blocks of a
    tile's lanes, [f / B, (c, kh, kw), B], each contiguous, and an `scf.for`
    over the blocks runs one GEMM per block into its columns of the result:
    in rows of f filters, f a power of two, a tile read its filters 4 KiB or
    more apart, all in the same cache sets (512 -> 1024 1x1 at 7x7, batch 8:
    7.3 ms forward, against 4.0 ms for 1056 filters); in blocks, 3.0 ms
    forward and 3.5 ms backward-data instead of 6.6 (PyTorch: 3.5 and 4.3
    ms).
    A 1x1 convolution at stride 1 that does not take that GEMM
    (`pointwise`) is already a contraction of its operands' reshaped
    views: `tensor.collapse_shape` makes it a `linalg.contract`
    [n, f, p] += [f, c] x [n, c, p] with no copy (im2col would copy the
    input), which is tiled as the contractions below, except that
    `contraction-tile-sizes`' rows x lanes are a budget of accumulator
    vectors: the lanes are the largest divisor of the positions at most
    the lanes limit that is a whole number of 16-lane vectors (32 at
    56x56, 16 at 28x28; 28 lanes, a vector and three quarters, ran at a
    fifth of the speed), else the largest at most 16 (14 at 14x14), and
    the rows take the rest of the budget (8 x 32, 16 x 16, 16 x 14). At
    batch 8 on one core this took the forward convolution of 256 -> 128
    at 28x28 from 5.1 to 3.5-4.0 ms and of 512 -> 256 at 14x14 from 5.6
    to 3.8 ms (PyTorch: 2.4 and 2.9 ms).
    Every static `linalg.contract` with projected-permutation maps and
    one element type (the channels-last filter gradient of
    `-convbn-backward-filter-to-matmul`), and every static
    `linalg.batch_matmul` with its default maps and one element type (the
    im2col filter gradient of that pass, the GEMM above), is tiled into
    tiles of the result's last two dimensions, at most
    `contraction-tile-sizes` rows and lanes (8, 32; the lanes counted in
    f32 elements, 16 in f64), with the innermost reduction loop by at
    most the third size (8) and every other loop by 1; the lanes loop runs outside
    the rows loop (the wider operand's slice stays in cache while the row
    tiles sweep it), unless each result sums fewer than 64 terms: then
    the result outweighs the operands and the rows loop runs outside, so
    that each row tile writes its rows in order (batch 1, 512 -> 512 3x3
    at 2x2: 8.8 instead of 11.1 ms). Where the wider operand's slice over
    the whole reduction would exceed 32 KiB (L1: 48 KiB on the cores
    measured) and the reduction has several loops, the outermost of them
    (a filter gradient's images) runs outside the rows loop too, if the
    loops inside it still sum 64 terms: each image's slice stays in L1
    while the row tiles sweep it (64 -> 64 3x3 at 28x28, batch 8:
    backward-filter 4.8 -> 3.9 ms, 128 -> 128 at stride 2 6.1-6.8 -> 5.2
    ms), and the accumulator tile is hoisted out of the loops inside it
    only. Each tile is generalized, stripped of its unit
    dimensions (upstream lowers a contraction with unit reduction
    dimensions to one dot product per accumulator element) and vectorized
    to outer products; then the accumulator tile is hoisted out of every
    reduction loop (`transform.apply_licm`,
    `transform.loop.hoist_loop_invariant_subsets`), so it stays in vector
    registers for the whole reduction instead of being reloaded and
    stored at each step. At batch 8 on one core, the im2col filter
    gradient of 1024 -> 2048 1x1 at stride 2 went from 35-43 ms (tiles of
    8 x 16 reloaded every 16 terms, the reduction blocked by 128) to
    21-25 ms.
    The reduction order of a convolution over (channel, kh, kw) is
    unchanged, so results are the same as the loop nest's. Ops the schedule
    cannot handle are left as they are. Lower the vector ops with
    `convert-vector-to-scf{full-unroll=true}` (without full unrolling, the
    temporary buffers of transfer lowering are stack allocations inside
    loops) and `convert-vector-to-llvm`; `-convbn-cpu-pipeline{vectorize=true}`
    does.
  }];
  let options = [
    ListOption<"tileSizes", "tile-sizes", "int64_t",
               "Tile (and vector) sizes of the im2col contraction: batch, "
               "filters, positions, reduction (batch matmuls: "
               "contraction-tile-sizes)">,
    Option<"reductionBlock", "reduction-block", "int64_t", /*default=*/"128",
           "Block the reduction of im2col contractions whose operands do not stay "
           "in cache (outside the tiles) by the largest divisor of it at "
           "most this, so that the blocks of both operands stay in cache "
           "while the tiles sweep them; 0: no blocking">,
    Option<"channelsLastConvolutions", "channels-last", "bool",
           /*default=*/"true",
           "Convolutions as direct channels-last convolutions on "
           "transposed copies of the input and filters, tiled by output "
           "row and decomposed into vectorized 1-D convolutions, instead "
           "of im2col contractions">,
    ListOption<"channelsLastTileSizes", "channels-last-tile-sizes",
               "int64_t",
               "Tile-size limits of the channels-last convolutions: output "
               "width, filters, channels (default 8, 32, 16)">,
    Option<"filterBlocks", "filter-blocks", "bool", /*default=*/"true",
           "Channels-last convolutions and filters-in-lanes GEMMs copy "
           "their filters in blocks of one tile's filters, each "
           "contiguous, and run one convolution or GEMM per block (an "
           "`scf.for` over the blocks), instead of one reading a tile's "
           "filters from every row of all the filters">,
    ListOption<"contractionTileSizes", "contraction-tile-sizes", "int64_t",
               "Tile-size limits of `linalg.contract` ops: the result's "
               "rows and lanes (its last two dimensions) and the innermost "
               "reduction loop (default 8, 32, 8)">,
    Option<"filterLanes", "filter-lanes", "bool", /*default=*/"true",
           "Convolutions whose filters fill more vector lanes than their "
           "output positions do become one GEMM with the filters in the "
           "lanes and the batch folded into the positions">,
    Option<"pointwiseContractions", "pointwise", "bool", /*default=*/"true",
           "1x1 convolutions at stride 1 (the rest of those filter-lanes "
           "leaves) become contractions on reshaped views of their "
           "operands, tiled like the contractions: no im2col copy, and the "
           "accumulators in registers for the whole reduction">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::transform::TransformDialect",
  ];
}

def ConvBNTensorCoreConvolutions
    : Pass<"convbn-tensor-core-convolutions", "::mlir::ModuleOp"> {
  let summary = "GPU: 2-D convolutions on buffers as implicit-GEMM tensor-core kernels";
  let description = [{
    Two kinds of ops on static buffers outside GPU code become one
    `gpu.launch` each, an implicit GEMM on tensor cores:

    * every `linalg.conv_2d_nchw_fchw` (the forward and backward-data
      convolutions of the linalg lowering): M = filters, N = output
      positions, K = channels x kernel window, one image per grid z;
    * the backward-filter reduction of the linalg lowering (a
      `linalg.generic` recognized by its indexing maps and its
      multiply-accumulate body, 2-D, one group): M = filters, N = channels x
      kernel window, K = images x output positions, one batch chunk per
      grid z; its f64 (or f32) partials are accumulated into.

    Operands must be f16 or bf16 (or f32, computed as TF32, with
    `allow-tf32`; one f32 and one 16-bit operand are computed as TF32 too,
    the 16-bit one widened exactly) and the accumulator f32 (f64 for the
    partials). A block of 128 threads owns a 64 x 64 output tile (128 rows
    with `block-m`, 128 columns with `block-n`); per step of 64 bytes along
    K (16 f32 elements, 32 f16 or bf16; `k-step-bytes` chooses 32 or 128
    instead) it gathers the A and B tiles (the im2col matrix is never
    materialized in global memory) into shared memory, and each of its 4
    warps multiplies its quarter (32 x 32, up to 64 x 64) with
    `vector.contract`s of mma shape (16x8x16 for f16 and bf16, 16x8x8 for
    TF32) whose accumulators stay in registers across the K loop. With
    `prefetch` (the default) the shared tiles have two stages: each step
    loads the next step's elements into registers before its products and
    stores them into the other stage after them, so the gathers' global
    loads overlap the tensor-core work and one barrier per step suffices.
    With `stages` 3 or 4 (2 by default), a kernel whose operands are all
    copied by cp.async (below) keeps the copies of that many K steps less
    one in flight: each step waits for its own group of copies, then, at
    its barrier, starts the copies of the step `stages` - 1 ahead into the
    stage the step before read (zero-fills that read nothing past the
    block's last step).
    The operand tiles and the output tile (through which the epilogue
    writes the accumulators) are views of one shared buffer; where they
    would take more than 48 KiB side by side (K steps of 128 bytes), the
    output tile lies over the operand tiles, as it is written only after
    the K loop's last barrier. `max-shared-bytes` (48 KiB by default)
    lets a kernel whose tiles do not fit 48 KiB even so take more, in
    dynamic shared memory. The gathers are straight-line code (elements
    in the padding or beyond a tile's tail are loaded at a clamped index
    and replaced by zero with `arith.select`), and a
    convolution whose channels are a multiple of the K step orders K as
    (kh, kw, c), so that a K step lies in one window offset. Upstream's
    vector-to-nvgpu conversion (`convert-vector-to-gpu{use-nvgpu=true}`)
    turns these into `nvgpu.ldmatrix` and `nvgpu.mma.sync` (tensor-core
    `mma.sync` in PTX). That conversion knows no bf16, so a bf16 kernel is
    converted as f16 (the fragments have the same layout) and its shared
    tiles retyped to bf16 afterwards; `convbn-lower-bf16-mma-sync` then
    lowers its bf16 `nvgpu.mma.sync`. The output buffer's contents (zero or
    the bias) are accumulated into; when the op just before is a
    `linalg.fill` with a constant or a broadcast `linalg.generic` that only
    initializes that buffer, it is folded into the kernel, whose epilogue
    then writes the initial value plus the product (one write of the output
    instead of two writes and a read). Likewise, an input that is a
    zero-padded copy (an alloc set to zero, the unpadded buffer copied into
    a window of it, as bufferization leaves `tensor.pad`) read by nothing
    else is not read: the gathers read the unpadded buffer and yield zero
    outside it, and the copy goes away. An operand contiguous along K in
    runs of whole 16-byte vectors is gathered a vector of consecutive k per
    thread (`vector-gathers`), read from its buffer with the image's plane
    collapsed and the buffer's start assumed 16-byte aligned
    (`memref.assume_alignment`), so that LLVM joins each thread's loads
    into one 16-byte load; callers must pass 16-byte aligned buffers (the
    runtime's allocations are, and the Python binding copies a tensor that
    is not). With `async-copies` (off by default), such an operand that is
    a plain load of a buffer of the operand type is copied from global to
    shared memory without registers (`nvgpu.device_async_copy`, cp.async:
    16 bytes per copy, rows outside the GEMM zero-filled), each thread
    waiting for its copies before the barrier that ends the gather. With
    `filter-copies` (off by default), a KxK filter whose K is ordered
    window x channels is read in (f, kh, kw, c) order, which makes it such
    an operand: its producing linalg.generic writes that order, or a
    linalg.transpose copies it. With `input-copies` (off by default), the
    input of such a convolution is read from a copy in (n, h, w, c) order
    that a linalg.transpose writes, in vectors along the channels (a
    padded copy's source is copied, and the gather checks its bounds once
    per vector). With `filter-gradient-input-copies` (off by default), a
    backward-filter reduction whose N is ordered window x channels reads
    its input from such a copy too (the forward convolution's, where
    `input-copies` made one of the same input), along B's rows: a warp's
    lanes read consecutive channels of one position.

    A backward-filter reduction whose grid would have fewer than 528
    blocks (a 64 x 64 filter gradient of a 1x1 convolution has one output
    tile per batch chunk) has its K split into ranges of whole steps
    (`split-k`, the default), one block per range along the grid's z,
    adding their sums to the output with atomic adds; the output's
    initialization is then not folded into the kernel. With
    `split-k-convolutions` (off by default), forward and backward-data
    convolutions with so few blocks are split alike.

    A convolution whose output positions per image are not a multiple of
    the tile's 64 columns (7x7, 14x14, 28x28) is one GEMM over all its
    images instead (`images-along-n`, the default): N = images x
    positions, one grid z, each column's image and position split from it.

    Other candidates are left as they are (`report` says why).
  }];
  let options = [
    Option<"allowTF32", "allow-tf32", "bool", /*default=*/"true",
           "Also take f32 convolutions, as TF32 tensor-core products (10-bit "
           "mantissa, like PyTorch's default for cuDNN convolutions); f32 "
           "accumulation">,
    Option<"report", "report", "bool", /*default=*/"false",
           "Remark on each convolution: taken (with its GEMM shape) or why "
           "not">,
    Option<"foldOperands", "fold-operands", "bool", /*default=*/"true",
           "Fold the output's initialization (a constant fill, a bias "
           "broadcast) into the epilogue and a zero-padded copy of the "
           "input into the gathers; false keeps them as separate kernels, "
           "to measure what folding saves">,
    Option<"recomputeProducers", "recompute-producers", "bool",
           /*default=*/"false",
           "Compute a first operand (weights; the backward-filter's output "
           "gradient) that an elementwise linalg.generic makes only for the "
           "kernel, such as the Tune fold's W * k, in the kernel's gathers: "
           "one kernel and one buffer fewer, more registers per thread">,
    Option<"prefetch", "prefetch", "bool", /*default=*/"true",
           "Two stages of shared tiles: each K step loads the next step's "
           "tile elements into registers before its products and stores "
           "them into the other stage after, so global loads overlap the "
           "mma.sync work (one barrier per step); false: one stage, "
           "gathered then multiplied (two barriers per step), for "
           "comparison">,
    Option<"stages", "stages", "int64_t", /*default=*/"2",
           "Stages of shared operand tiles with prefetch: 2, 3 or 4. More "
           "than 2 apply to kernels whose A and B are both copied by "
           "cp.async (async-copies; for KxK convolutions with filter-copies "
           "and input-copies), whose blocks take at least that many K steps "
           "and whose tiles fit max-shared-bytes: the copies of the "
           "next stages - 1 K steps are in flight while the warps multiply "
           "one, each step waiting for its own (cp.async.wait_group stages "
           "- 2) before its one barrier; other kernels keep 2. "
           "Experimental, 2 by default until timed on a GPU">,
    Option<"maxSharedBytes", "max-shared-bytes", "int64_t",
           /*default=*/"49152",
           "Shared memory a kernel may take, in bytes: 49152 (48 KiB, what a "
           "block may take statically) up to 232448 (227 KiB, sm_90's most "
           "per block). A kernel whose tiles take more than 48 KiB uses "
           "dynamic shared memory (gpu.dynamic_shared_memory, the size on "
           "its launch; the runtime opts the kernel into it), so that "
           "128-row blocks keep K steps of 128 bytes and more stages fit; "
           "kernels whose tiles fit 48 KiB (the output tile over the operand "
           "tiles where needed) keep static shared memory. Experimental, "
           "49152 by default until timed on a GPU">,
    Option<"blockM", "block-m", "int64_t", /*default=*/"0",
           "Rows (M) of a block's output tile: 64 (each of its 4 warps "
           "multiplies 32 x 32) or 128 (warps of 64 x 32: a quarter fewer "
           "shared-memory accesses per mma, twice the accumulator registers, "
           "half the blocks), except where M is 64 or less: such kernels "
           "keep 64; 0 chooses per kernel: 128 where M is a "
           "multiple of 128, the grid keeps at least 1024 blocks and the "
           "tiles fit 48 KiB of shared memory (not with K steps of 128 "
           "bytes), else 64">,
    Option<"blockN", "block-n", "int64_t", /*default=*/"64",
           "Columns (N) of a block's output tile: 64, or 128 where two "
           "stages of the tiles fit max-shared-bytes and the kernel allows "
           "it (not a filter gradient whose N, ordered window x channels, "
           "has channels that are not a multiple of 128), else 64. 128 "
           "columns give each warp 64 (warps of 64 x 64 with block-m=128: "
           "32 mma.sync per 12 ldmatrix instead of 8 per 6 at 32 x 32, 128 "
           "accumulator registers per thread), half the blocks along N and "
           "half the reads of A per mma. Experimental, 64 by default until "
           "timed on a GPU">,
    Option<"vectorGathers", "vector-gathers", "bool", /*default=*/"true",
           "Gather an operand that is contiguous along K in runs of whole "
           "16-byte vectors (the output gradient of a filter gradient, 1x1 "
           "filters, a 1x1 filter gradient's input) 16 bytes of consecutive "
           "k per thread, one load and one shared store per vector, the "
           "buffers' starts assumed 16-byte aligned (and a filter "
           "gradient's input whose output rows hold whole vectors, unless "
           "N is ordered window x channels: loaded an element at a time, "
           "stored a vector at a time); false: one element at a time, for "
           "comparison">,
    Option<"asyncCopies", "async-copies", "bool", /*default=*/"false",
           "With vector-gathers: copy a vector operand that is a plain load "
           "of a buffer of the operand type (the output gradient of a filter "
           "gradient, 1x1 filters, a 1x1 filter gradient's input) from "
           "global to shared memory without registers, "
           "nvgpu.device_async_copy (cp.async, 16 bytes, bypassing L1; "
           "rows outside the GEMM zero-filled), waited for before the "
           "barrier that ends the gather; vector loads and stores in the "
           "CPU emulation">,
    Option<"filterCopies", "filter-copies", "bool", /*default=*/"false",
           "Read a KxK filter (K > 1) whose channels are a multiple of the "
           "K step (16 f32, 32 f16 or bf16) in (f, kh, kw, c) order: the linalg.generic that writes it for "
           "the convolution alone (the Tune fold, backward-data's flip) "
           "writes that order instead, else a linalg.transpose copies it "
           "before the convolution; its K steps, ordered window x channels, "
           "then read it in 16-byte vectors instead of one element per "
           "32-byte sector (and, with async-copies, by cp.async); "
           "experimental, off by default until timed on a GPU">,
    Option<"inputCopies", "input-copies", "bool", /*default=*/"false",
           "Read the input of a KxK convolution (K > 1) whose channels are "
           "a multiple of the K step from a copy in (n, h, w, c) order that a "
           "linalg.transpose writes before the convolution (from the "
           "source of its padded copy, whose padding the gather then "
           "checks); its K steps, ordered window x channels, then read it "
           "in 16-byte vectors along the channels instead of one element "
           "per output position (and, with async-copies, by cp.async); "
           "experimental, off by default until timed on a GPU">,
    Option<"filterGradientInputCopies", "filter-gradient-input-copies",
           "bool", /*default=*/"false",
           "Read the input of a backward-filter reduction whose N is ordered "
           "window x channels (KxK, channels a multiple of 64) from a copy "
           "in (n, h, w, c) order, swept along B's rows: a warp's lanes "
           "read 32 consecutive channels of one position instead of runs "
           "of an output row (the forward convolution's copy where "
           "input-copies made one of the same input, else a "
           "linalg.transpose writes one); fewer sectors, more index "
           "arithmetic per element; experimental, off by default until "
           "timed on a GPU">,
    Option<"splitK", "split-k", "bool", /*default=*/"true",
           "Split the K of a backward-filter reduction whose grid has "
           "fewer than 528 blocks (4 per SM of an H100 or H200) into ranges "
           "of whole K steps (at least 8), one block each, which add their "
           "sums to the output atomically (its initialization then stays a "
           "kernel of its own); the order of those additions varies from "
           "run to run, as with cuDNN's default backward-filter algorithms">,
    Option<"splitKConvolutions", "split-k-convolutions", "bool",
           /*default=*/"false",
           "Split the K of a forward or backward-data convolution whose "
           "grid has fewer than 528 blocks (ResNet-50's 7x7 and 14x14 "
           "layers) the same way as split-k does a backward-filter "
           "reduction's: ranges of whole K steps, one block each, adding "
           "to the output atomically (its initialization, the bias, then "
           "a kernel of its own); the sums' order varies from run to run. "
           "Experimental, off by default until timed on a GPU">,
    Option<"blocksPerSM", "blocks-per-sm", "int64_t", /*default=*/"0",
           "Lay the shared tiles out for this many blocks per SM of sm_90 "
           "(228 KiB, 1 KiB reserved per block): the output tile over the "
           "operand tiles where side by side they would leave room for "
           "fewer (64 x 64 f32 tiles, two stages: 20 KiB instead of 38 KiB, "
           "5 blocks an SM). Pair it with -convbn-cap-kernel-registers"
           "{min-blocks-per-sm}, which has ptxas fit the registers to it; 0 "
           "(the default): no target, the tiles side by side wherever they "
           "fit 48 KiB">,
    Option<"imagesAlongN", "images-along-n", "bool", /*default=*/"true",
           "Make a convolution whose images' output positions leave each "
           "image's last 64-column tile partly empty (7x7: 49 of 64, 14x14: "
           "196 of 256) one GEMM over all its images, N = images x "
           "positions, so that tiles span images and only the last tile is "
           "partly empty; false: one image per grid z, for comparison">,
    Option<"kStepBytes", "k-step-bytes", "int64_t", /*default=*/"64",
           "Bytes of each operand row per K step, at least 16 elements: 64 "
           "(16 f32, two TF32 mma.sync k-steps of 8; 32 f16 or bf16, two "
           "k-steps of 16), 32 (16-bit steps of 16, one k-step: for "
           "comparison) or 128 (32 f32, 64 f16 or bf16: twice the mma.sync "
           "per barrier, gather and index computation, for twice the "
           "registers carrying the next step and twice the operand tiles; "
           "128-row blocks then do not fit 48 KiB of shared memory). A GEMM "
           "whose channels (or K) a step does not divide takes the widest "
           "narrower step that does, for the layouts and vectors that need "
           "whole steps">,
    Option<"cpuEmulation", "cpu-emulation", "bool", /*default=*/"false",
           "Emit the same kernel as host loops (one loop over the block's "
           "threads between two barriers, vector.contract in place of "
           "mma.sync), for the CPU pipeline: checks the kernel's tiling and "
           "index arithmetic where there is no GPU">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def ConvBNLowerBF16MmaSync : Pass<"convbn-lower-bf16-mma-sync"> {
  let summary = "GPU: bf16 `nvgpu.mma.sync` to `nvvm.mma.sync`";
  let description = [{
    Rewrites every `nvgpu.mma.sync` with bf16 operands and an f32
    accumulator into NVVM's bf16 `mma.sync` (PTX
    `mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32`, or m16n8k8):
    upstream's `convert-nvgpu-to-nvvm` (MLIR 22) has no PTX type for bf16
    operands and fails on them. Each fragment row of two bf16 elements
    becomes one 32-bit register (bf16 fragments have f16's layout), the
    accumulator and the result are row-major scalars. Run before
    `convert-nvgpu-to-nvvm`; other `nvgpu.mma.sync` ops are left to it.
  }];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def ConvBNSplitReductions : Pass<"convbn-split-reductions"> {
  let summary = "Split reductions into lanes and a sum of the lanes (GPU: enough threads; CPU: vector lanes)";
  let description = [{
    On the GPU every parallel iteration of a loop nest is a thread that runs
    the reduction loops itself. A reduction with fewer than `parallelism`
    parallel iterations (the per-channel sums: images x channels; tune's
    weight-sized sums: one per filter) would leave most of the GPU idle,
    with neighbouring threads reading addresses a feature map apart. Such a
    `linalg.generic` on tensors (static shapes, projected-permutation maps,
    consecutive reduction loops that every input using them indexes
    innermost) has its reduction loops merged into one
    (`collapseOpIterationDims`) and split by upstream's
    `linalg::splitReduction` in its inner-parallel form: partial sums with
    an extra innermost dimension of L lanes, lane t summing the terms t,
    t + L, t + 2L, ... (neighbouring threads read neighbouring addresses),
    then a generic that sums the lanes. A generic with several outputs
    (batch norm's backward: the sum of the output gradient and of its
    product with the centred or normalized output, in one pass), which
    upstream's split does not take, is split the same way by this pass,
    provided each output is reduced by one combiner with a neutral element
    (`arith.addf`): one partial generic with an output of lanes per output,
    the inputs still read once, then one generic per output that combines
    its lanes. Where the inputs keep only the innermost of several
    reduction loops innermost (Tune's gamma gradient fused with the filter
    gradient, which it reads in the GEMM's blocks of channels), only those
    are merged and split, the others staying reductions of the partials
    (by this pass too: upstream's split takes one reduction loop). The
    partial op's loops are reordered
    (`interchangeGenericOp`) so that the lanes are the innermost parallel
    loop and the reduction comes last. L is the smallest divisor of the
    number of terms it splits that brings the parallel iterations to
    `parallelism` (else the largest), with at least `min-terms` of all the
    reduction's terms per lane; a
    reduction with no such divisor is left alone. The sums keep their
    accumulator type (f64 by default); only the order of the additions
    changes. `-convbn-gpu-pipeline` runs it (`split-reductions`).

    With `lanes` > 0, every reduction the pass takes is split into the
    largest divisor of its terms up to `lanes` instead, whatever its
    parallel iterations: independent sums that a vectorizer can run side by
    side without reassociating them (`-convbn-cpu-pipeline{vectorize=true}`
    runs it with `lanes=32 min-terms=4`, and
    `-convbn-collapse-contiguous-loops` then moves the lanes innermost).
  }];
  let options = [
    Option<"parallelism", "parallelism", "int64_t", /*default=*/"65536",
           "Split reductions with fewer parallel iterations than this">,
    Option<"minTerms", "min-terms", "int64_t", /*default=*/"32",
           "Least number of terms each lane sums">,
    Option<"lanes", "lanes", "int64_t", /*default=*/"0",
           "If > 0, split every reduction it takes into the largest divisor "
           "of its terms up to this many lanes, whatever its parallel "
           "iterations (for vector units: lanes are independent sums)">,
  ];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvBNPromoteAccumulators : Pass<"convbn-promote-accumulators"> {
  let summary = "Keep the element a loop accumulates into in a register (an iteration argument)";
  let description = [{
    `convert-linalg-to-parallel-loops` and `convert-linalg-to-loops` write a
    reduction as an `scf.for` that loads the output element, adds a term and
    stores the element back in every iteration. LLVM keeps the value but
    not the stores, because it cannot tell that the buffers the loop reads
    do not alias the output (they are plain pointers by then): on the GPU
    every term then costs a store to global memory. For every `scf.for`
    outside GPU code whose body holds a `memref.store` to an element whose
    buffer and indices are defined outside the loop, and one
    `memref.load` of the same element before it, this pass makes the
    element an iteration argument of the loop (loaded once before it,
    stored once after it), provided nothing else in the loop writes memory
    and every other read is proven apart from the buffer by MLIR's alias
    analysis (a buffer allocated in the function is apart from the
    function's arguments and from other allocations). Inner loops come
    first, so a nest of reduction loops carries the element through all of
    them. Any other loop is left as it is.

    When the load then sits at the top of an `scf.parallel` nest that
    stores every element of the buffer exactly once (its induction
    variables are the indices, over the buffer's whole static shape), and
    the nest before it, with nothing touching the buffer in between, only
    fills the buffer with a constant (the zero fill of a reduction's
    output), the accumulator starts from that constant and the fill nest is
    erased: on the GPU, one kernel fewer per reduction.
  }];
  let dependentDialects = [
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def ConvBNAlignWorkgroupBuffers : Pass<"convbn-align-workgroup-buffers"> {
  let summary = "Align the shared-memory buffers of GPU kernels";
  let description = [{
    Sets `llvm.align` on every workgroup attribution of every `gpu.func`
    whose alignment is smaller than `alignment` bytes: the NVVM lowering
    otherwise aligns a shared-memory buffer to its element type only, and
    `ldmatrix` needs 16-byte aligned rows. Run after kernel outlining.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"16",
           "Minimum alignment in bytes (a power of two)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def ConvBNMergeGPUModules : Pass<"convbn-merge-gpu-modules", "::mlir::ModuleOp"> {
  let summary = "Move the kernels of all the gpu.modules into one";
  let description = [{
    `gpu-kernel-outlining` puts every kernel in a `gpu.module` of its own,
    and `gpu-module-to-binary` translates each module and runs one `ptxas`
    process per module. A network's library has thousands of kernels, and
    ptxas's start-up (about 25 ms on sm_90) then costs more than its work
    on most of them. This pass moves the contents of all the modules with
    the same attributes (targets, offloading handler) into one new module
    named `module-name` (made unique among the top-level symbols): one
    translation, one ptxas run and one module load at run time for all of
    them. A module's only launched kernel is renamed after the module,
    which was unique (outlining names the kernels after their host
    function, so they repeat; profilers then tell them apart). Other
    symbols keep their names unless the new module has them already: an
    external declaration (a function without a body, such as libdevice's;
    an external global without an initializer, such as the dynamic shared
    memory) is then kept once if it is the same op, an error otherwise; a
    definition is renamed to a unique name, its uses with it. Every
    reference into a merged module (`gpu.launch_func @m::@k`) is
    rewritten. Run at any point after kernel outlining; the GPU pipeline
    runs it just before `gpu-module-to-binary`, so that the passes nested
    on `gpu.module` still run on the modules in parallel.
  }];
  let options = [
    Option<"moduleName", "module-name", "std::string",
           /*default=*/"\"kernels\"",
           "Name of the module that receives the kernels">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def ConvBNCapKernelRegisters : Pass<"convbn-cap-kernel-registers"> {
  let summary = "Cap the registers of the GPU kernels that use shared memory";
  let description = [{
    Sets `nvvm.maxnreg` (PTX `.maxnreg`) to `max-registers` on every
    `gpu.func` kernel with a workgroup attribution or
    `gpu.dynamic_shared_memory` (the tensor-core kernels). Without it
    ptxas chooses the registers of such a kernel by the occupancy its
    static shared memory allows: the one-block example's
    backward-data kernel with the operand copies, the same code, gets 92
    registers with 38 KiB of shared memory and 56 (spilling) with 20 KiB.
    The cap makes that a stated choice: ptxas then uses up to `max-registers` whatever the
    shared memory. 0 leaves the kernels as they are. `min-blocks-per-sm`
    states an occupancy instead: `nvvm.minctasm` (PTX `.minnctapersm`),
    from which ptxas derives the cap (for blocks of 128 threads on sm_90:
    80 registers for 6 blocks, 72 for 7, 64 for 8), on the kernels whose
    static shared memory lets that many blocks fit an SM; the others
    (larger tiles, more stages, dynamic shared memory) are left to ptxas.
    Run after kernel outlining.
  }];
  let options = [
    Option<"maxRegisters", "max-registers", "int64_t", /*default=*/"0",
           "Registers per thread, 0 (ptxas chooses) or 32 to 255">,
    Option<"minBlocksPerSM", "min-blocks-per-sm", "int64_t", /*default=*/"0",
           "Blocks of each such kernel that one SM should run at once, 0 "
           "(no target) or 1 to 32: nvvm.minctasm (PTX .minnctapersm), so "
           "that ptxas gives it at most the registers that let so many "
           "blocks of its .maxntid threads fit; only on kernels whose static "
           "shared memory lets so many fit (sm_90: 228 KiB an SM, 1 KiB "
           "reserved per block)">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def ConvBNNarrowLoopCounters : Pass<"convbn-narrow-loop-counters"> {
  let summary = "Count loops with small constant bounds in 32 bits";
  let description = [{
    Gives every `scf.for` over `index` whose lower bound, upper bound and
    step are constants, the bounds not below zero and the upper bound plus
    the step below 2^31, an `i32` induction variable, bounds and step, and
    casts the induction variable back to `index` (`arith.index_castui`) at
    the top of its body for the ops that use it. Integer range analysis
    sees the loop's values as before, and `-arith-int-range-narrowing`
    then narrows the index arithmetic on them as before; what changes is
    the loop itself, whose counter, increment and comparison were 64-bit
    on a GPU (two instructions each, with the carry). Loop-carried values
    keep their types. Loops of fewer than `min-trips` trips keep their
    counter too: ptxas (CUDA 13, sm_90) unrolls whole a tensor-core K loop
    of up to 16 steps that counts in 64 bits, and not the same loop
    counting in 32 (the one-block example's forward K loop of 9 steps:
    about 64 SASS instructions per step unrolled, 100 as a loop). Part of
    the pipelines' `narrow-indices` stage, ahead of
    `-arith-int-range-narrowing`.
  }];
  let options = [
    Option<"minTrips", "min-trips", "int64_t", /*default=*/"17",
           "Narrow only loops of at least this many trips (1: every loop)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def ConvBNExternDynamicSharedMemory
    : Pass<"convbn-extern-dynamic-shared-memory"> {
  let summary = "GPU: dynamic shared memory as an external, unsized array";
  let description = [{
    Gives every zero-sized LLVM global in the shared address space (3)
    external linkage: the declaration that upstream's NVVM lowering makes
    for `gpu.dynamic_shared_memory` (`__dynamic_shmem__N`, internal) then
    becomes PTX's `.extern .shared .align 16 .b8 __dynamic_shmem__N[]`,
    CUDA's form for dynamic shared memory, whose size the launch gives.
    Internal, PTX has a static one-byte variable there, which the kernel
    addresses far past its end. Run after `convert-gpu-to-nvvm`, on the
    GPU modules.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def ConvBNCopyToLinalg : Pass<"convbn-copy-to-linalg"> {
  let summary = "Turn memref.copy into linalg.copy";
  let description = [{
    Bufferization emits `memref.copy` for tensor copies (padding, slices).
    As `linalg.copy` they become parallel loops like every other linalg op,
    so on the GPU they run as kernels instead of host loops. With
    `strided-only`, only the copies with a non-contiguous side: the ones
    `finalize-memref-to-llvm` would otherwise lower to a call of the
    runtime's generic, element-by-element `memrefCopy` (a padded input's
    interior, for one), which on the CPU become loops that LLVM vectorizes;
    contiguous copies stay `memcpy`.
  }];
  let options = [
    Option<"stridedOnly", "strided-only", "bool", /*default=*/"false",
           "Only copies with a source or target that is not contiguous">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def ConvBNMapLoopsToGPU : Pass<"convbn-map-loops-to-gpu"> {
  let summary = "Flatten and tile each outermost scf.parallel into blocks x threads";
  let description = [{
    Every outermost `scf.parallel` outside GPU code is collapsed into one
    dimension, tiled by `block-size` (an `scf.if` guards the last block)
    and annotated so that `convert-parallel-loops-to-gpu` maps the tile loop
    to blocks and the intra-tile loop to threads: one GPU launch per loop
    nest, `block-size` threads per block, whatever the nest's rank.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::affine::AffineDialect"];
}

def ConvBNMergeKernels : Pass<"convbn-merge-kernels"> {
  let summary = "Concatenate the grids of independent block-mapped loop nests: one launch for several";
  let description = [{
    After `convbn-map-loops-to-gpu` every loop nest is one kernel launch,
    and the batch-norm arithmetic leaves many of them tiny and independent
    of each other (the folded weight and the folded bias, the filter
    transposes of a strided backward-data's phases, the last steps of the
    dgamma and dbeta reductions). For each nest in order (blocks from 0 to a
    constant, threads over one block), this pass finds the earliest earlier
    nest with the same block size that it may run beside, and makes the two
    one nest: blocks [0, ceil(N1/B)) run the first body, the following
    ceil(N2/B) blocks the second. A nest moves up past an op when they
    touch no common buffer with at least one of them writing it; the
    side-effect-free ops and allocations it uses move up with it, but no
    allocation moves above a deallocation (the peak footprint does not
    grow). Buffers are traced through view-like ops to an allocation or a
    function argument; distinct allocations and distinct function arguments
    are taken to be distinct buffers (the caller-allocated results of
    `buffer-results-to-out-params` are, and inputs are only read). An op
    with a memory effect on anything else (a global, a call's result), or
    on no buffer at all, stops the motion. Nests with dynamic bounds are
    left alone.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def ConvBNHostAllocToGPU : Pass<"convbn-host-alloc-to-gpu"> {
  let summary = "Allocate the intermediate buffers of host code on the device";
  let description = [{
    `memref.alloc` and `memref.dealloc` outside GPU code become `gpu.alloc`
    and `gpu.dealloc`: after mapping, buffers are only touched by kernels.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def ConvBNCheckHostCode : Pass<"convbn-check-host-code"> {
  let summary = "Fail if a loop or a memory access is left in host code";
  let description = [{
    After the GPU mapping, host code may only allocate, describe buffers and
    launch kernels. Any loop (`scf.for`, `scf.parallel`, `scf.while`), memory
    access (`memref.load`, `memref.store`, `memref.copy`) or linalg op outside
    GPU code is an error: it would run on the CPU, on device memory.
  }];
}

#endif // CONVBN_CONVERSION_PASSES_TD
