//===- CapKernelRegisters.cpp - Registers of shared-memory kernels --------===//
//
// ptxas sizes a kernel's registers by the occupancy its shared memory
// allows unless the kernel states a limit; this pass states one
// (`nvvm.maxnreg`, which the NVVM lowering carries to PTX's `.maxnreg`, or
// an occupancy, `nvvm.minctasm`, PTX's `.minnctapersm`) on the kernels that
// use shared memory.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "TensorCoreTiles.h"

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
/// The most blocks an SM of sm_90 runs at once.
constexpr int64_t kMostBlocksPerSM = 32;

/// The bytes of `func`'s workgroup attributions (its static shared memory).
int64_t staticSharedBytes(gpu::GPUFuncOp func) {
  int64_t bytes = 0;
  for (BlockArgument buffer : func.getWorkgroupAttributions()) {
    auto type = cast<MemRefType>(buffer.getType());
    bytes += type.getNumElements() *
             llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  }
  return bytes;
}

struct ConvBNCapKernelRegistersPass
    : public convbn::impl::ConvBNCapKernelRegistersBase<
          ConvBNCapKernelRegistersPass> {
  using ConvBNCapKernelRegistersBase::ConvBNCapKernelRegistersBase;

  void runOnOperation() override {
    if (maxRegisters == 0 && minBlocksPerSM == 0)
      return;
    if (maxRegisters != 0 &&
        (maxRegisters < kFewestRegisters || maxRegisters > kMostRegisters)) {
      getOperation()->emitError(
          "convbn-cap-kernel-registers: max-registers is ")
          << static_cast<int64_t>(maxRegisters) << "; it must be 0 or "
          << kFewestRegisters << " to " << kMostRegisters;
      return signalPassFailure();
    }
    if (minBlocksPerSM < 0 || minBlocksPerSM > kMostBlocksPerSM) {
      getOperation()->emitError(
          "convbn-cap-kernel-registers: min-blocks-per-sm is ")
          << static_cast<int64_t>(minBlocksPerSM) << "; it must be 0 or 1 to "
          << kMostBlocksPerSM;
      return signalPassFailure();
    }
    Builder b(&getContext());
    getOperation()->walk([&](gpu::GPUFuncOp func) {
      bool dynamic = !func.getOps<gpu::DynamicSharedMemoryOp>().empty();
      bool shared = func.getNumWorkgroupAttributions() > 0 || dynamic;
      if (!func.isKernel() || !shared)
        return;
      if (maxRegisters != 0)
        func->setAttr(NVVM::NVVMDialect::getMaxnregAttrName(),
                      b.getI32IntegerAttr(maxRegisters));
      // Only where the shared memory lets so many blocks fit: not the
      // kernels laid out for fewer (larger tiles, more stages, dynamic
      // shared memory), whose registers stay ptxas's choice.
      if (minBlocksPerSM != 0 && !dynamic &&
          staticSharedBytes(func) <=
              convbn::tensor_cores::sharedShare(minBlocksPerSM))
        func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                      b.getI32IntegerAttr(minBlocksPerSM));
    });
  }
};
} // namespace
