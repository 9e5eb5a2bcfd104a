// RUN: convbn-opt %s -convbn-cap-kernel-registers="max-registers=128" | FileCheck %s
// RUN: convbn-opt %s -convbn-cap-kernel-registers | FileCheck %s --check-prefix=NONE
// RUN: not convbn-opt %s -convbn-cap-kernel-registers="max-registers=16" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: convbn-opt %s -convbn-cap-kernel-registers="min-blocks-per-sm=6" | FileCheck %s --check-prefix=BLOCKS
// RUN: not convbn-opt %s -convbn-cap-kernel-registers="min-blocks-per-sm=33" 2>&1 | FileCheck %s --check-prefix=BLOCKS-BAD

// A kernel with shared memory (a workgroup attribution, as the tensor-core
// kernels have) gets nvvm.maxnreg, which the NVVM lowering carries to
// PTX's .maxnreg: ptxas then gives it up to that many registers whatever
// its shared memory. A kernel without shared memory is left alone, and
// the default (0) leaves every kernel alone.

// CHECK-LABEL: gpu.func @tiles
//  CHECK-SAME: nvvm.maxnreg = 128 : i32
// CHECK-LABEL: gpu.func @loops
//   CHECK-NOT: nvvm.maxnreg
// NONE-NOT: nvvm.maxnreg
// BAD: error: convbn-cap-kernel-registers: max-registers is 16; it must be 0 or 32 to 255

// min-blocks-per-sm states an occupancy instead (nvvm.minctasm, PTX's
// .minnctapersm, from which ptxas derives the cap), on the kernels whose
// static shared memory lets that many blocks fit an SM (6 x (256 + 1024
// reserved) bytes of 228 KiB); not on one whose tiles take 48 KiB (6 x 49
// KiB is more), nor on a kernel without shared memory.

// BLOCKS-LABEL: gpu.func @tiles
//  BLOCKS-SAME: nvvm.minctasm = 6 : i32
//   BLOCKS-NOT: nvvm.maxnreg
// BLOCKS-LABEL: gpu.func @large_tiles
//   BLOCKS-NOT: nvvm.minctasm
// BLOCKS-LABEL: gpu.func @loops
//   BLOCKS-NOT: nvvm.minctasm
// BLOCKS-BAD: error: convbn-cap-kernel-registers: min-blocks-per-sm is 33; it must be 0 or 1 to 32
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @tiles(%out: memref<64xf32>) workgroup(%tile : memref<64xf32, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %tile[%c0] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %v, %out[%c0] : memref<64xf32>
      gpu.return
    }
    gpu.func @large_tiles(%out: memref<64xf32>) workgroup(%tile : memref<49152xi8, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %tile[%c0] : memref<49152xi8, #gpu.address_space<workgroup>>
      %f = arith.uitofp %v : i8 to f32
      memref.store %f, %out[%c0] : memref<64xf32>
      gpu.return
    }
    gpu.func @loops(%out: memref<64xf32>) kernel {
      %c0 = arith.constant 0 : index
      %f = arith.constant 1.0 : f32
      memref.store %f, %out[%c0] : memref<64xf32>
      gpu.return
    }
  }
}
