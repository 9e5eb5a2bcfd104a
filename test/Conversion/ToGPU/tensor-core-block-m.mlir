// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="block-m=128 report=true" -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="block-m=128 cpu-emulation=true" | FileCheck %s --check-prefix=EMU
// RUN: convbn-opt %s -split-input-file -convbn-gpu-pipeline="tensor-cores=true tensor-core-block-m=128" | FileCheck %s --check-prefix=PIPE
// RUN: not convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="block-m=96" 2>&1 | FileCheck %s --check-prefix=BAD

// Blocks of 128 x 64 (block-m=128): each warp multiplies 64 x 32, 4 x 4
// mma tiles (16 accumulators carried by the K loop), from a filter tile of
// 128 rows. The f32 output tile keeps its 64 rows: the accumulators go
// through it in two passes of 32 rows per warp, the second after a barrier
// that lets the block finish writing out the first.

// CHECK-LABEL: func @tall
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c2{{.*}}) threads({{.*}}) in ({{.*}} = %c128
//  CHECK-SAME: workgroup({{.*}} : memref<49152xi8, #gpu.address_space<workgroup>>)
//       CHECK: memref.view {{.*}}[%c0{{.*}}][] : memref<49152xi8, #gpu.address_space<workgroup>> to memref<2x128x20xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view {{.*}}[%c20480{{.*}}][] : memref<49152xi8, #gpu.address_space<workgroup>> to memref<2x64x20xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view {{.*}}[%c30720{{.*}}][] : memref<49152xi8, #gpu.address_space<workgroup>> to memref<64x72xf32, #gpu.address_space<workgroup>>
//       CHECK: scf.for {{.*}} -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>)
//       CHECK:   gpu.barrier
//       CHECK:   scf.yield
//       CHECK: gpu.barrier
//       CHECK: memref.store {{.*}}, %arg2
//       CHECK: gpu.barrier
//       CHECK: gpu.barrier
//       CHECK: memref.store {{.*}}, %arg2
//   CHECK-NOT: gpu.barrier
//       CHECK: gpu.terminator
// EMU-LABEL: func @tall
//       EMU: memref.alloc() {convbn.emulated_shared} : memref<49152xi8>
//       EMU: memref.view {{.*}} : memref<49152xi8> to memref<2x128x20xf32>
//       EMU: memref.view {{.*}} : memref<49152xi8> to memref<2x64x20xf32>
//       EMU: memref.view {{.*}} : memref<49152xi8> to memref<64x72xf32>
//       EMU: memref.alloc() : memref<64x16x8xf32>
// PIPE-LABEL: llvm.func @tall
//       PIPE: gpu.binary
// BAD: error: convbn-tensor-core-convolutions: block-m is 96; it must be 0 (chosen per kernel), 64 or 128
func.func @tall(%x: memref<2x16x10x10xf32>, %w: memref<128x16x3x3xf32>, %o: memref<2x128x8x8xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=128 N=64 K=144, 2 in the grid's z); K ordered as window x channels; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1, ldmatrix 1, accumulators 1; blocks of 128 x 64 (warps of 64 x 32)}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<2x16x10x10xf32>, memref<128x16x3x3xf32>) outs(%o : memref<2x128x8x8xf32>)
  return
}

// -----

// A GEMM of 64 rows or fewer keeps blocks of 64 rows whatever block-m asks:
// 128 would only multiply zeros, with twice the accumulators.

// CHECK-LABEL: func @short
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c2{{.*}}) threads({{.*}}) in ({{.*}} = %c128
//       CHECK: scf.for {{.*}} -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>)
//       CHECK: gpu.terminator
// PIPE-LABEL: llvm.func @short
func.func @short(%x: memref<2x16x10x10xf32>, %w: memref<64x16x3x3xf32>, %o: memref<2x64x8x8xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=64 N=64 K=144, 2 in the grid's z); K ordered as window x channels; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1, ldmatrix 1, accumulators 1; blocks of 64 x 64 (warps of 32 x 32)}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<2x16x10x10xf32>, memref<64x16x3x3xf32>) outs(%o : memref<2x64x8x8xf32>)
  return
}
