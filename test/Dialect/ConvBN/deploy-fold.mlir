// RUN: convbn-opt %s -convbn-deploy-fold -split-input-file | FileCheck %s
// Folding through the fold op's folder reaches the same IR:
// RUN: convbn-opt %s -convbn-decompose-tune -canonicalize -split-input-file | FileCheck %s --check-prefix=CANON

// k = gamma / sqrt(var + eps) = [4/2, 6/4] = [2, 1.5]
// W' = k * W = [2, 3];  b' = k * (b - mean) + beta = [0.5, 2]
// CHECK-LABEL: func.func @all_parameters(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<3x1x5xf32>
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{\[}}{{\[}}[2.000000e+00]], {{\[}}[3.000000e+00]]]> : tensor<2x1x1xf32>
// CHECK-DAG: %[[B:.+]] = arith.constant dense<[5.000000e-01, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[Z:.+]] = convbn.conv_bn deploy %[[X]], %[[W]] bias %[[B]] : (tensor<3x1x5xf32>, tensor<2x1x1xf32>, tensor<2xf32>) -> tensor<3x2x5xf32>
// CHECK-NEXT: return %[[Z]]
// CANON-LABEL: func.func @all_parameters(
// CANON-DAG: arith.constant dense<{{\[}}{{\[}}[2.000000e+00]], {{\[}}[3.000000e+00]]]> : tensor<2x1x1xf32>
// CANON-DAG: arith.constant dense<[5.000000e-01, 2.000000e+00]> : tensor<2xf32>
// CANON-NOT: convbn.fold
// CANON: convbn.conv_bn deploy
func.func @all_parameters(%x: tensor<3x1x5xf32>) -> tensor<3x2x5xf32> {
  %w = arith.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %b = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %g = arith.constant dense<[4.0, 6.0]> : tensor<2xf32>
  %bt = arith.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %m = arith.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 15.0]> : tensor<2xf32>
  %z = convbn.conv_bn tune %x, %w bias %b gamma %g beta %bt mean %m var %v {epsilon = 1.0 : f64} : (tensor<3x1x5xf32>, tensor<2x1x1xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2x5xf32>
  return %z : tensor<3x2x5xf32>
}

// -----

// No conv bias, no gamma, no beta (0, 1 and 0), splat constants.
// k = 1 / sqrt(var + eps) = [0.5, 1];  W' = [0.5, 0.5];  b' = -k * mean = [-0.5, -2]
// CHECK-LABEL: func.func @no_optional_parameters(
// CHECK-DAG: %[[W:.+]] = arith.constant dense<5.000000e-01> : tensor<2x1x1xf32>
// CHECK-DAG: %[[B:.+]] = arith.constant dense<[-5.000000e-01, -2.000000e+00]> : tensor<2xf32>
// CHECK: convbn.conv_bn deploy %{{.*}}, %[[W]] bias %[[B]]
// CANON-LABEL: func.func @no_optional_parameters(
// CANON: convbn.conv_bn deploy
func.func @no_optional_parameters(%x: tensor<3x1x5xf32>) -> tensor<3x2x5xf32> {
  %w = arith.constant dense<[[[1.0]], [[0.5]]]> : tensor<2x1x1xf32>
  %m = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 0.0]> : tensor<2xf32>
  %z = convbn.conv_bn tune %x, %w mean %m var %v {epsilon = 1.0 : f64} : (tensor<3x1x5xf32>, tensor<2x1x1xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2x5xf32>
  return %z : tensor<3x2x5xf32>
}

// -----

// f16 filter, f32 statistics: the fold is computed in double and rounded once
// to f16 (W' = [0.1, 0.3]_f16 / sqrt(2) = [0.0706787109375, 0.212158203125]
// after rounding); the folded bias is f32.
// CHECK-LABEL: func.func @f16_filter_f32_statistics(
// CHECK-DAG: arith.constant dense<{{\[}}{{\[}}[7.067870e-02]], {{\[}}[2.121580e-01]]]> : tensor<2x1x1xf16>
// CHECK-DAG: arith.constant dense<[-0.176776692, 0.353553385]> : tensor<2xf32>
// CHECK: convbn.conv_bn deploy {{.*}} : (tensor<1x1x4xf16>, tensor<2x1x1xf16>, tensor<2xf32>) -> tensor<1x2x4xf16>
func.func @f16_filter_f32_statistics(%x: tensor<1x1x4xf16>) -> tensor<1x2x4xf16> {
  %w = arith.constant dense<[[[0.1]], [[0.3]]]> : tensor<2x1x1xf16>
  %m = arith.constant dense<[0.25, -0.5]> : tensor<2xf32>
  %v = arith.constant dense<1.0> : tensor<2xf32>
  %z = convbn.conv_bn tune %x, %w mean %m var %v {epsilon = 1.0 : f64} : (tensor<1x1x4xf16>, tensor<2x1x1xf16>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4xf16>
  return %z : tensor<1x2x4xf16>
}

// -----

// Must not fire: the filter is not a constant (it is being trained).
// CHECK-LABEL: func.func @filter_not_constant(
// CHECK: convbn.conv_bn tune
// CHECK-NOT: deploy
func.func @filter_not_constant(%x: tensor<3x1x5xf32>, %w: tensor<2x1x1xf32>) -> tensor<3x2x5xf32> {
  %m = arith.constant dense<0.0> : tensor<2xf32>
  %v = arith.constant dense<1.0> : tensor<2xf32>
  %z = convbn.conv_bn tune %x, %w mean %m var %v : (tensor<3x1x5xf32>, tensor<2x1x1xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2x5xf32>
  return %z : tensor<3x2x5xf32>
}

// -----

// Must not fire: gamma is an argument even though everything else is constant.
// CHECK-LABEL: func.func @gamma_not_constant(
// CHECK: convbn.conv_bn tune
func.func @gamma_not_constant(%x: tensor<3x1x5xf32>, %g: tensor<2xf32>) -> tensor<3x2x5xf32> {
  %w = arith.constant dense<1.0> : tensor<2x1x1xf32>
  %m = arith.constant dense<0.0> : tensor<2xf32>
  %v = arith.constant dense<1.0> : tensor<2xf32>
  %z = convbn.conv_bn tune %x, %w gamma %g mean %m var %v : (tensor<3x1x5xf32>, tensor<2x1x1xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2x5xf32>
  return %z : tensor<3x2x5xf32>
}

// -----

// Must not fire: var + eps <= 0 has no fold (it would be NaN); left to run time.
// CHECK-LABEL: func.func @variance_not_positive(
// CHECK: convbn.conv_bn tune
// CANON-LABEL: func.func @variance_not_positive(
// CANON: convbn.fold
func.func @variance_not_positive(%x: tensor<3x1x5xf32>) -> tensor<3x2x5xf32> {
  %w = arith.constant dense<1.0> : tensor<2x1x1xf32>
  %m = arith.constant dense<0.0> : tensor<2xf32>
  %v = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %z = convbn.conv_bn tune %x, %w mean %m var %v {epsilon = 1.0 : f64} : (tensor<3x1x5xf32>, tensor<2x1x1xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2x5xf32>
  return %z : tensor<3x2x5xf32>
}

// -----

// Must not fire on eval (run -convbn-eval-to-tune first) or train blocks.
// CHECK-LABEL: func.func @other_modes(
// CHECK: convbn.conv_bn eval
// CHECK: convbn.conv_bn train
func.func @other_modes(%x: tensor<3x1x5xf32>) -> (tensor<3x2x5xf32>, tensor<3x2x5xf32>) {
  %w = arith.constant dense<1.0> : tensor<2x1x1xf32>
  %m = arith.constant dense<0.0> : tensor<2xf32>
  %v = arith.constant dense<1.0> : tensor<2xf32>
  %z, %y = convbn.conv_bn eval %x, %w mean %m var %v : (tensor<3x1x5xf32>, tensor<2x1x1xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<3x2x5xf32>, tensor<3x2x5xf32>)
  %t:6 = convbn.conv_bn train %x, %w mean %m var %v : (tensor<3x1x5xf32>, tensor<2x1x1xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<3x2x5xf32>, tensor<3x2x5xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
  return %z, %t#0 : tensor<3x2x5xf32>, tensor<3x2x5xf32>
}
