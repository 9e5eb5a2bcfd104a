// RUN: convbn-opt %s -convert-convbn-to-linalg -canonicalize -split-input-file | FileCheck %s
// RUN: convbn-opt %s -convert-convbn-to-linalg=f64-reductions=false -canonicalize -split-input-file | FileCheck %s --check-prefix=F32ACC
// RUN: convbn-opt %s -convert-convbn-to-linalg=phases-in-place=false -canonicalize -split-input-file | FileCheck %s --check-prefix=COPY
// RUN: convbn-opt %s -convert-convbn-to-linalg=stacked-phases-rows=6 -canonicalize -split-input-file | FileCheck %s --check-prefix=STACK
// RUN: convbn-opt %s -convert-convbn-to-linalg=stacked-phases-rows=5 -canonicalize -split-input-file | FileCheck %s

// Deploy, stride 2: backward-data in two phases. Even input positions
// (5 of them) receive taps 2 and 0: a stride-1 correlation of the gradient
// shifted by one (a zero tensor of length 6 with the gradient at 1) with
// those taps, flipped; odd positions (4) receive tap 1, from the gradient
// itself. Each phase accumulates in its positions of dX (every 2nd one,
// zeroed first), which start uninitialized since the two phases cover
// them; with phases-in-place=false each phase gets a tensor of its own,
// inserted there. No multiply-add meets a zero of a dilated gradient.
// Backward-filter reduces over positions into f64 partials per chunk of the
// batch (2 chunks of 1 sample here, parallel), then sums the chunks; the
// bias gradient goes through per-sample partials.
// CHECK-DAG: #[[EVEN:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3 * -2 + 2)>
// CHECK-DAG: #[[ODD:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3 * -2 + 1)>
// CHECK-LABEL: func.func @deploy_stride2(
// CHECK: %[[DX:.+]] = tensor.empty() : tensor<2x3x9xf32>
// CHECK: %[[EVEN_SLICE:.+]] = tensor.extract_slice %[[DX]][0, 0, 0] [2, 3, 5] [1, 1, 2]
// CHECK: %[[SHIFTED:.+]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 1] [2, 4, 4] [1, 1, 1] : tensor<2x4x4xf32> into tensor<2x4x6xf32>
// CHECK: %[[EVEN_TAPS:.+]] = linalg.generic {indexing_maps = [#[[EVEN]], #{{.*}}], {{.*}} ins(%{{.*}} : tensor<1x4x3x3xf32>) outs(%{{.*}} : tensor<1x3x4x2xf32>)
// CHECK: %[[EVEN_T:.+]] = tensor.collapse_shape %[[EVEN_TAPS]]
// CHECK: %[[EVEN_INIT:.+]] = linalg.fill {{.*}} outs(%[[EVEN_SLICE]] : tensor<2x3x5xf32>)
// CHECK: %[[EVEN_DX:.+]] = linalg.conv_1d_ncw_fcw {dilations = dense<1> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>} ins(%[[SHIFTED]], %[[EVEN_T]] : tensor<2x4x6xf32>, tensor<3x4x2xf32>) outs(%[[EVEN_INIT]] : tensor<2x3x5xf32>)
// CHECK: %[[DX0:.+]] = tensor.insert_slice %[[EVEN_DX]] into %[[DX]][0, 0, 0] [2, 3, 5] [1, 1, 2] : tensor<2x3x5xf32> into tensor<2x3x9xf32>
// CHECK: %[[ODD_SLICE:.+]] = tensor.extract_slice %[[DX0]][0, 0, 1] [2, 3, 4] [1, 1, 2]
// CHECK: %[[ODD_TAPS:.+]] = linalg.generic {indexing_maps = [#[[ODD]], #{{.*}}], {{.*}} ins(%{{.*}} : tensor<1x4x3x3xf32>) outs(%{{.*}} : tensor<1x3x4x1xf32>)
// CHECK: %[[ODD_T:.+]] = tensor.collapse_shape %[[ODD_TAPS]]
// CHECK: %[[ODD_INIT:.+]] = linalg.fill {{.*}} outs(%[[ODD_SLICE]] : tensor<2x3x4xf32>)
// CHECK: %[[ODD_DX:.+]] = linalg.conv_1d_ncw_fcw {{.*}} ins(%arg0, %[[ODD_T]] : tensor<2x4x4xf32>, tensor<3x4x1xf32>) outs(%[[ODD_INIT]] : tensor<2x3x4xf32>)
// CHECK: tensor.insert_slice %[[ODD_DX]] into %[[DX0]][0, 0, 1] [2, 3, 4] [1, 1, 2] : tensor<2x3x4xf32> into tensor<2x3x9xf32>
// COPY-LABEL: func.func @deploy_stride2(
// COPY-NOT: tensor.extract_slice
// COPY: %[[EVEN_DX:.+]] = linalg.conv_1d_ncw_fcw {{.*}} outs(%{{.*}} : tensor<2x3x5xf32>)
// COPY: tensor.insert_slice %[[EVEN_DX]] into %{{.*}}[0, 0, 0] [2, 3, 5] [1, 1, 2]
// COPY-NOT: tensor.extract_slice
// COPY: %[[ODD_DX:.+]] = linalg.conv_1d_ncw_fcw {{.*}} outs(%{{.*}} : tensor<2x3x4xf32>)
// COPY: tensor.insert_slice %[[ODD_DX]] into %{{.*}}[0, 0, 1] [2, 3, 4] [1, 1, 2]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]{{.*}} outs(%{{.*}} : tensor<2x1x4x3x3xf64>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]{{.*}} outs(%{{.*}} : tensor<1x4x3x3xf64>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]{{.*}} outs(%{{.*}} : tensor<2x4xf64>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]{{.*}} outs(%{{.*}} : tensor<4xf64>)
// With stacked-phases-rows=6 (3 channels x 2 phases; 5 keeps the phases
// apart), one correlation computes both phases: its 6 rows are (phase,
// channel), its window of 2 covers both phases' (the even phase's taps 2
// and 0 at 0 and 1, the odd phase's tap 1 at 1, zero at 0), over the
// gradient shifted by one; each row computes 5 positions, and a transpose
// spreads them (depth to space: row (r, c), position m is dX[c][2m + r]),
// the tenth position cut off.
// STACK-DAG: #[[EVEN:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3 * -2 + 2)>
// STACK-DAG: #[[ODD:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3 * -2 + 1)>
// STACK-LABEL: func.func @deploy_stride2(
// STACK: linalg.generic {indexing_maps = [#[[EVEN]], #{{.*}}], {{.*}} outs(%{{.*}} : tensor<1x3x4x2xf32>)
// STACK: %[[STACK:.+]] = linalg.fill {{.*}} -> tensor<2x3x4x2xf32>
// STACK: %[[STACK0:.+]] = tensor.insert_slice %{{.*}} into %[[STACK]][0, 0, 0, 0] [1, 3, 4, 2] [1, 1, 1, 1] : tensor<3x4x2xf32> into tensor<2x3x4x2xf32>
// STACK: linalg.generic {indexing_maps = [#[[ODD]], #{{.*}}], {{.*}} outs(%{{.*}} : tensor<1x3x4x1xf32>)
// STACK: %[[STACK1:.+]] = tensor.insert_slice %{{.*}} into %[[STACK0]][1, 0, 0, 1] [1, 3, 4, 1] [1, 1, 1, 1] : tensor<3x4x1xf32> into tensor<2x3x4x2xf32>
// STACK: %[[ROWS:.+]] = tensor.collapse_shape %[[STACK1]] {{\[}}[0, 1], [2], [3]] : tensor<2x3x4x2xf32> into tensor<6x4x2xf32>
// STACK: %[[SHIFTED:.+]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 1] [2, 4, 4] [1, 1, 1] : tensor<2x4x4xf32> into tensor<2x4x6xf32>
// STACK: %[[CONV:.+]] = linalg.conv_1d_ncw_fcw {{.*}} ins(%[[SHIFTED]], %[[ROWS]] : tensor<2x4x6xf32>, tensor<6x4x2xf32>) outs(%{{.*}} : tensor<2x6x5xf32>)
// STACK: %[[PHASES:.+]] = tensor.expand_shape %[[CONV]] {{\[}}[0], [1, 2], [3]] output_shape [2, 2, 3, 5] : tensor<2x6x5xf32> into tensor<2x2x3x5xf32>
// STACK: %[[SPREAD:.+]] = linalg.transpose ins(%[[PHASES]] : tensor<2x2x3x5xf32>) outs(%{{.*}} : tensor<2x3x5x2xf32>) permutation = [0, 2, 3, 1]
// STACK: %[[DX:.+]] = tensor.collapse_shape %[[SPREAD]] {{\[}}[0], [1], [2, 3]] : tensor<2x3x5x2xf32> into tensor<2x3x10xf32>
// STACK: tensor.extract_slice %[[DX]][0, 0, 0] [2, 3, 9] [1, 1, 1] : tensor<2x3x10xf32> to tensor<2x3x9xf32>
// STACK-NOT: linalg.conv_1d_ncw_fcw
// STACK: return
// F32ACC-LABEL: func.func @deploy_stride2(
// F32ACC-NOT: f64
// F32ACC: return
func.func @deploy_stride2(%gz: tensor<2x4x4xf32>, %x: tensor<2x3x9xf32>, %w: tensor<4x3x3xf32>, %b: tensor<4xf32>) -> (tensor<2x3x9xf32>, tensor<4x3x3xf32>, tensor<4xf32>) {
  %dx, %dw, %db = convbn.backward deploy grads <input|filter|bias> %gz, %x, %w bias %b {strides = array<i64: 2>} : (tensor<2x4x4xf32>, tensor<2x3x9xf32>, tensor<4x3x3xf32>, tensor<4xf32>) -> (tensor<2x3x9xf32>, tensor<4x3x3xf32>, tensor<4xf32>)
  return %dx, %dw, %db : tensor<2x3x9xf32>, tensor<4x3x3xf32>, tensor<4xf32>
}

// -----

// Tune: backward-data uses the folded filter; the filter, gamma, beta
// gradients come from dW' and db' through the fold. Only the input and
// weight-sized tensors are read: the op has no conv output to read, and no
// activation-sized tensor other than the incoming gradient and the input
// enters a linalg op.
// CHECK-LABEL: func.func @tune_grads(
// CHECK-SAME: %[[GZ:[a-z0-9]+]]: tensor<2x4x6xf32>, %[[X:[a-z0-9]+]]: tensor<2x3x8xf32>
// CHECK: %[[WF:.+]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4x3x3xf32>)
// CHECK: linalg.conv_1d_ncw_fcw
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x1x1x3x8xf32>, tensor<2x1x1x4x6xf32>) outs(%{{.*}} : tensor<2x1x4x3x3xf64>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x3x3xf64>)
// CHECK: linalg.generic {{.*}} ins(%[[GZ]] : tensor<2x4x6xf32>) outs(%{{.*}} : tensor<2x4xf64>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4xf64>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %arg2 : tensor<4x3x3xf64>, tensor<4x3x3xf32>) outs(%{{.*}} : tensor<4xf64>)
func.func @tune_grads(%gz: tensor<2x4x6xf32>, %x: tensor<2x3x8xf32>, %w: tensor<4x3x3xf32>, %g: tensor<4xf32>, %bt: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> (tensor<2x3x8xf32>, tensor<4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) {
  %dx, %dw, %dg, %dbt = convbn.backward tune grads <input|filter|gamma|beta> %gz, %x, %w gamma %g beta %bt mean %m var %v : (tensor<2x4x6xf32>, tensor<2x3x8xf32>, tensor<4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x3x8xf32>, tensor<4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  return %dx, %dw, %dg, %dbt : tensor<2x3x8xf32>, tensor<4x3x3xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Only the requested gradient is computed: the input gradient of a deploy
// block needs no backward-filter and no reduction.
// CHECK-LABEL: func.func @input_only(
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-NOT: f64
// CHECK: return
func.func @input_only(%gz: tensor<1x2x3x3xf32>, %x: tensor<1x2x5x5xf32>, %w: tensor<2x2x3x3xf32>) -> tensor<1x2x5x5xf32> {
  %dx = convbn.backward deploy grads <input> %gz, %x, %w : (tensor<1x2x3x3xf32>, tensor<1x2x5x5xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x5x5xf32>
  return %dx : tensor<1x2x5x5xf32>
}

// -----

// A gradient position that only ever saw padding: a 1x1 kernel with
// padding 2 on each side and stride 3 over 4 inputs; the first output
// position reads padding only and is dropped from the dilated gradient.
// CHECK-LABEL: func.func @padding_only_positions(
// CHECK: tensor.extract_slice %arg0[0, 0, 1] [1, 1, 1] [1, 1, 1]
// CHECK: tensor.insert_slice {{.*}}[0, 0, 1] [1, 1, 1] [1, 1, 3] : tensor<1x1x1xf32> into tensor<1x1x4xf32>
func.func @padding_only_positions(%gz: tensor<1x1x3xf32>, %x: tensor<1x1x4xf32>, %w: tensor<1x1x1xf32>) -> tensor<1x1x4xf32> {
  %dx = convbn.backward deploy grads <input> %gz, %x, %w {strides = array<i64: 3>, padding_low = array<i64: 2>, padding_high = array<i64: 2>} : (tensor<1x1x3xf32>, tensor<1x1x4xf32>, tensor<1x1x1xf32>) -> tensor<1x1x4xf32>
  return %dx : tensor<1x1x4xf32>
}
