//===- TensorCoreKernel.h - The implicit-GEMM kernel ------------*- C++ -*-===//
//
// Emits the kernel that computes a Gemm (TensorCoreGemm.h): a `gpu.launch`
// whose block gathers operand tiles into shared memory and whose warps
// multiply them on tensor cores (`nvgpu.mma.sync`, through upstream's
// vector-to-nvgpu conversion), or the same kernel as host loops, for the
// CPU.
//
//===----------------------------------------------------------------------===//

#ifndef CONVBN_LIB_CONVERSION_TOGPU_TENSORCOREKERNEL_H
#define CONVBN_LIB_CONVERSION_TOGPU_TENSORCOREKERNEL_H

#include "TensorCoreGemm.h"

namespace mlir::convbn::tensor_cores {

/// How the kernel is built.
struct KernelOptions {
  /// Two stages of shared tiles, the next K step's gathers loaded into
  /// registers before the warps' products and stored into the other stage
  /// after them (one barrier per K step); otherwise one stage, gathered and
  /// then multiplied (two barriers per K step).
  bool prefetch = true;
  /// Operands with an address (Gemm::addressA, addressB) copied from global
  /// to shared memory a vector at a time without passing through registers
  /// (`nvgpu.device_async_copy`: cp.async, waited for before the barrier
  /// that ends the gather).
  bool asyncCopies = false;

  /// Stages of the shared A and B tiles.
  int64_t stages() const { return prefetch ? 2 : 1; }
};

/// Builds the kernel of `g` at `b`'s insertion point: a gpu.launch with the
/// warps' products on tensor cores. Fails if upstream's vector-to-nvgpu
/// conversion does.
LogicalResult buildKernel(ImplicitLocOpBuilder &b, const Gemm &g,
                          KernelOptions options);

/// The same kernel as host loops, vector.contract for mma.sync (and vector
/// loads and stores for the asynchronous copies): checks its tiling and
/// index arithmetic on the CPU.
void buildKernelEmulation(ImplicitLocOpBuilder &b, const Gemm &g,
                          KernelOptions options);

} // namespace mlir::convbn::tensor_cores

#endif // CONVBN_LIB_CONVERSION_TOGPU_TENSORCOREKERNEL_H
