//===- PipelineStages.h - Stages shared by the named pipelines --*- C++ -*-===//

#ifndef CONVBN_LIB_PIPELINES_PIPELINESTAGES_H
#define CONVBN_LIB_PIPELINES_PIPELINESTAGES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"
#include <string>

namespace mlir::convbn::detail {

/// convbn ops to bufferized linalg on memrefs: [eval -> tune], the linalg
/// lowering (strided backward-data's phases in place unless
/// `phasesInPlace` is false, stacked up to `stackedPhasesRows` rows) and its
/// elementwise chains fused, [`onTensors`:
/// passes on linalg on tensors, ending with a comma],
/// bufferization with identity layouts at function boundaries, [results as
/// caller-allocated arguments], deallocation. Ends with a comma.
inline std::string linalgOnBuffersStages(bool evalToTune, bool outParams,
                                         const std::string &onTensors = "",
                                         bool phasesInPlace = true,
                                         int64_t stackedPhasesRows = 0) {
  std::string stages = evalToTune ? "convbn-eval-to-tune," : "";
  stages += "canonicalize,";
  stages += "convert-convbn-to-linalg{phases-in-place=";
  stages += phasesInPlace ? "true" : "false";
  stages += " stacked-phases-rows=" + std::to_string(stackedPhasesRows) + "},";
  stages += "canonicalize,"
            "convbn-fuse-elementwise,";
  stages += onTensors;
  stages += "one-shot-bufferize{bufferize-function-boundaries "
            "function-boundary-type-conversion=identity-layout-map},";
  // Loops that yield their buffer folded away first, so that a result
  // computed in place is the allocation out-params hoists (no copy).
  if (outParams)
    stages += "canonicalize,"
              "buffer-results-to-out-params{hoist-static-allocs "
              "modify-public-functions},";
  stages += "buffer-deallocation-pipeline,"
            "convert-bufferization-to-memref,";
  return stages;
}

/// `-convbn-split-reductions` for `parallelism` > 0, ending with a comma;
/// nothing otherwise.
inline std::string splitReductionsStage(int64_t parallelism) {
  if (parallelism <= 0)
    return "";
  return "convbn-split-reductions{parallelism=" + std::to_string(parallelism) +
         "},";
}

/// Linalg on memrefs to one flat parallel loop nest per op, tiled into
/// blocks of `blockSize` iterations and annotated for the GPU mapping;
/// with `mergeKernels`, independent nests share one grid.
/// Ends with a comma.
inline std::string gpuLoopStages(int64_t blockSize, bool mergeKernels) {
  std::string stages = "convbn-copy-to-linalg,"
                       "convert-linalg-to-parallel-loops,"
                       "convbn-promote-accumulators,"
                       "canonicalize,"
                       "convbn-map-loops-to-gpu{block-size=" +
                       std::to_string(blockSize) + "},";
  if (mergeKernels)
    stages += "convbn-merge-kernels,";
  return stages;
}

/// Index arithmetic narrowed to 32 bits where integer range analysis proves
/// that it fits, on each op named `anchor` (`gpu.module`: the kernels,
/// whose thread and block ids the launch bounds), and the counters of loops
/// with small constant bounds. Affine maps are lowered first (the analysis
/// reads arith), constants shared after. Ends with a comma.
inline std::string narrowIndexStage(const std::string &anchor) {
  return anchor + "(convbn-narrow-loop-counters,lower-affine,"
                  "arith-int-range-narrowing{int-bitwidths-supported=32},"
                  "canonicalize,cse),";
}

/// -convbn-tensor-core-convolutions with `flags` (the pipeline's own, each
/// followed by a space) and the kernels' shape from the options both
/// pipelines share. Ends with a comma.
template <typename Options>
std::string tensorCoreStage(const std::string &flags, const Options &options) {
  auto flag = [](bool value) { return value ? "true" : "false"; };
  return "convbn-tensor-core-convolutions{" + flags +
         "prefetch=" + flag(options.tensorCorePrefetch) +
         " stages=" + std::to_string(options.tensorCoreStages.getValue()) +
         " max-shared-bytes=" +
         std::to_string(options.tensorCoreMaxSharedBytes.getValue()) +
         " block-m=" + std::to_string(options.tensorCoreBlockM.getValue()) +
         " block-n=" + std::to_string(options.tensorCoreBlockN.getValue()) +
         " blocks-per-sm=" +
         std::to_string(options.tensorCoreBlocksPerSM.getValue()) +
         " vector-gathers=" + flag(options.tensorCoreVectorGathers) +
         " async-copies=" + flag(options.tensorCoreAsyncCopies) +
         " filter-copies=" + flag(options.tensorCoreFilterCopies) +
         " input-copies=" + flag(options.tensorCoreInputCopies) +
         " filter-gradient-input-copies=" +
         flag(options.tensorCoreFilterGradientInputCopies) +
         " split-k=" + flag(options.tensorCoreSplitK) +
         " split-k-convolutions=" + flag(options.tensorCoreSplitKConvolutions) +
         " images-along-n=" + flag(options.tensorCoreImagesAlongN) +
         " k-step-bytes=" +
         std::to_string(options.tensorCoreKStepBytes.getValue()) + "},";
}

/// Parses `pipeline` into `pm`; every pass in it is registered by
/// convbn-opt, so a failure is a bug in the pipeline's text.
inline void parseInto(OpPassManager &pm, const std::string &pipeline,
                      const char *name) {
  if (failed(parsePassPipeline(pipeline, pm)))
    llvm::report_fatal_error(llvm::Twine(name) +
                             ": a pass of the pipeline is not registered");
}

} // namespace mlir::convbn::detail

#endif // CONVBN_LIB_PIPELINES_PIPELINESTAGES_H
