//===- Pipelines.h - Named end-to-end pipelines -----------------*- C++ -*-===//

#ifndef CONVBN_PIPELINES_PIPELINES_H
#define CONVBN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
namespace convbn {

/// Options of -convbn-cpu-pipeline.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<bool> evalToTune{
      *this, "eval-to-tune",
      llvm::cl::desc("Rewrite eval-mode blocks into tune mode first (same "
                     "values and gradients, less memory)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> resultsToOutParams{
      *this, "out-params",
      llvm::cl::desc("Return results through caller-allocated memref "
                     "arguments appended to each function (for C callers)"),
      llvm::cl::init(false)};
};

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
