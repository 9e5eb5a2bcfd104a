// Every verifier error of the convbn ops, one case each: the message names the
// operand, result or attribute and gives the expected and the actual value.

// RUN: convbn-opt %s -split-input-file -verify-diagnostics

// epsilon must be positive
func.func @f0(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'epsilon' must be > 0, but is 0}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {epsilon = 0.0 : f64} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// epsilon must be positive (negative)
func.func @f1(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'epsilon' must be > 0, but is -1}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {epsilon = -1.0 : f64} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// momentum above 1
func.func @f2(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'momentum' must be in [0, 1], but is 1.5}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {momentum = 1.5 : f64} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// momentum below 0
func.func @f3(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'momentum' must be in [0, 1], but is -0.1}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {momentum = -0.1 : f64} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// groups must be >= 1
func.func @f4(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'groups' must be >= 1, but is 0}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {groups = 0 : i64} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// strides: one per spatial dimension
func.func @f5(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'strides' must have 1 values (one per spatial dimension), but has 2}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {strides = array<i64: 1, 1>} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// strides >= 1
func.func @f6(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'strides' values must be >= 1, but value 0 is 0}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {strides = array<i64: 0>} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// dilations >= 1
func.func @f7(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'dilations' values must be >= 1, but value 0 is -2}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {dilations = array<i64: -2>} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// dilations: one per spatial dimension
func.func @f8(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'dilations' must have 1 values (one per spatial dimension), but has 0}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {dilations = array<i64>} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// padding_low >= 0
func.func @f9(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'padding_low' values must be >= 0, but value 0 is -1}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {padding_low = array<i64: -1>} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// padding_high: one per spatial dimension
func.func @f10(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'padding_high' must have 1 values (one per spatial dimension), but has 3}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {padding_high = array<i64: 0, 0, 0>} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// dilated kernel larger than the padded input
func.func @f11(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{spatial dimension 0: the dilated kernel (extent 9) must fit in the padded input (extent 8)}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {dilations = array<i64: 4>} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x1xf32>
  return
}

// -----

// input rank
func.func @f12(%x: tensor<2x4xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'input' must have rank 3, 4 or 5 (N, C and 1-3 spatial dimensions), but has rank 2}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// input element type
func.func @f13(%x: tensor<2x4x8xi32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'input' element type must be f32, f16 or bf16, but is 'i32'}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xi32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// input element type f64
func.func @f14(%x: tensor<2x4x8xf64>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'input' element type must be f32, f16 or bf16, but is 'f64'}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xf64>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// filter element type differs from the input's
func.func @f15(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf16>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'filter' element type must be 'f32' (the input's), but is 'f16'}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf16>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// filter rank differs from the input's
func.func @f16(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'filter' must have rank 3 (the input's), but has rank 4}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// kernel dimension of size 0
func.func @f17(%x: tensor<2x4x8xf32>, %w: tensor<6x4x0xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'filter' kernel dimension 0 must be >= 1, but is 0}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x0xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x9xf32>
  return
}

// -----

// per-channel vector rank
func.func @f18(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6x1xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'running_mean' must be a 1-D tensor (one value per output channel), but has rank 2}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6x1xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// per-channel vector length
func.func @f19(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<5xf32>) {
  // expected-error @+1 {{'running_var' must have 6 elements (the filter's output channels), but has 5}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<5xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// bias length
func.func @f20(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'bias' must have 6 elements (the filter's output channels), but has 4}}
  %z = convbn.conv_bn tune %x, %w bias %b mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<4xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// statistics type is neither the activation type nor f32
func.func @f21(%x: tensor<2x4x8xbf16>, %w: tensor<6x4x3xbf16>, %m: tensor<6xf16>, %v: tensor<6xf16>) {
  // expected-error @+1 {{'running_mean' element type must be 'bf16' (the filter's) or f32, but is 'f16'}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xbf16>, tensor<6x4x3xbf16>, tensor<6xf16>, tensor<6xf16>) -> tensor<2x6x6xbf16>
  return
}

// -----

// per-channel vectors disagree on their type
func.func @f22(%x: tensor<2x4x8xf16>, %w: tensor<6x4x3xf16>, %g: tensor<6xf16>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'running_mean' element type must be 'f16' (the type of 'gamma'), but is 'f32'}}
  %z = convbn.conv_bn tune %x, %w gamma %g mean %m var %v : (tensor<2x4x8xf16>, tensor<6x4x3xf16>, tensor<6xf16>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf16>
  return
}

// -----

// input channels not divisible by groups
func.func @f23(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'input' channels (4) must be divisible by 'groups' (3)}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {groups = 3 : i64} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// output channels not divisible by groups
func.func @f24(%x: tensor<2x4x8xf32>, %w: tensor<6x1x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'filter' output channels (6) must be divisible by 'groups' (4)}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {groups = 4 : i64} : (tensor<2x4x8xf32>, tensor<6x1x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// filter input channels
func.func @f25(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'filter' dimension 1 must be 2 (input channels 4 / groups 2), but is 4}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {groups = 2 : i64} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// filter input channels, no groups
func.func @f26(%x: tensor<2x4x8xf32>, %w: tensor<6x3x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'filter' dimension 1 must be 4 (input channels 4 / groups 1), but is 3}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x3x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// eval needs the running mean
func.func @f27(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{eval mode needs 'running_mean'}}
  %r0, %r1 = convbn.conv_bn eval %x, %w var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>)
  return
}

// -----

// tune needs the running variance
func.func @f28(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{tune mode needs 'running_var'}}
  %z = convbn.conv_bn tune %x, %w mean %m : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// train needs the running statistics
func.func @f29(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{train mode needs 'running_mean'}}
  %r0, %r1, %r2, %r3, %r4, %r5 = convbn.conv_bn train %x, %w : (tensor<2x4x8xf32>, tensor<6x4x3xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>)
  return
}

// -----

// deploy takes folded weights
func.func @f30(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{deploy mode takes folded weights, so 'gamma' must be absent (fold it into the filter and bias with convbn.fold)}}
  %z = convbn.conv_bn deploy %x, %w gamma %m : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// deploy takes no statistics
func.func @f31(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{deploy mode takes folded weights, so 'running_mean' must be absent}}
  %z = convbn.conv_bn deploy %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// eval has two results
func.func @f32(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{eval mode has 2 results, but the op has 1}}
  %z = convbn.conv_bn eval %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// tune has one result
func.func @f33(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{tune mode has 1 results, but the op has 2}}
  %r0, %r1 = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>)
  return
}

// -----

// train has six results
func.func @f34(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{train mode has 6 results, but the op has 2}}
  %r0, %r1 = convbn.conv_bn train %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>)
  return
}

// -----

// output shape
func.func @f35(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{result 'output' must be 'tensor<2x6x6xf32>' (shape from input, filter, strides, padding and dilations), but is 'tensor<2x6x8xf32>'}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x8xf32>
  return
}

// -----

// output shape with stride and padding
func.func @f36(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{result 'output' must be 'tensor<2x6x4xf32>' (shape from input, filter, strides, padding and dilations), but is 'tensor<2x6x3xf32>'}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {strides = array<i64: 2>, padding_low = array<i64: 1>, padding_high = array<i64: 0>} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x3xf32>
  return
}

// -----

// output element type
func.func @f37(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{result 'output' must be 'tensor<2x6x6xf32>' (shape from input, filter, strides, padding and dilations), but is 'tensor<2x6x6xf16>'}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf16>
  return
}

// -----

// output rank
func.func @f38(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{result 'output' must be 'tensor<2x6x6xf32>' (shape from input, filter, strides, padding and dilations), but is 'tensor<2x6x6x1xf32>'}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6x1xf32>
  return
}

// -----

// conv_output type
func.func @f39(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{result 'conv_output' must be 'tensor<2x6x6xf32>' (shape from input, filter, strides, padding and dilations), but is 'tensor<2x6x5xf32>'}}
  %r0, %r1 = convbn.conv_bn eval %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x5xf32>)
  return
}

// -----

// train statistics type
func.func @f40(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{result 'batch_inv_std' must be 'tensor<6xf32>' (one value per output channel), but is 'tensor<6xf16>'}}
  %r0, %r1, %r2, %r3, %r4, %r5 = convbn.conv_bn train %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf16>)
  return
}

// -----

// fold: filter rank
func.func @f41(%w: tensor<6x4xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'filter' must have rank 3, 4 or 5 (O, C/groups and 1-3 kernel dimensions), but has rank 2}}
  %r0, %r1 = convbn.fold %w mean %m var %v : (tensor<6x4xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<6x4xf32>, tensor<6xf32>)
  return
}

// -----

// fold: folded filter type
func.func @f42(%w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{result 'folded_filter' must be 'tensor<6x4x3xf32>' (the filter's type), but is 'tensor<6x4x3xf16>'}}
  %r0, %r1 = convbn.fold %w mean %m var %v : (tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<6x4x3xf16>, tensor<6xf32>)
  return
}

// -----

// fold: folded bias type
func.func @f43(%w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{result 'folded_bias' must be 'tensor<6xf32>' (one value per output channel), but is 'tensor<3xf32>'}}
  %r0, %r1 = convbn.fold %w mean %m var %v : (tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<6x4x3xf32>, tensor<3xf32>)
  return
}

// -----

// fold: epsilon
func.func @f44(%w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'epsilon' must be > 0, but is 0}}
  %r0, %r1 = convbn.fold %w mean %m var %v {epsilon = 0.0 : f64} : (tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<6x4x3xf32>, tensor<6xf32>)
  return
}

// -----

// fold: statistics length
func.func @f45(%w: tensor<6x4x3xf32>, %m: tensor<2xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{'running_mean' must have 6 elements (the filter's output channels), but has 2}}
  %r0, %r1 = convbn.fold %w mean %m var %v : (tensor<6x4x3xf32>, tensor<2xf32>, tensor<6xf32>) -> (tensor<6x4x3xf32>, tensor<6xf32>)
  return
}

// -----

// backward: grad_output type
func.func @f46(%gz: tensor<2x6x7xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %b: tensor<6xf32>, %g: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %y: tensor<2x6x6xf32>) {
  // expected-error @+1 {{operand 'grad_output' must be 'tensor<2x6x6xf32>' (the block's output), but is 'tensor<2x6x7xf32>'}}
  %z = convbn.backward tune grads <input> %gz, %x, %w mean %m var %v : (tensor<2x6x7xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

// backward: eval needs the conv output
func.func @f47(%gz: tensor<2x6x6xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %b: tensor<6xf32>, %g: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %y: tensor<2x6x6xf32>) {
  // expected-error @+1 {{eval mode needs 'conv_output' from the forward pass}}
  %z = convbn.backward eval grads <input> %gz, %x, %w mean %m var %v : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

// backward: tune keeps no conv output
func.func @f48(%gz: tensor<2x6x6xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %b: tensor<6xf32>, %g: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %y: tensor<2x6x6xf32>) {
  // expected-error @+1 {{tune mode keeps no 'conv_output' from the forward pass, so it must be absent}}
  %z = convbn.backward tune grads <input> %gz, %x, %w mean %m var %v conv_output %y : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x6xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

// backward: train needs the batch statistics
func.func @f49(%gz: tensor<2x6x6xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %b: tensor<6xf32>, %g: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %y: tensor<2x6x6xf32>) {
  // expected-error @+1 {{train mode needs 'batch_mean' from the forward pass}}
  %z = convbn.backward train grads <input> %gz, %x, %w mean %m var %v conv_output %y : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x6xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

// backward: eval keeps no batch statistics
func.func @f50(%gz: tensor<2x6x6xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %b: tensor<6xf32>, %g: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %y: tensor<2x6x6xf32>) {
  // expected-error @+1 {{eval mode keeps no 'batch_mean' from the forward pass, so it must be absent}}
  %z = convbn.backward eval grads <input> %gz, %x, %w mean %m var %v conv_output %y batch_mean %m : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x6xf32>, tensor<6xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

// backward: conv output type
func.func @f51(%gz: tensor<2x6x6xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %b: tensor<6xf32>, %g: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %y: tensor<2x6x6xf16>) {
  // expected-error @+1 {{operand 'conv_output' must be 'tensor<2x6x6xf32>' (the block's output), but is 'tensor<2x6x6xf16>'}}
  %z = convbn.backward eval grads <input> %gz, %x, %w mean %m var %v conv_output %y : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x6xf16>) -> tensor<2x4x8xf32>
  return
}

// -----

// backward: batch statistics type
func.func @f52(%gz: tensor<2x6x6xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %b: tensor<6xf32>, %g: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %y: tensor<2x6x6xf32>) {
  // expected-error @+1 {{operand 'batch_inv_std' must be 'tensor<6xf32>' (one value per output channel), but is 'tensor<2x6x6xf32>'}}
  %z = convbn.backward train grads <input> %gz, %x, %w mean %m var %v conv_output %y batch_mean %m batch_inv_std %y : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x6xf32>, tensor<6xf32>, tensor<2x6x6xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

// backward: result count
func.func @f53(%gz: tensor<2x6x6xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %b: tensor<6xf32>, %g: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %y: tensor<2x6x6xf32>) {
  // expected-error @+1 {{'grads' asks for 2 gradients, but the op has 1 results}}
  %z = convbn.backward tune grads <input|filter> %gz, %x, %w mean %m var %v : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

// backward: gradient of a missing bias
func.func @f54(%gz: tensor<2x6x6xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %b: tensor<6xf32>, %g: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %y: tensor<2x6x6xf32>) {
  // expected-error @+1 {{'grads' asks for the gradient of 'bias', but the block has no 'bias'}}
  %z = convbn.backward tune grads <bias> %gz, %x, %w mean %m var %v : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<6xf32>
  return
}

// -----

// backward: gradient of gamma in deploy mode
func.func @f55(%gz: tensor<2x6x6xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %b: tensor<6xf32>, %g: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %y: tensor<2x6x6xf32>) {
  // expected-error @+1 {{'grads' asks for the gradient of 'gamma', but the block has no 'gamma'}}
  %r0, %r1 = convbn.backward deploy grads <input|gamma> %gz, %x, %w bias %b : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>) -> (tensor<2x4x8xf32>, tensor<6xf32>)
  return
}

// -----

// backward: gradient type
func.func @f56(%gz: tensor<2x6x6xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %b: tensor<6xf32>, %g: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %y: tensor<2x6x6xf32>) {
  // expected-error @+1 {{result 'grad_filter' must be 'tensor<6x4x3xf32>' (the type of 'filter'), but is 'tensor<6x4x3xf16>'}}
  %r0, %r1 = convbn.backward tune grads <input|filter> %gz, %x, %w gamma %g mean %m var %v : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x4x8xf32>, tensor<6x4x3xf16>)
  return
}

// -----

// backward: block contract is shared
func.func @f57(%gz: tensor<2x6x6xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %b: tensor<6xf32>, %g: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %y: tensor<2x6x6xf32>) {
  // expected-error @+1 {{deploy mode takes folded weights, so 'running_mean' must be absent}}
  %z = convbn.backward deploy grads <input> %gz, %x, %w mean %m var %v : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

// An unknown mode is a parse error that lists the modes.
func.func @bad_mode(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{expected a mode (train, eval, deploy or tune), but got 'infer'}}
  %z = convbn.conv_bn infer %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// An unknown gradient name is a parse error.
func.func @bad_grad(%gz: tensor<2x6x6xf32>, %x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+2 {{expected ::mlir::convbn::GradMask to be one of: input, filter, bias, gamma, beta}}
  // expected-error @+1 {{failed to parse ConvBN_GradMaskAttr parameter 'value'}}
  %d = convbn.backward tune grads <input|mean> %gz, %x, %w mean %m var %v : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x4x8xf32>
  return
}

// -----

// Unranked tensors are rejected by the operand constraints.
func.func @unranked(%x: tensor<*xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of any type values, but got 'tensor<*xf32>'}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<*xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}


// -----

// Sizes that overflow 64 bits are an error, not undefined behaviour.
func.func @padding_overflow(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{spatial dimension 0: the padded input or the dilated kernel does not fit in 64 bits}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {padding_low = array<i64: 9223372036854775807>} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

func.func @dilation_overflow(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{spatial dimension 0: the padded input or the dilated kernel does not fit in 64 bits}}
  %z = convbn.conv_bn tune %x, %w mean %m var %v {dilations = array<i64: 9223372036854775807>} : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x6xf32>
  return
}

// -----

// Batch statistics of a single value per channel do not exist.
func.func @train_one_value_per_channel(%x: tensor<1x4x3xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>) {
  // expected-error @+1 {{train mode needs more than 1 value per channel for batch statistics, but the output has batch and spatial sizes of 1}}
  %r:6 = convbn.conv_bn train %x, %w mean %m var %v : (tensor<1x4x3xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<1x6x1xf32>, tensor<1x6x1xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>)
  return
}
