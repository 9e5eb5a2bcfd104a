// Round trip of every op, through the custom and the generic form, over the
// four modes, 1-D/2-D/3-D, with and without conv bias and BN affine
// parameters, grouped and depthwise convolutions, f32/f16/bf16 activations
// and mixed-precision (f32) statistics.

// RUN: convbn-opt %s | convbn-opt | FileCheck %s
// RUN: convbn-opt %s -mlir-print-op-generic | convbn-opt | FileCheck %s

// CHECK-LABEL: func.func @train_2d_f32(
// CHECK: convbn.conv_bn train %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} beta %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} {padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, strides = array<i64: 2, 2>} : (tensor<4x3x9x9xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<4x8x5x5xf32>, tensor<4x8x5x5xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
// CHECK: convbn.backward train grads <input|filter|bias|gamma|beta> %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} beta %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} conv_output %{{[a-z0-9_]+}} batch_mean %{{[a-z0-9_]+}} batch_inv_std %{{[a-z0-9_]+}} {padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, strides = array<i64: 2, 2>} : (tensor<4x8x5x5xf32>, tensor<4x3x9x9xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<4x8x5x5xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<4x3x9x9xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
func.func @train_2d_f32(%x: tensor<4x3x9x9xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>, %g: tensor<8xf32>, %bt: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %gz: tensor<4x8x5x5xf32>) -> (tensor<4x8x5x5xf32>, tensor<4x3x9x9xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %z, %y, %rm, %rv, %bm, %bi = convbn.conv_bn train %x, %w bias %b gamma %g beta %bt mean %m var %v {padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, strides = array<i64: 2, 2>} : (tensor<4x3x9x9xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<4x8x5x5xf32>, tensor<4x8x5x5xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
  %dinput, %dfilter, %dbias, %dgamma, %dbeta = convbn.backward train grads <input|filter|bias|gamma|beta> %gz, %x, %w bias %b gamma %g beta %bt mean %m var %v conv_output %y batch_mean %bm batch_inv_std %bi {padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, strides = array<i64: 2, 2>} : (tensor<4x8x5x5xf32>, tensor<4x3x9x9xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<4x8x5x5xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<4x3x9x9xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
  return %z, %dinput, %dfilter, %dbias, %dgamma, %dbeta, %rm, %rv : tensor<4x8x5x5xf32>, tensor<4x3x9x9xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// CHECK-LABEL: func.func @train_1d_f16_f32_stats_no_bias_no_affine(
// CHECK: convbn.conv_bn train %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} : (tensor<2x4x17xf16>, tensor<6x4x7xf16>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x11xf16>, tensor<2x6x11xf16>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>)
// CHECK: convbn.backward train grads <input|filter> %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} conv_output %{{[a-z0-9_]+}} batch_mean %{{[a-z0-9_]+}} batch_inv_std %{{[a-z0-9_]+}} : (tensor<2x6x11xf16>, tensor<2x4x17xf16>, tensor<6x4x7xf16>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x11xf16>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x4x17xf16>, tensor<6x4x7xf16>)
func.func @train_1d_f16_f32_stats_no_bias_no_affine(%x: tensor<2x4x17xf16>, %w: tensor<6x4x7xf16>, %m: tensor<6xf32>, %v: tensor<6xf32>, %gz: tensor<2x6x11xf16>) -> (tensor<2x6x11xf16>, tensor<2x4x17xf16>, tensor<6x4x7xf16>, tensor<6xf32>, tensor<6xf32>) {
  %z, %y, %rm, %rv, %bm, %bi = convbn.conv_bn train %x, %w mean %m var %v : (tensor<2x4x17xf16>, tensor<6x4x7xf16>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x11xf16>, tensor<2x6x11xf16>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>)
  %dinput, %dfilter = convbn.backward train grads <input|filter> %gz, %x, %w mean %m var %v conv_output %y batch_mean %bm batch_inv_std %bi : (tensor<2x6x11xf16>, tensor<2x4x17xf16>, tensor<6x4x7xf16>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x11xf16>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x4x17xf16>, tensor<6x4x7xf16>)
  return %z, %dinput, %dfilter, %rm, %rv : tensor<2x6x11xf16>, tensor<2x4x17xf16>, tensor<6x4x7xf16>, tensor<6xf32>, tensor<6xf32>
}

// CHECK-LABEL: func.func @train_3d_bf16_grouped(
// CHECK: convbn.conv_bn train %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} beta %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} {groups = 2 : i64} : (tensor<1x4x5x6x7xbf16>, tensor<6x2x3x1x3xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>) -> (tensor<1x6x3x6x5xbf16>, tensor<1x6x3x6x5xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>)
// CHECK: convbn.backward train grads <input|filter|bias|gamma|beta> %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} beta %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} conv_output %{{[a-z0-9_]+}} batch_mean %{{[a-z0-9_]+}} batch_inv_std %{{[a-z0-9_]+}} {groups = 2 : i64} : (tensor<1x6x3x6x5xbf16>, tensor<1x4x5x6x7xbf16>, tensor<6x2x3x1x3xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<1x6x3x6x5xbf16>, tensor<6xbf16>, tensor<6xbf16>) -> (tensor<1x4x5x6x7xbf16>, tensor<6x2x3x1x3xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>)
func.func @train_3d_bf16_grouped(%x: tensor<1x4x5x6x7xbf16>, %w: tensor<6x2x3x1x3xbf16>, %b: tensor<6xbf16>, %g: tensor<6xbf16>, %bt: tensor<6xbf16>, %m: tensor<6xbf16>, %v: tensor<6xbf16>, %gz: tensor<1x6x3x6x5xbf16>) -> (tensor<1x6x3x6x5xbf16>, tensor<1x4x5x6x7xbf16>, tensor<6x2x3x1x3xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>) {
  %z, %y, %rm, %rv, %bm, %bi = convbn.conv_bn train %x, %w bias %b gamma %g beta %bt mean %m var %v {groups = 2 : i64} : (tensor<1x4x5x6x7xbf16>, tensor<6x2x3x1x3xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>) -> (tensor<1x6x3x6x5xbf16>, tensor<1x6x3x6x5xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>)
  %dinput, %dfilter, %dbias, %dgamma, %dbeta = convbn.backward train grads <input|filter|bias|gamma|beta> %gz, %x, %w bias %b gamma %g beta %bt mean %m var %v conv_output %y batch_mean %bm batch_inv_std %bi {groups = 2 : i64} : (tensor<1x6x3x6x5xbf16>, tensor<1x4x5x6x7xbf16>, tensor<6x2x3x1x3xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<1x6x3x6x5xbf16>, tensor<6xbf16>, tensor<6xbf16>) -> (tensor<1x4x5x6x7xbf16>, tensor<6x2x3x1x3xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>)
  return %z, %dinput, %dfilter, %dbias, %dgamma, %dbeta, %rm, %rv : tensor<1x6x3x6x5xbf16>, tensor<1x4x5x6x7xbf16>, tensor<6x2x3x1x3xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>, tensor<6xbf16>
}

// CHECK-LABEL: func.func @eval_2d_f32_dilated(
// CHECK: convbn.conv_bn eval %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} beta %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} {dilations = array<i64: 2, 2>} : (tensor<2x3x11x11xf32>, tensor<5x3x3x3xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>) -> (tensor<2x5x7x7xf32>, tensor<2x5x7x7xf32>)
// CHECK: convbn.backward eval grads <input|filter|bias|gamma|beta> %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} beta %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} conv_output %{{[a-z0-9_]+}} {dilations = array<i64: 2, 2>} : (tensor<2x5x7x7xf32>, tensor<2x3x11x11xf32>, tensor<5x3x3x3xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<2x5x7x7xf32>) -> (tensor<2x3x11x11xf32>, tensor<5x3x3x3xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>)
func.func @eval_2d_f32_dilated(%x: tensor<2x3x11x11xf32>, %w: tensor<5x3x3x3xf32>, %b: tensor<5xf32>, %g: tensor<5xf32>, %bt: tensor<5xf32>, %m: tensor<5xf32>, %v: tensor<5xf32>, %gz: tensor<2x5x7x7xf32>) -> (tensor<2x5x7x7xf32>, tensor<2x3x11x11xf32>, tensor<5x3x3x3xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>) {
  %z, %y = convbn.conv_bn eval %x, %w bias %b gamma %g beta %bt mean %m var %v {dilations = array<i64: 2, 2>} : (tensor<2x3x11x11xf32>, tensor<5x3x3x3xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>) -> (tensor<2x5x7x7xf32>, tensor<2x5x7x7xf32>)
  %dinput, %dfilter, %dbias, %dgamma, %dbeta = convbn.backward eval grads <input|filter|bias|gamma|beta> %gz, %x, %w bias %b gamma %g beta %bt mean %m var %v conv_output %y {dilations = array<i64: 2, 2>} : (tensor<2x5x7x7xf32>, tensor<2x3x11x11xf32>, tensor<5x3x3x3xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<2x5x7x7xf32>) -> (tensor<2x3x11x11xf32>, tensor<5x3x3x3xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>)
  return %z, %dinput, %dfilter, %dbias, %dgamma, %dbeta : tensor<2x5x7x7xf32>, tensor<2x3x11x11xf32>, tensor<5x3x3x3xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>
}

// CHECK-LABEL: func.func @eval_1d_f16_no_beta(
// CHECK: convbn.conv_bn eval %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} : (tensor<3x2x16xf16>, tensor<4x2x1xf16>, tensor<4xf16>, tensor<4xf16>, tensor<4xf16>) -> (tensor<3x4x16xf16>, tensor<3x4x16xf16>)
// CHECK: convbn.backward eval grads <input|gamma> %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} conv_output %{{[a-z0-9_]+}} : (tensor<3x4x16xf16>, tensor<3x2x16xf16>, tensor<4x2x1xf16>, tensor<4xf16>, tensor<4xf16>, tensor<4xf16>, tensor<3x4x16xf16>) -> (tensor<3x2x16xf16>, tensor<4xf16>)
func.func @eval_1d_f16_no_beta(%x: tensor<3x2x16xf16>, %w: tensor<4x2x1xf16>, %g: tensor<4xf16>, %m: tensor<4xf16>, %v: tensor<4xf16>, %gz: tensor<3x4x16xf16>) -> (tensor<3x4x16xf16>, tensor<3x2x16xf16>, tensor<4xf16>) {
  %z, %y = convbn.conv_bn eval %x, %w gamma %g mean %m var %v : (tensor<3x2x16xf16>, tensor<4x2x1xf16>, tensor<4xf16>, tensor<4xf16>, tensor<4xf16>) -> (tensor<3x4x16xf16>, tensor<3x4x16xf16>)
  %dinput, %dgamma = convbn.backward eval grads <input|gamma> %gz, %x, %w gamma %g mean %m var %v conv_output %y : (tensor<3x4x16xf16>, tensor<3x2x16xf16>, tensor<4x2x1xf16>, tensor<4xf16>, tensor<4xf16>, tensor<4xf16>, tensor<3x4x16xf16>) -> (tensor<3x2x16xf16>, tensor<4xf16>)
  return %z, %dinput, %dgamma : tensor<3x4x16xf16>, tensor<3x2x16xf16>, tensor<4xf16>
}

// CHECK-LABEL: func.func @eval_3d_f32_depthwise(
// CHECK: convbn.conv_bn eval %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} beta %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} {groups = 6 : i64, padding_high = array<i64: 1, 1, 1>, padding_low = array<i64: 1, 1, 1>} : (tensor<2x6x4x5x6xf32>, tensor<6x1x3x3x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x4x5x6xf32>, tensor<2x6x4x5x6xf32>)
// CHECK: convbn.backward eval grads <input|filter|gamma|beta> %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} beta %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} conv_output %{{[a-z0-9_]+}} {groups = 6 : i64, padding_high = array<i64: 1, 1, 1>, padding_low = array<i64: 1, 1, 1>} : (tensor<2x6x4x5x6xf32>, tensor<2x6x4x5x6xf32>, tensor<6x1x3x3x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x4x5x6xf32>) -> (tensor<2x6x4x5x6xf32>, tensor<6x1x3x3x3xf32>, tensor<6xf32>, tensor<6xf32>)
func.func @eval_3d_f32_depthwise(%x: tensor<2x6x4x5x6xf32>, %w: tensor<6x1x3x3x3xf32>, %g: tensor<6xf32>, %bt: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %gz: tensor<2x6x4x5x6xf32>) -> (tensor<2x6x4x5x6xf32>, tensor<2x6x4x5x6xf32>, tensor<6x1x3x3x3xf32>, tensor<6xf32>, tensor<6xf32>) {
  %z, %y = convbn.conv_bn eval %x, %w gamma %g beta %bt mean %m var %v {groups = 6 : i64, padding_high = array<i64: 1, 1, 1>, padding_low = array<i64: 1, 1, 1>} : (tensor<2x6x4x5x6xf32>, tensor<6x1x3x3x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x4x5x6xf32>, tensor<2x6x4x5x6xf32>)
  %dinput, %dfilter, %dgamma, %dbeta = convbn.backward eval grads <input|filter|gamma|beta> %gz, %x, %w gamma %g beta %bt mean %m var %v conv_output %y {groups = 6 : i64, padding_high = array<i64: 1, 1, 1>, padding_low = array<i64: 1, 1, 1>} : (tensor<2x6x4x5x6xf32>, tensor<2x6x4x5x6xf32>, tensor<6x1x3x3x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x4x5x6xf32>) -> (tensor<2x6x4x5x6xf32>, tensor<6x1x3x3x3xf32>, tensor<6xf32>, tensor<6xf32>)
  return %z, %dinput, %dfilter, %dgamma, %dbeta : tensor<2x6x4x5x6xf32>, tensor<2x6x4x5x6xf32>, tensor<6x1x3x3x3xf32>, tensor<6xf32>, tensor<6xf32>
}

// CHECK-LABEL: func.func @tune_2d_bf16_f32_stats_asymmetric_padding(
// CHECK: convbn.conv_bn tune %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} beta %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} {padding_high = array<i64: 2, 0>, padding_low = array<i64: 0, 1>} : (tensor<2x3x10x7xbf16>, tensor<8x3x3x2xbf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8x10x7xbf16>
// CHECK: convbn.backward tune grads <input|filter|bias|gamma|beta> %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} beta %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} {padding_high = array<i64: 2, 0>, padding_low = array<i64: 0, 1>} : (tensor<2x8x10x7xbf16>, tensor<2x3x10x7xbf16>, tensor<8x3x3x2xbf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<2x3x10x7xbf16>, tensor<8x3x3x2xbf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
func.func @tune_2d_bf16_f32_stats_asymmetric_padding(%x: tensor<2x3x10x7xbf16>, %w: tensor<8x3x3x2xbf16>, %b: tensor<8xf32>, %g: tensor<8xf32>, %bt: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %gz: tensor<2x8x10x7xbf16>) -> (tensor<2x8x10x7xbf16>, tensor<2x3x10x7xbf16>, tensor<8x3x3x2xbf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %z = convbn.conv_bn tune %x, %w bias %b gamma %g beta %bt mean %m var %v {padding_high = array<i64: 2, 0>, padding_low = array<i64: 0, 1>} : (tensor<2x3x10x7xbf16>, tensor<8x3x3x2xbf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8x10x7xbf16>
  %dinput, %dfilter, %dbias, %dgamma, %dbeta = convbn.backward tune grads <input|filter|bias|gamma|beta> %gz, %x, %w bias %b gamma %g beta %bt mean %m var %v {padding_high = array<i64: 2, 0>, padding_low = array<i64: 0, 1>} : (tensor<2x8x10x7xbf16>, tensor<2x3x10x7xbf16>, tensor<8x3x3x2xbf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<2x3x10x7xbf16>, tensor<8x3x3x2xbf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
  return %z, %dinput, %dfilter, %dbias, %dgamma, %dbeta : tensor<2x8x10x7xbf16>, tensor<2x3x10x7xbf16>, tensor<8x3x3x2xbf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// CHECK-LABEL: func.func @tune_1d_f32_no_bias_no_affine(
// CHECK: convbn.conv_bn tune %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} {strides = array<i64: 2>} : (tensor<1x5x33xf32>, tensor<10x5x7xf32>, tensor<10xf32>, tensor<10xf32>) -> tensor<1x10x14xf32>
// CHECK: convbn.backward tune grads <input|filter> %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} {strides = array<i64: 2>} : (tensor<1x10x14xf32>, tensor<1x5x33xf32>, tensor<10x5x7xf32>, tensor<10xf32>, tensor<10xf32>) -> (tensor<1x5x33xf32>, tensor<10x5x7xf32>)
func.func @tune_1d_f32_no_bias_no_affine(%x: tensor<1x5x33xf32>, %w: tensor<10x5x7xf32>, %m: tensor<10xf32>, %v: tensor<10xf32>, %gz: tensor<1x10x14xf32>) -> (tensor<1x10x14xf32>, tensor<1x5x33xf32>, tensor<10x5x7xf32>) {
  %z = convbn.conv_bn tune %x, %w mean %m var %v {strides = array<i64: 2>} : (tensor<1x5x33xf32>, tensor<10x5x7xf32>, tensor<10xf32>, tensor<10xf32>) -> tensor<1x10x14xf32>
  %dinput, %dfilter = convbn.backward tune grads <input|filter> %gz, %x, %w mean %m var %v {strides = array<i64: 2>} : (tensor<1x10x14xf32>, tensor<1x5x33xf32>, tensor<10x5x7xf32>, tensor<10xf32>, tensor<10xf32>) -> (tensor<1x5x33xf32>, tensor<10x5x7xf32>)
  return %z, %dinput, %dfilter : tensor<1x10x14xf32>, tensor<1x5x33xf32>, tensor<10x5x7xf32>
}

// CHECK-LABEL: func.func @tune_3d_f16_f32_stats_grouped(
// CHECK: convbn.conv_bn tune %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} beta %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} {groups = 2 : i64, strides = array<i64: 2, 2, 2>} : (tensor<2x4x6x6x6xf16>, tensor<8x2x3x3x3xf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8x2x2x2xf16>
// CHECK: convbn.backward tune grads <filter|bias|gamma|beta> %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias %{{[a-z0-9_]+}} gamma %{{[a-z0-9_]+}} beta %{{[a-z0-9_]+}} mean %{{[a-z0-9_]+}} var %{{[a-z0-9_]+}} {groups = 2 : i64, strides = array<i64: 2, 2, 2>} : (tensor<2x8x2x2x2xf16>, tensor<2x4x6x6x6xf16>, tensor<8x2x3x3x3xf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8x2x3x3x3xf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
func.func @tune_3d_f16_f32_stats_grouped(%x: tensor<2x4x6x6x6xf16>, %w: tensor<8x2x3x3x3xf16>, %b: tensor<8xf32>, %g: tensor<8xf32>, %bt: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %gz: tensor<2x8x2x2x2xf16>) -> (tensor<2x8x2x2x2xf16>, tensor<8x2x3x3x3xf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %z = convbn.conv_bn tune %x, %w bias %b gamma %g beta %bt mean %m var %v {groups = 2 : i64, strides = array<i64: 2, 2, 2>} : (tensor<2x4x6x6x6xf16>, tensor<8x2x3x3x3xf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8x2x2x2xf16>
  %dfilter, %dbias, %dgamma, %dbeta = convbn.backward tune grads <filter|bias|gamma|beta> %gz, %x, %w bias %b gamma %g beta %bt mean %m var %v {groups = 2 : i64, strides = array<i64: 2, 2, 2>} : (tensor<2x8x2x2x2xf16>, tensor<2x4x6x6x6xf16>, tensor<8x2x3x3x3xf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8x2x3x3x3xf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>)
  return %z, %dfilter, %dbias, %dgamma, %dbeta : tensor<2x8x2x2x2xf16>, tensor<8x2x3x3x3xf16>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// CHECK-LABEL: func.func @deploy_2d_f32(
// CHECK: convbn.conv_bn deploy %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias %{{[a-z0-9_]+}} {padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>} : (tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<4x8x8x8xf32>
// CHECK: convbn.backward deploy grads <input|filter|bias> %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias %{{[a-z0-9_]+}} {padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>} : (tensor<4x8x8x8xf32>, tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> (tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>)
func.func @deploy_2d_f32(%x: tensor<4x3x8x8xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>, %gz: tensor<4x8x8x8xf32>) -> (tensor<4x8x8x8xf32>, tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) {
  %z = convbn.conv_bn deploy %x, %w bias %b {padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>} : (tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<4x8x8x8xf32>
  %dinput, %dfilter, %dbias = convbn.backward deploy grads <input|filter|bias> %gz, %x, %w bias %b {padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>} : (tensor<4x8x8x8xf32>, tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> (tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>)
  return %z, %dinput, %dfilter, %dbias : tensor<4x8x8x8xf32>, tensor<4x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>
}

// CHECK-LABEL: func.func @deploy_1d_bf16_no_bias(
// CHECK: convbn.conv_bn deploy %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x3x9xbf16>, tensor<4x3x3xbf16>) -> tensor<2x4x7xbf16>
// CHECK: convbn.backward deploy grads <input> %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} : (tensor<2x4x7xbf16>, tensor<2x3x9xbf16>, tensor<4x3x3xbf16>) -> tensor<2x3x9xbf16>
func.func @deploy_1d_bf16_no_bias(%x: tensor<2x3x9xbf16>, %w: tensor<4x3x3xbf16>, %gz: tensor<2x4x7xbf16>) -> (tensor<2x4x7xbf16>, tensor<2x3x9xbf16>) {
  %z = convbn.conv_bn deploy %x, %w : (tensor<2x3x9xbf16>, tensor<4x3x3xbf16>) -> tensor<2x4x7xbf16>
  %dinput = convbn.backward deploy grads <input> %gz, %x, %w : (tensor<2x4x7xbf16>, tensor<2x3x9xbf16>, tensor<4x3x3xbf16>) -> tensor<2x3x9xbf16>
  return %z, %dinput : tensor<2x4x7xbf16>, tensor<2x3x9xbf16>
}

// CHECK-LABEL: func.func @deploy_3d_f16_f32_bias(
// CHECK: convbn.conv_bn deploy %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}} bias %{{[a-z0-9_]+}} : (tensor<1x2x3x4x5xf16>, tensor<4x2x1x1x1xf16>, tensor<4xf32>) -> tensor<1x4x3x4x5xf16>
func.func @deploy_3d_f16_f32_bias(%x: tensor<1x2x3x4x5xf16>, %w: tensor<4x2x1x1x1xf16>, %b: tensor<4xf32>) -> (tensor<1x4x3x4x5xf16>) {
  %z = convbn.conv_bn deploy %x, %w bias %b : (tensor<1x2x3x4x5xf16>, tensor<4x2x1x1x1xf16>, tensor<4xf32>) -> tensor<1x4x3x4x5xf16>
  return %z : tensor<1x4x3x4x5xf16>
}

// Dynamic batch and spatial sizes are allowed; static dims are still checked.
// CHECK-LABEL: func.func @tune_2d_dynamic_batch(
// CHECK: convbn.conv_bn tune %{{.*}}, %{{.*}} gamma %{{.*}} beta %{{.*}} mean %{{.*}} var %{{.*}} : (tensor<?x3x8x?xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x6x?xf32>
func.func @tune_2d_dynamic_batch(%x: tensor<?x3x8x?xf32>, %w: tensor<4x3x3x3xf32>, %g: tensor<4xf32>, %bt: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<?x4x6x?xf32> {
  %z = convbn.conv_bn tune %x, %w gamma %g beta %bt mean %m var %v : (tensor<?x3x8x?xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x6x?xf32>
  return %z : tensor<?x4x6x?xf32>
}

// Non-default BN attributes print; defaults are elided.
// CHECK-LABEL: func.func @train_bn_attributes(
// CHECK: convbn.conv_bn train %{{.*}}, %{{.*}} mean %{{.*}} var %{{.*}} {epsilon = 1.000000e-03 : f64, momentum = 0.000000e+00 : f64}
// CHECK: convbn.conv_bn train %{{.*}}, %{{.*}} mean %{{.*}} var %{{.*}} :
func.func @train_bn_attributes(%x: tensor<2x2x4xf32>, %w: tensor<2x2x1xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>) -> (tensor<2x2x4xf32>, tensor<2x2x4xf32>) {
  %z, %y, %rm, %rv, %bm, %bi = convbn.conv_bn train %x, %w mean %m var %v {epsilon = 1.0e-3 : f64, momentum = 0.0 : f64} : (tensor<2x2x4xf32>, tensor<2x2x1xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<2x2x4xf32>, tensor<2x2x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
  %z2, %y2, %rm2, %rv2, %bm2, %bi2 = convbn.conv_bn train %x, %w mean %m var %v {epsilon = 1.0e-5 : f64, momentum = 0.1 : f64} : (tensor<2x2x4xf32>, tensor<2x2x1xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<2x2x4xf32>, tensor<2x2x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
  return %z, %z2 : tensor<2x2x4xf32>, tensor<2x2x4xf32>
}

// CHECK-LABEL: func.func @fold(
// CHECK: convbn.fold %{{.*}} bias %{{.*}} gamma %{{.*}} beta %{{.*}} mean %{{.*}} var %{{.*}} {epsilon = 1.000000e-03 : f64} : (tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8x3x3x3xf32>, tensor<8xf32>)
// CHECK: convbn.fold %{{.*}} mean %{{.*}} var %{{.*}} : (tensor<4x2x5xf16>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4x2x5xf16>, tensor<4xf32>)
func.func @fold(%w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>, %g: tensor<8xf32>, %bt: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %w16: tensor<4x2x5xf16>, %m4: tensor<4xf32>, %v4: tensor<4xf32>) -> (tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<4x2x5xf16>, tensor<4xf32>) {
  %wf, %bf = convbn.fold %w bias %b gamma %g beta %bt mean %m var %v {epsilon = 1.0e-3 : f64} : (tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<8x3x3x3xf32>, tensor<8xf32>)
  %wf16, %bf16 = convbn.fold %w16 mean %m4 var %v4 : (tensor<4x2x5xf16>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4x2x5xf16>, tensor<4xf32>)
  return %wf, %bf, %wf16, %bf16 : tensor<8x3x3x3xf32>, tensor<8xf32>, tensor<4x2x5xf16>, tensor<4xf32>
}

// The attributes standalone.
// CHECK-LABEL: func.func @attributes(
// CHECK-SAME: grads = #convbn.grad_mask<input|gamma>, mode = #convbn<mode deploy>
func.func @attributes() attributes {mode = #convbn<mode deploy>, grads = #convbn.grad_mask<input|gamma>} {
  return
}
