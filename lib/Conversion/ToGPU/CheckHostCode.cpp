//===- CheckHostCode.cpp - Nothing but launches left on the host ----------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNCHECKHOSTCODE
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {
struct ConvBNCheckHostCodePass
    : public convbn::impl::ConvBNCheckHostCodeBase<ConvBNCheckHostCodePass> {
  void runOnOperation() override {
    bool clean = true;
    getOperation()->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp, gpu::GPUModuleOp>(op))
        return WalkResult::skip();
      if (isa<scf::ForOp, scf::ParallelOp, scf::WhileOp, memref::LoadOp,
              memref::StoreOp, memref::CopyOp>(op) ||
          isa<linalg::LinalgOp>(op)) {
        op->emitError() << "'" << op->getName()
                        << "' is left in host code: it would run on the CPU "
                           "over device memory";
        clean = false;
      }
      return WalkResult::advance();
    });
    if (!clean)
      signalPassFailure();
  }
};
} // namespace
