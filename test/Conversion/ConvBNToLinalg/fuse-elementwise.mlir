// RUN: convbn-opt %s -split-input-file -convbn-fuse-elementwise | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-fuse-elementwise=reductions=true | FileCheck %s --check-prefix=RED

// The batch-norm scale: rsqrt(var + eps), then gamma * that, become one
// per-channel generic (same iteration space, one use).

#v = affine_map<(c) -> (c)>
// CHECK-LABEL: func @scale_chain
//       CHECK: %[[K:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<32xf32>, tensor<32xf32>)
//       CHECK:   math.rsqrt
//       CHECK:   arith.mulf
//   CHECK-NOT: linalg.generic
//       CHECK: return %[[K]]
func.func @scale_chain(%var: tensor<32xf32>, %gamma: tensor<32xf32>) -> tensor<32xf32> {
  %eps = arith.constant 1.0e-5 : f32
  %e = tensor.empty() : tensor<32xf32>
  %r = linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%var : tensor<32xf32>) outs(%e : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %eps : f32
    %s = math.rsqrt %a : f32
    linalg.yield %s : f32
  } -> tensor<32xf32>
  %k = linalg.generic {indexing_maps = [#v, #v, #v], iterator_types = ["parallel"]}
      ins(%r, %gamma : tensor<32xf32>, tensor<32xf32>) outs(%e : tensor<32xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<32xf32>
  return %k : tensor<32xf32>
}

// -----

// A producer whose every use is fusable is recomputed in each consumer and
// disappears: rsqrt(var + eps) feeds both the scale and the folded bias.

#v = affine_map<(c) -> (c)>
// CHECK-LABEL: func @two_fusable_uses
//       CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<32xf32>, tensor<32xf32>)
//       CHECK:   math.rsqrt
//       CHECK:   arith.mulf
//       CHECK: %[[B:.*]] = linalg.generic {{.*}} ins(%arg0, %arg2 : tensor<32xf32>, tensor<32xf32>)
//       CHECK:   math.rsqrt
//       CHECK:   arith.subf
//   CHECK-NOT: linalg.generic
//       CHECK: return %[[S]], %[[B]]
func.func @two_fusable_uses(%var: tensor<32xf32>, %gamma: tensor<32xf32>, %mean: tensor<32xf32>) -> (tensor<32xf32>, tensor<32xf32>) {
  %eps = arith.constant 1.0e-5 : f32
  %e = tensor.empty() : tensor<32xf32>
  %r = linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%var : tensor<32xf32>) outs(%e : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %eps : f32
    %s = math.rsqrt %a : f32
    linalg.yield %s : f32
  } -> tensor<32xf32>
  %k = linalg.generic {indexing_maps = [#v, #v, #v], iterator_types = ["parallel"]}
      ins(%r, %gamma : tensor<32xf32>, tensor<32xf32>) outs(%e : tensor<32xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<32xf32>
  %b = linalg.generic {indexing_maps = [#v, #v, #v], iterator_types = ["parallel"]}
      ins(%r, %mean : tensor<32xf32>, tensor<32xf32>) outs(%e : tensor<32xf32>) {
  ^bb0(%a: f32, %m: f32, %out: f32):
    %d = arith.subf %eps, %m : f32
    %p = arith.mulf %a, %d : f32
    linalg.yield %p : f32
  } -> tensor<32xf32>
  return %k, %b : tensor<32xf32>, tensor<32xf32>
}

// -----

// Left alone: a per-channel vector broadcast over an activation (it would
// be recomputed for every element), a producer with a use that cannot absorb
// it (returned), and a reduction consumer.

#v = affine_map<(n, c) -> (c)>
#a = affine_map<(n, c) -> (n, c)>
#r = affine_map<(n, c) -> (c)>
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-6: linalg.generic
//   CHECK-NOT: linalg.generic
func.func @left_alone(%bias: tensor<32xf32>, %x: tensor<8x32xf32>) -> (tensor<8x32xf32>, tensor<8x32xf32>, tensor<8x32xf32>, tensor<32xf32>) {
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  %ev = tensor.empty() : tensor<32xf32>
  %ea = tensor.empty() : tensor<8x32xf32>
  // One use, but 32 points against 256.
  %b2 = linalg.generic {indexing_maps = [affine_map<(c) -> (c)>, affine_map<(c) -> (c)>], iterator_types = ["parallel"]}
      ins(%bias : tensor<32xf32>) outs(%ev : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %one : f32
    linalg.yield %s : f32
  } -> tensor<32xf32>
  %bc = linalg.generic {indexing_maps = [#v, #a], iterator_types = ["parallel", "parallel"]}
      ins(%b2 : tensor<32xf32>) outs(%ea : tensor<8x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<8x32xf32>
  // Two uses, one of them the function's result.
  %y = linalg.generic {indexing_maps = [#a, #a], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x32xf32>) outs(%ea : tensor<8x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %z = linalg.generic {indexing_maps = [#a, #a, #a], iterator_types = ["parallel", "parallel"]}
      ins(%y, %x : tensor<8x32xf32>, tensor<8x32xf32>) outs(%ea : tensor<8x32xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %s = arith.addf %in, %in2 : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  // One use, by a reduction.
  %q = linalg.generic {indexing_maps = [#a, #a], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x32xf32>) outs(%ea : tensor<8x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %one : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%ev : tensor<32xf32>) -> tensor<32xf32>
  %sum = linalg.generic {indexing_maps = [#a, #r], iterator_types = ["reduction", "parallel"]}
      ins(%q : tensor<8x32xf32>) outs(%init : tensor<32xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  } -> tensor<32xf32>
  return %bc, %y, %z, %sum : tensor<8x32xf32>, tensor<8x32xf32>, tensor<8x32xf32>, tensor<32xf32>
}

// -----

// Tune's backward-data filter: the folded weight W * k, viewed with a group
// dimension, then flipped and transposed. The fold is expanded through the
// reshape and fused into the transpose: the transposed filter is computed
// from W and k, and W' is never written.

#w = affine_map<(f, c, h, w) -> (f, c, h, w)>
#k = affine_map<(f, c, h, w) -> (f)>
#flip_in = affine_map<(g, c, f, h, w) -> (g, f, c, -h + 2, -w + 2)>
#flip_out = affine_map<(g, c, f, h, w) -> (g, c, f, h, w)>
// CHECK-LABEL: func @fold_through_reshape
//   CHECK-DAG: %[[W:.*]] = tensor.expand_shape %arg0
//   CHECK-DAG: %[[K:.*]] = tensor.expand_shape %arg1
//       CHECK: %[[T:.*]] = linalg.generic {{.*}} ins(%[[W]], %[[K]] : tensor<1x4x2x3x3xf32>, tensor<1x4xf32>)
//       CHECK:   arith.mulf
//   CHECK-NOT: linalg.generic
//       CHECK: return %[[T]]
func.func @fold_through_reshape(%w: tensor<4x2x3x3xf32>, %k: tensor<4xf32>) -> tensor<1x2x4x3x3xf32> {
  %e = tensor.empty() : tensor<4x2x3x3xf32>
  %folded = linalg.generic {indexing_maps = [#w, #k, #w], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w, %k : tensor<4x2x3x3xf32>, tensor<4xf32>) outs(%e : tensor<4x2x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x2x3x3xf32>
  %g = tensor.expand_shape %folded [[0, 1], [2], [3], [4]] output_shape [1, 4, 2, 3, 3] : tensor<4x2x3x3xf32> into tensor<1x4x2x3x3xf32>
  %e2 = tensor.empty() : tensor<1x2x4x3x3xf32>
  %t = linalg.generic {indexing_maps = [#flip_in, #flip_out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%g : tensor<1x4x2x3x3xf32>) outs(%e2 : tensor<1x2x4x3x3xf32>) {
  ^bb0(%a: f32, %out: f32):
    linalg.yield %a : f32
  } -> tensor<1x2x4x3x3xf32>
  return %t : tensor<1x2x4x3x3xf32>
}

// -----

// The same with the folded weight also returned (in one function, the
// forward convolution reads it): the fold stays one generic, the reshape
// is not moved, and the transpose reads W'.

#w = affine_map<(f, c, h, w) -> (f, c, h, w)>
#k = affine_map<(f, c, h, w) -> (f)>
#flip_in = affine_map<(g, c, f, h, w) -> (g, f, c, -h + 2, -w + 2)>
#flip_out = affine_map<(g, c, f, h, w) -> (g, c, f, h, w)>
// CHECK-LABEL: func @fold_used_twice
//       CHECK: %[[F:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<4x2x3x3xf32>, tensor<4xf32>)
//       CHECK: %[[G:.*]] = tensor.expand_shape %[[F]]
//       CHECK: %[[T:.*]] = linalg.generic {{.*}} ins(%[[G]] : tensor<1x4x2x3x3xf32>)
//       CHECK: return %[[F]], %[[T]]
func.func @fold_used_twice(%w: tensor<4x2x3x3xf32>, %k: tensor<4xf32>) -> (tensor<4x2x3x3xf32>, tensor<1x2x4x3x3xf32>) {
  %e = tensor.empty() : tensor<4x2x3x3xf32>
  %folded = linalg.generic {indexing_maps = [#w, #k, #w], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w, %k : tensor<4x2x3x3xf32>, tensor<4xf32>) outs(%e : tensor<4x2x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x2x3x3xf32>
  %g = tensor.expand_shape %folded [[0, 1], [2], [3], [4]] output_shape [1, 4, 2, 3, 3] : tensor<4x2x3x3xf32> into tensor<1x4x2x3x3xf32>
  %e2 = tensor.empty() : tensor<1x2x4x3x3xf32>
  %t = linalg.generic {indexing_maps = [#flip_in, #flip_out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%g : tensor<1x4x2x3x3xf32>) outs(%e2 : tensor<1x2x4x3x3xf32>) {
  ^bb0(%a: f32, %out: f32):
    linalg.yield %a : f32
  } -> tensor<1x2x4x3x3xf32>
  return %folded, %t : tensor<4x2x3x3xf32>, tensor<1x2x4x3x3xf32>
}

// -----

// Tune's filter gradient as the CPU pipeline leaves it: the GEMM's result in
// blocks of channels ([c / 2, f, 2] here), widened to f64 in the filter's
// order, then read through the filter's views by the weight gradient's
// scaling (dW = dW' * k) and by gamma's sum (dW' . W), loops collapsed.
// By default a reduction absorbs nothing and the f64 copy stays. With
// reductions=true the views compose into one collapse, each reader is
// expanded through it and recomputes the copy from the GEMM's result, and
// the f64 filter-sized tensor is gone (truncf of extf folds away).

#blocks = affine_map<(g, f, b, l) -> (b, f, l)>
#id4 = affine_map<(g, f, b, l) -> (g, f, b, l)>
#rows = affine_map<(f, k) -> (f, k)>
#row = affine_map<(f, k) -> (f)>
// CHECK-LABEL: func @filter_gradient_readers
//       CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<3x4x2xf32>) outs(%{{.*}} : tensor<1x4x3x2xf64>)
//       CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
//  CHECK-SAME:   ins(%{{.*}}, %{{.*}} : tensor<4x6xf64>, tensor<4x6xf32>)
// RED-LABEL: func @filter_gradient_readers
//   RED-NOT: x2xf64>
//       RED: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0, %{{.*}} : tensor<3x4x2xf32>, tensor<1x4xf32>) outs(%{{.*}} : tensor<1x4x3x2xf32>)
//  RED-NEXT:   ^bb0
//  RED-NEXT:   arith.mulf %{{.*}} : f32
//       RED: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%arg0, %{{.*}} : tensor<3x4x2xf32>, tensor<1x4x3x2xf32>) outs(%{{.*}} : tensor<1x4xf64>)
//       RED:   arith.extf
//       RED:   arith.mulf %{{.*}} : f64
//       RED:   arith.addf %{{.*}} : f64
//       RED: return
func.func @filter_gradient_readers(%part: tensor<3x4x2xf32>, %k: tensor<4xf32>, %w: tensor<4x2x3xf32>) -> (tensor<4x6xf32>, tensor<4xf64>) {
  %e64 = tensor.empty() : tensor<1x4x3x2xf64>
  %wide = linalg.generic {indexing_maps = [#blocks, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%part : tensor<3x4x2xf32>) outs(%e64 : tensor<1x4x3x2xf64>) {
  ^bb0(%in: f32, %out: f64):
    %x = arith.extf %in : f32 to f64
    linalg.yield %x : f64
  } -> tensor<1x4x3x2xf64>
  %flat = tensor.collapse_shape %wide [[0], [1], [2, 3]] : tensor<1x4x3x2xf64> into tensor<1x4x6xf64>
  %filter = tensor.expand_shape %flat [[0], [1], [2, 3]] output_shape [1, 4, 2, 3] : tensor<1x4x6xf64> into tensor<1x4x2x3xf64>
  %dw64 = tensor.collapse_shape %filter [[0, 1], [2, 3]] : tensor<1x4x2x3xf64> into tensor<4x6xf64>
  %e32 = tensor.empty() : tensor<4x6xf32>
  %dw = linalg.generic {indexing_maps = [#rows, #row, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%dw64, %k : tensor<4x6xf64>, tensor<4xf32>) outs(%e32 : tensor<4x6xf32>) {
  ^bb0(%in: f64, %s: f32, %out: f32):
    %t = arith.truncf %in : f64 to f32
    %m = arith.mulf %t, %s : f32
    linalg.yield %m : f32
  } -> tensor<4x6xf32>
  %wr = tensor.collapse_shape %w [[0], [1, 2]] : tensor<4x2x3xf32> into tensor<4x6xf32>
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<4xf64>
  %acc = linalg.fill ins(%zero : f64) outs(%e : tensor<4xf64>) -> tensor<4xf64>
  %dg = linalg.generic {indexing_maps = [#rows, #rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%dw64, %wr : tensor<4x6xf64>, tensor<4x6xf32>) outs(%acc : tensor<4xf64>) {
  ^bb0(%a: f64, %b: f32, %out: f64):
    %b64 = arith.extf %b : f32 to f64
    %p = arith.mulf %a, %b64 : f64
    %s = arith.addf %out, %p : f64
    linalg.yield %s : f64
  } -> tensor<4xf64>
  return %dw, %dg : tensor<4x6xf32>, tensor<4xf64>
}
