//===- MapLoopsToGPU.cpp - Parallel loop nests as blocks x threads --------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include <numeric>

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNMAPLOOPSTOGPU
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {
/// Outermost scf.parallel ops outside GPU code.
SmallVector<scf::ParallelOp> outermostParallelLoops(Operation *root) {
  SmallVector<scf::ParallelOp> loops;
  root->walk([&](scf::ParallelOp loop) {
    if (!loop->getParentOfType<scf::ParallelOp>() &&
        !loop->getParentOfType<gpu::LaunchOp>() &&
        !loop->getParentOfType<gpu::GPUModuleOp>())
      loops.push_back(loop);
  });
  return loops;
}

gpu::ParallelLoopDimMappingAttr mapTo(MLIRContext *ctx, gpu::Processor p) {
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
  return gpu::ParallelLoopDimMappingAttr::get(ctx, p, id, id);
}

struct ConvBNMapLoopsToGPUPass
    : public convbn::impl::ConvBNMapLoopsToGPUBase<ConvBNMapLoopsToGPUPass> {
  using ConvBNMapLoopsToGPUBase::ConvBNMapLoopsToGPUBase;

  void runOnOperation() override {
    if (blockSize < 1 || blockSize > 1024) {
      getOperation()->emitError()
          << "convbn-map-loops-to-gpu: block-size must be in [1, 1024], but is "
          << static_cast<int64_t>(blockSize);
      return signalPassFailure();
    }
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);
    // 1. One dimension per nest.
    for (scf::ParallelOp loop : outermostParallelLoops(getOperation())) {
      unsigned rank = loop.getNumLoops();
      if (rank < 2)
        continue;
      std::vector<unsigned> all(rank);
      std::iota(all.begin(), all.end(), 0);
      rewriter.setInsertionPoint(loop);
      collapseParallelLoops(rewriter, loop, {all});
    }
    // 2. Blocks of `blockSize` threads.
    for (scf::ParallelOp loop : outermostParallelLoops(getOperation())) {
      auto [outer, inner] =
          scf::tileParallelLoop(loop, {blockSize}, /*noMinMaxBounds=*/true);
      if (failed(
              gpu::setMappingAttr(outer, mapTo(ctx, gpu::Processor::BlockX))) ||
          failed(
              gpu::setMappingAttr(inner, mapTo(ctx, gpu::Processor::ThreadX))))
        return signalPassFailure();
    }
  }
};
} // namespace
