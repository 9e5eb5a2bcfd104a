// RUN: convbn-opt %s -convbn-extract-blocks | FileCheck %s --check-prefix=TUNE
// RUN: convbn-opt %s -convbn-extract-blocks=mode=eval | FileCheck %s --check-prefix=EVAL
// RUN: convbn-opt %s -convbn-extract-blocks=weights-backward=true | FileCheck %s --check-prefix=WEIGHTS
// RUN: not convbn-opt %s -convbn-extract-blocks=mode=train 2>&1 | FileCheck %s --check-prefix=BADMODE

// Two blocks with the same signature and attributes share one function
// pair; the third (with a bias, stride 2) gets its own.

// TUNE: module attributes {convbn.block_of = array<i64: 0, 0, 1>}
// TUNE: func.func @block0_forward(%[[X:.*]]: tensor<2x4x8x8xf32>, %[[W:.*]]: tensor<4x4x3x3xf32>, %[[G:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>, %[[M:.*]]: tensor<4xf32>, %[[V:.*]]: tensor<4xf32>) -> tensor<2x4x8x8xf32> attributes {llvm.emit_c_interface}
// TUNE:   convbn.conv_bn tune %[[X]], %[[W]] gamma %[[G]] beta %[[B]] mean %[[M]] var %[[V]] {padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>}
// TUNE: func.func @block0_backward(%[[DZ:[a-z0-9]+]]: tensor<2x4x8x8xf32>, %{{.*}}) -> (tensor<2x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
// TUNE:   convbn.backward tune grads <input|filter|gamma|beta> %[[DZ]]
// TUNE: func.func @block1_forward({{.*}}tensor<4xf32>{{.*}}) -> tensor<2x4x4x4xf32>
// TUNE: func.func @block1_backward
// TUNE-SAME: -> (tensor<2x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// TUNE:   convbn.backward tune grads <input|filter|bias|gamma|beta>
// TUNE-NOT: func.func @net

// EVAL: func.func @block0_forward({{.*}}) -> (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>)
// EVAL:   convbn.conv_bn eval
// EVAL: func.func @block0_backward({{.*}}, %[[Y:[a-z0-9]+]]: tensor<2x4x8x8xf32>) ->
// EVAL:   convbn.backward eval {{.*}} conv_output %[[Y]]

// With weights-backward, block 0 (whose first use reads the function's
// argument %x) also gets a backward without the input gradient; block 1
// (reading %z1 only) does not.

// WEIGHTS: func.func @block0_backward(
// WEIGHTS:   convbn.backward tune grads <input|filter|gamma|beta>
// WEIGHTS: func.func @block0_backward_weights(%[[DZ:[a-z0-9]+]]: tensor<2x4x8x8xf32>, %{{.*}}) -> (tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) attributes {llvm.emit_c_interface}
// WEIGHTS:   convbn.backward tune grads <filter|gamma|beta> %[[DZ]],
// WEIGHTS: func.func @block1_forward
// WEIGHTS: func.func @block1_backward(
// WEIGHTS-NOT: func.func @block1_backward_weights

// BADMODE: error: convbn-extract-blocks: mode must be 'tune' or 'eval', not 'train'

func.func @net(%x: tensor<2x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<4xf32>,
               %g: tensor<4xf32>, %bt: tensor<4xf32>, %m: tensor<4xf32>,
               %v: tensor<4xf32>) -> tensor<2x4x4x4xf32> {
  %z0, %y0 = convbn.conv_bn eval %x, %w gamma %g beta %bt mean %m var %v
      {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>}
      : (tensor<2x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>)
  %z1, %y1 = convbn.conv_bn eval %z0, %w gamma %g beta %bt mean %m var %v
      {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>}
      : (tensor<2x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>)
  %z2, %y2 = convbn.conv_bn eval %z1, %w bias %b gamma %g beta %bt mean %m var %v
      {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>, strides = array<i64: 2, 2>}
      : (tensor<2x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x4x4xf32>, tensor<2x4x4x4xf32>)
  return %z2 : tensor<2x4x4x4xf32>
}
