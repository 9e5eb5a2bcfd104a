//===- HostAllocToGPU.cpp - Device allocations for host code --------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNHOSTALLOCTOGPU
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {
bool inGPUCode(Operation *op) {
  return op->getParentOfType<gpu::LaunchOp>() ||
         op->getParentOfType<gpu::GPUModuleOp>();
}

struct ConvBNHostAllocToGPUPass
    : public convbn::impl::ConvBNHostAllocToGPUBase<ConvBNHostAllocToGPUPass> {
  void runOnOperation() override {
    SmallVector<memref::AllocOp> allocs;
    SmallVector<memref::DeallocOp> deallocs;
    getOperation()->walk([&](Operation *op) {
      if (inGPUCode(op))
        return;
      if (auto alloc = dyn_cast<memref::AllocOp>(op))
        allocs.push_back(alloc);
      else if (auto dealloc = dyn_cast<memref::DeallocOp>(op))
        deallocs.push_back(dealloc);
    });
    IRRewriter rewriter(&getContext());
    for (memref::AllocOp alloc : allocs) {
      rewriter.setInsertionPoint(alloc);
      auto gpuAlloc = gpu::AllocOp::create(
          rewriter, alloc.getLoc(), alloc.getType(), /*asyncToken=*/Type(),
          /*asyncDependencies=*/ValueRange(), alloc.getDynamicSizes(),
          alloc.getSymbolOperands(), /*hostShared=*/false);
      rewriter.replaceOp(alloc, gpuAlloc.getMemref());
    }
    for (memref::DeallocOp dealloc : deallocs) {
      rewriter.setInsertionPoint(dealloc);
      gpu::DeallocOp::create(rewriter, dealloc.getLoc(), /*asyncToken=*/Type(),
                             ValueRange(), dealloc.getMemref());
      rewriter.eraseOp(dealloc);
    }
  }
};
} // namespace
