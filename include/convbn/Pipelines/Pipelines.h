//===- Pipelines.h - Named end-to-end pipelines -----------------*- C++ -*-===//

#ifndef CONVBN_PIPELINES_PIPELINES_H
#define CONVBN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
namespace convbn {

/// Options that -convbn-cpu-pipeline and -convbn-gpu-pipeline share, under
/// the same names: the first rewrite, and the tensor-core kernels (built for
/// the GPU with tensor-cores=true, emulated by host loops on the CPU with
/// emulate-tensor-cores=true, so that the CPU checks what the GPU runs).
template <typename Derived>
struct SharedPipelineOptions : public PassPipelineOptions<Derived> {
  template <typename T> using Option = ::mlir::detail::PassOptions::Option<T>;

  Option<bool> evalToTune{
      *this, "eval-to-tune",
      llvm::cl::desc("Rewrite eval-mode blocks into tune mode first (same "
                     "values and gradients, less memory)"),
      llvm::cl::init(true)};
  Option<bool> tensorCorePrefetch{
      *this, "tensor-core-prefetch",
      llvm::cl::desc("Tensor-core kernels: two stages of shared tiles, each K "
                     "step loading the next step's tile elements into "
                     "registers before its mma.sync work and storing them "
                     "after (false: one stage, gather then multiply, for "
                     "comparison)"),
      llvm::cl::init(true)};
  Option<bool> tensorCoreVectorGathers{
      *this, "tensor-core-vector-gathers",
      llvm::cl::desc("Tensor-core kernels: gather operands contiguous along "
                     "K in whole 16-byte vectors a vector per thread, one "
                     "16-byte load and shared store each "
                     "(-convbn-tensor-core-convolutions{vector-gathers}; "
                     "false: an element at a time, for comparison)"),
      llvm::cl::init(true)};
  Option<bool> tensorCoreAsyncCopies{
      *this, "tensor-core-async-copies",
      llvm::cl::desc("Tensor-core kernels: with tensor-core-vector-gathers, "
                     "operands that are plain 16-byte vectors of a buffer "
                     "copied from global to shared memory without registers "
                     "(cp.async; -convbn-tensor-core-convolutions"
                     "{async-copies}); experimental, off by default until "
                     "timed on a GPU"),
      llvm::cl::init(false)};
  Option<bool> tensorCoreFilterCopies{
      *this, "tensor-core-filter-copies",
      llvm::cl::desc("Tensor-core kernels: copy KxK filters (K > 1, channels "
                     "a multiple of 16) into (f, kh, kw, c) order first, so "
                     "that they are gathered in 16-byte vectors "
                     "(-convbn-tensor-core-convolutions{filter-copies}); "
                     "experimental, off by default until timed on a GPU"),
      llvm::cl::init(false)};
  Option<bool> tensorCoreSplitK{
      *this, "tensor-core-split-k",
      llvm::cl::desc("Tensor-core kernels: backward-filter reductions with "
                     "few blocks split along K among more blocks, which add "
                     "their sums atomically "
                     "(-convbn-tensor-core-convolutions{split-k}; false: "
                     "one block per output tile, for comparison)"),
      llvm::cl::init(true)};
  Option<bool> tensorCoreSplitKConvolutions{
      *this, "tensor-core-split-k-convolutions",
      llvm::cl::desc("Tensor-core kernels: forward and backward-data "
                     "convolutions with few blocks split along K too, adding "
                     "atomically "
                     "(-convbn-tensor-core-convolutions{split-k-convolutions}"
                     "); experimental, off by default until timed on a GPU"),
      llvm::cl::init(false)};
  Option<bool> tensorCoreInputCopies{
      *this, "tensor-core-input-copies",
      llvm::cl::desc("Tensor-core kernels: copy the input of KxK "
                     "convolutions (K > 1, channels a multiple of 16) into "
                     "(n, h, w, c) order first, so that it is gathered in "
                     "16-byte vectors along the channels "
                     "(-convbn-tensor-core-convolutions{input-copies}); "
                     "experimental, off by default until timed on a GPU"),
      llvm::cl::init(false)};
  Option<bool> tensorCoreFilterGradientInputCopies{
      *this, "tensor-core-filter-gradient-input-copies",
      llvm::cl::desc("Tensor-core kernels: read the input of KxK "
                     "backward-filter reductions (channels a multiple of "
                     "64) from an (n, h, w, c) copy, a warp's lanes on "
                     "consecutive channels (-convbn-tensor-core-convolutions"
                     "{filter-gradient-input-copies}); experimental, off by "
                     "default until timed on a GPU"),
      llvm::cl::init(false)};
  Option<bool> tensorCoreImagesAlongN{
      *this, "tensor-core-images-along-n",
      llvm::cl::desc("Tensor-core kernels: a convolution whose output "
                     "positions per image leave the last 64-column tile "
                     "partly empty (7x7, 14x14, 28x28) is one GEMM over all "
                     "its images, tiles spanning images "
                     "(-convbn-tensor-core-convolutions{images-along-n}; "
                     "false: one image per grid z, for comparison)"),
      llvm::cl::init(true)};
  Option<int64_t> tensorCoreKStepBytes{
      *this, "tensor-core-k-step-bytes",
      llvm::cl::desc("Tensor-core kernels: bytes of each operand row per K "
                     "step, 64 (16 f32 or 32 f16/bf16 elements, two mma.sync "
                     "k-steps), 32 (16-bit steps of 16, for comparison) or "
                     "128 (32 f32 or 64 f16/bf16 elements, 64-row blocks) "
                     "(-convbn-tensor-core-convolutions{k-step-bytes})"),
      llvm::cl::init(64)};
  Option<int64_t> tensorCoreStages{
      *this, "tensor-core-stages",
      llvm::cl::desc("Tensor-core kernels: stages of shared operand tiles, "
                     "2, 3 or 4; more than 2 for kernels whose operands are "
                     "all copied by cp.async (tensor-core-async-copies, and "
                     "for KxK convolutions tensor-core-filter-copies and "
                     "tensor-core-input-copies), several K steps' copies in "
                     "flight (-convbn-tensor-core-convolutions{stages}); "
                     "experimental, 2 by default until timed on a GPU"),
      llvm::cl::init(2)};
  Option<int64_t> tensorCoreMaxSharedBytes{
      *this, "tensor-core-max-shared-bytes",
      llvm::cl::desc("Tensor-core kernels: the shared memory a kernel may "
                     "take, 49152 (48 KiB, static) to 232448 (227 KiB); "
                     "above 48 KiB in dynamic shared memory, which the "
                     "runtime opts each kernel into "
                     "(-convbn-tensor-core-convolutions{max-shared-bytes}); "
                     "experimental, 49152 by default until timed on a GPU"),
      llvm::cl::init(49152)};
  Option<int64_t> tensorCoreBlockM{
      *this, "tensor-core-block-m",
      llvm::cl::desc("Tensor-core kernels: rows of a block's output tile, 64 "
                     "(warps of 32 x 32) or 128 (warps of 64 x 32, fewer "
                     "shared-memory accesses per mma) where M is above 64; "
                     "0 chooses per kernel "
                     "(-convbn-tensor-core-convolutions{block-m})"),
      llvm::cl::init(0)};
  Option<int64_t> tensorCoreBlockN{
      *this, "tensor-core-block-n",
      llvm::cl::desc("Tensor-core kernels: columns of a block's output tile, "
                     "64 or 128 (warps 64 columns wide, fewer shared-memory "
                     "accesses per mma) where the kernel allows it and its "
                     "tiles fit; experimental "
                     "(-convbn-tensor-core-convolutions{block-n})"),
      llvm::cl::init(64)};
  Option<int64_t> tensorCoreBlocksPerSM{
      *this, "tensor-core-blocks-per-sm",
      llvm::cl::desc("Tensor-core kernels: blocks per SM to lay them out "
                     "for, 0 (no target: 5 for most, by their 38 KiB of "
                     "shared tiles and ptxas's registers) to 16: the output "
                     "tile over the operand tiles where side by side they "
                     "would leave room for fewer "
                     "(-convbn-tensor-core-convolutions{blocks-per-sm}), and "
                     "on the GPU ptxas's registers fitted to it "
                     "(-convbn-cap-kernel-registers{min-blocks-per-sm}: 80 "
                     "for 6, 64 for 8); experimental, 0 by default until "
                     "timed on a GPU"),
      llvm::cl::init(0)};
  Option<int64_t> tensorCoreStackedPhasesRows{
      *this, "tensor-core-stacked-phases-rows",
      llvm::cl::desc("Tensor-core kernels: a strided backward-data whose "
                     "input channels times stride phases are at most this "
                     "many (a network's first layer: 3 x 4) is one GEMM of "
                     "the phases stacked along M, then a depth-to-space "
                     "transpose, instead of one nearly empty GEMM per phase "
                     "(-convert-convbn-to-linalg{stacked-phases-rows}); 0: "
                     "a GEMM per phase"),
      llvm::cl::init(64)};
  Option<bool> narrowIndices{
      *this, "narrow-indices",
      llvm::cl::desc("Kernels' index arithmetic (on the CPU: with "
                     "emulate-tensor-cores or gpu-loops) in 32 bits wherever "
                     "integer range analysis (thread and block ids bounded "
                     "by the launch) proves that it fits, extended to 64 bits "
                     "only for addresses, and the counters of loops with "
                     "small constant bounds (-convbn-narrow-loop-counters, "
                     "-arith-int-range-narrowing; false: all of it in 64 "
                     "bits, for comparison)"),
      llvm::cl::init(true)};
};

/// Options of -convbn-cpu-pipeline.
struct CPUPipelineOptions : public SharedPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<bool> resultsToOutParams{
      *this, "out-params",
      llvm::cl::desc("Return results through caller-allocated memref "
                     "arguments appended to each function (for C callers)"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> gpuLoops{
      *this, "gpu-loops",
      llvm::cl::desc("If > 0, lower through the GPU pipeline's loop "
                     "structure (copies as linalg, every loop nest flattened "
                     "and tiled into blocks of this many threads, tails "
                     "guarded, independent nests merged) and run the nests "
                     "sequentially: checks the GPU mapping's index "
                     "arithmetic on the CPU"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("2-D convolutions as tiled, vectorized im2col "
                     "contractions and backward-filter reductions as "
                     "vectorized GEMMs, reductions split into lanes and "
                     "other loop nests collapsed for LLVM's vectorizer "
                     "(-convbn-backward-filter-to-matmul, "
                     "-convbn-vectorize-convolutions, "
                     "-convbn-split-reductions{lanes=32}, "
                     "-convbn-collapse-contiguous-loops); experimental"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> emulateTensorCores{
      *this, "emulate-tensor-cores",
      llvm::cl::desc("2-D convolutions and backward-filter reductions "
                     "through the GPU pipeline's tensor-core kernels, "
                     "emulated by host loops "
                     "(-convbn-tensor-core-convolutions{cpu-emulation=true}): "
                     "checks their tiling and index arithmetic on the CPU"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> traceGlobalLoads{
      *this, "trace-global-loads",
      llvm::cl::desc("With emulate-tensor-cores: count what the kernels' "
                     "gathers read from global memory (requests, 32-byte "
                     "sectors) through the runtime's tracer "
                     "(-convbn-trace-global-loads; link with "
                     "libconvbn_cpu_runtime); slows the emulation down"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> splitReductions{
      *this, "split-reductions",
      llvm::cl::desc("If > 0, split reductions with fewer parallel "
                     "iterations than this into lanes and a sum of the lanes "
                     "(-convbn-split-reductions, as the GPU pipeline does): "
                     "with gpu-loops, checks the GPU's reductions on the CPU"),
      llvm::cl::init(0)};
  PassOptions::ListOption<int64_t> vectorTileSizes{
      *this, "vector-tile-sizes",
      llvm::cl::desc("With vectorize: tile-size limits of the im2col "
                     "contractions (batch, filters, positions, reduction)")};
  PassOptions::Option<int64_t> vectorReductionBlock{
      *this, "vector-reduction-block",
      llvm::cl::desc(
          "With vectorize: block the reduction of im2col contractions "
          "whose operands exceed the cache by about this many "
          "terms, outside the tiles, so operand blocks stay in "
          "cache (0: no blocking)"),
      llvm::cl::init(128)};
  PassOptions::Option<bool> vectorChannelsLast{
      *this, "vector-channels-last",
      llvm::cl::desc("With vectorize: convolutions as direct channels-last "
                     "convolutions (transposed copies of the input and "
                     "filters, 1-D convolutions with the filters in the "
                     "vector lanes) and filter gradients as channels x "
                     "filters contractions on channels-last copies, instead "
                     "of im2col contractions"),
      llvm::cl::init(true)};
  PassOptions::ListOption<int64_t> vectorChannelsLastTileSizes{
      *this, "vector-channels-last-tile-sizes",
      llvm::cl::desc("With vectorize: tile-size limits of the channels-last "
                     "convolutions (output width, filters, channels)")};
  PassOptions::Option<bool> vectorFilterBlocks{
      *this, "vector-filter-blocks",
      llvm::cl::desc("With vectorize: channels-last convolutions and "
                     "filters-in-lanes GEMMs copy their filters in blocks "
                     "of one tile's filters, each contiguous, and run one "
                     "convolution or GEMM per block"),
      llvm::cl::init(true)};
  PassOptions::ListOption<int64_t> vectorContractionTileSizes{
      *this, "vector-contraction-tile-sizes",
      llvm::cl::desc("With vectorize: tile-size limits of the contractions "
                     "(the filter gradients and the filters-in-lanes GEMMs): "
                     "rows, lanes in f32 elements, innermost reduction "
                     "(default 8, 32, 8)")};
  PassOptions::Option<int64_t> vectorTransposeBlock{
      *this, "vector-transpose-block",
      llvm::cl::desc(
          "With vectorize: transposing copies (channels-last filters and "
          "inputs, the filters-in-lanes filter) tiled in blocks of at most "
          "this many along each moved dimension (-convbn-tile-transposes; "
          "0: not tiled)"),
      llvm::cl::init(8)};
  PassOptions::Option<bool> vectorFilterLanes{
      *this, "vector-filter-lanes",
      llvm::cl::desc("With vectorize: convolutions whose filters fill more "
                     "vector lanes than their output positions (7x7, 2x2) "
                     "become one GEMM with the filters in the lanes and the "
                     "batch folded into the positions"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> vectorPointwise{
      *this, "vector-pointwise",
      llvm::cl::desc("With vectorize: 1x1 convolutions at stride 1 as "
                     "contractions on reshaped views of their operands, "
                     "tiled like the filter gradients (accumulators in "
                     "registers for the whole reduction) instead of im2col"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> vectorPackLanes{
      *this, "vector-pack-lanes",
      llvm::cl::desc("With vectorize: the im2col filter gradients' windows "
                     "copied in panels of this many columns, each "
                     "contiguous, for the GEMM's lanes "
                     "(-convbn-backward-filter-to-matmul{pack-lanes}; 0: "
                     "not packed)"),
      llvm::cl::init(32)};
  PassOptions::Option<int64_t> vectorF32ChunkPositions{
      *this, "vector-f32-chunk-positions",
      llvm::cl::desc("With vectorize: the backward-filter GEMM sums in f32 "
                     "over chunks of whole images with at least this many "
                     "output positions, and in f64 across chunks (0: one "
                     "GEMM in f64)"),
      llvm::cl::init(2048)};
  PassOptions::Option<bool> runtimeAllocator{
      *this, "runtime-allocator",
      llvm::cl::desc("Heap buffers through MLIR's generic allocation "
                     "functions (finalize-memref-to-llvm{use-generic-"
                     "functions use-aligned-alloc}) instead of aligned_alloc"
                     "/malloc and free: link the code with "
                     "libconvbn_cpu_runtime, whose caching allocator reuses "
                     "them from call to call"),
      llvm::cl::init(false)};
};

/// Options of -convbn-gpu-pipeline.
struct GPUPipelineOptions : public SharedPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("GPU architecture (sm_90 for Hopper)"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features: the PTX ISA version (+ptx80 is accepted "
                     "by CUDA 12 and 13 drivers)"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Embedded GPU binary: isa (PTX, JIT-compiled by the "
                     "driver at load), bin (cubin, needs ptxas) or fatbin "
                     "(needs ptxas and fatbinary)"),
      llvm::cl::init("isa")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit: libdevice, ptxas and fatbinary are "
                     "taken from here"),
      llvm::cl::init("/usr/local/cuda")};
  PassOptions::Option<bool> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc("2-D convolutions (forward, backward-data and "
                     "backward-filter) as implicit-GEMM kernels on tensor "
                     "cores (mma.sync, -convbn-tensor-core-convolutions); "
                     "other loop nests are unchanged"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> tensorCoreMaxRegisters{
      *this, "tensor-core-max-registers",
      llvm::cl::desc("With tensor-cores: registers per thread that ptxas may "
                     "give each kernel with shared memory, 32 to 255 "
                     "(-convbn-cap-kernel-registers); 0: ptxas chooses by "
                     "the occupancy the kernel's shared memory allows"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> allowTF32{
      *this, "allow-tf32",
      llvm::cl::desc("With tensor-cores: f32 convolutions too, as TF32 "
                     "products with f32 accumulation (PyTorch's default for "
                     "cuDNN convolutions); otherwise only f16 and bf16 "
                     "ones"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> foldOperands{
      *this, "fold-operands",
      llvm::cl::desc("With tensor-cores: fold the output's initialization "
                     "into each kernel's epilogue and a zero-padded copy of "
                     "its input into its gathers (false: separate kernels, "
                     "for comparison)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> recomputeProducers{
      *this, "recompute-producers",
      llvm::cl::desc("With tensor-cores: compute weights made by an "
                     "elementwise kernel only for a convolution (the Tune "
                     "fold's W * k) in the convolution's gathers instead"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> splitReductions{
      *this, "split-reductions",
      llvm::cl::desc("Split reductions with fewer parallel iterations than "
                     "this (threads) into lanes and a sum of the lanes, so "
                     "that per-channel and per-filter sums fill the GPU "
                     "(-convbn-split-reductions); 0: one thread per result"),
      llvm::cl::init(65536)};
  PassOptions::Option<bool> mergeKernels{
      *this, "merge-kernels",
      llvm::cl::desc("Launch independent loop-nest kernels together, their "
                     "grids concatenated (-convbn-merge-kernels; false: one "
                     "launch per loop nest, for comparison)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> mergeGPUModules{
      *this, "merge-gpu-modules",
      llvm::cl::desc("Put every kernel in one gpu.module "
                     "(-convbn-merge-gpu-modules): one translation, one "
                     "ptxas run and one module load for all of them "
                     "(false: a module per kernel, as outlined)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> blockSize{*this, "block-size",
                                         llvm::cl::desc("Threads per block"),
                                         llvm::cl::init(256)};
  PassOptions::Option<int> optLevel{*this, "opt-level",
                                    llvm::cl::desc("NVVM optimization level"),
                                    llvm::cl::init(2)};
};

/// Fills `pm` with the GPU pipeline: convbn ops to the LLVM dialect with the
/// GPU binary embedded; every loop nest runs as a kernel, function results
/// are caller-allocated device buffers, and the host code calls the runtime
/// ABI that libconvbn_cuda_runtime.so implements.
void buildGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &options);
std::string getGPUPipelineString(const GPUPipelineOptions &options);

/// Fills `pm` (anchored on builtin.module) with the CPU pipeline: convbn ops
/// to the LLVM dialect, runnable with mlir-runner or compiled ahead of time.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// The textual form of the same pipeline, for logs and docs.
std::string getCPUPipelineString(const CPUPipelineOptions &options);

/// Registers the named pipelines with the pass registry.
void registerPipelines();

} // namespace convbn
} // namespace mlir

#endif // CONVBN_PIPELINES_PIPELINES_H
