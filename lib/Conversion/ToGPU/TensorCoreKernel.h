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
  /// Stages of the shared A and B tiles:
  /// - 1: each K step gathers its tiles, then multiplies them (two
  ///   barriers per step);
  /// - 2: the next K step's gathers loaded into registers (or copied) before
  ///   the warps' products and stored into the other stage after them (one
  ///   barrier per step);
  /// - 3 or 4, for a GEMM whose A and B are both copied (asyncCopies): the
  ///   copies of the next `stages` - 1 steps in flight while the warps
  ///   multiply one, each step waiting for its own group of copies
  ///   (cp.async.wait_group `stages` - 2) before its one barrier.
  int64_t stages = 2;
  /// Operands with an address (Gemm::addressA, addressB) copied from global
  /// to shared memory a vector at a time without passing through registers
  /// (`nvgpu.device_async_copy`: cp.async, waited for before the barrier
  /// that ends the gather).
  bool asyncCopies = false;
};

/// The stages a kernel of `g` takes: 1 without prefetch, `stages` (3 or 4)
/// where A and B are both copied (KernelOptions), the block has at least
/// that many K steps and the tiles fit its shared memory (Gemm::sharedBudget),
/// else 2.
int64_t stagesFor(const Gemm &g, bool prefetch, int64_t stages,
                  bool asyncCopies);

/// Builds the kernel of `g` at `b`'s insertion point: a gpu.launch with the
/// warps' products on tensor cores. Fails if upstream's vector-to-nvgpu
/// conversion does.
LogicalResult buildKernel(ImplicitLocOpBuilder &b, const Gemm &g,
                          KernelOptions options);

/// The same kernel as host loops, vector.contract for mma.sync (and vector
/// loads and stores for the asynchronous copies): checks its tiling and
/// index arithmetic on the CPU. The grid's outermost loop, the loops over a
/// block's threads that gather from global memory and the shared buffer are
/// marked (convbn/Conversion/TensorCoreEmulation.h).
void buildKernelEmulation(ImplicitLocOpBuilder &b, const Gemm &g,
                          KernelOptions options);

} // namespace mlir::convbn::tensor_cores

#endif // CONVBN_LIB_CONVERSION_TOGPU_TENSORCOREKERNEL_H
