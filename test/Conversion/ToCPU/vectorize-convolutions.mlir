// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions -verify-diagnostics | FileCheck %s --check-prefix=LAST
// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions="channels-last-tile-sizes=4,4,2" | FileCheck %s --check-prefix=LASTSIZES
// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions="channels-last-tile-sizes=4,4,2 filter-blocks=false" | FileCheck %s --check-prefix=NOBLOCKS
// RUN: not convbn-opt %s -split-input-file -convbn-vectorize-convolutions="channels-last-tile-sizes=4,4" 2>&1 | FileCheck %s --check-prefix=BADLAST
// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions="contraction-tile-sizes=2,8,3" | FileCheck %s --check-prefix=CSIZES
// RUN: not convbn-opt %s -split-input-file -convbn-vectorize-convolutions="contraction-tile-sizes=2,8,0" 2>&1 | FileCheck %s --check-prefix=BADCONTRACT
// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions="channels-last=false pointwise=false" -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions="channels-last=false tile-sizes=1,2,4,3" | FileCheck %s --check-prefix=SIZES
// RUN: not convbn-opt %s -split-input-file -convbn-vectorize-convolutions="tile-sizes=1,2" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions="channels-last=false pointwise=false reduction-block=0" | FileCheck %s --check-prefix=NOBLOCK
// RUN: not convbn-opt %s -split-input-file -convbn-vectorize-convolutions="reduction-block=-1" 2>&1 | FileCheck %s --check-prefix=BADBLOCK
// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions="channels-last=false filter-lanes=false" | FileCheck %s --check-prefix=POSITIONS
// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions="pointwise=false" | FileCheck %s --check-prefix=NOPOINTWISE
// RUN: convbn-opt %s -split-input-file -convbn-vectorize-convolutions="channels-last=false pointwise=false filter-blocks=false" | FileCheck %s --check-prefix=LANESWHOLE

// By default (LAST), a convolution whose transposed copies (input 800,
// filters 288, result 1,024 elements) are smaller than its im2col matrix
// (4,608) becomes a channels-last convolution: the input [n, h, w, c] and
// the filters [kh, kw, c, f] copied transposed, tiles of one output row
// and one kernel row (width 8, filters 8, channels 4: each limit shrunk to
// a divisor) decomposed into 1-D convolutions and vectorized with the
// filters in the lanes, the result added to the output transposed.
//   LAST-DAG: #[[NHWC:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
//   LAST-DAG: #[[HWCF:.+]] = affine_map<(d0, d1, d2, d3) -> (d3, d2, d0, d1)>
//   LAST-DAG: #[[BACK:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// LAST-LABEL: func @uniform
//       LAST: linalg.generic {indexing_maps = [#[[NHWC]], {{.*}} outs(%{{.*}} : tensor<2x10x10x4xf32>)
//   LAST-NOT: tensor.expand_shape
//       LAST: linalg.generic {indexing_maps = [#[[HWCF]], {{.*}} outs(%{{.*}} : tensor<3x3x4x8xf32>)
//       LAST: scf.for
//       LAST: scf.for
//       LAST: scf.for
//       LAST: scf.for
//       LAST: vector.transfer_read {{.*}} : tensor<1x8x4xf32>, vector<8x4xf32>
//       LAST: vector.transfer_read {{.*}} : tensor<1x4x8xf32>, vector<4x8xf32>
//       LAST: vector.fma {{.*}} : vector<8xf32>
//       LAST: linalg.generic {indexing_maps = [#[[BACK]], {{.*}} ins(%{{.*}} : tensor<2x8x8x8xf32>) outs(%{{.*}} : tensor<2x8x8x8xf32>)
//       LAST:   arith.addf
//   LAST-NOT: linalg.conv_2d
//   LAST-NOT: convbn.vectorize
//
// A tile holds all 8 filters here, so they are copied whole. With
// channels-last-tile-sizes=4,4,2 (LASTSIZES) a tile holds 4: the filters
// are copied in 2 blocks [kh, kw, c, 4], each contiguous, and an scf.for
// over the blocks runs one convolution per block into its 4 filters'
// slice of the result. With filter-blocks=false (NOBLOCKS), one
// convolution reads its tiles' 4 filters from rows of 8.
// LASTSIZES-DAG: #[[BLOCKS:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d4, d3, d1, d2)>
// LASTSIZES-LABEL: func @uniform
//       LASTSIZES: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2], [3], [4]] output_shape [2, 4, 4, 3, 3] : tensor<8x4x3x3xf32> into tensor<2x4x4x3x3xf32>
//       LASTSIZES: linalg.generic {indexing_maps = [#[[BLOCKS]], {{.*}} outs(%{{.*}} : tensor<2x3x3x4x4xf32>)
//       LASTSIZES: scf.for %[[B:.+]] = %c0 to %c2 step %c1 iter_args(%[[ACC:.+]] = %{{.*}}) -> (tensor<2x8x8x8xf32>)
//       LASTSIZES: %[[FIRST:.+]] = arith.muli %[[B]], %c4
//       LASTSIZES: tensor.extract_slice %[[ACC]][0, 0, 0, %[[FIRST]]] [2, 8, 8, 4] [1, 1, 1, 1] : tensor<2x8x8x8xf32> to tensor<2x8x8x4xf32>
//       LASTSIZES: tensor.extract_slice %{{.*}}[%[[B]], 0, 0, 0, 0] [1, 3, 3, 4, 4] [1, 1, 1, 1, 1] : tensor<2x3x3x4x4xf32> to tensor<3x3x4x4xf32>
//       LASTSIZES: vector.transfer_read {{.*}} : tensor<1x4x2xf32>, vector<4x2xf32>
//       LASTSIZES: vector.fma {{.*}} : vector<4xf32>
//       LASTSIZES: tensor.insert_slice %{{.*}} into %[[ACC]][0, 0, 0, %[[FIRST]]] [2, 8, 8, 4] [1, 1, 1, 1] : tensor<2x8x8x4xf32> into tensor<2x8x8x8xf32>
//       LASTSIZES: scf.yield
//       LASTSIZES: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x8x8x8xf32>) outs(%{{.*}} : tensor<2x8x8x8xf32>)
//   NOBLOCKS-DAG: #[[HWCF:.+]] = affine_map<(d0, d1, d2, d3) -> (d3, d2, d0, d1)>
// NOBLOCKS-LABEL: func @uniform
//   NOBLOCKS-NOT: tensor.expand_shape
//       NOBLOCKS: linalg.generic {indexing_maps = [#[[HWCF]], {{.*}} outs(%{{.*}} : tensor<3x3x4x8xf32>)
//       NOBLOCKS: vector.transfer_read {{.*}} : tensor<1x2x4xf32>, vector<2x4xf32>
// BADLAST: error: convbn-vectorize-convolutions: channels-last-tile-sizes must be 3 positive sizes (width, filters, channels)

// With channels-last=false (and pointwise=false, which the 1x1
// convolutions below take by default): im2col, then the contraction tiled (filters by
// 8, positions by 16, reduction by 16) and vectorized to outer products.

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
// LAST-LABEL: func @mixed
//       LAST: linalg.conv_2d_nchw_fchw
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
// -convbn-backward-filter-to-matmul) is tiled as a contraction (batch by
// 1, rows by 8, columns by 16 lanes, as 32 f32 lanes would be in f64, the
// reduction by 8), its accumulator carried in registers through the
// reduction loop, and vectorized to outer products, in f64 here. With 48
// terms per result (fewer than 64), the rows loop runs outside the lanes
// loop (@contraction below: the other way round).

// CHECK-LABEL: func @batch_matmul
//       CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1
//       CHECK: scf.for %{{.*}} = %c0 to %c16 step %c8
//       CHECK: scf.for %{{.*}} = %c0 to %c32 step %c16
//       CHECK: vector.transfer_read {{.*}} vector<8x16xf64>
//       CHECK: scf.for %{{.*}} = %c0 to %c48 step %c8 iter_args({{.*}}) -> (vector<8x16xf64>)
//       CHECK: vector.fma {{.*}} : vector<16xf64>
//   CHECK-NOT: linalg.batch_matmul
//   CHECK-NOT: convbn.vectorize
// CSIZES-LABEL: func @batch_matmul
//       CSIZES: vector.fma {{.*}} : vector<4xf64>
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

// An im2col contraction (a 1x1 convolution, 16 filters x 64 positions x
// 4096 channels) whose operands are too large to stay in cache (1.3 MiB),
// with four tiles of positions: the reduction is blocked by 128 outside
// the tiles (the largest divisor of it at most `reduction-block`), then
// tiled by 16 inside each block; the tiles sweep positions (the rhs's
// columns) outside filters (rows), so each rhs tile is reused by every
// row tile while cached. (The batch of one needs no loop.) With
// reduction-block=0, one sweep over the whole reduction. Smaller operands
// (@uniform above) are neither blocked nor swept in that order: they stay
// in cache anyway, and blocking would cut the rows streamed into short
// strided pieces.
// By default this convolution is pointwise: 32 lanes (64 positions hold
// two whole vectors), 8 rows, the accumulators carried through all 4096
// channels, 8 a step.
// LAST-LABEL: func @blocked_reduction
//       LAST: scf.for %{{.*}} = %c0 to %c4096 step %c8 iter_args({{.*}}) -> (vector<8x32xf32>)
// LAST-COUNT-64: vector.fma {{.*}} : vector<32xf32>
//       LAST: scf.yield
//       LAST: vector.transfer_write {{.*}} : vector<8x32xf32>, tensor<8x32xf32>

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
func.func @blocked_reduction(%x: tensor<1x4096x8x8xf32>, %w: tensor<16x4096x1x1xf32>, %acc: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %w : tensor<1x4096x8x8xf32>, tensor<16x4096x1x1xf32>) outs(%acc : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  return %y : tensor<1x16x8x8xf32>
}

// -----

// 7x7 outputs: a tile of positions, the vector lanes of the im2col
// contraction, would be 7 of 16 lanes, where the 128 filters fill 16.
// With 392 positions (the batch folded in) and a 1152-term window, the
// lanes saved outweigh copying the filters transposed and adding the result
// transposed: a GEMM [1, (n, oh, ow), (c, kh, kw)] x [(c, kh, kw), f]
// whose vectors are 32 filters, its result added to the output. The
// filters are copied in 4 blocks [(c, kh, kw), 32], each contiguous, and
// an scf.for over the blocks runs one GEMM per block into its 32 columns
// of the result.
//   CHECK-DAG: #[[WINDOW:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d2 + d5, d3 + d6)>
//   CHECK-DAG: #[[WB:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d4, d1, d2, d3)>
//   CHECK-DAG: #[[NHWC:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// CHECK-LABEL: func @filters_in_lanes
//       CHECK: linalg.generic {indexing_maps = [#[[WINDOW]], {{.*}} outs(%{{.*}} : tensor<1x8x7x7x128x3x3xf32>)
//       CHECK: tensor.expand_shape %arg1 {{\[\[}}0, 1], [2], [3], [4]] output_shape [4, 32, 128, 3, 3]
//       CHECK: linalg.generic {indexing_maps = [#[[WB]], {{.*}} outs(%{{.*}} : tensor<4x128x3x3x32xf32>)
//       CHECK: %[[WBS:.+]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2, 3], [4]] : tensor<4x128x3x3x32xf32> into tensor<4x1152x32xf32>
//       CHECK: scf.for %[[B:.+]] = %c0 to %c4 step %c1 iter_args(%[[ACC:.+]] = %{{.*}}) -> (tensor<1x392x128xf32>)
//       CHECK:   %[[FIRST:.+]] = arith.muli %[[B]], %c32
//       CHECK:   tensor.extract_slice %[[ACC]][0, 0, %[[FIRST]]] [1, 392, 32] [1, 1, 1] : tensor<1x392x128xf32> to tensor<1x392x32xf32>
//       CHECK:   tensor.extract_slice %[[WBS]][%[[B]], 0, 0] [1, 1152, 32] [1, 1, 1] : tensor<4x1152x32xf32> to tensor<1x1152x32xf32>
//       CHECK:   scf.for
//       CHECK:   vector.fma {{.*}} : vector<32xf32>
//       CHECK:   tensor.insert_slice %{{.*}} into %[[ACC]][0, 0, %[[FIRST]]] [1, 392, 32] [1, 1, 1] : tensor<1x392x32xf32> into tensor<1x392x128xf32>
//       CHECK: linalg.generic {indexing_maps = [#[[NHWC]], {{.*}} ins(%{{.*}} : tensor<8x7x7x128xf32>) outs(%{{.*}} : tensor<8x128x7x7xf32>)
//       CHECK:   arith.addf
//   CHECK-NOT: linalg.conv_2d_nchw_fchw
// With filter-blocks=false (LANESWHOLE), one GEMM whose tiles read their
// 32 filters from rows of 128: [1, (c, kh, kw), f].
//   LANESWHOLE-DAG: #[[WT:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d4, d1, d2, d3)>
// LANESWHOLE-LABEL: func @filters_in_lanes
//   LANESWHOLE-NOT: tensor.expand_shape
//       LANESWHOLE: linalg.generic {indexing_maps = [#[[WT]], {{.*}} outs(%{{.*}} : tensor<1x128x3x3x128xf32>)
//       LANESWHOLE: scf.for %{{.*}} = %c0 to %c128 step %c32
//       LANESWHOLE: vector.fma {{.*}} : vector<32xf32>
// With filter-lanes=false, im2col with the positions in the lanes.
// POSITIONS-LABEL: func @filters_in_lanes
//       POSITIONS: vector.fma {{.*}} : vector<7xf32>
func.func @filters_in_lanes(%x: tensor<8x128x9x9xf32>, %w: tensor<128x128x3x3xf32>, %acc: tensor<8x128x7x7xf32>) -> tensor<8x128x7x7xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %w : tensor<8x128x9x9xf32>, tensor<128x128x3x3xf32>) outs(%acc : tensor<8x128x7x7xf32>) -> tensor<8x128x7x7xf32>
  return %y : tensor<8x128x7x7xf32>
}

// -----

// A 1x1 kernel at stride 1 (pointwise), whose filters would not pay for
// the filters-in-lanes GEMM: a contraction on reshaped views of the
// operands, [n, f, p] += [f, c] x [n, c, p], with no copy, tiled like the
// other contractions and its accumulators carried in registers through the
// channels. The 49 positions hold no whole vector of 16 lanes: the lanes
// are 7 (the largest divisor at most 16), and the rows take the budget of
// accumulator vectors (8 x 32 lanes by default: 16 vectors), 16 rows of 7
// lanes; 8 channels a step, 128 multiply-adds.
// LAST-LABEL: func @one_by_one
//   LAST-DAG: %[[X:.+]] = tensor.collapse_shape %arg0 {{\[\[}}0], [1], [2, 3]] : tensor<8x64x7x7xf32> into tensor<8x64x49xf32>
//   LAST-DAG: %[[W:.+]] = tensor.collapse_shape %arg1 {{\[\[}}0], [1, 2, 3]] : tensor<64x64x1x1xf32> into tensor<64x64xf32>
//   LAST-DAG: %[[OUT:.+]] = tensor.collapse_shape %arg2 {{\[\[}}0], [1], [2, 3]] : tensor<8x64x7x7xf32> into tensor<8x64x49xf32>
//       LAST: scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args(%{{.*}} = %[[OUT]])
//       LAST: scf.for %{{.*}} = %c0 to %c49 step %c7
//       LAST: scf.for %{{.*}} = %c0 to %c64 step %c16
//       LAST: %[[ACC:.+]] = vector.transfer_read {{.*}} : tensor<16x7xf32>, vector<16x7xf32>
//       LAST: scf.for %{{.*}} = %c0 to %c64 step %c8 iter_args(%{{.*}} = %[[ACC]]) -> (vector<16x7xf32>)
//       LAST: tensor.extract_slice %[[W]]
//       LAST: tensor.extract_slice %[[X]]
// LAST-COUNT-128: vector.fma {{.*}} : vector<7xf32>
//   LAST-NOT: vector.fma
//       LAST: vector.transfer_write {{.*}} : vector<16x7xf32>, tensor<16x7xf32>
//       LAST: tensor.expand_shape {{.*}} output_shape [8, 64, 7, 7] : tensor<8x64x49xf32> into tensor<8x64x7x7xf32>
//   LAST-NOT: linalg.
// With pointwise=false, the im2col matrix is the input itself (3,136
// elements), fewer than the channels-last copies would be (input, 4,096
// filter elements and the result): im2col.
// NOPOINTWISE-LABEL: func @one_by_one
//       NOPOINTWISE: linalg.generic {{.*}} outs(%{{.*}} : tensor<8x64x49xf32>)
//       NOPOINTWISE: vector.fma
//   NOPOINTWISE-NOT: linalg.conv_2d
//   NOPOINTWISE-NOT: linalg.contract
func.func @one_by_one(%x: tensor<8x64x7x7xf32>, %w: tensor<64x64x1x1xf32>, %acc: tensor<8x64x7x7xf32>) -> tensor<8x64x7x7xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %w : tensor<8x64x7x7xf32>, tensor<64x64x1x1xf32>) outs(%acc : tensor<8x64x7x7xf32>) -> tensor<8x64x7x7xf32>
  return %y : tensor<8x64x7x7xf32>
}

// -----

// 784 positions: 28 lanes (one and three quarters of a vector) would be
// the largest divisor at most 32; the lanes are 16, the largest that is a
// whole number of vectors, and the rows 16. Each result sums 8 terms, one
// step: the rows loop runs outside the lanes loop.
// LAST-LABEL: func @whole_vectors
//       LAST: scf.for %{{.*}} = %c0 to %c32 step %c16
//       LAST: scf.for %{{.*}} = %c0 to %c784 step %c16
// LAST-COUNT-128: vector.fma {{.*}} : vector<16xf32>
//   LAST-NOT: vector.fma
//       LAST: vector.transfer_write {{.*}} : vector<16x16xf32>, tensor<16x16xf32>
//   LAST-NOT: linalg.contract
func.func @whole_vectors(%x: tensor<1x8x28x28xf32>, %w: tensor<32x8x1x1xf32>, %acc: tensor<1x32x28x28xf32>) -> tensor<1x32x28x28xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %w : tensor<1x8x28x28xf32>, tensor<32x8x1x1xf32>) outs(%acc : tensor<1x32x28x28xf32>) -> tensor<1x32x28x28xf32>
  return %y : tensor<1x32x28x28xf32>
}

// -----

// A 1x1 kernel at stride 2 is not pointwise (its positions are a strided
// view of the input): im2col.
// LAST-LABEL: func @strided_one_by_one
//       LAST: linalg.generic {{.*}} ins(%arg0 : tensor<1x8x16x16xf32>) outs(%{{.*}} : tensor<1x8x64xf32>)
//       LAST: vector.fma
//   LAST-NOT: linalg.contract
func.func @strided_one_by_one(%x: tensor<1x8x16x16xf32>, %w: tensor<32x8x1x1xf32>, %acc: tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%x, %w : tensor<1x8x16x16xf32>, tensor<32x8x1x1xf32>) outs(%acc : tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32>
  return %y : tensor<1x32x8x8xf32>
}

// -----

// A contraction (the channels-last filter gradient of
// -convbn-backward-filter-to-matmul: rows f, lanes c, reduction n, oh,
// ow): tiles of 8 rows x 32 lanes, the lanes loop outside the rows loop
// (72 terms per result),
// the innermost reduction (ow, 12) by 6, the other reductions by 1. The
// accumulator tile is read once, carried in registers through the three
// reduction loops, and written once; each step is 8 outer-product rows.

// LAST-LABEL: func @contraction
//       LAST: scf.for %{{.*}} = %c0 to %c64 step %c32
//       LAST: scf.for %{{.*}} = %c0 to %c16 step %c8
//       LAST: %[[ACC:.+]] = vector.transfer_read {{.*}} : tensor<8x32xf32>, vector<8x32xf32>
//       LAST: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %[[ACC]]) -> (vector<8x32xf32>)
//       LAST: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args({{.*}}) -> (vector<8x32xf32>)
//       LAST: scf.for %{{.*}} = %c0 to %c12 step %c6 iter_args({{.*}}) -> (vector<8x32xf32>)
//  LAST-COUNT-48: vector.fma {{.*}} : vector<32xf32>
//   LAST-NOT: vector.fma
//       LAST: vector.transfer_write {{.*}} : vector<8x32xf32>, tensor<8x32xf32>
//   LAST-NOT: linalg.contract
//   LAST-NOT: convbn.vectorize
// CSIZES-LABEL: func @contraction
//      CSIZES: scf.for %{{.*}} = %c0 to %c12 step %c3 iter_args({{.*}}) -> (vector<2x8xf32>)
// CSIZES-COUNT-6: vector.fma {{.*}} : vector<8xf32>
//  CSIZES-NOT: vector.fma
func.func @contraction(%g: tensor<2x3x12x16xf32>, %x: tensor<2x3x12x64xf32>, %acc: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %r = linalg.contract indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d2, d3, d4, d0)>,
                                        affine_map<(d0, d1, d2, d3, d4) -> (d2, d3, d4, d1)>,
                                        affine_map<(d0, d1, d2, d3, d4) -> (d0, d1)>]
      ins(%g, %x : tensor<2x3x12x16xf32>, tensor<2x3x12x64xf32>) outs(%acc : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// -----

// The same at batch 4 of 14x14 (784 terms): a lanes tile reads 98 KiB of
// x over the whole reduction, more than the row tiles could sweep in L1,
// so the images' loop runs outside the rows loop and the accumulator tile
// is read and written once per image, carried through its rows and
// columns.

// LAST-LABEL: func @contraction_by_image
//       LAST: scf.for %{{.*}} = %c0 to %c64 step %c32
//       LAST: scf.for %{{.*}} = %c0 to %c4 step %c1
//       LAST: scf.for %{{.*}} = %c0 to %c16 step %c8
//       LAST: %[[ACC:.+]] = vector.transfer_read {{.*}} : tensor<8x32xf32>, vector<8x32xf32>
//       LAST: scf.for %{{.*}} = %c0 to %c14 step %c1 iter_args(%{{.*}} = %[[ACC]]) -> (vector<8x32xf32>)
//       LAST: scf.for %{{.*}} = %c0 to %c14 step %c7 iter_args({{.*}}) -> (vector<8x32xf32>)
//       LAST: vector.transfer_write {{.*}} : vector<8x32xf32>, tensor<8x32xf32>
// The 2 x 3 x 12 contraction above (9 KiB a lanes tile) keeps its order.
// CSIZES-LABEL: func @contraction_by_image
func.func @contraction_by_image(%g: tensor<4x14x14x16xf32>, %x: tensor<4x14x14x64xf32>, %acc: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %r = linalg.contract indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (d2, d3, d4, d0)>,
                                        affine_map<(d0, d1, d2, d3, d4) -> (d2, d3, d4, d1)>,
                                        affine_map<(d0, d1, d2, d3, d4) -> (d0, d1)>]
      ins(%g, %x : tensor<4x14x14x16xf32>, tensor<4x14x14x64xf32>) outs(%acc : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// -----

// A wide, short output (2 rows of 32): the filters of a tile follow from
// the width of its row tile, not from the height. With
// channels-last-tile-sizes=4,4,2 the row tiles are 4 wide, so a tile holds
// 4 filters (2 rows would have left their lanes to 8) and the 16 filters
// are copied in 4 blocks.
// LASTSIZES-LABEL: func @filter_blocks_wide
//       LASTSIZES: outs(%{{.*}} : tensor<4x3x3x8x4xf32>)
//       LASTSIZES: scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args(%{{.*}}) -> (tensor<1x2x32x16xf32>)
//       LASTSIZES: tensor.extract_slice {{.*}} : tensor<4x3x3x8x4xf32> to tensor<3x3x8x4xf32>
// CSIZES-LABEL: func @filter_blocks_wide
func.func @filter_blocks_wide(%x: tensor<1x8x4x34xf32>, %w: tensor<16x8x3x3xf32>, %acc: tensor<1x16x2x32xf32>) -> tensor<1x16x2x32xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x8x4x34xf32>, tensor<16x8x3x3xf32>) outs(%acc : tensor<1x16x2x32xf32>) -> tensor<1x16x2x32xf32>
  return %r : tensor<1x16x2x32xf32>
}

// -----

// A stride-2 convolution whose channels-last copies (input 28,800,
// filters 18,432, result 12,544 elements) outnumber its im2col matrix
// (56,448), but not the copies of the filters-in-lanes GEMM it would
// otherwise take (the im2col matrix, the filters and the result): it is
// channels-last, in 2 blocks of 32 filters (LAST); a step of its row tile
// (7 outputs at stride 2) reads 13 input positions, so it takes 8
// channels instead of 16. With channels-last=false it takes that GEMM
// (CHECK), in 2 blocks of 32 filters.
// LAST-LABEL: func @strided_filters_in_lanes
//       LAST: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}}) -> (tensor<4x7x7x64xf32>)
//       LAST: vector.transfer_read {{.*}} : tensor<1x13x8xf32>, vector<13x8xf32>
//       LAST: vector.transfer_read {{.*}} : tensor<1x8x32xf32>, vector<8x32xf32>
//       LAST: vector.fma {{.*}} : vector<32xf32>
//   LAST-NOT: linalg.batch_matmul
// CHECK-LABEL: func @strided_filters_in_lanes
//       CHECK: outs(%{{.*}} : tensor<2x32x3x3x32xf32>)
//       CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}}) -> (tensor<1x196x64xf32>)
//       CHECK: scf.for %{{.*}} = %c0 to %c196 step %c7 iter_args(%{{.*}}) -> (tensor<1x196x32xf32>)
//       CHECK: vector.fma {{.*}} : vector<32xf32>
//   CHECK-NOT: linalg.conv_2d
func.func @strided_filters_in_lanes(%x: tensor<4x32x15x15xf32>, %w: tensor<64x32x3x3xf32>, %acc: tensor<4x64x7x7xf32>) -> tensor<4x64x7x7xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<4x32x15x15xf32>, tensor<64x32x3x3xf32>) outs(%acc : tensor<4x64x7x7xf32>) -> tensor<4x64x7x7xf32>
  return %r : tensor<4x64x7x7xf32>
}

// BADCONTRACT: error: convbn-vectorize-convolutions: contraction-tile-sizes must be 3 positive sizes (rows, lanes, reduction)
