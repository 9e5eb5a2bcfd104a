// The output should be 2x6x6 (8 - 3 + 1).
func.func @f(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>,
             %v: tensor<6xf32>) -> tensor<2x6x8xf32> {
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x8xf32>
  return %z : tensor<2x6x8xf32>
}
