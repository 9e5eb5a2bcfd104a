//===- CapKernelRegisters.cpp - Registers of shared-memory kernels --------===//
//
// ptxas sizes a kernel's registers by the occupancy its shared memory
// allows unless the kernel states a limit; this pass states one
// (`nvvm.maxnreg`, which the NVVM lowering carries to PTX's `.maxnreg`)
// on the kernels that use shared memory.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNCAPKERNELREGISTERS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {
/// PTX's range for `.maxnreg` that this pass accepts: below 32 every
/// kernel would spill.
constexpr int64_t kFewestRegisters = 32, kMostRegisters = 255;

struct ConvBNCapKernelRegistersPass
    : public convbn::impl::ConvBNCapKernelRegistersBase<
          ConvBNCapKernelRegistersPass> {
  using ConvBNCapKernelRegistersBase::ConvBNCapKernelRegistersBase;

  void runOnOperation() override {
    if (maxRegisters == 0)
      return;
    if (maxRegisters < kFewestRegisters || maxRegisters > kMostRegisters) {
      getOperation()->emitError(
          "convbn-cap-kernel-registers: max-registers is ")
          << static_cast<int64_t>(maxRegisters) << "; it must be 0 or "
          << kFewestRegisters << " to " << kMostRegisters;
      return signalPassFailure();
    }
    Builder b(&getContext());
    getOperation()->walk([&](gpu::GPUFuncOp func) {
      bool shared = func.getNumWorkgroupAttributions() > 0 ||
                    !func.getOps<gpu::DynamicSharedMemoryOp>().empty();
      if (func.isKernel() && shared)
        func->setAttr(NVVM::NVVMDialect::getMaxnregAttrName(),
                      b.getI32IntegerAttr(maxRegisters));
    });
  }
};
} // namespace
