// RUN: convbn-opt %s -split-input-file -convert-convbn-to-linalg -canonicalize -convbn-backward-filter-to-matmul | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convert-convbn-to-linalg=f64-reductions=false -canonicalize -convbn-backward-filter-to-matmul | FileCheck %s --check-prefix=F32

// Batch 2 in 2 chunks of one image, stride 2: the windows are copied once
// (col[p, n, oh, ow, c, kh, kw] = X[p, n, c, 2*oh + kh, 2*ow + kw]) in the
// accumulator's type, G as [p, f, positions], and one batch matmul per
// chunk (M = 4 filters, N = 3*3*3, K = 4*4 positions) replaces the generic;
// the chunk sum follows as before.
//   CHECK-DAG: #[[WINDOW:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d4, d2 * 2 + d5, d3 * 2 + d6)>
// CHECK-LABEL: func.func @chunks_of_one
//       CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x4x1x4x4xf64>)
//       CHECK: arith.extf
//       CHECK: tensor.collapse_shape {{.*}} into tensor<2x4x16xf64>
//       CHECK: linalg.generic {indexing_maps = [#[[WINDOW]], {{.*}} ins(%{{.*}} : tensor<2x1x3x9x9xf32>) outs(%{{.*}} : tensor<2x1x4x4x3x3x3xf64>)
//       CHECK: tensor.collapse_shape {{.*}} into tensor<2x16x27xf64>
//       CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<2x4x16xf64>, tensor<2x16x27xf64>) outs(%{{.*}} : tensor<2x4x27xf64>)
//       CHECK: tensor.expand_shape {{.*}} into tensor<2x1x4x3x3x3xf64>
//       CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]
//   CHECK-NOT: iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
//       CHECK: return
// With f32 accumulation, G is only reshaped (no copy) and col stays f32.
//  F32-LABEL: func.func @chunks_of_one
//   F32-NOT: tensor<2x4x1x4x4xf32>
//       F32: tensor.collapse_shape {{.*}} into tensor<2x4x16xf32>
//       F32: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<2x4x16xf32>, tensor<2x16x27xf32>) outs(%{{.*}} : tensor<2x4x27xf32>)
func.func @chunks_of_one(%gz: tensor<2x4x4x4xf32>, %x: tensor<2x3x9x9xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<4x3x3x3xf32> {
  %dw = convbn.backward deploy grads <filter> %gz, %x, %w {strides = array<i64: 2, 2>} : (tensor<2x4x4x4xf32>, tensor<2x3x9x9xf32>, tensor<4x3x3x3xf32>) -> tensor<4x3x3x3xf32>
  return %dw : tensor<4x3x3x3xf32>
}

// -----

// Batch 32 in 16 chunks of 2 images, padding 1, dilation 2: G is
// transposed to [p, f, n, oh, ow] so that K = (n, oh, ow) is contiguous.
//   CHECK-DAG: #[[TRANSPOSE:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d3, d4)>
//   CHECK-DAG: #[[DILATED:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d4, d2 + d5 * 2, d3 + d6 * 2)>
// CHECK-LABEL: func.func @chunks_of_two
//       CHECK: linalg.generic {indexing_maps = [#[[TRANSPOSE]], {{.*}} ins(%{{.*}} : tensor<16x2x8x4x4xf32>) outs(%{{.*}} : tensor<16x8x2x4x4xf64>)
//       CHECK: linalg.generic {indexing_maps = [#[[DILATED]], {{.*}} outs(%{{.*}} : tensor<16x2x4x4x2x3x3xf64>)
//       CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<16x8x32xf64>, tensor<16x32x18xf64>) outs(%{{.*}} : tensor<16x8x18xf64>)
func.func @chunks_of_two(%gz: tensor<32x8x4x4xf32>, %x: tensor<32x2x6x6xf32>, %w: tensor<8x2x3x3xf32>) -> tensor<8x2x3x3xf32> {
  %dw = convbn.backward deploy grads <filter> %gz, %x, %w {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, dilations = array<i64: 2, 2>} : (tensor<32x8x4x4xf32>, tensor<32x2x6x6xf32>, tensor<8x2x3x3xf32>) -> tensor<8x2x3x3xf32>
  return %dw : tensor<8x2x3x3xf32>
}

// -----

// One image: no chunk dimension in the generic; the rewrite adds a unit one
// and drops it again.
// CHECK-LABEL: func.func @one_image
//       CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x4x36xf64>, tensor<1x36x3xf64>) outs(%{{.*}} : tensor<1x4x3xf64>)
//       CHECK: tensor.collapse_shape {{.*}} into tensor<1x4x3x1x1xf64>
func.func @one_image(%gz: tensor<1x4x6x6xf32>, %x: tensor<1x3x6x6xf32>, %w: tensor<4x3x1x1xf32>) -> tensor<4x3x1x1xf32> {
  %dw = convbn.backward deploy grads <filter> %gz, %x, %w : (tensor<1x4x6x6xf32>, tensor<1x3x6x6xf32>, tensor<4x3x1x1xf32>) -> tensor<4x3x1x1xf32>
  return %dw : tensor<4x3x1x1xf32>
}

// -----

// Left alone: grouped (2 groups), 1-D, and a dynamic batch.
// CHECK-LABEL: func.func @left_alone
//   CHECK-NOT: linalg.batch_matmul
//       CHECK: return
func.func @left_alone(%gz: tensor<2x4x4x4xf32>, %x: tensor<2x4x6x6xf32>, %w: tensor<4x2x3x3xf32>,
                      %gz1: tensor<2x4x4xf32>, %x1: tensor<2x3x6xf32>, %w1: tensor<4x3x3xf32>,
                      %gzd: tensor<?x4x4x4xf32>, %xd: tensor<?x3x6x6xf32>, %wd: tensor<4x3x3x3xf32>)
    -> (tensor<4x2x3x3xf32>, tensor<4x3x3xf32>, tensor<4x3x3x3xf32>) {
  %dw = convbn.backward deploy grads <filter> %gz, %x, %w {groups = 2 : i64} : (tensor<2x4x4x4xf32>, tensor<2x4x6x6xf32>, tensor<4x2x3x3xf32>) -> tensor<4x2x3x3xf32>
  %dw1 = convbn.backward deploy grads <filter> %gz1, %x1, %w1 : (tensor<2x4x4xf32>, tensor<2x3x6xf32>, tensor<4x3x3xf32>) -> tensor<4x3x3xf32>
  %dwd = convbn.backward deploy grads <filter> %gzd, %xd, %wd : (tensor<?x4x4x4xf32>, tensor<?x3x6x6xf32>, tensor<4x3x3x3xf32>) -> tensor<4x3x3x3xf32>
  return %dw, %dw1, %dwd : tensor<4x2x3x3xf32>, tensor<4x3x3xf32>, tensor<4x3x3x3xf32>
}
