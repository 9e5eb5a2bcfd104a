// Eval-mode backward without the conv output the forward pass kept.
func.func @f(%gz: tensor<2x6x6xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) -> tensor<2x4x8xf32> {
  %dx = convbn.backward eval grads <input> %gz, %x, %w mean %m var %v : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x4x8xf32>
  return %dx : tensor<2x4x8xf32>
}
