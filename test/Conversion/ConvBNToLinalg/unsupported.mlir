// Anything the lowering does not support is rejected before any rewriting,
// with an error naming the op and the reason.
// RUN: convbn-opt %s -convert-convbn-to-linalg -split-input-file -verify-diagnostics
// RUN: not convbn-opt %s -convbn-cpu-pipeline -split-input-file 2>&1 | FileCheck %s
// CHECK: error: 'convbn.conv_bn' op cannot be lowered to linalg: only the batch dimension may be dynamic, but operand #0 has type 'tensor<2x3x?xf32>'

func.func @dynamic_spatial(%x: tensor<2x3x?xf32>, %w: tensor<4x3x3xf32>) -> tensor<2x4x?xf32> {
  // expected-error @+1 {{'convbn.conv_bn' op cannot be lowered to linalg: only the batch dimension may be dynamic, but operand #0 has type 'tensor<2x3x?xf32>'}}
  %z = convbn.conv_bn deploy %x, %w : (tensor<2x3x?xf32>, tensor<4x3x3xf32>) -> tensor<2x4x?xf32>
  return %z : tensor<2x4x?xf32>
}

// -----

func.func @dynamic_channels(%x: tensor<2x?x8xf32>, %w: tensor<4x3x3xf32>) -> tensor<2x4x6xf32> {
  // expected-error @+1 {{only the batch dimension may be dynamic, but operand #0 has type 'tensor<2x?x8xf32>'}}
  %z = convbn.conv_bn deploy %x, %w : (tensor<2x?x8xf32>, tensor<4x3x3xf32>) -> tensor<2x4x6xf32>
  return %z : tensor<2x4x6xf32>
}

// -----

func.func @dynamic_filter(%x: tensor<2x3x8xf32>, %w: tensor<?x3x3xf32>, %m: tensor<?xf32>) -> (tensor<?x3x3xf32>, tensor<?xf32>) {
  // expected-error @+1 {{'convbn.fold' op cannot be lowered to linalg: only the batch dimension may be dynamic, but operand #0 has type 'tensor<?x3x3xf32>'}}
  %wf, %bf = convbn.fold %w mean %m var %m : (tensor<?x3x3xf32>, tensor<?xf32>, tensor<?xf32>) -> (tensor<?x3x3xf32>, tensor<?xf32>)
  return %wf, %bf : tensor<?x3x3xf32>, tensor<?xf32>
}

// -----

func.func @dynamic_backward(%gz: tensor<2x4x?xf32>, %x: tensor<2x3x?xf32>, %w: tensor<4x3x3xf32>) -> tensor<2x3x?xf32> {
  // expected-error @+1 {{'convbn.backward' op cannot be lowered to linalg: only the batch dimension may be dynamic, but operand #0 has type 'tensor<2x4x?xf32>'}}
  %dx = convbn.backward deploy grads <input> %gz, %x, %w : (tensor<2x4x?xf32>, tensor<2x3x?xf32>, tensor<4x3x3xf32>) -> tensor<2x3x?xf32>
  return %dx : tensor<2x3x?xf32>
}
