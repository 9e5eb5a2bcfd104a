// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions="tile-sizes=1,2,4,3" | FileCheck %s --check-prefix=SIZES
// RUN: not convbn-opt %s -split-input-file -convbn-vectorize-convolutions="tile-sizes=1,2" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions="reduction-block=0" | FileCheck %s --check-prefix=NOBLOCK
// RUN: not convbn-opt %s -split-input-file -convbn-vectorize-convolutions="reduction-block=-1" 2>&1 | FileCheck %s --check-prefix=BADBLOCK

// One element type: im2col, then the contraction tiled (filters by 8,
// positions by 16, reduction by 16) and vectorized to outer products.

// CHECK-LABEL: func @uniform
//       CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x36x64xf32>)
//       CHECK: scf.for
//       CHECK: scf.for
//       CHECK: vector.transfer_read
//       CHECK: vector.fma
//   CHECK-NOT: linalg.conv_2d_nchw_fchw
//   CHECK-NOT: convbn.vectorize
// SIZES-LABEL: func @uniform
//       SIZES: vector<2x4xf32>
// BAD: error: convbn-vectorize-convolutions: tile-sizes must be 4 positive sizes
// BADBLOCK: error: convbn-vectorize-convolutions: reduction-block must be 0 (no blocking) or positive
func.func @uniform(%x: tensor<2x4x10x10xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<2x8x8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8x8x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x8x8x8xf32>) -> tensor<2x8x8x8xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %w : tensor<2x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%acc : tensor<2x8x8x8xf32>) -> tensor<2x8x8x8xf32>
  return %y : tensor<2x8x8x8xf32>
}

// -----

// f16 operands with an f32 accumulator: left as a convolution (upstream's
// im2col rewrite does not handle mixed element types).

// CHECK-LABEL: func @mixed
//       CHECK: linalg.conv_2d_nchw_fchw
//   CHECK-NOT: convbn.vectorize
//   CHECK-NOT: vector.
func.func @mixed(%x: tensor<1x2x5x5xf16>, %w: tensor<2x2x3x3xf16>) -> tensor<1x2x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x3x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %w : tensor<1x2x5x5xf16>, tensor<2x2x3x3xf16>) outs(%acc : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// A batch matmul (the backward-filter GEMM of
// -convbn-backward-filter-to-matmul) is tiled as it is (chunks by 1,
// filters by 8, window by 16, positions by 16) and vectorized to outer
// products, in f64 here.

// CHECK-LABEL: func @batch_matmul
//       CHECK: scf.for
//       CHECK: vector.transfer_read {{.*}} vector<8x16xf64>
//       CHECK: vector.fma {{.*}} : vector<16xf64>
//   CHECK-NOT: linalg.batch_matmul
//   CHECK-NOT: convbn.vectorize
// SIZES-LABEL: func @batch_matmul
//       SIZES: vector.fma {{.*}} : vector<4xf64>
func.func @batch_matmul(%a: tensor<2x16x48xf64>, %b: tensor<2x48x32xf64>, %c: tensor<2x16x32xf64>) -> tensor<2x16x32xf64> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<2x16x48xf64>, tensor<2x48x32xf64>) outs(%c : tensor<2x16x32xf64>) -> tensor<2x16x32xf64>
  return %r : tensor<2x16x32xf64>
}

// -----

// A batch matmul with f32 operands and an f64 accumulator, a dynamic one,
// or one with its own indexing maps (here a transposed lhs) is left as it is.

// CHECK-LABEL: func @batch_matmul_left_alone
//       CHECK: linalg.batch_matmul
//       CHECK: linalg.batch_matmul
//       CHECK: linalg.batch_matmul
//   CHECK-NOT: convbn.vectorize
//   CHECK-NOT: vector.
func.func @batch_matmul_left_alone(%a: tensor<2x16x48xf32>, %b: tensor<2x48x32xf32>, %c: tensor<2x16x32xf64>,
                                   %ad: tensor<?x16x48xf32>, %bd: tensor<?x48x32xf32>, %cd: tensor<?x16x32xf32>,
                                   %at: tensor<2x48x16xf32>, %ct: tensor<2x16x32xf32>)
    -> (tensor<2x16x32xf64>, tensor<?x16x32xf32>, tensor<2x16x32xf32>) {
  %r = linalg.batch_matmul ins(%a, %b : tensor<2x16x48xf32>, tensor<2x48x32xf32>) outs(%c : tensor<2x16x32xf64>) -> tensor<2x16x32xf64>
  %rd = linalg.batch_matmul ins(%ad, %bd : tensor<?x16x48xf32>, tensor<?x48x32xf32>) outs(%cd : tensor<?x16x32xf32>) -> tensor<?x16x32xf32>
  %rt = linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d3, d1)>,
                                             affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>,
                                             affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>]
      ins(%at, %b : tensor<2x48x16xf32>, tensor<2x48x32xf32>) outs(%ct : tensor<2x16x32xf32>) -> tensor<2x16x32xf32>
  return %r, %rd, %rt : tensor<2x16x32xf64>, tensor<?x16x32xf32>, tensor<2x16x32xf32>
}

// -----

// Fewer filters (3) than the filter tile (8): no im2col (its copy would cost
// more than the 3-row GEMM); a direct convolution whose innermost loop is
// the output width, for LLVM's loop vectorizer.

//   CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d6)>
// CHECK-LABEL: func @few_filters
//       CHECK: linalg.generic {{.*}}#[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
//   CHECK-NOT: vector.
//   CHECK-NOT: convbn.vectorize
func.func @few_filters(%x: tensor<1x4x10x10xf32>, %w: tensor<3x4x3x3xf32>, %acc: tensor<1x3x8x8xf32>) -> tensor<1x3x8x8xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %w : tensor<1x4x10x10xf32>, tensor<3x4x3x3xf32>) outs(%acc : tensor<1x3x8x8xf32>) -> tensor<1x3x8x8xf32>
  return %y : tensor<1x3x8x8xf32>
}

// -----

// Operands too large to stay in cache (1.5 MiB) and two tiles of
// positions: the reduction (8192 terms) is blocked by 128 outside the tiles
// (the largest divisor of it at most `reduction-block`), then tiled by 16
// inside each block; the tiles sweep positions (the rhs's columns) outside
// filters (rows), so each rhs tile is reused by every row tile while
// cached. (The batch of one needs no loop.) With reduction-block=0, one
// sweep over the whole reduction. Smaller operands (@batch_matmul above)
// are neither blocked nor swept in that order: they stay in cache anyway,
// and blocking would cut the rows streamed into short strided pieces.

// CHECK-LABEL: func @blocked_reduction
//   CHECK-DAG: %[[C8:.+]] = arith.constant 8 : index
//   CHECK-DAG: %[[C16:.+]] = arith.constant 16 : index
//   CHECK-DAG: %[[C128:.+]] = arith.constant 128 : index
//       CHECK: scf.for {{.*}} step %[[C128]]
//       CHECK: scf.for {{.*}} step %[[C16]]
//       CHECK: scf.for {{.*}} step %[[C8]]
//       CHECK: scf.for {{.*}} step %[[C16]]
//       CHECK: vector.fma {{.*}} : vector<16xf32>
// NOBLOCK-LABEL: func @blocked_reduction
//   NOBLOCK-NOT: arith.constant 128 : index
//       NOBLOCK: vector.fma
func.func @blocked_reduction(%a: tensor<1x16x8192xf32>, %b: tensor<1x8192x32xf32>, %c: tensor<1x16x32xf32>) -> tensor<1x16x32xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<1x16x8192xf32>, tensor<1x8192x32xf32>) outs(%c : tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  return %r : tensor<1x16x32xf32>
}
