//===- GPUPipeline.cpp - convbn ops to NVVM and host code -----------------===//
//
// convbn -> linalg (shared with the CPU pipeline), bufferization with
// caller-allocated results, every linalg op as a parallel loop nest mapped to
// blocks x threads, intermediate buffers on the device, then upstream's NVVM
// lowering (the sequence of gpu-lower-to-nvvm-pipeline, spelled out here so
// that the toolkit path reaches gpu-module-to-binary).
//
//===----------------------------------------------------------------------===//

#include "convbn/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::convbn;

std::string
mlir::convbn::getGPUPipelineString(const GPUPipelineOptions &options) {
  std::string pipeline;
  if (options.evalToTune)
    pipeline += "convbn-eval-to-tune,";
  pipeline += llvm::formatv(
      "canonicalize,"
      "convert-convbn-to-linalg,"
      "canonicalize,"
      "one-shot-bufferize{{bufferize-function-boundaries "
      "function-boundary-type-conversion=identity-layout-map},"
      "buffer-results-to-out-params{{hoist-static-allocs "
      "modify-public-functions},"
      "buffer-deallocation-pipeline,"
      "convert-bufferization-to-memref,"
      "convbn-copy-to-linalg,"
      "convert-linalg-to-parallel-loops,"
      "canonicalize,"
      "convbn-map-loops-to-gpu{{block-size={0}},"
      "convert-parallel-loops-to-gpu,"
      "convbn-host-alloc-to-gpu,"
      "canonicalize,"
      "convbn-check-host-code,"
      "gpu-kernel-outlining,"
      "func.func(gpu-async-region),"
      "convert-scf-to-cf,"
      "convert-func-to-llvm,"
      "expand-strided-metadata,"
      "nvvm-attach-target{{chip={1} features={2} O={3}},"
      "lower-affine,"
      "convert-arith-to-llvm,"
      "convert-index-to-llvm,"
      "canonicalize,"
      "cse,"
      "gpu.module(convert-gpu-to-nvvm,canonicalize,cse,"
      "reconcile-unrealized-casts),"
      "gpu-to-llvm,"
      "gpu-module-to-binary{{format={4} toolkit={5}},"
      "convert-math-to-llvm,"
      "canonicalize,"
      "cse,"
      "reconcile-unrealized-casts",
      options.blockSize.getValue(), options.chip.getValue(),
      options.features.getValue(), options.optLevel.getValue(),
      options.format.getValue(), options.toolkit.getValue());
  return pipeline;
}

void mlir::convbn::buildGPUPipeline(OpPassManager &pm,
                                    const GPUPipelineOptions &options) {
  if (failed(parsePassPipeline(getGPUPipelineString(options), pm)))
    llvm::report_fatal_error("convbn-gpu-pipeline: a pass of the pipeline is "
                             "not registered");
}
