// gamma has 3 values for 6 output channels.
func.func @f(%w: tensor<6x4x3xf32>, %g: tensor<3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) -> tensor<6x4x3xf32> {
  %wf, %bf = convbn.fold %w gamma %g mean %m var %v : (tensor<6x4x3xf32>, tensor<3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<6x4x3xf32>, tensor<6xf32>)
  return %wf : tensor<6x4x3xf32>
}
