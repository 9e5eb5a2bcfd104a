// One ConvBN block in eval mode, forward and backward, with 128 channels in
// and out: every tensor-core GEMM (forward, backward-data, filter gradient)
// has M = 128, so that tensor-core-block-m=128 gives each of them blocks of
// 128 rows (a kernel of 64 rows or fewer keeps 64, as in
// examples/one_block.mlir).
func.func @tall_block(%x: tensor<2x128x16x16xf32>, %w: tensor<128x128x3x3xf32>,
                      %g: tensor<128xf32>, %bt: tensor<128xf32>,
                      %m: tensor<128xf32>, %v: tensor<128xf32>,
                      %dz: tensor<2x128x16x16xf32>)
    -> (tensor<2x128x16x16xf32>, tensor<2x128x16x16xf32>,
        tensor<128x128x3x3xf32>, tensor<128xf32>, tensor<128xf32>) {
  %z, %y = convbn.conv_bn eval %x, %w gamma %g beta %bt mean %m var %v
      {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>}
      : (tensor<2x128x16x16xf32>, tensor<128x128x3x3xf32>, tensor<128xf32>,
         tensor<128xf32>, tensor<128xf32>, tensor<128xf32>)
      -> (tensor<2x128x16x16xf32>, tensor<2x128x16x16xf32>)
  %dx, %dw, %dg, %dbt = convbn.backward eval grads <input|filter|gamma|beta>
      %dz, %x, %w gamma %g beta %bt mean %m var %v conv_output %y
      {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>}
      : (tensor<2x128x16x16xf32>, tensor<2x128x16x16xf32>,
         tensor<128x128x3x3xf32>, tensor<128xf32>, tensor<128xf32>,
         tensor<128xf32>, tensor<128xf32>, tensor<2x128x16x16xf32>)
      -> (tensor<2x128x16x16xf32>, tensor<128x128x3x3xf32>, tensor<128xf32>,
          tensor<128xf32>)
  return %z, %dx, %dw, %dg, %dbt
      : tensor<2x128x16x16xf32>, tensor<2x128x16x16xf32>,
        tensor<128x128x3x3xf32>, tensor<128xf32>, tensor<128xf32>
}
