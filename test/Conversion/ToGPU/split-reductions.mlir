// RUN: convbn-opt %s -split-input-file -convbn-split-reductions | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-split-reductions=parallelism=256 | FileCheck %s --check-prefix=ENOUGH
// RUN: convbn-opt %s -split-input-file -convbn-split-reductions="lanes=32 min-terms=4" | FileCheck %s --check-prefix=LANES
// RUN: not convbn-opt %s -split-input-file -convbn-split-reductions=min-terms=0 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: convbn-opt %convbn_src_root/examples/one_block.mlir -convert-convbn-to-linalg -convbn-split-reductions | FileCheck %s --check-prefix=BLOCK

// BAD: convbn-split-reductions: parallelism and min-terms must be at least 1 and lanes at least 0, but are 65536, 0 and 0

// The lowering's own reductions, in eval mode (the one-block example, 8
// images x 32 channels of 32 x 32): forward has none; backward sums the
// output gradient and its product with the centred output in one generic
// with two outputs, split into 32 lanes like the single sums (256 threads
// -> 8,192), then each output's lanes summed, then the images.
// BLOCK-LABEL: func @block
//       BLOCK: %[[P:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
//  BLOCK-SAME:     ins({{.*}} : tensor<8x32x32x32xf32>, tensor<8x32x32x32xf32>, tensor<32xf32>) outs({{.*}} : tensor<8x32x32xf64>, tensor<8x32x32xf64>)
//       BLOCK: linalg.generic {{.*}} ins(%[[P]]#0 : tensor<8x32x32xf64>) outs({{.*}} : tensor<8x32xf64>)
//       BLOCK: linalg.generic {{.*}} ins(%[[P]]#1 : tensor<8x32x32xf64>) outs({{.*}} : tensor<8x32xf64>)

// With lanes=32 (the CPU's vectorizing pipeline): every reduction it takes
// gets the largest divisor of its terms up to 32 lanes, whatever its
// parallel iterations, with at least 4 terms per lane (1024 terms: 32
// lanes; 144: 24; 49: 7).
// LANES-LABEL: func @per_channel_sum
//       LANES: output_shape [8, 32, 32, 32]
// LANES-LABEL: func @per_filter_dot
//       LANES: output_shape [64, 6, 24]
// LANES-LABEL: func @batch_sum
//   LANES-NOT: expand_shape
// LANES-LABEL: func @short_sum
//       LANES: output_shape [8, 32, 7, 7]

// A per-sample, per-channel sum (the lowering's first stage of a bias or
// gamma gradient): 8 x 32 = 256 threads would each sum 32 x 32 terms. Rows
// and columns become one reduction of 1024 terms, split into 32 lanes (256
// would reach 65536 threads, but each lane sums at least 32 terms). Lane t
// sums the terms t, t + 32, ...: the input is viewed as 8 x 32 x 32 (terms)
// x 32 (lanes), the lanes are the innermost parallel loop, and a second
// generic sums them. The accumulator stays f64. With 256 threads wanted,
// the reduction is left alone.

#in = affine_map<(n, c, h, w) -> (n, c, h, w)>
#out = affine_map<(n, c, h, w) -> (n, c)>
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>
// CHECK-DAG: #[[PART:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[DROP:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @per_channel_sum
//       CHECK: %[[FLAT:.*]] = tensor.collapse_shape %arg0 {{\[}}[0], [1], [2, 3]] : tensor<8x32x32x32xf32> into tensor<8x32x1024xf32>
//       CHECK: %[[SPLIT:.*]] = tensor.expand_shape %[[FLAT]] {{\[}}[0], [1], [2, 3]] output_shape [8, 32, 32, 32]
//       CHECK: %[[ZERO:.*]] = linalg.fill {{.*}} -> tensor<8x32x32xf64>
//       CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#[[IN]], #[[PART]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
//  CHECK-SAME:     ins(%[[SPLIT]] : tensor<8x32x32x32xf32>) outs(%[[ZERO]] : tensor<8x32x32xf64>)
//       CHECK:   arith.extf
//       CHECK:   arith.addf
//       CHECK: %[[S:.*]] = linalg.generic {indexing_maps = [#[[ID3]], #[[DROP]]], iterator_types = ["parallel", "parallel", "reduction"]}
//  CHECK-SAME:     ins(%[[P]] : tensor<8x32x32xf64>) outs(%arg1 : tensor<8x32xf64>)
//       CHECK: return %[[S]]
// ENOUGH-LABEL: func @per_channel_sum
//   ENOUGH-NOT: expand_shape
//       ENOUGH: iterator_types = ["parallel", "parallel", "reduction", "reduction"]
func.func @per_channel_sum(%x: tensor<8x32x32x32xf32>, %init: tensor<8x32xf64>) -> tensor<8x32xf64> {
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<8x32x32x32xf32>) outs(%init : tensor<8x32xf64>) {
  ^bb0(%a: f32, %acc: f64):
    %e = arith.extf %a : f32 to f64
    %s = arith.addf %acc, %e : f64
    linalg.yield %s : f64
  } -> tensor<8x32xf64>
  return %r : tensor<8x32xf64>
}

// -----

// A per-filter sum over a weight-sized product (tune's gamma gradient):
// 64 threads of 16 x 3 x 3 = 144 terms; 144 = 4 lanes x 36 terms (the
// largest divisor with at least 32 terms per lane). Both inputs are split.

#w = affine_map<(o, i, kh, kw) -> (o, i, kh, kw)>
#f = affine_map<(o, i, kh, kw) -> (o)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
// CHECK-LABEL: func @per_filter_dot
//       CHECK: tensor.expand_shape {{.*}} output_shape [64, 36, 4] : tensor<64x144xf64> into tensor<64x36x4xf64>
//       CHECK: tensor.expand_shape {{.*}} output_shape [64, 36, 4] : tensor<64x144xf32> into tensor<64x36x4xf32>
//       CHECK: linalg.generic {indexing_maps = [#[[W]], #[[W]], {{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
//       CHECK: } -> tensor<64x4xf64>
//       CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
//       CHECK: } -> tensor<64xf64>
func.func @per_filter_dot(%g: tensor<64x16x3x3xf64>, %w: tensor<64x16x3x3xf32>, %init: tensor<64xf64>) -> tensor<64xf64> {
  %r = linalg.generic {indexing_maps = [#w, #w, #f], iterator_types = ["parallel", "reduction", "reduction", "reduction"]}
      ins(%g, %w : tensor<64x16x3x3xf64>, tensor<64x16x3x3xf32>) outs(%init : tensor<64xf64>) {
  ^bb0(%a: f64, %b: f32, %acc: f64):
    %e = arith.extf %b : f32 to f64
    %m = arith.mulf %a, %e : f64
    %s = arith.addf %acc, %m : f64
    linalg.yield %s : f64
  } -> tensor<64xf64>
  return %r : tensor<64xf64>
}

// -----

// Left alone: a sum over the batch, whose terms are not the innermost
// dimension of the input (lanes would not be neighbours in memory).

#nc = affine_map<(c, n) -> (n, c)>
#c = affine_map<(c, n) -> (c)>
// CHECK-LABEL: func @batch_sum
//   CHECK-NOT: expand_shape
//       CHECK: iterator_types = ["parallel", "reduction"]
//   CHECK-NOT: linalg.generic
func.func @batch_sum(%p: tensor<4096x32xf64>, %init: tensor<32xf64>) -> tensor<32xf64> {
  %r = linalg.generic {indexing_maps = [#nc, #c], iterator_types = ["parallel", "reduction"]}
      ins(%p : tensor<4096x32xf64>) outs(%init : tensor<32xf64>) {
  ^bb0(%a: f64, %acc: f64):
    %s = arith.addf %acc, %a : f64
    linalg.yield %s : f64
  } -> tensor<32xf64>
  return %r : tensor<32xf64>
}

// -----

// Left alone: 7 x 7 = 49 terms have no divisor leaving 32 terms per lane.

#in = affine_map<(n, c, h, w) -> (n, c, h, w)>
#out = affine_map<(n, c, h, w) -> (n, c)>
// CHECK-LABEL: func @short_sum
//   CHECK-NOT: expand_shape
//       CHECK: iterator_types = ["parallel", "parallel", "reduction", "reduction"]
//   CHECK-NOT: linalg.generic
func.func @short_sum(%x: tensor<8x32x7x7xf32>, %init: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<8x32x7x7xf32>) outs(%init : tensor<8x32xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// Two sums in one pass (batch norm's backward in eval: the output gradient's
// sum and its dot with the centred output, per image and channel), which
// upstream's split does not take: both get partials of 32 lanes, filled with
// zeros, from one generic that reads each input once; then each output sums
// its lanes into its own initial value. The per-channel input is not split.

#in = affine_map<(n, c, h, w) -> (n, c, h, w)>
#ch = affine_map<(n, c, h, w) -> (c)>
#out = affine_map<(n, c, h, w) -> (n, c)>
// CHECK-DAG: #[[IN2:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>
// CHECK-DAG: #[[CH2:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-DAG: #[[PART2:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[LANES2:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[DROP2:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @two_sums
//   CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
//   CHECK-DAG: %[[ZERO1:.*]] = arith.constant 0.000000e+00 : f64
//   CHECK-DAG: %[[DY:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3]] output_shape [8, 32, 32, 32] : tensor<8x32x1024xf32> into tensor<8x32x32x32xf32>
//   CHECK-DAG: %[[Y:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3]] output_shape [8, 32, 32, 32] : tensor<8x32x1024xf32> into tensor<8x32x32x32xf32>
//   CHECK-DAG: %[[Z0:.*]] = linalg.fill ins(%[[ZERO]] : f64) outs(%{{.*}} : tensor<8x32x32xf64>)
//   CHECK-DAG: %[[Z1:.*]] = linalg.fill ins(%[[ZERO1]] : f64) outs(%{{.*}} : tensor<8x32x32xf64>)
//       CHECK: %[[P:.*]]:2 = linalg.generic {indexing_maps = [#[[IN2]], #[[IN2]], #[[CH2]], #[[PART2]], #[[PART2]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
//  CHECK-SAME:     ins(%[[DY]], %[[Y]], %arg2 : tensor<8x32x32x32xf32>, tensor<8x32x32x32xf32>, tensor<32xf32>) outs(%[[Z0]], %[[Z1]] : tensor<8x32x32xf64>, tensor<8x32x32xf64>)
//       CHECK:   arith.subf
//       CHECK:   arith.mulf
//       CHECK:   %[[S0:.*]] = arith.addf %{{.*}}, %{{.*}} : f64
//       CHECK:   %[[S1:.*]] = arith.addf %{{.*}}, %{{.*}} : f64
//       CHECK:   linalg.yield %[[S0]], %[[S1]]
//       CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[LANES2]], #[[DROP2]]], iterator_types = ["parallel", "parallel", "reduction"]}
//  CHECK-SAME:     ins(%[[P]]#0 : tensor<8x32x32xf64>) outs(%arg3 : tensor<8x32xf64>)
//  CHECK-NEXT: ^bb0(%[[IN:.*]]: f64, %[[ACC:.*]]: f64):
//  CHECK-NEXT:   %[[ADD:.*]] = arith.addf %[[ACC]], %[[IN]] : f64
//  CHECK-NEXT:   linalg.yield %[[ADD]]
//       CHECK: %[[DOT:.*]] = linalg.generic {indexing_maps = [#[[LANES2]], #[[DROP2]]], iterator_types = ["parallel", "parallel", "reduction"]}
//  CHECK-SAME:     ins(%[[P]]#1 : tensor<8x32x32xf64>) outs(%arg4 : tensor<8x32xf64>)
//  CHECK-NEXT: ^bb0(%[[IN:.*]]: f64, %[[ACC:.*]]: f64):
//  CHECK-NEXT:   %[[ADD:.*]] = arith.addf %[[IN]], %[[ACC]] : f64
//  CHECK-NEXT:   linalg.yield %[[ADD]]
//       CHECK: return %[[SUM]], %[[DOT]]
// LANES-LABEL: func @two_sums
//       LANES: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
//       LANES: } -> (tensor<8x32x32xf64>, tensor<8x32x32xf64>)
// ENOUGH-LABEL: func @two_sums
//   ENOUGH-NOT: expand_shape
//       ENOUGH: iterator_types = ["parallel", "parallel", "reduction", "reduction"]
func.func @two_sums(%dy: tensor<8x32x32x32xf32>, %y: tensor<8x32x32x32xf32>, %mean: tensor<32xf32>,
                    %init0: tensor<8x32xf64>, %init1: tensor<8x32xf64>) -> (tensor<8x32xf64>, tensor<8x32xf64>) {
  %r:2 = linalg.generic {indexing_maps = [#in, #in, #ch, #out, #out], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%dy, %y, %mean : tensor<8x32x32x32xf32>, tensor<8x32x32x32xf32>, tensor<32xf32>)
      outs(%init0, %init1 : tensor<8x32xf64>, tensor<8x32xf64>) {
  ^bb0(%g: f32, %v: f32, %m: f32, %acc0: f64, %acc1: f64):
    %g64 = arith.extf %g : f32 to f64
    %d = arith.subf %v, %m : f32
    %d64 = arith.extf %d : f32 to f64
    %p = arith.mulf %g64, %d64 : f64
    %s0 = arith.addf %acc0, %g64 : f64
    %s1 = arith.addf %p, %acc1 : f64
    linalg.yield %s0, %s1 : f64, f64
  } -> (tensor<8x32xf64>, tensor<8x32xf64>)
  return %r#0, %r#1 : tensor<8x32xf64>, tensor<8x32xf64>
}

// -----

// Left alone: a second output that is not a reduction with a neutral element
// (the last term, not a sum).

#in = affine_map<(n, c, h, w) -> (n, c, h, w)>
#out = affine_map<(n, c, h, w) -> (n, c)>
// CHECK-LABEL: func @sum_and_last
//   CHECK-NOT: expand_shape
//       CHECK: iterator_types = ["parallel", "parallel", "reduction", "reduction"]
//   CHECK-NOT: linalg.generic
func.func @sum_and_last(%x: tensor<8x32x32x32xf32>, %init0: tensor<8x32xf32>, %init1: tensor<8x32xf32>) -> (tensor<8x32xf32>, tensor<8x32xf32>) {
  %r:2 = linalg.generic {indexing_maps = [#in, #out, #out], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<8x32x32x32xf32>) outs(%init0, %init1 : tensor<8x32xf32>, tensor<8x32xf32>) {
  ^bb0(%a: f32, %acc0: f32, %acc1: f32):
    %s = arith.addf %acc0, %a : f32
    linalg.yield %s, %a : f32, f32
  } -> (tensor<8x32xf32>, tensor<8x32xf32>)
  return %r#0, %r#1 : tensor<8x32xf32>, tensor<8x32xf32>
}

// -----

// Tune's gamma gradient as the CPU pipeline fuses it: the filter gradient
// read in the GEMM's blocks of channels, [c / 32, f, 32], against the
// filter's rows. The two reduction loops are not both innermost in the
// blocks, only the lanes' loop is: that one is split, and the blocks stay
// a reduction of the partials. Each lane sums at least min-terms terms of
// all 512: 16 lanes by default (32 terms each), 32 with lanes=32
// min-terms=4 (the loop wholly lanes, 16 terms each).

#blocks = affine_map<(g, f, b, l) -> (b, f, l)>
#rows = affine_map<(g, f, b, l) -> (g, f, b, l)>
#out = affine_map<(g, f, b, l) -> (g, f)>
// CHECK-LABEL: func @blocked_dot
//       CHECK: tensor.expand_shape %arg0 {{.*}} : tensor<16x64x32xf32> into tensor<16x64x2x16xf32>
//       CHECK: %[[P:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]
//  CHECK-SAME:   outs(%{{.*}} : tensor<1x64x16xf64>)
//       CHECK: linalg.generic {{.*}} ins(%[[P]] : tensor<1x64x16xf64>) outs(%arg2 : tensor<1x64xf64>)
// LANES-LABEL: func @blocked_dot
//       LANES: tensor.expand_shape %arg0 {{.*}} : tensor<16x64x32xf32> into tensor<16x64x1x32xf32>
//       LANES: iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]
//  LANES-SAME:   outs(%{{.*}} : tensor<1x64x32xf64>)
func.func @blocked_dot(%g: tensor<16x64x32xf32>, %w: tensor<1x64x16x32xf32>, %init: tensor<1x64xf64>) -> tensor<1x64xf64> {
  %r = linalg.generic {indexing_maps = [#blocks, #rows, #out], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%g, %w : tensor<16x64x32xf32>, tensor<1x64x16x32xf32>) outs(%init : tensor<1x64xf64>) {
  ^bb0(%a: f32, %b: f32, %acc: f64):
    %a64 = arith.extf %a : f32 to f64
    %b64 = arith.extf %b : f32 to f64
    %p = arith.mulf %a64, %b64 : f64
    %s = arith.addf %acc, %p : f64
    linalg.yield %s : f64
  } -> tensor<1x64xf64>
  return %r : tensor<1x64xf64>
}
