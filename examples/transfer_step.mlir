// One transfer-learning step through two ConvBN blocks, as a framework runs it
// today: batch norm in eval mode (running statistics), parameters trainable.
// Forward keeps each block's conv output for backward; backward asks for the
// gradients of every parameter and of the input of the second block.
//
//   block 1: 3x3 conv, 16 -> 32 channels, stride 1, padding 1, conv bias
//   block 2: 1x1 conv, 32 -> 64 channels, stride 2, no conv bias
//
// `scripts/dev.sh demo` rewrites it into tune mode and lowers tune to a fold
// plus a folded convolution (see docs/pipeline.md).

func.func @train_step(
    %x: tensor<8x16x28x28xf32>,
    %w1: tensor<32x16x3x3xf32>, %b1: tensor<32xf32>, %g1: tensor<32xf32>,
    %bt1: tensor<32xf32>, %m1: tensor<32xf32>, %v1: tensor<32xf32>,
    %w2: tensor<64x32x1x1xf32>, %g2: tensor<64xf32>, %bt2: tensor<64xf32>,
    %m2: tensor<64xf32>, %v2: tensor<64xf32>,
    %dz2: tensor<8x64x14x14xf32>)
    -> (tensor<8x64x14x14xf32>,
        tensor<32x16x3x3xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>,
        tensor<64x32x1x1xf32>, tensor<64xf32>, tensor<64xf32>) {
  // Forward.
  %z1, %y1 = convbn.conv_bn eval %x, %w1 bias %b1 gamma %g1 beta %bt1
      mean %m1 var %v1
      {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>}
      : (tensor<8x16x28x28xf32>, tensor<32x16x3x3xf32>, tensor<32xf32>,
         tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>)
      -> (tensor<8x32x28x28xf32>, tensor<8x32x28x28xf32>)
  %z2, %y2 = convbn.conv_bn eval %z1, %w2 gamma %g2 beta %bt2 mean %m2 var %v2
      {strides = array<i64: 2, 2>}
      : (tensor<8x32x28x28xf32>, tensor<64x32x1x1xf32>, tensor<64xf32>,
         tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
      -> (tensor<8x64x14x14xf32>, tensor<8x64x14x14xf32>)

  // Backward, block 2 then block 1.
  %dz1, %dw2, %dg2, %dbt2 = convbn.backward eval
      grads <input|filter|gamma|beta> %dz2, %z1, %w2 gamma %g2 beta %bt2
      mean %m2 var %v2 conv_output %y2 {strides = array<i64: 2, 2>}
      : (tensor<8x64x14x14xf32>, tensor<8x32x28x28xf32>,
         tensor<64x32x1x1xf32>, tensor<64xf32>, tensor<64xf32>,
         tensor<64xf32>, tensor<64xf32>, tensor<8x64x14x14xf32>)
      -> (tensor<8x32x28x28xf32>, tensor<64x32x1x1xf32>, tensor<64xf32>,
          tensor<64xf32>)
  %dw1, %db1, %dg1, %dbt1 = convbn.backward eval
      grads <filter|bias|gamma|beta> %dz1, %x, %w1 bias %b1 gamma %g1
      beta %bt1 mean %m1 var %v1 conv_output %y1
      {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>}
      : (tensor<8x32x28x28xf32>, tensor<8x16x28x28xf32>,
         tensor<32x16x3x3xf32>, tensor<32xf32>, tensor<32xf32>,
         tensor<32xf32>, tensor<32xf32>, tensor<32xf32>,
         tensor<8x32x28x28xf32>)
      -> (tensor<32x16x3x3xf32>, tensor<32xf32>, tensor<32xf32>,
          tensor<32xf32>)

  return %z2, %dw1, %db1, %dg1, %dbt1, %dw2, %dg2, %dbt2
      : tensor<8x64x14x14xf32>,
        tensor<32x16x3x3xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>,
        tensor<64x32x1x1xf32>, tensor<64xf32>, tensor<64xf32>
}
