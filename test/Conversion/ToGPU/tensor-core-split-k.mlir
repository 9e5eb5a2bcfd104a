// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="report=true" -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="split-k=false" | FileCheck %s --check-prefix=NOSPLIT
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="cpu-emulation=true" | FileCheck %s --check-prefix=EMU
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="split-k-convolutions=true" | FileCheck %s --check-prefix=CONV
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="split-k-convolutions=true report=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=CONVREPORT
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="split-k-convolutions=true cpu-emulation=true" | FileCheck %s --check-prefix=CONVEMU

// A backward-filter reduction of 8 batch chunks (one image each) whose
// filter gradient (32 x 16 x 3 x 3) is 1 x 3 output tiles: 24 blocks, too
// few for a GPU of 132 SMs. Its K (1,024 per chunk, 64 steps) is split
// into 8 ranges of 8 steps, one block each along the grid's z (8 x 8),
// which add their sums to the partials atomically; the partials' zero
// fill stays, before the kernel.

// CHECK-LABEL: func @few_tiles
//       CHECK: linalg.fill ins(%{{.*}} : f64) outs(%arg2 : memref<8x1x32x16x3x3xf64>)
//       CHECK: %[[Z:.*]] = arith.constant 64 : index
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %{{.*}}, {{.*}} = %{{.*}}, {{.*}} = %[[Z]])
//       CHECK: arith.divui %{{.*}}, %c8
//       CHECK: arith.remui %{{.*}}, %c8
//       CHECK: memref.atomic_rmw addf %{{.*}}, %arg2[{{.*}}] : (f64, memref<8x1x32x16x3x3xf64>) -> f64
//   CHECK-NOT: memref.store %{{.*}}, %arg2
//       CHECK: gpu.terminator
// NOSPLIT-LABEL: func @few_tiles
//   NOSPLIT-NOT: linalg.fill
//   NOSPLIT-NOT: memref.atomic_rmw
//       NOSPLIT: memref.store %{{.*}}, %arg2
// EMU-LABEL: func @few_tiles
//       EMU: linalg.fill
//       EMU: memref.atomic_rmw addf
func.func @few_tiles(%x: memref<8x1x1x16x34x34xf32>, %g: memref<8x1x1x32x32x32xf32>, %out: memref<8x1x32x16x3x3xf64>) {
  %zero = arith.constant 0.0 : f64
  linalg.fill ins(%zero : f64) outs(%out : memref<8x1x32x16x3x3xf64>)
  // expected-remark @+1 {{backward-filter reduction as an implicit GEMM on tensor cores ('f32', M=32 N=144 K=1024, 8 in the grid's z); K split in 8 ranges of 8 steps, one block each, adding to the output atomically;}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d3, d4 + d7, d5 + d8)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d2, d7, d8)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d1, d2, d3, d4, d5)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
    ins(%x, %g : memref<8x1x1x16x34x34xf32>, memref<8x1x1x32x32x32xf32>) outs(%out : memref<8x1x32x16x3x3xf64>) {
  ^bb0(%in: f32, %in_0: f32, %acc: f64):
    %0 = arith.extf %in : f32 to f64
    %1 = arith.extf %in_0 : f32 to f64
    %2 = arith.mulf %0, %1 : f64
    %3 = arith.addf %acc, %2 : f64
    linalg.yield %3 : f64
  }
  return
}

// -----

// Not split: a K of 7 steps (fewer than two ranges of 8), or a grid of
// 528 blocks or more (8 x 72 tiles: 512 filters, 512 channels x 3 x 3).

// CHECK-LABEL: func @not_split
//   CHECK-NOT: memref.atomic_rmw
//       CHECK: return
func.func @not_split(%x: memref<1x1x1x16x9x18xf32>, %g: memref<1x1x1x32x7x16xf32>, %out: memref<1x1x32x16x3x3xf64>,
                     %x2: memref<1x16x1x512x9x9xf32>, %g2: memref<1x16x1x512x7x7xf32>, %out2: memref<1x1x512x512x3x3xf64>) {
  // expected-remark @+1 {{K=112, 1 in the grid's z); A and B gathered}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d3, d4 + d7, d5 + d8)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d2, d7, d8)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d1, d2, d3, d4, d5)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
    ins(%x, %g : memref<1x1x1x16x9x18xf32>, memref<1x1x1x32x7x16xf32>) outs(%out : memref<1x1x32x16x3x3xf64>) {
  ^bb0(%in: f32, %in_0: f32, %acc: f64):
    %0 = arith.extf %in : f32 to f64
    %1 = arith.extf %in_0 : f32 to f64
    %2 = arith.mulf %0, %1 : f64
    %3 = arith.addf %acc, %2 : f64
    linalg.yield %3 : f64
  }
  // expected-remark @+1 {{M=512 N=4608 K=784, 1 in the grid's z); N ordered as window x channels; shared-memory}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d3, d4 + d7, d5 + d8)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d2, d7, d8)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d1, d2, d3, d4, d5)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
    ins(%x2, %g2 : memref<1x16x1x512x9x9xf32>, memref<1x16x1x512x7x7xf32>) outs(%out2 : memref<1x1x512x512x3x3xf64>) {
  ^bb0(%in: f32, %in_0: f32, %acc: f64):
    %0 = arith.extf %in : f32 to f64
    %1 = arith.extf %in_0 : f32 to f64
    %2 = arith.mulf %0, %1 : f64
    %3 = arith.addf %acc, %2 : f64
    linalg.yield %3 : f64
  }
  return
}

// -----

// A forward convolution of 8 images of 7 x 7 (one GEMM over them, N =
// 392: 7 tiles of 64 columns) and 64 filters: 7 blocks. Not split by
// default (split-k-convolutions=false): the bias broadcast is folded
// into the epilogue. With split-k-convolutions, its K (576, 36 steps) is
// split into 4 ranges of 9 steps, one block each along the grid's z,
// which add to the output atomically; the broadcast stays a kernel of
// its own before them.

// CHECK-LABEL: func @few_blocks_forward
//   CHECK-NOT: linalg.generic
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c7{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}})
//   CHECK-NOT: memref.atomic_rmw
// CONV-LABEL: func @few_blocks_forward
//       CONV: linalg.generic
//       CONV: gpu.launch blocks({{.*}}) in ({{.*}} = %c7{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c4{{.*}})
//       CONV: memref.atomic_rmw addf %{{.*}}, %arg2[{{.*}}] : (f32, memref<8x64x7x7xf32>) -> f32
//   CONV-NOT: memref.store %{{.*}}, %arg2
//       CONV: gpu.terminator
// CONVREPORT: remark: convbn-tensor-core-convolutions: convolution as an implicit GEMM on tensor cores ('f32', M=64 N=392 K=576, 1 in the grid's z); N spans the images (one GEMM of images x positions); K ordered as window x channels; K split in 4 ranges of 9 steps, one block each, adding to the output atomically;
// CONVEMU-LABEL: func @few_blocks_forward
//       CONVEMU: linalg.generic
//       CONVEMU: memref.atomic_rmw addf
func.func @few_blocks_forward(%x: memref<8x64x9x9xf32>, %w: memref<64x64x3x3xf32>, %o: memref<8x64x7x7xf32>, %bias: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
    ins(%bias : memref<64xf32>) outs(%o : memref<8x64x7x7xf32>) {
  ^bb0(%b: f32, %out: f32):
    linalg.yield %b : f32
  }
  // expected-remark @+1 {{('f32', M=64 N=392 K=576, 1 in the grid's z); N spans the images (one GEMM of images x positions); K ordered as window x channels; the output's initialization (linalg.generic) folded into the epilogue;}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<8x64x9x9xf32>, memref<64x64x3x3xf32>) outs(%o : memref<8x64x7x7xf32>)
  return
}
