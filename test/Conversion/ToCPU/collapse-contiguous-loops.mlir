// RUN: convbn-opt %s -split-input-file -convbn-collapse-contiguous-loops -canonicalize | FileCheck %s

// A weight-sized scale by a per-filter factor: filters x (channels * 3 * 3),
// the factor indexed by the filter only.
//   CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
//   CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @scale_weight
//       CHECK: %[[W:.+]] = tensor.collapse_shape %arg0 {{\[}}[0], [1, 2, 3]] : tensor<8x4x3x3xf32> into tensor<8x36xf32>
//       CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[W]], %arg1 : tensor<8x36xf32>, tensor<8xf32>)
//       CHECK: tensor.expand_shape {{.*}} into tensor<8x4x3x3xf32>
#id4 = affine_map<(f, c, h, w) -> (f, c, h, w)>
#f4 = affine_map<(f, c, h, w) -> (f)>
func.func @scale_weight(%w: tensor<8x4x3x3xf32>, %s: tensor<8xf32>) -> tensor<8x4x3x3xf32> {
  %e = tensor.empty() : tensor<8x4x3x3xf32>
  %r = linalg.generic {indexing_maps = [#id4, #f4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w, %s : tensor<8x4x3x3xf32>, tensor<8xf32>) outs(%e : tensor<8x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<8x4x3x3xf32>
  return %r : tensor<8x4x3x3xf32>
}

// -----

// The sum of backward-filter partials over 4 batch chunks: the weight
// dimensions collapse into one, and that parallel loop, innermost in every
// operand, moves inside the reduction loop.
//   CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1) -> (d0, d1)>
//   CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @sum_chunks
//       CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["reduction", "parallel"]} ins(%{{.*}} : tensor<4x288xf64>) outs(%{{.*}} : tensor<288xf64>)
#in5 = affine_map<(f, c, h, w, p) -> (p, f, c, h, w)>
#out5 = affine_map<(f, c, h, w, p) -> (f, c, h, w)>
func.func @sum_chunks(%partials: tensor<4x8x4x3x3xf64>, %init: tensor<8x4x3x3xf64>) -> tensor<8x4x3x3xf64> {
  %r = linalg.generic {indexing_maps = [#in5, #out5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%partials : tensor<4x8x4x3x3xf64>) outs(%init : tensor<8x4x3x3xf64>) {
  ^bb0(%a: f64, %o: f64):
    %s = arith.addf %o, %a : f64
    linalg.yield %s : f64
  } -> tensor<8x4x3x3xf64>
  return %r : tensor<8x4x3x3xf64>
}

// -----

// A per-filter reduction over the weight (a gamma gradient): the three
// reduction loops collapse; the reduction stays innermost (no operand has
// the filter loop innermost).
// CHECK-LABEL: func.func @reduce_weight
//       CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<8x36xf64>) outs(%{{.*}} : tensor<8xf64>)
#w4 = affine_map<(f, c, h, w) -> (f, c, h, w)>
#r4 = affine_map<(f, c, h, w) -> (f)>
func.func @reduce_weight(%d: tensor<8x4x3x3xf64>, %init: tensor<8xf64>) -> tensor<8xf64> {
  %r = linalg.generic {indexing_maps = [#w4, #r4], iterator_types = ["parallel", "reduction", "reduction", "reduction"]}
      ins(%d : tensor<8x4x3x3xf64>) outs(%init : tensor<8xf64>) {
  ^bb0(%a: f64, %o: f64):
    %s = arith.addf %o, %a : f64
    linalg.yield %s : f64
  } -> tensor<8xf64>
  return %r : tensor<8xf64>
}

// -----

// Left alone: a window read (not a projected permutation), an op using
// linalg.index, and a dynamic shape.
// CHECK-LABEL: func.func @left_alone
//   CHECK-NOT: tensor.collapse_shape
//       CHECK: return
#win = affine_map<(n, o, k) -> (n, o + k)>
#nok = affine_map<(n, o, k) -> (n, o, k)>
#id2 = affine_map<(a, b) -> (a, b)>
func.func @left_alone(%x: tensor<2x10xf32>, %y: tensor<2x8x3xf32>, %z: tensor<4x5xf32>, %d: tensor<?x5xf32>)
    -> (tensor<2x8x3xf32>, tensor<4x5xf32>, tensor<?x5xf32>) {
  %r = linalg.generic {indexing_maps = [#win, #nok], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x10xf32>) outs(%y : tensor<2x8x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<2x8x3xf32>
  %i = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%z : tensor<4x5xf32>) {
  ^bb0(%o: f32):
    %j = linalg.index 1 : index
    %k = arith.index_cast %j : index to i32
    %f = arith.sitofp %k : i32 to f32
    linalg.yield %f : f32
  } -> tensor<4x5xf32>
  %g = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%d : tensor<?x5xf32>) outs(%d : tensor<?x5xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<?x5xf32>
  return %r, %i, %g : tensor<2x8x3xf32>, tensor<4x5xf32>, tensor<?x5xf32>
}
