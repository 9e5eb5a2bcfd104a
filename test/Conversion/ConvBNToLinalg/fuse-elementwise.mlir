// RUN: convbn-opt %s -split-input-file -convbn-fuse-elementwise | FileCheck %s

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
