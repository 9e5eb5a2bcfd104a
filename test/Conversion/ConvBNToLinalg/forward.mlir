// RUN: convbn-opt %s -convert-convbn-to-linalg -canonicalize -split-input-file | FileCheck %s

// Tune: the fold is weight- and channel-sized, the folded bias is the
// accumulator's initial value, and nothing activation-sized follows the
// convolution.
// CHECK-LABEL: func.func @tune_2d(
// CHECK: math.rsqrt
// CHECK: %[[WF:.+]] = linalg.generic {{.*}} ins(%arg1, %{{.*}} : tensor<4x3x3x3xf32>, tensor<4xf32>) outs(%{{.*}} : tensor<4x3x3x3xf32>)
// CHECK: %[[INIT:.+]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<4xf32>) outs(%{{.*}} : tensor<2x4x6x6xf32>)
// CHECK: %[[Z:.+]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%arg0, %[[WF]] : {{.*}}) outs(%[[INIT]] : tensor<2x4x6x6xf32>)
// CHECK-NEXT: return %[[Z]]
func.func @tune_2d(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %g: tensor<4xf32>, %bt: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<2x4x6x6xf32> {
  %z = convbn.conv_bn tune %x, %w gamma %g beta %bt mean %m var %v : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x6x6xf32>
  return %z : tensor<2x4x6x6xf32>
}

// -----

// Eval: convolution (+ conv bias as the initial value), then one
// activation-sized generic producing the output and the kept conv output.
// CHECK-LABEL: func.func @eval_1d(
// CHECK: tensor.pad %arg0 low[0, 0, 1] high[0, 0, 2]
// CHECK: %[[Y:.+]] = linalg.conv_1d_ncw_fcw {dilations = dense<2> : tensor<1xi64>, strides = dense<2> : tensor<1xi64>}
// CHECK: %[[ZY:.+]]:2 = linalg.generic {{.*}} ins(%[[Y]], {{.*}}) outs({{.*}}) {
// CHECK: return %[[ZY]]#0, %[[ZY]]#1
func.func @eval_1d(%x: tensor<2x3x9xf32>, %w: tensor<4x3x3xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> (tensor<2x4x4xf32>, tensor<2x4x4xf32>) {
  %z, %y = convbn.conv_bn eval %x, %w bias %b mean %m var %v {strides = array<i64: 2>, dilations = array<i64: 2>, padding_low = array<i64: 1>, padding_high = array<i64: 2>} : (tensor<2x3x9xf32>, tensor<4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x4xf32>, tensor<2x4x4xf32>)
  return %z, %y : tensor<2x4x4xf32>, tensor<2x4x4xf32>
}

// -----

// Train: batch mean and variance in two passes over the activation,
// accumulated in f64, each reduced in two stages (per-sample partials
// [N, C], parallel over N and C, then their sum over N: no loop iteration sums
// the batch), then the normalization and the running statistics.
// CHECK-LABEL: func.func @train_3d(
// CHECK: linalg.conv_3d_ncdhw_fcdhw
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]{{.*}} outs(%{{.*}} : tensor<3x2xf64>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]{{.*}} ins(%{{.*}} : tensor<3x2xf64>) outs(%{{.*}} : tensor<2xf64>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]{{.*}} outs(%{{.*}} : tensor<3x2xf64>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]{{.*}} outs(%{{.*}} : tensor<2xf64>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<3x2x2x2x2xf32>, tensor<3x2x2x2x2xf32>)
func.func @train_3d(%x: tensor<3x1x2x2x2xf32>, %w: tensor<2x1x1x1x1xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>) -> (tensor<3x2x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>) {
  %z, %y, %rm, %rv, %bm, %bi = convbn.conv_bn train %x, %w mean %m var %v : (tensor<3x1x2x2x2xf32>, tensor<2x1x1x1x1xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<3x2x2x2x2xf32>, tensor<3x2x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
  return %z, %rm, %rv : tensor<3x2x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>
}

// -----

// Grouped 2-D: the N G C layout of conv_2d_ngchw_gfchw.
// CHECK-LABEL: func.func @deploy_grouped_2d(
// CHECK: tensor.expand_shape %arg0 {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 2, 2, 5, 5]
// CHECK: tensor.expand_shape %arg1 {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3]
// CHECK: linalg.conv_2d_ngchw_gfchw
// CHECK: tensor.collapse_shape {{.*}} {{\[}}[0], [1, 2], [3], [4]] : tensor<2x2x3x3x3xf32> into tensor<2x6x3x3xf32>
func.func @deploy_grouped_2d(%x: tensor<2x4x5x5xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<2x6x3x3xf32> {
  %z = convbn.conv_bn deploy %x, %w {groups = 2 : i64} : (tensor<2x4x5x5xf32>, tensor<6x2x3x3xf32>) -> tensor<2x6x3x3xf32>
  return %z : tensor<2x6x3x3xf32>
}

// -----

// Depthwise (groups = channels): depthwise_conv over the O x K filter.
// CHECK-LABEL: func.func @deploy_depthwise_2d(
// CHECK: tensor.collapse_shape %arg1 {{\[}}[0, 1], [2], [3]] : tensor<4x1x3x3xf32> into tensor<4x3x3xf32>
// CHECK: linalg.depthwise_conv_2d_nchw_chw
func.func @deploy_depthwise_2d(%x: tensor<2x4x5x5xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<2x4x3x3xf32> {
  %z = convbn.conv_bn deploy %x, %w {groups = 4 : i64} : (tensor<2x4x5x5xf32>, tensor<4x1x3x3xf32>) -> tensor<2x4x3x3xf32>
  return %z : tensor<2x4x3x3xf32>
}

// -----

// Grouped 1-D has no named op upstream: the same contraction as a generic
// (loops n g f p c k).
// CHECK-LABEL: func.func @deploy_grouped_1d(
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-NOT: linalg.conv
func.func @deploy_grouped_1d(%x: tensor<2x4x7xf32>, %w: tensor<6x2x3xf32>) -> tensor<2x6x5xf32> {
  %z = convbn.conv_bn deploy %x, %w {groups = 2 : i64} : (tensor<2x4x7xf32>, tensor<6x2x3xf32>) -> tensor<2x6x5xf32>
  return %z : tensor<2x6x5xf32>
}

// -----

// Mixed precision: f16 activations accumulate in f32 and round once; the
// f32 statistics stay f32.
// CHECK-LABEL: func.func @tune_f16(
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x3x1x1xf16>)
// CHECK: arith.extf
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} ins(%arg0, %{{.*}} : tensor<1x3x4x4xf16>, tensor<4x3x1x1xf16>) outs(%{{.*}} : tensor<1x4x4x4xf32>)
// CHECK: arith.truncf {{.*}} : f32 to f16
func.func @tune_f16(%x: tensor<1x3x4x4xf16>, %w: tensor<4x3x1x1xf16>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<1x4x4x4xf16> {
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<1x3x4x4xf16>, tensor<4x3x1x1xf16>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf16>
  return %z : tensor<1x4x4x4xf16>
}

// -----

// A dynamic batch is carried through.
// CHECK-LABEL: func.func @deploy_dynamic_batch(
// CHECK: %[[N:.+]] = tensor.dim %arg0, %c0
// CHECK: tensor.empty(%[[N]]) : tensor<?x4x6xf32>
func.func @deploy_dynamic_batch(%x: tensor<?x3x8xf32>, %w: tensor<4x3x3xf32>, %b: tensor<4xf32>) -> tensor<?x4x6xf32> {
  %z = convbn.conv_bn deploy %x, %w bias %b : (tensor<?x3x8xf32>, tensor<4x3x3xf32>, tensor<4xf32>) -> tensor<?x4x6xf32>
  return %z : tensor<?x4x6xf32>
}
