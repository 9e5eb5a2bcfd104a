// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions="tile-sizes=1,2,4,3" | FileCheck %s --check-prefix=SIZES
// RUN: not convbn-opt %s -split-input-file -convbn-vectorize-convolutions="tile-sizes=1,2" 2>&1 | FileCheck %s --check-prefix=BAD

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
