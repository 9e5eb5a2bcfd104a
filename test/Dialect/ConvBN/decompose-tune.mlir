// RUN: convbn-opt %s -convbn-decompose-tune -split-input-file | FileCheck %s

// Tune = fold of the parameters + a deploy-mode (plain) convolution with the
// folded filter and bias. Convolution attributes stay on the convolution,
// epsilon moves to the fold.
// CHECK-LABEL: func.func @tune_2d_all_parameters(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<4x3x8x8xf32>, %[[W:[a-z0-9]+]]: tensor<8x3x3x3xf32>, %[[B:[a-z0-9]+]]: tensor<8xf32>, %[[G:[a-z0-9]+]]: tensor<8xf32>, %[[BT:[a-z0-9]+]]: tensor<8xf32>, %[[M:[a-z0-9]+]]: tensor<8xf32>, %[[V:[a-z0-9]+]]: tensor<8xf32>
// CHECK: %[[WF:.+]], %[[BF:.+]] = convbn.fold %[[W]] bias %[[B]] gamma %[[G]] beta %[[BT]] mean %[[M]] var %[[V]] {epsilon = 1.000000e-03 : f64} : (tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8x3x3x3xf32>, tensor<8xf32>)
// CHECK: %[[Z:.+]] = convbn.conv_bn deploy %[[X]], %[[WF]] bias %[[BF]] {padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, strides = array<i64: 2, 2>} : (tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<4x8x4x4xf32>
// CHECK-NEXT: return %[[Z]]
func.func @tune_2d_all_parameters(%x: tensor<4x3x8x8xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>, %g: tensor<8xf32>, %bt: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> tensor<4x8x4x4xf32> {
  %z = convbn.conv_bn tune %x, %w bias %b gamma %g beta %bt mean %m var %v {strides = array<i64: 2, 2>, padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, epsilon = 1.0e-3 : f64, momentum = 0.3 : f64} : (tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8x4x4xf32>
  return %z : tensor<4x8x4x4xf32>
}

// -----

// 1-D, no conv bias and no affine parameters: the deploy convolution still
// gets a bias, the folded one (-k * mean).
// CHECK-LABEL: func.func @tune_1d_no_bias_no_affine(
// CHECK: %[[WF:.+]], %[[BF:.+]] = convbn.fold %{{.*}} mean %{{.*}} var %{{.*}} : (tensor<6x4x7xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<6x4x7xf32>, tensor<6xf32>)
// CHECK: convbn.conv_bn deploy %{{.*}}, %[[WF]] bias %[[BF]] {dilations = array<i64: 2>} : (tensor<2x4x20xf32>, tensor<6x4x7xf32>, tensor<6xf32>) -> tensor<2x6x8xf32>
func.func @tune_1d_no_bias_no_affine(%x: tensor<2x4x20xf32>, %w: tensor<6x4x7xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) -> tensor<2x6x8xf32> {
  %z = convbn.conv_bn tune %x, %w mean %m var %v {dilations = array<i64: 2>} : (tensor<2x4x20xf32>, tensor<6x4x7xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x8xf32>
  return %z : tensor<2x6x8xf32>
}

// -----

// 3-D grouped, f16 activations with f32 statistics: the folded filter stays
// f16, the folded bias is f32.
// CHECK-LABEL: func.func @tune_3d_f16_grouped(
// CHECK: convbn.fold %{{.*}} gamma %{{.*}} beta %{{.*}} mean %{{.*}} var %{{.*}} : (tensor<8x2x3x3x3xf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8x2x3x3x3xf16>, tensor<8xf32>)
// CHECK: convbn.conv_bn deploy %{{.*}}, %{{.*}} bias %{{.*}} {groups = 2 : i64} : (tensor<1x4x5x5x5xf16>, tensor<8x2x3x3x3xf16>, tensor<8xf32>) -> tensor<1x8x3x3x3xf16>
func.func @tune_3d_f16_grouped(%x: tensor<1x4x5x5x5xf16>, %w: tensor<8x2x3x3x3xf16>, %g: tensor<8xf32>, %bt: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> tensor<1x8x3x3x3xf16> {
  %z = convbn.conv_bn tune %x, %w gamma %g beta %bt mean %m var %v {groups = 2 : i64} : (tensor<1x4x5x5x5xf16>, tensor<8x2x3x3x3xf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x3x3x3xf16>
  return %z : tensor<1x8x3x3x3xf16>
}

// -----

// Dynamic batch: the fold is weight-sized and static, the convolution keeps
// the dynamic batch.
// CHECK-LABEL: func.func @tune_dynamic_batch(
// CHECK: convbn.fold
// CHECK: convbn.conv_bn deploy {{.*}} : (tensor<?x3x8x8xbf16>, tensor<4x3x1x1xbf16>, tensor<4xbf16>) -> tensor<?x4x8x8xbf16>
func.func @tune_dynamic_batch(%x: tensor<?x3x8x8xbf16>, %w: tensor<4x3x1x1xbf16>, %m: tensor<4xbf16>, %v: tensor<4xbf16>) -> tensor<?x4x8x8xbf16> {
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<?x3x8x8xbf16>, tensor<4x3x1x1xbf16>, tensor<4xbf16>, tensor<4xbf16>) -> tensor<?x4x8x8xbf16>
  return %z : tensor<?x4x8x8xbf16>
}

// -----

// Must not fire on the other modes, nor on backward ops.
// CHECK-LABEL: func.func @other_modes(
// CHECK-NOT: convbn.fold
// CHECK: convbn.conv_bn train
// CHECK: convbn.conv_bn eval
// CHECK: convbn.conv_bn deploy %{{.*}}, %{{.*}} :
// CHECK: convbn.backward tune
// CHECK-NOT: convbn.fold
func.func @other_modes(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %gz: tensor<2x6x6xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>, tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x6xf32>) {
  %z, %y, %rm, %rv, %bm, %bi = convbn.conv_bn train %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>)
  %e, %ey = convbn.conv_bn eval %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>)
  %d = convbn.conv_bn deploy %x, %w : (tensor<2x4x8xf32>, tensor<6x4x3xf32>) -> tensor<2x6x6xf32>
  %dx = convbn.backward tune grads <input> %gz, %x, %w mean %m var %v : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x4x8xf32>
  return %z, %e, %d, %dx, %rm, %rv, %ey : tensor<2x6x6xf32>, tensor<2x6x6xf32>, tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x6xf32>
}
