// RUN: convbn-opt %s -split-input-file -convbn-raise-from-linalg -verify-diagnostics | FileCheck %s

// The chain form torch-mlir's fx importer emits for Conv2d(bias=True) +
// BatchNorm2d in eval mode (trimmed from its output).

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (0, d1, 0, 0)>
// CHECK-LABEL: func @chain
//  CHECK-SAME: (%[[X:.*]]: tensor<2x3x8x8xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[B:.*]]: tensor<4xf32>, %[[G:.*]]: tensor<4xf32>, %[[BT:.*]]: tensor<4xf32>, %[[M:.*]]: tensor<4xf32>, %[[V:.*]]: tensor<4xf32>)
//       CHECK: %[[Z:.*]], %{{.*}} = convbn.conv_bn eval %[[X]], %[[W]] bias %[[B]] gamma %[[G]] beta %[[BT]] mean %[[M]] var %[[V]]
//  CHECK-SAME: epsilon = 9.9999997473787516E-6 : f64, padding_high = array<i64: 1, 1>, padding_low = array<i64: 1, 1>, strides = array<i64: 2, 2>
//   CHECK-NOT: linalg.
//       CHECK: return %[[Z]]
func.func @chain(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>, %g: tensor<4xf32>, %bt: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<2x4x4x4xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %eps = arith.constant 1.000000e-05 : f64
  %padded = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<2x3x8x8xf32> to tensor<2x3x10x10xf32>
  %e = tensor.empty() : tensor<2x4x4x4xf32>
  %bias = linalg.broadcast ins(%b : tensor<4xf32>) outs(%e : tensor<2x4x4x4xf32>) dimensions = [0, 2, 3]
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%padded, %w : tensor<2x3x10x10xf32>, tensor<4x3x3x3xf32>) outs(%bias : tensor<2x4x4x4xf32>) -> tensor<2x4x4x4xf32>
  %m4 = tensor.expand_shape %m [[0, 1, 2, 3]] output_shape [1, 4, 1, 1] : tensor<4xf32> into tensor<1x4x1x1xf32>
  %v4 = tensor.expand_shape %v [[0, 1, 2, 3]] output_shape [1, 4, 1, 1] : tensor<4xf32> into tensor<1x4x1x1xf32>
  %e1 = tensor.empty() : tensor<1x4x1x1xf32>
  %ve = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%v4 : tensor<1x4x1x1xf32>) outs(%e1 : tensor<1x4x1x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %t = arith.truncf %eps : f64 to f32
    %s = arith.addf %in, %t : f32
    linalg.yield %s : f32
  } -> tensor<1x4x1x1xf32>
  %inv = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%ve : tensor<1x4x1x1xf32>) outs(%e1 : tensor<1x4x1x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = math.rsqrt %in : f32
    linalg.yield %r : f32
  } -> tensor<1x4x1x1xf32>
  %c = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %m4 : tensor<2x4x4x4xf32>, tensor<1x4x1x1xf32>) outs(%e : tensor<2x4x4x4xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.subf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<2x4x4x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c, %inv : tensor<2x4x4x4xf32>, tensor<1x4x1x1xf32>) outs(%e : tensor<2x4x4x4xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.mulf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<2x4x4x4xf32>
  %g4 = tensor.expand_shape %g [[0, 1, 2, 3]] output_shape [1, 4, 1, 1] : tensor<4xf32> into tensor<1x4x1x1xf32>
  %s = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%n, %g4 : tensor<2x4x4x4xf32>, tensor<1x4x1x1xf32>) outs(%e : tensor<2x4x4x4xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.mulf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<2x4x4x4xf32>
  %bt4 = tensor.expand_shape %bt [[0, 1, 2, 3]] output_shape [1, 4, 1, 1] : tensor<4xf32> into tensor<1x4x1x1xf32>
  %z = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s, %bt4 : tensor<2x4x4x4xf32>, tensor<1x4x1x1xf32>) outs(%e : tensor<2x4x4x4xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %r = arith.addf %in, %in1 : f32
    linalg.yield %r : f32
  } -> tensor<2x4x4x4xf32>
  return %z : tensor<2x4x4x4xf32>
}

// -----

// The single-generic form: one all-parallel generic over the conv result,
// gamma, beta, mean and var (1-D operands, channel maps), here written with
// commuted operands and a division by sqrt(var + eps). No conv bias, no
// padding; a 1-D convolution with dilation.

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#c3 = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func @single_generic
//  CHECK-SAME: (%[[X:.*]]: tensor<2x3x9xf32>, %[[W:.*]]: tensor<4x3x3xf32>, %[[G:.*]]: tensor<4xf32>, %[[BT:.*]]: tensor<4xf32>, %[[M:.*]]: tensor<4xf32>, %[[V:.*]]: tensor<4xf32>)
//       CHECK: convbn.conv_bn eval %[[X]], %[[W]] gamma %[[G]] beta %[[BT]] mean %[[M]] var %[[V]] {dilations = array<i64: 2>, epsilon = 0.0010000000474974513 : f64}
//   CHECK-NOT: linalg.
func.func @single_generic(%x: tensor<2x3x9xf32>, %w: tensor<4x3x3xf32>, %g: tensor<4xf32>, %bt: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<2x4x5xf32> {
  %zero = arith.constant 0.0 : f32
  %eps = arith.constant 1.0e-3 : f32
  %e = tensor.empty() : tensor<2x4x5xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4x5xf32>) -> tensor<2x4x5xf32>
  %y = linalg.conv_1d_ncw_fcw {dilations = dense<2> : vector<1xi64>, strides = dense<1> : vector<1xi64>} ins(%x, %w : tensor<2x3x9xf32>, tensor<4x3x3xf32>) outs(%acc : tensor<2x4x5xf32>) -> tensor<2x4x5xf32>
  %z = linalg.generic {indexing_maps = [#id3, #c3, #c3, #c3, #c3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y, %bt, %v, %g, %m : tensor<2x4x5xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<2x4x5xf32>) {
  ^bb0(%in: f32, %beta: f32, %var: f32, %gamma: f32, %mean: f32, %out: f32):
    %ve = arith.addf %eps, %var : f32
    %sd = math.sqrt %ve : f32
    %c = arith.subf %in, %mean : f32
    %gc = arith.mulf %gamma, %c : f32
    %n = arith.divf %gc, %sd : f32
    %r = arith.addf %beta, %n : f32
    linalg.yield %r : f32
  } -> tensor<2x4x5xf32>
  return %z : tensor<2x4x5xf32>
}

// -----

// Batch norm without affine parameters (affine=False), 3-D convolution.

#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
#c5 = affine_map<(d0, d1, d2, d3, d4) -> (d1)>
// CHECK-LABEL: func @no_affine_3d
//       CHECK: convbn.conv_bn eval %{{.*}}, %{{.*}} mean %{{.*}} var %{{.*}} {epsilon = 9.9999997473787516E-6 : f64}
func.func @no_affine_3d(%x: tensor<1x2x3x3x3xf32>, %w: tensor<2x2x1x1x1xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>) -> tensor<1x2x3x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %eps = arith.constant 1.0e-5 : f64
  %e = tensor.empty() : tensor<1x2x3x3x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x3x3x3xf32>) -> tensor<1x2x3x3x3xf32>
  %y = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>} ins(%x, %w : tensor<1x2x3x3x3xf32>, tensor<2x2x1x1x1xf32>) outs(%acc : tensor<1x2x3x3x3xf32>) -> tensor<1x2x3x3x3xf32>
  %z = linalg.generic {indexing_maps = [#id5, #c5, #c5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%y, %m, %v : tensor<1x2x3x3x3xf32>, tensor<2xf32>, tensor<2xf32>) outs(%e : tensor<1x2x3x3x3xf32>) {
  ^bb0(%in: f32, %mean: f32, %var: f32, %out: f32):
    %t = arith.truncf %eps : f64 to f32
    %ve = arith.addf %var, %t : f32
    %inv = math.rsqrt %ve : f32
    %c = arith.subf %in, %mean : f32
    %r = arith.mulf %c, %inv : f32
    linalg.yield %r : f32
  } -> tensor<1x2x3x3x3xf32>
  return %z : tensor<1x2x3x3x3xf32>
}

// -----

// Left alone: the conv result is also returned.

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func @several_users
//   CHECK-NOT: convbn.conv_bn
//       CHECK: linalg.conv_1d_ncw_fcw
func.func @several_users(%x: tensor<1x2x4xf32>, %w: tensor<2x2x1xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>) -> (tensor<1x2x4xf32>, tensor<1x2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %e = tensor.empty() : tensor<1x2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  // expected-warning @below {{convolution + batch norm left alone: the convolution result has 2 users; the batch norm can only be fused when it is the only one}}
  %y = linalg.conv_1d_ncw_fcw {dilations = dense<1> : vector<1xi64>, strides = dense<1> : vector<1xi64>} ins(%x, %w : tensor<1x2x4xf32>, tensor<2x2x1xf32>) outs(%acc : tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %z = linalg.generic {indexing_maps = [#id, #c, #c, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y, %m, %v : tensor<1x2x4xf32>, tensor<2xf32>, tensor<2xf32>) outs(%e : tensor<1x2x4xf32>) {
  ^bb0(%in: f32, %mean: f32, %var: f32, %out: f32):
    %ve = arith.addf %var, %eps : f32
    %inv = math.rsqrt %ve : f32
    %cc = arith.subf %in, %mean : f32
    %r = arith.mulf %cc, %inv : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4xf32>
  return %z, %y : tensor<1x2x4xf32>, tensor<1x2x4xf32>
}

// -----

// Left alone: batch statistics computed from the conv result (training mode).

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func @training
//   CHECK-NOT: convbn.conv_bn
func.func @training(%x: tensor<1x2x4xf32>, %w: tensor<2x2x1xf32>) -> (tensor<1x2x4xf32>, tensor<2xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x4xf32>
  %e2 = tensor.empty() : tensor<2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %sacc = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2xf32>) -> tensor<2xf32>
  // expected-warning @below {{batch normalization in training mode}}
  %y = linalg.conv_1d_ncw_fcw {dilations = dense<1> : vector<1xi64>, strides = dense<1> : vector<1xi64>} ins(%x, %w : tensor<1x2x4xf32>, tensor<2x2x1xf32>) outs(%acc : tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %sum = linalg.generic {indexing_maps = [#id, #c], iterator_types = ["reduction", "parallel", "reduction"]} ins(%y : tensor<1x2x4xf32>) outs(%sacc : tensor<2xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<2xf32>
  %z = linalg.generic {indexing_maps = [#id, #c, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y, %sum : tensor<1x2x4xf32>, tensor<2xf32>) outs(%e : tensor<1x2x4xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %r = arith.subf %in, %s : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4xf32>
  return %z, %sum : tensor<1x2x4xf32>, tensor<2xf32>
}

// -----

// Left alone: an intermediate of the normalization is also returned.

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func @intermediate_used
//   CHECK-NOT: convbn.conv_bn
func.func @intermediate_used(%x: tensor<1x2x4xf32>, %w: tensor<2x2x1xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>) -> (tensor<1x2x4xf32>, tensor<1x2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %e = tensor.empty() : tensor<1x2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  // expected-warning @below {{left alone: an intermediate value of the batch norm has users outside it}}
  %y = linalg.conv_1d_ncw_fcw {dilations = dense<1> : vector<1xi64>, strides = dense<1> : vector<1xi64>} ins(%x, %w : tensor<1x2x4xf32>, tensor<2x2x1xf32>) outs(%acc : tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %cc = linalg.generic {indexing_maps = [#id, #c, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y, %m : tensor<1x2x4xf32>, tensor<2xf32>) outs(%e : tensor<1x2x4xf32>) {
  ^bb0(%in: f32, %mean: f32, %out: f32):
    %r = arith.subf %in, %mean : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4xf32>
  %z = linalg.generic {indexing_maps = [#id, #c, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%cc, %v : tensor<1x2x4xf32>, tensor<2xf32>) outs(%e : tensor<1x2x4xf32>) {
  ^bb0(%in: f32, %var: f32, %out: f32):
    %ve = arith.addf %var, %eps : f32
    %inv = math.rsqrt %ve : f32
    %r = arith.mulf %in, %inv : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4xf32>
  return %z, %cc : tensor<1x2x4xf32>, tensor<1x2x4xf32>
}

// -----

// Not batch norm: a ReLU fused into the normalizing generic. Nothing is
// raised and nothing is reported (with report=true: a remark that no batch
// norm follows).

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func @relu_fused
//   CHECK-NOT: convbn.conv_bn
//       CHECK: linalg.conv_1d_ncw_fcw
func.func @relu_fused(%x: tensor<1x2x4xf32>, %w: tensor<2x2x1xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>) -> tensor<1x2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %e = tensor.empty() : tensor<1x2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %y = linalg.conv_1d_ncw_fcw {dilations = dense<1> : vector<1xi64>, strides = dense<1> : vector<1xi64>} ins(%x, %w : tensor<1x2x4xf32>, tensor<2x2x1xf32>) outs(%acc : tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %z = linalg.generic {indexing_maps = [#id, #c, #c, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y, %m, %v : tensor<1x2x4xf32>, tensor<2xf32>, tensor<2xf32>) outs(%e : tensor<1x2x4xf32>) {
  ^bb0(%in: f32, %mean: f32, %var: f32, %out: f32):
    %ve = arith.addf %var, %eps : f32
    %inv = math.rsqrt %ve : f32
    %cc = arith.subf %in, %mean : f32
    %r = arith.mulf %cc, %inv : f32
    %relu = arith.maximumf %r, %zero : f32
    linalg.yield %relu : f32
  } -> tensor<1x2x4xf32>
  return %z : tensor<1x2x4xf32>
}

// -----

// Left alone: a depthwise convolution whose filter does not come from a
// [C, 1, kh, kw] filter, and a padding value that is not zero.

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#c = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func @unsupported
//   CHECK-NOT: convbn.conv_bn
func.func @unsupported(%x: tensor<1x2x4x4xf32>, %wd: tensor<2x3x3xf32>, %w: tensor<2x2x3x3xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  // expected-warning @below {{left alone: the depthwise filter is not collapsed from a [C, 1, kh, kw] filter}}
  %y = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %wd : tensor<1x2x4x4xf32>, tensor<2x3x3xf32>) outs(%acc : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %z = linalg.generic {indexing_maps = [#id, #c, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %m, %v : tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>) outs(%e : tensor<1x2x2x2xf32>) {
  ^bb0(%in: f32, %mean: f32, %var: f32, %out: f32):
    %ve = arith.addf %var, %eps : f32
    %inv = math.rsqrt %ve : f32
    %cc = arith.subf %in, %mean : f32
    %r = arith.mulf %cc, %inv : f32
    linalg.yield %r : f32
  } -> tensor<1x2x2x2xf32>
  %padded = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %one : f32
  } : tensor<1x2x4x4xf32> to tensor<1x2x6x6xf32>
  %e4 = tensor.empty() : tensor<1x2x4x4xf32>
  %acc4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-warning @below {{left alone: the convolution input is padded with a non-zero value}}
  %y4 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%padded, %w : tensor<1x2x6x6xf32>, tensor<2x2x3x3xf32>) outs(%acc4 : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %z4 = linalg.generic {indexing_maps = [#id, #c, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y4, %m, %v : tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>) outs(%e4 : tensor<1x2x4x4xf32>) {
  ^bb0(%in: f32, %mean: f32, %var: f32, %out: f32):
    %ve = arith.addf %var, %eps : f32
    %inv = math.rsqrt %ve : f32
    %cc = arith.subf %in, %mean : f32
    %r = arith.mulf %cc, %inv : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x4xf32>
  return %z, %z4 : tensor<1x2x2x2xf32>, tensor<1x2x4x4xf32>
}

// -----

// Depthwise (torch-mlir collapses the [C, 1, kh, kw] filter for
// linalg.depthwise_conv_2d_nchw_chw): raised with groups = C.

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#c = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func @depthwise
//  CHECK-SAME: (%[[X:.*]]: tensor<1x4x6x6xf32>, %[[W:.*]]: tensor<4x1x3x3xf32>,
//       CHECK: convbn.conv_bn eval %[[X]], %[[W]] mean %{{.*}} var %{{.*}} {epsilon = 0.10000000149011612 : f64, groups = 4 : i64}
//   CHECK-NOT: linalg.depthwise
func.func @depthwise(%x: tensor<1x4x6x6xf32>, %w: tensor<4x1x3x3xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %eps = arith.constant 0.1 : f64
  %w3 = tensor.collapse_shape %w [[0, 1], [2], [3]] : tensor<4x1x3x3xf32> into tensor<4x3x3xf32>
  %e = tensor.empty() : tensor<1x4x4x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %y = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %w3 : tensor<1x4x6x6xf32>, tensor<4x3x3xf32>) outs(%acc : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %z = linalg.generic {indexing_maps = [#id, #c, #c, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %m, %v : tensor<1x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<1x4x4x4xf32>) {
  ^bb0(%in: f32, %mean: f32, %var: f32, %out: f32):
    %t = arith.truncf %eps : f64 to f32
    %ve = arith.addf %var, %t : f32
    %inv = math.rsqrt %ve : f32
    %cc = arith.subf %in, %mean : f32
    %r = arith.mulf %cc, %inv : f32
    linalg.yield %r : f32
  } -> tensor<1x4x4x4xf32>
  return %z : tensor<1x4x4x4xf32>
}

// -----

// The normalizing generic also takes another convolution's result that its
// body never reads: raising erases that convolution with the chain, and the
// pass must not visit it afterwards (found by the fuzzer).

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func @unread_operand
//       CHECK: convbn.conv_bn eval
//   CHECK-NOT: linalg.conv_1d_ncw_fcw
func.func @unread_operand(%x: tensor<1x2x4xf32>, %w: tensor<2x2x1xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>) -> tensor<1x2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %e = tensor.empty() : tensor<1x2x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %y = linalg.conv_1d_ncw_fcw {dilations = dense<1> : vector<1xi64>, strides = dense<1> : vector<1xi64>} ins(%x, %w : tensor<1x2x4xf32>, tensor<2x2x1xf32>) outs(%acc : tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %other = linalg.conv_1d_ncw_fcw {dilations = dense<1> : vector<1xi64>, strides = dense<1> : vector<1xi64>} ins(%x, %w : tensor<1x2x4xf32>, tensor<2x2x1xf32>) outs(%acc : tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %z = linalg.generic {indexing_maps = [#id, #c, #c, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y, %m, %v, %other : tensor<1x2x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<1x2x4xf32>) outs(%e : tensor<1x2x4xf32>) {
  ^bb0(%in: f32, %mean: f32, %var: f32, %unused: f32, %out: f32):
    %ve = arith.addf %var, %eps : f32
    %inv = math.rsqrt %ve : f32
    %cc = arith.subf %in, %mean : f32
    %r = arith.mulf %cc, %inv : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4xf32>
  return %z : tensor<1x2x4xf32>
}

// -----

// A convolution on buffers has no result for a batch norm to consume: it is
// left as it is, with no diagnostic (it crashed the pass; found by running
// every pass on every test input).

// CHECK-LABEL: func @on_buffers
//       CHECK: linalg.conv_2d_nchw_fchw
//  CHECK-SAME: outs(%{{.*}} : memref<1x2x4x4xf32>)
func.func @on_buffers(%x: memref<1x2x4x4xf32>, %w: memref<2x2x1x1xf32>, %y: memref<1x2x4x4xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : memref<1x2x4x4xf32>, memref<2x2x1x1xf32>) outs(%y : memref<1x2x4x4xf32>)
  return
}
