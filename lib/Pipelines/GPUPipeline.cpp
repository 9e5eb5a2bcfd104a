//===- GPUPipeline.cpp - convbn ops to NVVM and host code -----------------===//
//
// convbn -> linalg (shared with the CPU pipeline), bufferization with
// caller-allocated results, every linalg op as a parallel loop nest mapped to
// blocks x threads (independent nests launched together), intermediate
// buffers on the device, then upstream's NVVM
// lowering (the sequence of gpu-lower-to-nvvm-pipeline, spelled out here so
// that the toolkit path reaches gpu-module-to-binary).
//
//===----------------------------------------------------------------------===//

#include "convbn/Pipelines/Pipelines.h"

#include "PipelineStages.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::convbn;

std::string
mlir::convbn::getGPUPipelineString(const GPUPipelineOptions &options) {
  // Results are caller-allocated device buffers; every loop nest becomes a
  // kernel and nothing else may stay on the host (convbn-check-host-code).
  std::string pipeline = detail::linalgOnBuffersStages(
      options.evalToTune, /*outParams=*/true,
      detail::splitReductionsStage(options.splitReductions),
      /*phasesInPlace=*/true,
      options.tensorCores ? options.tensorCoreStackedPhasesRows : 0);
  // Convolutions as tensor-core kernels first; what is left becomes loops.
  if (options.tensorCores)
    pipeline +=
        detail::tensorCoreStage(
            llvm::formatv("allow-tf32={0} fold-operands={1} "
                          "recompute-producers={2} ",
                          options.allowTF32 ? "true" : "false",
                          options.foldOperands ? "true" : "false",
                          options.recomputeProducers ? "true" : "false"),
            options) +
        "canonicalize,";
  pipeline += detail::gpuLoopStages(options.blockSize, options.mergeKernels);
  // The kernels' index arithmetic in 32 bits where it provably fits, once
  // they are outlined (their launch bounds the thread and block ids).
  std::string narrowIndices =
      options.narrowIndices ? detail::narrowIndexStage("gpu.module") : "";
  // The tensor-core kernels' occupancy target, for ptxas's registers.
  int64_t blocksPerSM =
      options.tensorCores ? options.tensorCoreBlocksPerSM.getValue() : 0;
  pipeline +=
      llvm::formatv("convert-parallel-loops-to-gpu,"
                    "convbn-host-alloc-to-gpu,"
                    "canonicalize,"
                    "convbn-check-host-code,"
                    "gpu-launch-sink-index-computations,"
                    "gpu-kernel-outlining,"
                    "convbn-align-workgroup-buffers,"
                    "convbn-cap-kernel-registers{{max-registers={6} "
                    "min-blocks-per-sm={7}},"
                    "{5}"
                    "func.func(gpu-async-region),"
                    "convert-scf-to-cf,"
                    "convert-func-to-llvm,"
                    "expand-strided-metadata,"
                    "nvvm-attach-target{{chip={0} features={1} O={2}},"
                    "lower-affine,"
                    "convert-arith-to-llvm,"
                    "convert-index-to-llvm,"
                    "canonicalize,"
                    "cse,"
                    "gpu.module(convbn-lower-bf16-mma-sync,"
                    "convert-nvgpu-to-nvvm,convert-gpu-to-nvvm,"
                    "convbn-extern-dynamic-shared-memory,"
                    "canonicalize,cse,"
                    "reconcile-unrealized-casts),"
                    "gpu-to-llvm,"
                    "{8}"
                    "gpu-module-to-binary{{format={3} toolkit={4}},"
                    "convert-math-to-llvm,"
                    "canonicalize,"
                    "cse,"
                    "reconcile-unrealized-casts",
                    options.chip.getValue(), options.features.getValue(),
                    options.optLevel.getValue(), options.format.getValue(),
                    options.toolkit.getValue(), narrowIndices,
                    options.tensorCoreMaxRegisters.getValue(), blocksPerSM,
                    options.mergeGPUModules ? "convbn-merge-gpu-modules," : "");
  return pipeline;
}

void mlir::convbn::buildGPUPipeline(OpPassManager &pm,
                                    const GPUPipelineOptions &options) {
  detail::parseInto(pm, getGPUPipelineString(options), "convbn-gpu-pipeline");
}
