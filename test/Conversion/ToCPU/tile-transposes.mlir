// RUN: convbn-opt %s -split-input-file -convbn-tile-transposes -canonicalize | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-tile-transposes=block-size=16 -canonicalize | FileCheck %s --check-prefix=B16
// RUN: not convbn-opt %s -split-input-file -convbn-tile-transposes=block-size=0 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: convbn-tile-transposes: block-size must be positive

// Backward-data's channels-last filter, composed with the flipped
// transpose and Tune's fold: wt[kh, kw, f, c] = W[f, c, 2 - kh, 2 - kw] *
// k[f]. The moved, directly indexed loops (f, c) in blocks of 8, the
// flipped ones whole; the per-filter factor sliced along f; the maps and
// the body unchanged.
//   CHECK-DAG: #[[FLIP:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3, -d0 + 2, -d1 + 2)>
//   CHECK-DAG: #[[K:.+]] = affine_map<(d0, d1, d2, d3) -> (d2)>
// CHECK-LABEL: func.func @channels_last_flipped_filter
//       CHECK: scf.for %[[F:.+]] = %c0 to %c32 step %c8 iter_args(%[[A:.+]] = %{{.*}})
//       CHECK:   scf.for %[[C:.+]] = %c0 to %c64 step %c8 iter_args(%[[B:.+]] = %[[A]])
//   CHECK-DAG:     %[[IN:.+]] = tensor.extract_slice %arg0[%[[F]], %[[C]], 0, 0] [8, 8, 3, 3] [1, 1, 1, 1] : tensor<32x64x3x3xf32> to tensor<8x8x3x3xf32>
//   CHECK-DAG:     %[[KS:.+]] = tensor.extract_slice %arg1[%[[F]]] [8] [1] : tensor<32xf32> to tensor<8xf32>
//   CHECK-DAG:     %[[OUT:.+]] = tensor.extract_slice %[[B]][0, 0, %[[F]], %[[C]]] [3, 3, 8, 8] [1, 1, 1, 1] : tensor<3x3x32x64xf32> to tensor<3x3x8x8xf32>
//       CHECK:     %[[T:.+]] = linalg.generic {indexing_maps = [#[[FLIP]], #[[K]], #{{.+}}], {{.*}}} ins(%[[IN]], %[[KS]] : tensor<8x8x3x3xf32>, tensor<8xf32>) outs(%[[OUT]] : tensor<3x3x8x8xf32>)
//       CHECK:       arith.mulf
//       CHECK:     tensor.insert_slice %[[T]] into %[[B]][0, 0, %[[F]], %[[C]]] [3, 3, 8, 8] [1, 1, 1, 1]
// With block-size=16, blocks of 16.
//         B16: scf.for %{{.+}} = %c0 to %c32 step %c16
//         B16:   scf.for %{{.+}} = %c0 to %c64 step %c16
#flip = affine_map<(kh, kw, f, c) -> (f, c, 2 - kh, 2 - kw)>
#k = affine_map<(kh, kw, f, c) -> (f)>
#id = affine_map<(kh, kw, f, c) -> (kh, kw, f, c)>
func.func @channels_last_flipped_filter(%w: tensor<32x64x3x3xf32>, %k: tensor<32xf32>) -> tensor<3x3x32x64xf32> {
  %e = tensor.empty() : tensor<3x3x32x64xf32>
  %r = linalg.generic {indexing_maps = [#flip, #k, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w, %k : tensor<32x64x3x3xf32>, tensor<32xf32>) outs(%e : tensor<3x3x32x64xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.mulf %a, %s : f32
    linalg.yield %m : f32
  } -> tensor<3x3x32x64xf32>
  return %r : tensor<3x3x32x64xf32>
}

// -----

// An activation copied channels-last, [n, h, w, c] from [n, c, h, w]: the
// batch, before the first moved loop, one image at a time; h, w and c in
// blocks of the largest divisor of their extent at most 8 (6, 6, 8).
// CHECK-LABEL: func.func @channels_last
//       CHECK: scf.for %[[N:.+]] = %c0 to %c2 step %c1
//       CHECK:   scf.for %[[H:.+]] = %c0 to %c12 step %c6
//       CHECK:     scf.for %[[W:.+]] = %c0 to %c12 step %c6
//       CHECK:       scf.for %[[C:.+]] = %c0 to %c32 step %c8
//       CHECK:         tensor.extract_slice %arg0[%[[N]], %[[C]], %[[H]], %[[W]]] [1, 8, 6, 6] [1, 1, 1, 1] : tensor<2x32x12x12xf32> to tensor<1x8x6x6xf32>
#nchw = affine_map<(n, h, w, c) -> (n, c, h, w)>
#nhwc = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @channels_last(%x: tensor<2x32x12x12xf32>) -> tensor<2x12x12x32xf32> {
  %e = tensor.empty() : tensor<2x12x12x32xf32>
  %r = linalg.generic {indexing_maps = [#nchw, #nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x32x12x12xf32>) outs(%e : tensor<2x12x12x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<2x12x12x32xf32>
  return %r : tensor<2x12x12x32xf32>
}

// -----

// The filters-in-lanes GEMM's filter, [1, (c, kh, kw), f] from W viewed as
// [f, (c, kh, kw)]: the unit group loop is not in W; both loops are moved.
// CHECK-LABEL: func.func @filters_in_lanes
//       CHECK: scf.for %[[K:.+]] = %c0 to %c72 step %c8
//       CHECK:   scf.for %[[F:.+]] = %c0 to %c32 step %c8
//       CHECK:     tensor.extract_slice %arg0[%[[F]], %[[K]]] [8, 8] [1, 1] : tensor<32x72xf32> to tensor<8x8xf32>
//       CHECK:     tensor.extract_slice %{{.+}}[0, %[[K]], %[[F]]] [1, 8, 8] [1, 1, 1] : tensor<1x72x32xf32> to tensor<1x8x8xf32>
#wk = affine_map<(g, k, f) -> (f, k)>
#id3 = affine_map<(g, k, f) -> (g, k, f)>
func.func @filters_in_lanes(%w: tensor<32x72xf32>) -> tensor<1x72x32xf32> {
  %e = tensor.empty() : tensor<1x72x32xf32>
  %r = linalg.generic {indexing_maps = [#wk, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%w : tensor<32x72xf32>) outs(%e : tensor<1x72x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<1x72x32xf32>
  return %r : tensor<1x72x32xf32>
}

// -----

// Backward-data's filter of a 1x1 kernel, [1, c, f, 1, 1] from [1, f, c,
// 1, 1]: what it reads of the unit loops, its flip `-d` (and `-2 * d` in a
// stride phase at stride 2), is the constant 0, so f and c are the only
// loops it indexes; both are moved and tiled in blocks of 8. Untiled, this
// copy of 2048 x 512 filters took 6 of the 9.6 ms of a backward-data.
//   CHECK-DAG: #[[FLIP1:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, -d3, -d4)>
//   CHECK-DAG: #[[PHASE:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d3 * -2, d4 * -2)>
// CHECK-LABEL: func.func @pointwise_flipped_filter
//       CHECK: scf.for %[[C:.+]] = %c0 to %c64 step %c8
//       CHECK:   scf.for %[[F:.+]] = %c0 to %c32 step %c8
//       CHECK:     %[[IN:.+]] = tensor.extract_slice %arg0[0, %[[F]], %[[C]], 0, 0] [1, 8, 8, 1, 1] [1, 1, 1, 1, 1] : tensor<1x32x64x1x1xf32> to tensor<1x8x8x1x1xf32>
//       CHECK:     linalg.generic {indexing_maps = [#[[FLIP1]], #{{.+}}], {{.*}}} ins(%[[IN]] : tensor<1x8x8x1x1xf32>)
//       CHECK: scf.for %[[C2:.+]] = %c0 to %c64 step %c8
//       CHECK:   scf.for %[[F2:.+]] = %c0 to %c32 step %c8
//       CHECK:     %[[IN2:.+]] = tensor.extract_slice %arg0[0, %[[F2]], %[[C2]], 0, 0] [1, 8, 8, 1, 1] [1, 1, 1, 1, 1] : tensor<1x32x64x1x1xf32> to tensor<1x8x8x1x1xf32>
//       CHECK:     linalg.generic {indexing_maps = [#[[PHASE]], #{{.+}}], {{.*}}} ins(%[[IN2]] : tensor<1x8x8x1x1xf32>)
#flip1 = affine_map<(g, c, f, kh, kw) -> (g, f, c, -kh, -kw)>
#phase = affine_map<(g, c, f, kh, kw) -> (g, f, c, -2 * kh, -2 * kw)>
#id5 = affine_map<(g, c, f, kh, kw) -> (g, c, f, kh, kw)>
func.func @pointwise_flipped_filter(%w: tensor<1x32x64x1x1xf32>) -> (tensor<1x64x32x1x1xf32>, tensor<1x64x32x1x1xf32>) {
  %e = tensor.empty() : tensor<1x64x32x1x1xf32>
  %r = linalg.generic {indexing_maps = [#flip1, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%w : tensor<1x32x64x1x1xf32>) outs(%e : tensor<1x64x32x1x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<1x64x32x1x1xf32>
  %p = linalg.generic {indexing_maps = [#phase, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%w : tensor<1x32x64x1x1xf32>) outs(%e : tensor<1x64x32x1x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<1x64x32x1x1xf32>
  return %r, %p : tensor<1x64x32x1x1xf32>, tensor<1x64x32x1x1xf32>
}

// -----

// The filters-in-lanes GEMM's windows of a 1x1 kernel at stride 2,
// [1, n, oh, ow, c, 1, 1] from X[n, c, 2 * oh + kh, 2 * ow + kw]: what it
// reads of the unit kernel loops is 0, so oh and ow are read at stride 2.
// oh and ow (9) in blocks of 3 read 5 rows and columns from 2 * their
// first; c in blocks of 8; the map unchanged.
//   CHECK-DAG: #[[WIN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d2 * 2 + d5, d3 * 2 + d6)>
// CHECK-LABEL: func.func @strided_windows
//       CHECK: scf.for %[[N:.+]] = %c0 to %c2 step %c1
//       CHECK:   scf.for %[[H:.+]] = %c0 to %c9 step %c3
//       CHECK:     scf.for %[[W:.+]] = %c0 to %c9 step %c3
//       CHECK:       scf.for %[[C:.+]] = %c0 to %c32 step %c8
//   CHECK-DAG:         %[[H2:.+]] = arith.muli %[[H]], %c2
//   CHECK-DAG:         %[[W2:.+]] = arith.muli %[[W]], %c2
//       CHECK:         %[[IN:.+]] = tensor.extract_slice %arg0[%[[N]], %[[C]], %[[H2]], %[[W2]]] [1, 8, 5, 5] [1, 1, 1, 1] : tensor<2x32x18x18xf32> to tensor<1x8x5x5xf32>
//       CHECK:         linalg.generic {indexing_maps = [#[[WIN]], #{{.+}}], {{.*}}} ins(%[[IN]] : tensor<1x8x5x5xf32>) outs(%{{.+}} : tensor<1x1x3x3x8x1x1xf32>)
#win2 = affine_map<(g, n, oh, ow, c, kh, kw) -> (n, c, oh * 2 + kh, ow * 2 + kw)>
#id7 = affine_map<(g, n, oh, ow, c, kh, kw) -> (g, n, oh, ow, c, kh, kw)>
func.func @strided_windows(%x: tensor<2x32x18x18xf32>) -> tensor<1x2x9x9x32x1x1xf32> {
  %e = tensor.empty() : tensor<1x2x9x9x32x1x1xf32>
  %r = linalg.generic {indexing_maps = [#win2, #id7], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x32x18x18xf32>) outs(%e : tensor<1x2x9x9x32x1x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<1x2x9x9x32x1x1xf32>
  return %r : tensor<1x2x9x9x32x1x1xf32>
}

// -----

// Left alone: an elementwise op that moves nothing, a transpose that fits
// one block, a reduction, a window gather (not a permutation), and
// backward-data's flipped filter, whose innermost loop stays innermost.
// CHECK-LABEL: func.func @left_alone
//   CHECK-NOT: scf.for
//       CHECK: return
#id2 = affine_map<(i, j) -> (i, j)>
#t2 = affine_map<(i, j) -> (j, i)>
#row = affine_map<(i, j) -> (i)>
#win = affine_map<(i, j) -> (i + j)>
#flip4 = affine_map<(c, f, kh, kw) -> (f, c, 2 - kh, 2 - kw)>
#id4 = affine_map<(c, f, kh, kw) -> (c, f, kh, kw)>
func.func @left_alone(%a: tensor<64x64xf32>, %b: tensor<8x4xf32>, %v: tensor<68xf32>, %w: tensor<32x64x3x3xf32>)
    -> (tensor<64x64xf32>, tensor<4x8xf32>, tensor<64xf32>, tensor<64x5xf32>, tensor<64x32x3x3xf32>) {
  %e = tensor.empty() : tensor<64x64xf32>
  %same = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  } -> tensor<64x64xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %small = linalg.generic {indexing_maps = [#t2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<8x4xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<4x8xf32>
  %z = arith.constant 0.0 : f32
  %e3 = tensor.empty() : tensor<64xf32>
  %f3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<64xf32>) -> tensor<64xf32>
  %sum = linalg.generic {indexing_maps = [#t2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%a : tensor<64x64xf32>) outs(%f3 : tensor<64xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  %e4 = tensor.empty() : tensor<64x5xf32>
  %windows = linalg.generic {indexing_maps = [#win, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%v : tensor<68xf32>) outs(%e4 : tensor<64x5xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<64x5xf32>
  %e5 = tensor.empty() : tensor<64x32x3x3xf32>
  %flipped = linalg.generic {indexing_maps = [#flip4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w : tensor<32x64x3x3xf32>) outs(%e5 : tensor<64x32x3x3xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<64x32x3x3xf32>
  return %same, %small, %sum, %windows, %flipped : tensor<64x64xf32>, tensor<4x8xf32>, tensor<64xf32>, tensor<64x5xf32>, tensor<64x32x3x3xf32>
}
