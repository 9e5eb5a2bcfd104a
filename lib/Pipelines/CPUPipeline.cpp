//===- CPUPipeline.cpp - convbn ops to LLVM for the CPU -------------------===//
//
// The pipeline is kept as upstream pass names so that what it runs is exactly
// what a user could type; each stage is documented in docs/pipeline.md.
//
//===----------------------------------------------------------------------===//

#include "convbn/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir;
using namespace mlir::convbn;

std::string
mlir::convbn::getCPUPipelineString(const CPUPipelineOptions &options) {
  std::string pipeline;
  if (options.evalToTune)
    pipeline += "convbn-eval-to-tune,";
  pipeline += "canonicalize,"
              "convert-convbn-to-linalg,"
              "canonicalize,"
              "one-shot-bufferize{bufferize-function-boundaries "
              "function-boundary-type-conversion=identity-layout-map},";
  if (options.resultsToOutParams)
    pipeline += "buffer-results-to-out-params{hoist-static-allocs modify-public-functions},";
  pipeline += "buffer-deallocation-pipeline,"
              "convert-bufferization-to-memref,";
  if (options.gpuLoops > 0)
    pipeline += "convbn-copy-to-linalg,convert-linalg-to-parallel-loops,"
                "canonicalize,convbn-map-loops-to-gpu{block-size=" +
                std::to_string(options.gpuLoops) + "},";
  else
    pipeline += "convert-linalg-to-loops,";
  pipeline += "convert-scf-to-cf,"
              "expand-strided-metadata,"
              "lower-affine,"
              "convert-to-llvm,"
              "reconcile-unrealized-casts";
  return pipeline;
}

void mlir::convbn::buildCPUPipeline(OpPassManager &pm,
                                    const CPUPipelineOptions &options) {
  if (failed(parsePassPipeline(getCPUPipelineString(options), pm)))
    llvm::report_fatal_error("convbn-cpu-pipeline: a pass of the pipeline is "
                             "not registered");
}

void mlir::convbn::registerPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "convbn-cpu-pipeline",
      "Compile convbn ops (forward and backward) to the LLVM dialect for the "
      "CPU: eval->tune, convbn->linalg, bufferization, loops, LLVM",
      buildCPUPipeline);
  PassPipelineRegistration<GPUPipelineOptions>(
      "convbn-gpu-pipeline",
      "Compile convbn ops (forward and backward) for NVIDIA GPUs: "
      "eval->tune, convbn->linalg, kernels for every loop nest, NVVM, host "
      "code calling libconvbn_cuda_runtime",
      buildGPUPipeline);
}
