//===- ExternDynamicSharedMemory.cpp - Dynamic shared memory as extern ----===//
//
// Upstream's NVVM lowering of `gpu.dynamic_shared_memory` declares the
// dynamic shared memory as an internal, zero-sized global. In PTX that is a
// static variable of one byte, which the kernel then addresses far beyond
// its end, and LLVM may treat such accesses as out of bounds of a known
// object. CUDA's own form is an external, unsized array (`extern __shared__
// char smem[]`, PTX `.extern .shared .align 16 .b8 smem[]`), whose size
// the launch gives; this pass gives the globals that linkage.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNEXTERNDYNAMICSHAREDMEMORY
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {
struct ConvBNExternDynamicSharedMemoryPass
    : public convbn::impl::ConvBNExternDynamicSharedMemoryBase<
          ConvBNExternDynamicSharedMemoryPass> {
  void runOnOperation() override {
    getOperation()->walk([](LLVM::GlobalOp global) {
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      if (global.getAddrSpace() !=
              static_cast<unsigned>(NVVM::NVVMMemorySpace::Shared) ||
          !array || array.getNumElements() != 0)
        return;
      global.setLinkage(LLVM::Linkage::External);
      global.setDsoLocal(false);
    });
  }
};
} // namespace
