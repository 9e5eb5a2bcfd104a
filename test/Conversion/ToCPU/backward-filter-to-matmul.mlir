// RUN: convbn-opt %s -split-input-file -convert-convbn-to-linalg -canonicalize -convbn-backward-filter-to-matmul="channels-last=false pack-lanes=0" | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convert-convbn-to-linalg -canonicalize -convbn-backward-filter-to-matmul | FileCheck %s --check-prefix=LAST
// RUN: convbn-opt %s -split-input-file -convert-convbn-to-linalg -canonicalize -convbn-backward-filter-to-matmul=f32-chunk-positions=0 | FileCheck %s --check-prefix=F64
// RUN: convbn-opt %s -split-input-file -convert-convbn-to-linalg -canonicalize -convbn-backward-filter-to-matmul="f32-chunk-positions=1024 pack-lanes=0" | FileCheck %s --check-prefix=IMAGE
// RUN: not convbn-opt %s -split-input-file -convbn-backward-filter-to-matmul=f32-chunk-positions=-1 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not convbn-opt %s -split-input-file -convbn-backward-filter-to-matmul=pack-lanes=-1 2>&1 | FileCheck %s --check-prefix=BADPACK
// RUN: convbn-opt %s -split-input-file -convert-convbn-to-linalg -canonicalize -convbn-backward-filter-to-matmul=pack-lanes=16 | FileCheck %s --check-prefix=PACK16
// RUN: convbn-opt %s -split-input-file -convert-convbn-to-linalg=f64-reductions=false -canonicalize -convbn-backward-filter-to-matmul | FileCheck %s --check-prefix=F32

// Batch 2 in 2 chunks of one image, stride 2. Since the partials are only
// summed over the chunks, one GEMM over all images (M = 4 filters,
// N = 3*3*3, K = 2*4*4 positions) replaces both the generic and the chunk
// sum. By default it is an f32 GEMM (32 positions: one chunk, no loop) on
// f32 copies of G, as [f, (n, oh, ow)], and of the windows
// (col[0, n, oh, ow, c, kh, kw] = X[n, c, 2*oh + kh, 2*ow + kw]), its
// result widened to f64 (the accumulator is zeros: a copy, which later
// fusions can recompute in each of its readers).
//   CHECK-DAG: #[[WINDOW:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d2 * 2 + d5, d3 * 2 + d6)>
//   CHECK-DAG: #[[GT:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d2, d1, d3, d4)>
// CHECK-LABEL: func.func @chunks_of_one
//   CHECK-NOT: scf.for
//       CHECK: linalg.generic {indexing_maps = [#[[GT]], {{.*}} ins(%{{.*}} : tensor<2x4x4x4xf32>) outs(%{{.*}} : tensor<1x4x2x4x4xf32>)
//       CHECK: linalg.generic {indexing_maps = [#[[WINDOW]], {{.*}} ins(%{{.*}} : tensor<2x3x9x9xf32>) outs(%{{.*}} : tensor<1x2x4x4x3x3x3xf32>)
//       CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x4x32xf32>, tensor<1x32x27xf32>) outs(%{{.*}} : tensor<1x4x27xf32>)
//       CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x4x27xf32>) outs(%{{.*}} : tensor<1x4x27xf64>)
//       CHECK:   arith.extf %{{.*}} : f32 to f64
//  CHECK-NEXT:   linalg.yield
//   CHECK-NOT: "reduction"
//       CHECK: return
// With f32-chunk-positions=0, one f64 GEMM on copies in the accumulator's
// type (col[p, n, oh, ow, c, kh, kw] = X[p, n, c, 2*oh + kh, 2*ow + kw]).
//   F64-DAG: #[[WINDOW:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d4, d2 * 2 + d5, d3 * 2 + d6)>
//   F64-DAG: #[[GT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d2, d3, d1, d4, d5)>
// F64-LABEL: func.func @chunks_of_one
//       F64: linalg.generic {indexing_maps = [#[[GT]], {{.*}} outs(%{{.*}} : tensor<1x4x2x1x4x4xf64>)
//       F64: arith.extf
//       F64: linalg.generic {indexing_maps = [#[[WINDOW]], {{.*}} ins(%{{.*}} : tensor<2x1x3x9x9xf32>) outs(%{{.*}} : tensor<2x1x4x4x3x3x3xf64>)
//       F64: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x4x32xf64>, tensor<1x32x27xf64>) outs(%{{.*}} : tensor<1x4x27xf64>)
//   F64-NOT: "reduction"
//       F64: return
// By default (channels-last), the copies of the input and G as
// [n, h, w, c] and [n, oh, ow, f] (486 + 128 elements) and the filter
// gradient (108) are fewer than the windows (864): one contraction per
// kernel offset on a strided view of the input copy, the filters (4, more
// than the 3 channels) in the lanes, into part[kh, kw, c, f], which is
// then added, transposed and widened, to the f64 accumulator.
//   LAST-DAG: #[[TO_LAST:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
//   LAST-DAG: #[[ROWS:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d2, d3, d4, d0)>
//   LAST-DAG: #[[LANES:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d2, d3, d4, d1)>
//   LAST-DAG: #[[TILE:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1)>
//   LAST-DAG: #[[FROM_PART:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d3, d4, d2, d1)>
// LAST-LABEL: func.func @chunks_of_one
//   LAST-NOT: scf.for
//       LAST: %[[XT:.+]] = linalg.generic {indexing_maps = [#[[TO_LAST]], {{.*}} ins(%{{.*}} : tensor<2x3x9x9xf32>) outs(%{{.*}} : tensor<2x9x9x3xf32>)
//       LAST: %[[GT:.+]] = linalg.generic {indexing_maps = [#[[TO_LAST]], {{.*}} ins(%{{.*}} : tensor<2x4x4x4xf32>) outs(%{{.*}} : tensor<2x4x4x4xf32>)
//       LAST: %[[W00:.+]] = tensor.extract_slice %[[XT]][0, 0, 0, 0] [2, 4, 4, 3] [1, 2, 2, 1]
//       LAST: linalg.contract indexing_maps = [#[[ROWS]], #[[LANES]], #[[TILE]]] ins(%[[W00]], %[[GT]] : tensor<2x4x4x3xf32>, tensor<2x4x4x4xf32>) outs(%{{.*}} : tensor<3x4xf32>)
//       LAST: tensor.insert_slice %{{.*}}[0, 0, 0, 0] [1, 1, 3, 4] [1, 1, 1, 1] : tensor<3x4xf32> into tensor<3x3x3x4xf32>
// LAST-COUNT-7: linalg.contract
//       LAST: %[[W22:.+]] = tensor.extract_slice %[[XT]][0, 2, 2, 0] [2, 4, 4, 3] [1, 2, 2, 1]
//       LAST: linalg.contract {{.*}} ins(%[[W22]], %[[GT]] :
//       LAST: linalg.generic {indexing_maps = [#[[FROM_PART]], {{.*}} ins(%{{.*}} : tensor<3x3x3x4xf32>) outs(%{{.*}} : tensor<1x4x3x3x3xf64>)
//       LAST:   arith.extf %{{.*}} : f32 to f64
//   LAST-NOT: linalg.batch_matmul
//       LAST: return
func.func @chunks_of_one(%gz: tensor<2x4x4x4xf32>, %x: tensor<2x3x9x9xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<4x3x3x3xf32> {
  %dw = convbn.backward deploy grads <filter> %gz, %x, %w {strides = array<i64: 2, 2>} : (tensor<2x4x4x4xf32>, tensor<2x3x9x9xf32>, tensor<4x3x3x3xf32>) -> tensor<4x3x3x3xf32>
  return %dw : tensor<4x3x3x3xf32>
}

// -----

// Batch 32 in 16 chunks of 2 images, padding 1, dilation 2: the same, one
// GEMM with K = 16*2*4*4, in f32 by default.
//   CHECK-DAG: #[[DILATED:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d2 + d5 * 2, d3 + d6 * 2)>
// CHECK-LABEL: func.func @chunks_of_two
//       CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<32x8x4x4xf32>) outs(%{{.*}} : tensor<1x8x32x4x4xf32>)
//       CHECK: linalg.generic {indexing_maps = [#[[DILATED]], {{.*}} outs(%{{.*}} : tensor<1x32x4x4x2x3x3xf32>)
//       CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x8x512xf32>, tensor<1x512x18xf32>) outs(%{{.*}} : tensor<1x8x18xf32>)
//   CHECK-NOT: "reduction"
//       CHECK: return
//   F64-DAG: #[[DILATED:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d4, d2 + d5 * 2, d3 + d6 * 2)>
// F64-LABEL: func.func @chunks_of_two
//       F64: linalg.generic {{.*}} ins(%{{.*}} : tensor<16x2x8x4x4xf32>) outs(%{{.*}} : tensor<1x8x16x2x4x4xf64>)
//       F64: linalg.generic {indexing_maps = [#[[DILATED]], {{.*}} outs(%{{.*}} : tensor<16x2x4x4x2x3x3xf64>)
//       F64: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x8x512xf64>, tensor<1x512x18xf64>) outs(%{{.*}} : tensor<1x8x18xf64>)
//   F64-NOT: "reduction"
//       F64: return
func.func @chunks_of_two(%gz: tensor<32x8x4x4xf32>, %x: tensor<32x2x6x6xf32>, %w: tensor<8x2x3x3xf32>) -> tensor<8x2x3x3xf32> {
  %dw = convbn.backward deploy grads <filter> %gz, %x, %w {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, dilations = array<i64: 2, 2>} : (tensor<32x8x4x4xf32>, tensor<32x2x6x6xf32>, tensor<8x2x3x3xf32>) -> tensor<8x2x3x3xf32>
  return %dw : tensor<8x2x3x3xf32>
}

// -----

// More channels (8) than filters (4): the channels are the lanes, G the
// rows, and the partials part[f, kh, kw, c], so that their addition to the
// accumulator [f, c, kh, kw] transposes one [(kh, kw), c] block per filter.
//   LAST-DAG: #[[ROWS:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d2, d3, d4, d0)>
//   LAST-DAG: #[[LANES:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d2, d3, d4, d1)>
//   LAST-DAG: #[[FROM_PART:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d3, d4, d2)>
// LAST-LABEL: func.func @channel_lanes
//       LAST: %[[GT:.+]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x6x6x4xf32>)
//       LAST: %[[W12:.+]] = tensor.extract_slice %{{.*}}[0, 1, 2, 0] [1, 6, 6, 8] [1, 1, 1, 1]
//       LAST: %[[SLOT:.+]] = tensor.extract_slice %{{.*}}[0, 1, 2, 0] [4, 1, 1, 8] [1, 1, 1, 1] : tensor<4x3x3x8xf32> to tensor<4x8xf32>
//       LAST: linalg.contract indexing_maps = [#[[ROWS]], #[[LANES]], {{.*}}] ins(%[[GT]], %[[W12]] : tensor<1x6x6x4xf32>, tensor<1x6x6x8xf32>) outs(%[[SLOT]] : tensor<4x8xf32>)
//       LAST: linalg.generic {indexing_maps = [#[[FROM_PART]], {{.*}} ins(%{{.*}} : tensor<4x3x3x8xf32>) outs(%{{.*}} : tensor<1x4x8x3x3xf64>)
func.func @channel_lanes(%gz: tensor<1x4x6x6xf32>, %x: tensor<1x8x6x6xf32>, %w: tensor<4x8x3x3xf32>) -> tensor<4x8x3x3xf32> {
  %dw = convbn.backward deploy grads <filter> %gz, %x, %w {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>, tensor<1x8x6x6xf32>, tensor<4x8x3x3xf32>) -> tensor<4x8x3x3xf32>
  return %dw : tensor<4x8x3x3xf32>
}

// -----

// Many filters over few positions: the copies (2,304 + 1,024) and the
// filter gradient (9,216) outnumber the windows (9,216), so the f32 GEMM
// stays on im2col. K = 32 channels x 3 x 3 = 288 is 9 panels of 32
// (`pack-lanes`): the windows are copied as col[kb, (n, oh, ow), l], window
// element q = 32 kb + l being channel q / 9, kernel row (q mod 9) / 3 and
// column q mod 3; the GEMM is one contraction over the panels, rows the
// filters and lanes a panel's 32 columns, into part[kb, f, l], which is
// added to the f64 accumulator [f, (kb, l)].
//   LAST-DAG: #[[PANEL:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, (d0 * 32 + d4) floordiv 9, d2 + ((d0 * 32 + d4) mod 9) floordiv 3, d3 + (d0 * 32 + d4) mod 3)>
//   LAST-DAG: #[[G:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
//   LAST-DAG: #[[COL:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
//   LAST-DAG: #[[PART:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
//   LAST-DAG: #[[FROM_PANELS:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d1, d3)>
// LAST-LABEL: func.func @weights_heavy
//   LAST-NOT: linalg.batch_matmul
//       LAST: linalg.generic {indexing_maps = [#[[PANEL]], {{.*}} ins(%{{.*}} : tensor<2x32x6x6xf32>) outs(%{{.*}} : tensor<9x2x4x4x32xf32>)
//       LAST: %[[COLS:.+]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2, 3], [4]] : tensor<9x2x4x4x32xf32> into tensor<9x32x32xf32>
//       LAST: linalg.contract indexing_maps = [#[[G]], #[[COL]], #[[PART]]] ins(%{{.*}}, %[[COLS]] : tensor<32x32xf32>, tensor<9x32x32xf32>) outs(%{{.*}} : tensor<9x32x32xf32>)
//       LAST: linalg.generic {indexing_maps = [#[[FROM_PANELS]], {{.*}} ins(%{{.*}} : tensor<9x32x32xf32>) outs(%{{.*}} : tensor<1x32x9x32xf64>)
//       LAST:   arith.extf %{{.*}} : f32 to f64
// PACK16-LABEL: func.func @weights_heavy
//       PACK16: linalg.contract {{.*}} outs(%{{.*}} : tensor<18x32x16xf32>)
func.func @weights_heavy(%gz: tensor<2x32x4x4xf32>, %x: tensor<2x32x4x4xf32>, %w: tensor<32x32x3x3xf32>) -> tensor<32x32x3x3xf32> {
  %dw = convbn.backward deploy grads <filter> %gz, %x, %w {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>} : (tensor<2x32x4x4xf32>, tensor<2x32x4x4xf32>, tensor<32x32x3x3xf32>) -> tensor<32x32x3x3xf32>
  return %dw : tensor<32x32x3x3xf32>
}

// -----

// The partials of 16 chunks of 2 images used as they are (not only summed,
// as the lowering would): one f64 GEMM per chunk, G transposed to
// [p, f, (n, oh, ow)], whatever f32-chunk-positions says.
//   CHECK-DAG: #[[TRANSPOSE:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d3, d4)>
// CHECK-LABEL: func.func @partials_kept
//       CHECK: linalg.generic {indexing_maps = [#[[TRANSPOSE]], {{.*}} outs(%{{.*}} : tensor<16x2x2x2x2xf64>)
//       CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<16x2x8xf64>, tensor<16x8x1xf64>) outs(%{{.*}} : tensor<16x2x1xf64>)
//       CHECK: tensor.expand_shape {{.*}} into tensor<16x1x2x1x1x1xf64>
// F64-LABEL: func.func @partials_kept
//       F64: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<16x2x8xf64>, tensor<16x8x1xf64>) outs(%{{.*}} : tensor<16x2x1xf64>)
#bf_in = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d3, d4 + d7, d5 + d8)>
#bf_grad = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d2, d7, d8)>
#bf_out = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d1, d2, d3, d4, d5)>
func.func @partials_kept(%x: tensor<16x2x1x1x2x2xf32>, %g: tensor<16x2x1x2x2x2xf32>) -> tensor<16x1x2x1x1x1xf64> {
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<16x1x2x1x1x1xf64>
  %init = linalg.fill ins(%zero : f64) outs(%e : tensor<16x1x2x1x1x1xf64>) -> tensor<16x1x2x1x1x1xf64>
  %partials = linalg.generic {indexing_maps = [#bf_in, #bf_grad, #bf_out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %g : tensor<16x2x1x1x2x2xf32>, tensor<16x2x1x2x2x2xf32>) outs(%init : tensor<16x1x2x1x1x1xf64>) {
  ^bb0(%a: f32, %b: f32, %o: f64):
    %ae = arith.extf %a : f32 to f64
    %be = arith.extf %b : f32 to f64
    %m = arith.mulf %ae, %be : f64
    %s = arith.addf %o, %m : f64
    linalg.yield %s : f64
  } -> tensor<16x1x2x1x1x1xf64>
  return %partials : tensor<16x1x2x1x1x1xf64>
}

// -----

// One image: no chunk dimension in the generic. By default G (f32, one
// image) is only reshaped for the f32 GEMM, whose result is widened to
// f64 (the accumulator is zeros).
// CHECK-LABEL: func.func @one_image
//   CHECK-NOT: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x1x6x6xf32>)
//       CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : tensor<1x4x6x6xf32> into tensor<1x4x36xf32>
//       CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x4x36xf32>, tensor<1x36x3xf32>) outs(%{{.*}} : tensor<1x4x3xf32>)
//       CHECK: arith.extf %{{.*}} : f32 to f64
//  CHECK-NEXT: linalg.yield
//       CHECK: tensor.expand_shape {{.*}} into tensor<1x4x3x1x1xf64>
// With f32-chunk-positions=0 the rewrite adds a unit chunk dimension and
// drops it again.
// F64-LABEL: func.func @one_image
//       F64: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x4x36xf64>, tensor<1x36x3xf64>) outs(%{{.*}} : tensor<1x4x3xf64>)
//       F64: tensor.collapse_shape {{.*}} into tensor<1x4x3x1x1xf64>
// With f32 accumulation throughout (the lowering's f32 mode), G is only
// reshaped (no copy) and col stays f32: one GEMM, no chunks.
//  F32-LABEL: func.func @one_image
//   F32-NOT: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x1x6x6xf32>)
//       F32: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3], [4, 5]] : tensor<1x1x1x4x6x6xf32> into tensor<1x4x36xf32>
//       F32: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x4x36xf32>, tensor<1x36x3xf32>) outs(%{{.*}} : tensor<1x4x3xf32>)
func.func @one_image(%gz: tensor<1x4x6x6xf32>, %x: tensor<1x3x6x6xf32>, %w: tensor<4x3x1x1xf32>) -> tensor<4x3x1x1xf32> {
  %dw = convbn.backward deploy grads <filter> %gz, %x, %w : (tensor<1x4x6x6xf32>, tensor<1x3x6x6xf32>, tensor<4x3x1x1xf32>) -> tensor<4x3x1x1xf32>
  return %dw : tensor<4x3x1x1xf32>
}

// -----

// Batch 4 of 32x32 outputs (1,024 positions each) and a filter too large
// for the lowering to split the batch: chunks of the fewest images with
// 2,048 positions, 2 images, in an scf.for over the batch; each chunk's
// f32 GEMM (K = 2*32*32) is added to the f64 accumulator carried by the
// loop.
// CHECK-LABEL: func.func @several_chunks
//       CHECK: %[[ACC:.+]] = tensor.collapse_shape %{{.*}} into tensor<1x512x64xf64>
//       CHECK: scf.for %[[I:.+]] = %c0 to %c4 step %c2 iter_args(%[[SUM:.+]] = %[[ACC]]) -> (tensor<1x512x64xf64>)
//   CHECK-DAG:   tensor.extract_slice %{{.*}}[%[[I]], 0, 0, 0] [2, 64, 32, 32] [1, 1, 1, 1] : tensor<4x64x32x32xf32> to tensor<2x64x32x32xf32>
//   CHECK-DAG:   tensor.extract_slice %{{.*}}[%[[I]], 0, 0, 0] [2, 512, 32, 32] [1, 1, 1, 1] : tensor<4x512x32x32xf32> to tensor<2x512x32x32xf32>
//       CHECK:   linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x512x2048xf32>, tensor<1x2048x64xf32>) outs(%{{.*}} : tensor<1x512x64xf32>)
//       CHECK:   %[[NEXT:.+]] = linalg.generic {{.*}} outs(%[[SUM]] : tensor<1x512x64xf64>)
//       CHECK:   scf.yield %[[NEXT]]
// With 1,024 positions, chunks of one image: G only reshaped.
// IMAGE-LABEL: func.func @several_chunks
//       IMAGE: scf.for %{{.*}} = %c0 to %c4 step %c1
//   IMAGE-NOT:   linalg.generic {{.*}} outs(%{{.*}} : tensor<1x512x1x32x32xf32>)
//       IMAGE:   linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x512x1024xf32>, tensor<1x1024x64xf32>) outs(%{{.*}} : tensor<1x512x64xf32>)
// By default (pack-lanes=32), each chunk's windows in 2 panels of 32 of
// the 64 channels, one contraction into part[2, 512, 32].
//   LAST-DAG: #[[PANEL1:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d0 * 32 + d4, d2, d3)>
// LAST-LABEL: func.func @several_chunks
//   LAST-NOT: linalg.batch_matmul
//       LAST: scf.for %{{.*}} = %c0 to %c4 step %c2
//       LAST:   linalg.generic {indexing_maps = [#[[PANEL1]], {{.*}} ins(%{{.*}} : tensor<2x64x32x32xf32>) outs(%{{.*}} : tensor<2x2x32x32x32xf32>)
//       LAST:   linalg.contract {{.*}} ins(%{{.*}}, %{{.*}} : tensor<512x2048xf32>, tensor<2x2048x32xf32>) outs(%{{.*}} : tensor<2x512x32xf32>)
//   F64-LABEL: func.func @several_chunks
//   F64-NOT: scf.for
//       F64: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x512x4096xf64>, tensor<1x4096x64xf64>) outs(%{{.*}} : tensor<1x512x64xf64>)
func.func @several_chunks(%gz: tensor<4x512x32x32xf32>, %x: tensor<4x64x32x32xf32>, %w: tensor<512x64x1x1xf32>) -> tensor<512x64x1x1xf32> {
  %dw = convbn.backward deploy grads <filter> %gz, %x, %w : (tensor<4x512x32x32xf32>, tensor<4x64x32x32xf32>, tensor<512x64x1x1xf32>) -> tensor<512x64x1x1xf32>
  return %dw : tensor<512x64x1x1xf32>
}

// -----

// 16 positions in the whole batch (fewer than 32): the f32 product's
// weight-sized fill and addition would cost more than the f64 GEMM saves,
// so the GEMM stays in f64 whatever f32-chunk-positions says.
// CHECK-LABEL: func.func @few_positions
//   CHECK-NOT: xf32>) outs(%{{.*}} : tensor<1x8x36xf32>)
//       CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<1x8x16xf64>, tensor<1x16x36xf64>) outs(%{{.*}} : tensor<1x8x36xf64>)
func.func @few_positions(%gz: tensor<1x8x4x4xf32>, %x: tensor<1x4x4x4xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<8x4x3x3xf32> {
  %dw = convbn.backward deploy grads <filter> %gz, %x, %w {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>} : (tensor<1x8x4x4xf32>, tensor<1x4x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<8x4x3x3xf32>
  return %dw : tensor<8x4x3x3xf32>
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

// A negative chunk size is an error.
// BAD: error: convbn-backward-filter-to-matmul: f32-chunk-positions must be 0 (one GEMM in the accumulator's type) or positive
// So is a negative panel width.
// BADPACK: error: convbn-backward-filter-to-matmul: pack-lanes must be 0 (no panels) or positive
