// One ConvBN block in eval mode, forward and backward: the example that
// docs/pipeline.md walks through the pipeline.
func.func @block(%x: tensor<8x16x32x32xf32>, %w: tensor<32x16x3x3xf32>,
                 %g: tensor<32xf32>, %bt: tensor<32xf32>,
                 %m: tensor<32xf32>, %v: tensor<32xf32>,
                 %dz: tensor<8x32x32x32xf32>)
    -> (tensor<8x32x32x32xf32>, tensor<8x16x32x32xf32>,
        tensor<32x16x3x3xf32>, tensor<32xf32>, tensor<32xf32>) {
  %z, %y = convbn.conv_bn eval %x, %w gamma %g beta %bt mean %m var %v
      {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>}
      : (tensor<8x16x32x32xf32>, tensor<32x16x3x3xf32>, tensor<32xf32>,
         tensor<32xf32>, tensor<32xf32>, tensor<32xf32>)
      -> (tensor<8x32x32x32xf32>, tensor<8x32x32x32xf32>)
  %dx, %dw, %dg, %dbt = convbn.backward eval grads <input|filter|gamma|beta>
      %dz, %x, %w gamma %g beta %bt mean %m var %v conv_output %y
      {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>}
      : (tensor<8x32x32x32xf32>, tensor<8x16x32x32xf32>,
         tensor<32x16x3x3xf32>, tensor<32xf32>, tensor<32xf32>,
         tensor<32xf32>, tensor<32xf32>, tensor<8x32x32x32xf32>)
      -> (tensor<8x16x32x32xf32>, tensor<32x16x3x3xf32>, tensor<32xf32>,
          tensor<32xf32>)
  return %z, %dx, %dw, %dg, %dbt
      : tensor<8x32x32x32xf32>, tensor<8x16x32x32xf32>,
        tensor<32x16x3x3xf32>, tensor<32xf32>, tensor<32xf32>
}
