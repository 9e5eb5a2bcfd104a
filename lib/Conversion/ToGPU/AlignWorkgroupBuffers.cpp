//===- AlignWorkgroupBuffers.cpp - Alignment of shared-memory buffers -----===//
//
// Workgroup attributions lower to shared-memory globals aligned to their
// element type only; ldmatrix (and vector loads) need 16-byte aligned rows.
// The NVVM lowering honours an `llvm.align` attribute on an attribution,
// which only gpu.func carries: this pass sets it after kernel outlining.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNALIGNWORKGROUPBUFFERS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {
struct ConvBNAlignWorkgroupBuffersPass
    : public convbn::impl::ConvBNAlignWorkgroupBuffersBase<
          ConvBNAlignWorkgroupBuffersPass> {
  using ConvBNAlignWorkgroupBuffersBase::ConvBNAlignWorkgroupBuffersBase;

  void runOnOperation() override {
    if (alignment < 1 || !llvm::isPowerOf2_64(alignment)) {
      getOperation()->emitError()
          << "convbn-align-workgroup-buffers: alignment must be a power of "
             "two, but is "
          << alignment;
      return signalPassFailure();
    }
    StringRef name = LLVM::LLVMDialect::getAlignAttrName();
    Builder b(&getContext());
    getOperation()->walk([&](gpu::GPUFuncOp func) {
      for (unsigned i = 0, e = func.getNumWorkgroupAttributions(); i < e; ++i) {
        auto current = dyn_cast_or_null<IntegerAttr>(
            func.getWorkgroupAttributionAttr(i, name));
        if (current && current.getInt() >= alignment)
          continue;
        func.setWorkgroupAttributionAttr(i, b.getStringAttr(name),
                                         b.getI64IntegerAttr(alignment));
      }
    });
  }
};
} // namespace
