//===- TensorCoreEmulation.h - Marks of emulated kernels ------*- C++ -*-===//
//-*-===//
//
// -convbn-tensor-core-convolutions{cpu-emulation=true} builds each kernel as
// host loops and marks them, so that later passes (-convbn-trace-global-loads)
// find the kernel, its threads and its shared memory without guessing.
//
//===----------------------------------------------------------------------===//

#ifndef CONVBN_CONVERSION_TENSORCOREEMULATION_H
#define CONVBN_CONVERSION_TENSORCOREEMULATION_H

#include "llvm/ADT/StringRef.h"

namespace mlir::convbn {

/// On the outermost loop of an emulated kernel's grid (`scf.for` over z):
/// a string that names the kernel (its GEMM, M, N, K and block tile).
inline constexpr llvm::StringLiteral kEmulatedKernelAttr =
    "convbn.emulated_kernel";
/// On each loop over a block's threads that gathers a K step's operand
/// tiles from global memory (its induction variable: the thread's id).
inline constexpr llvm::StringLiteral kEmulatedThreadsAttr =
    "convbn.emulated_threads";
/// On the scalar loads of a gather that the GPU's compiler merges into one
/// vector load (consecutive k of one thread, 16 bytes): [vector, operand],
/// the same for the loads of one vector of one operand (within one loop
/// marked kEmulatedThreadsAttr).
inline constexpr llvm::StringLiteral kEmulatedVectorAttr =
    "convbn.emulated_vector";
/// On the allocation that stands for a block's shared memory.
inline constexpr llvm::StringLiteral kEmulatedSharedAttr =
    "convbn.emulated_shared";

} // namespace mlir::convbn

#endif // CONVBN_CONVERSION_TENSORCOREEMULATION_H
