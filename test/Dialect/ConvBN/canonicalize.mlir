// RUN: convbn-opt %s -canonicalize -split-input-file | FileCheck %s

// convbn.fold of constants folds to constants (k = [2, 1.5]).
// CHECK-LABEL: func.func @fold_constants(
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{\[}}{{\[}}[2.000000e+00]], {{\[}}[3.000000e+00]]]> : tensor<2x1x1xf32>
// CHECK-DAG: %[[B:.+]] = arith.constant dense<[5.000000e-01, 2.000000e+00]> : tensor<2xf32>
// CHECK-NOT: convbn.fold
// CHECK: return %[[W]], %[[B]]
func.func @fold_constants() -> (tensor<2x1x1xf32>, tensor<2xf32>) {
  %w = arith.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %b = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %g = arith.constant dense<[4.0, 6.0]> : tensor<2xf32>
  %bt = arith.constant dense<[0.5, -1.0]> : tensor<2xf32>
  %m = arith.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 15.0]> : tensor<2xf32>
  %wf, %bf = convbn.fold %w bias %b gamma %g beta %bt mean %m var %v {epsilon = 1.0 : f64} : (tensor<2x1x1xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<2x1x1xf32>, tensor<2xf32>)
  return %wf, %bf : tensor<2x1x1xf32>, tensor<2xf32>
}

// -----

// Must not fold when one present operand is not a constant.
// CHECK-LABEL: func.func @fold_not_constant(
// CHECK: convbn.fold
func.func @fold_not_constant(%beta: tensor<2xf32>) -> (tensor<2x1x1xf32>, tensor<2xf32>) {
  %w = arith.constant dense<1.0> : tensor<2x1x1xf32>
  %m = arith.constant dense<0.0> : tensor<2xf32>
  %v = arith.constant dense<1.0> : tensor<2xf32>
  %wf, %bf = convbn.fold %w beta %beta mean %m var %v : (tensor<2x1x1xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<2x1x1xf32>, tensor<2xf32>)
  return %wf, %bf : tensor<2x1x1xf32>, tensor<2xf32>
}

// -----

// Unused gradients are not computed: the mask shrinks to the used ones.
// CHECK-LABEL: func.func @drop_unused_gradients(
// CHECK: %[[DW:.+]], %[[DG:.+]] = convbn.backward tune grads <filter|gamma> {{.*}} -> (tensor<6x4x3xf32>, tensor<6xf32>)
// CHECK: return %[[DG]], %[[DW]]
func.func @drop_unused_gradients(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %g: tensor<6xf32>, %bt: tensor<6xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %gz: tensor<2x6x6xf32>) -> (tensor<6xf32>, tensor<6x4x3xf32>) {
  %dx, %dw, %dg, %dbt = convbn.backward tune grads <input|filter|gamma|beta> %gz, %x, %w gamma %g beta %bt mean %m var %v : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>)
  return %dg, %dw : tensor<6xf32>, tensor<6x4x3xf32>
}

// -----

// A backward op none of whose gradients is used is erased.
// CHECK-LABEL: func.func @erase_unused_backward(
// CHECK-NOT: convbn.backward
// CHECK: return
func.func @erase_unused_backward(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %gz: tensor<2x6x6xf32>, %y: tensor<2x6x6xf32>) {
  %dx, %dw = convbn.backward eval grads <input|filter> %gz, %x, %w mean %m var %v conv_output %y : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x6xf32>) -> (tensor<2x4x8xf32>, tensor<6x4x3xf32>)
  return
}

// -----

// Must not change a backward op whose gradients are all used, nor a forward
// op in any mode (eval -> tune is a pass, not a canonicalization).
// CHECK-LABEL: func.func @all_used(
// CHECK: convbn.conv_bn eval
// CHECK: convbn.backward eval grads <input|filter>
func.func @all_used(%x: tensor<2x4x8xf32>, %w: tensor<6x4x3xf32>, %m: tensor<6xf32>, %v: tensor<6xf32>, %gz: tensor<2x6x6xf32>) -> (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>) {
  %z, %y = convbn.conv_bn eval %x, %w mean %m var %v : (tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<2x6x6xf32>, tensor<2x6x6xf32>)
  %dx, %dw = convbn.backward eval grads <input|filter> %gz, %x, %w mean %m var %v conv_output %y : (tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x6xf32>) -> (tensor<2x4x8xf32>, tensor<6x4x3xf32>)
  return %z, %dx, %dw : tensor<2x6x6xf32>, tensor<2x4x8xf32>, tensor<6x4x3xf32>
}

// -----

// Must not fold (nor hang, nor abort) on a filter too large to fold at
// compile time (2^32 elements); run time folds it instead.
// CHECK-LABEL: func.func @fold_too_large(
// CHECK: convbn.fold
func.func @fold_too_large() -> (tensor<4294967296x1x1xf32>, tensor<4294967296xf32>) {
  %w = arith.constant dense<1.0> : tensor<4294967296x1x1xf32>
  %m = arith.constant dense<0.0> : tensor<4294967296xf32>
  %v = arith.constant dense<1.0> : tensor<4294967296xf32>
  %wf, %bf = convbn.fold %w mean %m var %v : (tensor<4294967296x1x1xf32>, tensor<4294967296xf32>, tensor<4294967296xf32>) -> (tensor<4294967296x1x1xf32>, tensor<4294967296xf32>)
  return %wf, %bf : tensor<4294967296x1x1xf32>, tensor<4294967296xf32>
}
