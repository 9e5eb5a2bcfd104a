// RUN: convbn-opt %s -convbn-cpu-pipeline="out-params=true" | FileCheck %s
// RUN: convbn-opt %s -convbn-cpu-pipeline="vectorize=true out-params=true" | FileCheck %s

// The forward convolution of a padded tune block, with its result as a
// caller-allocated argument. Bufferization copies the input into the
// padded buffer's interior, a strided target: that copy is a loop nest (not
// a call of the runtime's element-by-element memrefCopy). The convolution
// accumulates into the caller's buffer itself: the loops that yield it are
// folded before out-params hoists the allocation, so no memcpy copies the
// result out.

// CHECK-LABEL: llvm.func @forward
//   CHECK-NOT:   memrefCopy
//   CHECK-NOT:   llvm.intr.memcpy
//       CHECK:   llvm.return
func.func @forward(%x: tensor<2x4x6x6xf32>, %w: tensor<16x4x3x3xf32>, %g: tensor<16xf32>,
                   %b: tensor<16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> tensor<2x16x6x6xf32> {
  %z = convbn.conv_bn tune %x, %w gamma %g beta %b mean %m var %v {
      strides = array<i64: 1, 1>, padding_low = array<i64: 1, 1>,
      padding_high = array<i64: 1, 1>, dilations = array<i64: 1, 1>, groups = 1 : i64,
      epsilon = 1.0e-05 : f64, momentum = 0.1 : f64}
      : (tensor<2x4x6x6xf32>, tensor<16x4x3x3xf32>, tensor<16xf32>, tensor<16xf32>,
         tensor<16xf32>, tensor<16xf32>) -> tensor<2x16x6x6xf32>
  return %z : tensor<2x16x6x6xf32>
}
