// RUN: convbn-opt %s -convbn-eval-to-tune -split-input-file | FileCheck %s

// A forward/backward pair: both become tune mode and the conv output is no
// longer kept for backward.
// CHECK-LABEL: func.func @pair_2d_f32(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<4x3x8x8xf32>, %[[W:[a-z0-9]+]]: tensor<8x3x3x3xf32>, %[[B:[a-z0-9]+]]: tensor<8xf32>, %[[G:[a-z0-9]+]]: tensor<8xf32>, %[[BT:[a-z0-9]+]]: tensor<8xf32>, %[[M:[a-z0-9]+]]: tensor<8xf32>, %[[V:[a-z0-9]+]]: tensor<8xf32>, %[[GZ:[a-z0-9]+]]: tensor<4x8x8x8xf32>
// CHECK: %[[Z:[a-z_0-9]+]] = convbn.conv_bn tune %[[X]], %[[W]] bias %[[B]] gamma %[[G]] beta %[[BT]] mean %[[M]] var %[[V]] {padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>} : ({{.*}}) -> tensor<4x8x8x8xf32>
// CHECK: %[[DX:[a-z_0-9]+]], %[[DW:[a-z_0-9]+]], %[[DB:[a-z_0-9]+]], %[[DG:[a-z_0-9]+]], %[[DBT:[a-z_0-9]+]] = convbn.backward tune grads <input|filter|bias|gamma|beta> %[[GZ]], %[[X]], %[[W]] bias %[[B]] gamma %[[G]] beta %[[BT]] mean %[[M]] var %[[V]] {padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>} : (tensor<4x8x8x8xf32>, tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (
// CHECK-NOT: convbn.conv_bn eval
// CHECK-NOT: conv_output
// CHECK: return %[[Z]], %[[DX]], %[[DW]], %[[DB]], %[[DG]], %[[DBT]]
func.func @pair_2d_f32(%x: tensor<4x3x8x8xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>, %g: tensor<8xf32>, %bt: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %gz: tensor<4x8x8x8xf32>) -> (tensor<4x8x8x8xf32>, tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %z, %y = convbn.conv_bn eval %x, %w bias %b gamma %g beta %bt mean %m var %v {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>} : (tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<4x8x8x8xf32>, tensor<4x8x8x8xf32>)
  %dx, %dw, %db, %dg, %dbt = convbn.backward eval grads <input|filter|bias|gamma|beta> %gz, %x, %w bias %b gamma %g beta %bt mean %m var %v conv_output %y {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>} : (tensor<4x8x8x8xf32>, tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<4x8x8x8xf32>) -> (tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
  return %z, %dx, %dw, %db, %dg, %dbt : tensor<4x8x8x8xf32>, tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// 1-D, f16 activations with f32 statistics, no conv bias, no affine.
// CHECK-LABEL: func.func @pair_1d_f16_mixed(
// CHECK: convbn.conv_bn tune %{{.*}}, %{{.*}} mean %{{.*}} var %{{.*}} {strides = array<i64: 2>} : (tensor<2x4x16xf16>, tensor<6x4x3xf16>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x7xf16>
// CHECK: convbn.backward tune grads <input|filter> %{{.*}}, %{{.*}}, %{{.*}} mean %{{.*}} var %{{.*}} {strides = array<i64: 2>} : (tensor<2x6x7xf16>, tensor<2x4x16xf16>, tensor<6x4x3xf16>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x4x16xf16>, tensor<6x4x3xf16>)
func.func @pair_1d_f16_mixed(%x: tensor<2x4x16xf16>, %w: tensor<6x4x3xf16>, %m: tensor<6xf32>, %v: tensor<6xf32>, %gz: tensor<2x6x7xf16>) -> (tensor<2x6x7xf16>, tensor<2x4x16xf16>, tensor<6x4x3xf16>) {
  %z, %y = convbn.conv_bn eval %x, %w mean %m var %v {strides = array<i64: 2>} : (tensor<2x4x16xf16>, tensor<6x4x3xf16>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x7xf16>, tensor<2x6x7xf16>)
  %dx, %dw = convbn.backward eval grads <input|filter> %gz, %x, %w mean %m var %v conv_output %y {strides = array<i64: 2>} : (tensor<2x6x7xf16>, tensor<2x4x16xf16>, tensor<6x4x3xf16>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x7xf16>) -> (tensor<2x4x16xf16>, tensor<6x4x3xf16>)
  return %z, %dx, %dw : tensor<2x6x7xf16>, tensor<2x4x16xf16>, tensor<6x4x3xf16>
}

// -----

// 3-D, bf16, grouped: attributes are kept.
// CHECK-LABEL: func.func @pair_3d_bf16_grouped(
// CHECK: convbn.conv_bn tune %{{.*}}, %{{.*}} gamma %{{.*}} beta %{{.*}} mean %{{.*}} var %{{.*}} {epsilon = 1.000000e-03 : f64, groups = 2 : i64}
// CHECK: convbn.backward tune grads <gamma|beta> %{{.*}}, %{{.*}}, %{{.*}} gamma %{{.*}} beta %{{.*}} mean %{{.*}} var %{{.*}} {epsilon = 1.000000e-03 : f64, groups = 2 : i64} :
func.func @pair_3d_bf16_grouped(%x: tensor<1x4x3x3x3xbf16>, %w: tensor<4x2x1x1x1xbf16>, %g: tensor<4xbf16>, %bt: tensor<4xbf16>, %m: tensor<4xbf16>, %v: tensor<4xbf16>, %gz: tensor<1x4x3x3x3xbf16>) -> (tensor<1x4x3x3x3xbf16>, tensor<4xbf16>, tensor<4xbf16>) {
  %z, %y = convbn.conv_bn eval %x, %w gamma %g beta %bt mean %m var %v {groups = 2 : i64, epsilon = 1.0e-3 : f64} : (tensor<1x4x3x3x3xbf16>, tensor<4x2x1x1x1xbf16>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>) -> (tensor<1x4x3x3x3xbf16>, tensor<1x4x3x3x3xbf16>)
  %dg, %dbt = convbn.backward eval grads <gamma|beta> %gz, %x, %w gamma %g beta %bt mean %m var %v conv_output %y {groups = 2 : i64, epsilon = 1.0e-3 : f64} : (tensor<1x4x3x3x3xbf16>, tensor<1x4x3x3x3xbf16>, tensor<4x2x1x1x1xbf16>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>, tensor<4xbf16>, tensor<1x4x3x3x3xbf16>) -> (tensor<4xbf16>, tensor<4xbf16>)
  return %z, %dg, %dbt : tensor<1x4x3x3x3xbf16>, tensor<4xbf16>, tensor<4xbf16>
}

// -----

// Inference only: the conv output is unused, so the block becomes tune mode.
// CHECK-LABEL: func.func @inference_only(
// CHECK: %[[Z:[a-z_0-9]+]] = convbn.conv_bn tune
// CHECK-NEXT: return %[[Z]]
func.func @inference_only(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) -> tensor<2x6x6xf32> {
  %z, %y = convbn.conv_bn eval %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>)
  return %z : tensor<2x6x6xf32>
}

// -----

// Must not fire on the forward op: its conv output escapes (the caller keeps
// it, as an AOT-autograd forward function does). The backward op still
// becomes tune mode: it no longer needs that tensor.
// CHECK-LABEL: func.func @conv_output_escapes(
// CHECK: %[[Z:[a-z_0-9]+]], %[[Y:[a-z_0-9]+]] = convbn.conv_bn eval
// CHECK: convbn.backward tune grads <input>
// CHECK-NOT: conv_output %
// CHECK: return %[[Z]], %[[Y]]
func.func @conv_output_escapes(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %gz: tensor<2x6x6xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>, tensor<2x4x8xf32>) {
  %z, %y = convbn.conv_bn eval %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>)
  %dx = convbn.backward eval grads <input> %gz, %x, %w mean %m var %v conv_output %y : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x6xf32>) -> tensor<2x4x8xf32>
  return %z, %y, %dx : tensor<2x6x6xf32>, tensor<2x6x6xf32>, tensor<2x4x8xf32>
}

// -----

// A backward op on its own (the conv output comes from the caller) becomes
// tune mode and stops reading it.
// CHECK-LABEL: func.func @backward_alone(
// CHECK: convbn.backward tune grads <filter|gamma> %{{.*}}, %{{.*}}, %{{.*}} gamma %{{.*}} mean %{{.*}} var %{{.*}} : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) ->
func.func @backward_alone(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %g: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %gz: tensor<2x6x6xf32>, %y: tensor<2x6x6xf32>) -> (tensor<6x4x3xf32>, tensor<6xf32>) {
  %dw, %dg = convbn.backward eval grads <filter|gamma> %gz, %x, %w gamma %g mean %m var %v conv_output %y : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x6xf32>) -> (tensor<6x4x3xf32>, tensor<6xf32>)
  return %dw, %dg : tensor<6x4x3xf32>, tensor<6xf32>
}

// -----

// Must not fire on train, tune or deploy blocks.
// CHECK-LABEL: func.func @other_modes_untouched(
// CHECK: convbn.conv_bn train
// CHECK: convbn.backward train
// CHECK: convbn.conv_bn tune
// CHECK: convbn.conv_bn deploy
// CHECK: convbn.backward deploy
func.func @other_modes_untouched(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %gz: tensor<2x6x6xf32>) -> (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<2x6x6xf32>, tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6xf32>, tensor<6xf32>) {
  %z, %y, %rm, %rv, %bm, %bi = convbn.conv_bn train %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>)
  %dx = convbn.backward train grads <input> %gz, %x, %w mean %m var %v conv_output %y batch_mean %bm batch_inv_std %bi : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x6xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x4x8xf32>
  %t = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  %d = convbn.conv_bn deploy %x, %w bias %m : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  %ddx = convbn.backward deploy grads <input> %gz, %x, %w bias %m : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>) -> tensor<2x4x8xf32>
  return %z, %dx, %t, %d, %ddx, %rm, %rv : tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<2x6x6xf32>, tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6xf32>, tensor<6xf32>
}
