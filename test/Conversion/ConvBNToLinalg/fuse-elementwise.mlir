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
