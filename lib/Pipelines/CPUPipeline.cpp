//===- CPUPipeline.cpp - convbn ops to LLVM for the CPU -------------------===//
//
// The pipeline is kept as upstream pass names so that what it runs is exactly
// what a user could type; each stage is documented in docs/pipeline.md.
//
//===----------------------------------------------------------------------===//

#include "convbn/Pipelines/Pipelines.h"

#include "PipelineStages.h"

using namespace mlir;
using namespace mlir::convbn;

std::string
mlir::convbn::getCPUPipelineString(const CPUPipelineOptions &options) {
  std::string vectorize;
  if (options.vectorize) {
    vectorize =
        "convbn-backward-filter-to-matmul{f32-chunk-positions=" +
        std::to_string(options.vectorF32ChunkPositions.getValue()) +
        (options.vectorChannelsLast ? "" : " channels-last=false") +
        " pack-lanes=" + std::to_string(options.vectorPackLanes.getValue()) +
        "},convbn-vectorize-convolutions";
    vectorize += "{reduction-block=" +
                 std::to_string(options.vectorReductionBlock.getValue());
    if (!options.vectorFilterLanes)
      vectorize += " filter-lanes=false";
    if (!options.vectorChannelsLast)
      vectorize += " channels-last=false";
    if (!options.vectorPointwise)
      vectorize += " pointwise=false";
    if (!options.vectorFilterBlocks)
      vectorize += " filter-blocks=false";
    auto list = [&](ArrayRef<int64_t> sizes) {
      llvm::interleave(
          sizes, [&](int64_t size) { vectorize += std::to_string(size); },
          [&] { vectorize += ","; });
    };
    if (!options.vectorChannelsLastTileSizes.empty()) {
      vectorize += " channels-last-tile-sizes=";
      list(options.vectorChannelsLastTileSizes);
    }
    if (!options.vectorContractionTileSizes.empty()) {
      vectorize += " contraction-tile-sizes=";
      list(options.vectorContractionTileSizes);
    }
    if (!options.vectorTileSizes.empty()) {
      vectorize += " tile-sizes=";
      list(options.vectorTileSizes);
    }
    vectorize += "}";
    // The accumulator tiles of the channels-last convolutions hoisted out
    // of their channel and kernel loops (upstream's hoisting of loop-
    // invariant subsets: the contractions' schedule does it itself), so
    // they stay in registers through the whole kernel window.
    // The copies the schedule added fused with the ones they read (the
    // channels-last filter of backward-data straight from the flipped
    // transpose); then, loops collapsed, the GEMMs' results fused into
    // their readers, reductions included (Tune's filter gradient into its
    // scaling and into gamma's sum); reductions as independent lanes
    // (vectorizable without reassociating the sums), then loops collapsed
    // with the lanes innermost, and what is left of transposes tiled into
    // blocks.
    vectorize += ",loop-invariant-subset-hoisting,"
                 "convbn-fuse-elementwise,"
                 "convbn-collapse-contiguous-loops,"
                 "convbn-fuse-elementwise{reductions=true},"
                 "convbn-split-reductions{lanes=32 min-terms=4},"
                 "convbn-collapse-contiguous-loops,";
    if (options.vectorTransposeBlock != 0)
      vectorize += "convbn-tile-transposes{block-size=" +
                   std::to_string(options.vectorTransposeBlock.getValue()) +
                   "},";
    vectorize += "canonicalize,";
  }
  // The vectorized convolutions write contiguous rows: strided
  // backward-data's phases are computed apart and copied into place.
  std::string pipeline = detail::linalgOnBuffersStages(
      options.evalToTune, options.resultsToOutParams,
      vectorize + detail::splitReductionsStage(options.splitReductions),
      /*phasesInPlace=*/!options.vectorize,
      options.emulateTensorCores ? options.tensorCoreStackedPhasesRows : 0);
  if (options.emulateTensorCores) {
    pipeline += detail::tensorCoreStage("cpu-emulation=true ", options);
    if (options.traceGlobalLoads)
      pipeline += "convbn-trace-global-loads,";
  }
  pipeline += options.gpuLoops > 0
                  ? detail::gpuLoopStages(options.gpuLoops,
                                          /*mergeKernels=*/true)
                  // Strided copies as loops LLVM vectorizes, not calls
                  // of the runtime's element-by-element memrefCopy.
                  : "convbn-copy-to-linalg{strided-only=true},"
                    "convert-linalg-to-loops,";
  // As the GPU pipeline narrows its kernels' index arithmetic.
  if ((options.emulateTensorCores || options.gpuLoops > 0) &&
      options.narrowIndices)
    pipeline += detail::narrowIndexStage("func.func");
  bool vectorOps = options.vectorize || options.emulateTensorCores;
  // Vector transfers fully unrolled: otherwise their temporary buffers are
  // stack allocations inside loops.
  if (vectorOps)
    pipeline += "convert-vector-to-scf{full-unroll=true},";
  pipeline += "convert-scf-to-cf,"
              "expand-strided-metadata,"
              "lower-affine,";
  if (vectorOps)
    pipeline += "convert-vector-to-llvm,";
  if (options.runtimeAllocator)
    pipeline += "finalize-memref-to-llvm{use-generic-functions=true use-aligned-alloc=true},";
  // f32 <-> bf16 conversions as integer arithmetic, rounding to nearest
  // even and keeping subnormals, as PyTorch and the GPU do, on every CPU:
  // x86's AVX512-BF16 conversion, which LLVM picks where -march allows it,
  // flushes subnormal inputs to zero.
  pipeline += "arith-expand{include-bf16=true},"
              "convert-to-llvm,"
              "reconcile-unrealized-casts";
  return pipeline;
}

void mlir::convbn::buildCPUPipeline(OpPassManager &pm,
                                    const CPUPipelineOptions &options) {
  detail::parseInto(pm, getCPUPipelineString(options), "convbn-cpu-pipeline");
}

namespace {
/// Why `options` make no sense together (empty if they do).
std::string conflicts(const CPUPipelineOptions &options) {
  if (options.traceGlobalLoads && !options.emulateTensorCores)
    return "trace-global-loads traces the emulated tensor-core kernels: it "
           "needs emulate-tensor-cores=true";
  return "";
}
std::string conflicts(const GPUPipelineOptions &) { return ""; }

/// Registers a pipeline as PassPipelineRegistration<Options> does, except
/// that options which do not parse are reported through the pipeline
/// parser's error handler instead of straight to stderr: -pass-pipeline's
/// error, and the C API's diagnostics that Python raises, then name the
/// option, not only the pipeline. So are options that conflict
/// (conflicts()).
template <typename Options>
void registerPipeline(StringRef name, StringRef description,
                      void (*build)(OpPassManager &, const Options &)) {
  registerPassPipeline(
      name, description,
      [build](OpPassManager &pm, StringRef text,
              function_ref<LogicalResult(const Twine &)> errorHandler) {
        Options options;
        std::string message;
        llvm::raw_string_ostream stream(message);
        if (failed(options.parseFromString(text, stream))) {
          // An unknown option's message comes through `stream`; a value
          // that does not parse, only through llvm::cl's own stderr.
          StringRef reason = StringRef(message).trim();
          reason.consume_front("<Pass-Options-Parser>: ");
          return errorHandler(
              reason.empty() ? "an option's value does not parse" : reason);
        }
        if (std::string conflict = conflicts(options); !conflict.empty())
          return errorHandler(conflict);
        build(pm, options);
        return success();
      },
      [](function_ref<void(const mlir::detail::PassOptions &)> handler) {
        handler(Options());
      });
}
} // namespace

void mlir::convbn::registerPipelines() {
  registerPipeline<CPUPipelineOptions>(
      "convbn-cpu-pipeline",
      "Compile convbn ops (forward and backward) to the LLVM dialect for the "
      "CPU: eval->tune, convbn->linalg, bufferization, loops, LLVM",
      buildCPUPipeline);
  registerPipeline<GPUPipelineOptions>(
      "convbn-gpu-pipeline",
      "Compile convbn ops (forward and backward) for NVIDIA GPUs: "
      "eval->tune, convbn->linalg, kernels for every loop nest, NVVM, host "
      "code calling libconvbn_cuda_runtime",
      buildGPUPipeline);
}
