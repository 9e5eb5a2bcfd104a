// RUN: convbn-opt %s -convbn-vectorize-convolutions -loop-invariant-subset-hoisting | FileCheck %s
// RUN: convbn-opt %s -convbn-vectorize-convolutions | FileCheck %s --check-prefix=UNHOISTED

// A channels-last convolution (16 -> 32 3x3 at 8x8) as the CPU pipeline
// schedules it: per output row, 8 positions x 32 filters accumulated over
// the kernel rows and columns and the channels. The schedule leaves the
// accumulator tile's read and write inside the innermost loop; upstream's
// loop-invariant subset hoisting, which -convbn-cpu-pipeline{vectorize}
// runs after it, carries the tile through the kernel loops in registers:
// read once before the kernel rows' loop, written once after it (the
// forward of 256 -> 256 3x3 at 7x7, batch 8, one core: 3.3 -> 3.0 ms).

// CHECK-LABEL: func @channels_last
//       CHECK: scf.for %{{.*}} = %c0 to %c8 step %c1
//       CHECK:   %[[ACC:.+]] = vector.transfer_read {{.*}} : tensor<1x8x32xf32>, vector<8x32xf32>
//       CHECK:   scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args({{.*}}, %{{.*}} = %[[ACC]])
//       CHECK:     scf.for %{{.*}} = %c0 to %c3 step %c1
//   CHECK-NOT:       vector.transfer_write
//       CHECK:       vector.fma
//   CHECK-NOT:       vector.transfer_write
//       CHECK:   scf.yield
//       CHECK:   vector.transfer_write {{.*}} : vector<8x32xf32>, tensor<1x8x32xf32>
// UNHOISTED-LABEL: func @channels_last
//       UNHOISTED: scf.for %{{.*}} = %c0 to %c3 step %c1
//       UNHOISTED:   scf.for %{{.*}} = %c0 to %c3 step %c1
//       UNHOISTED:     vector.transfer_read {{.*}} : tensor<1x8x32xf32>, vector<8x32xf32>
//       UNHOISTED:     vector.transfer_write {{.*}} : vector<8x32xf32>, tensor<1x8x32xf32>
func.func @channels_last(%x: tensor<1x16x10x10xf32>, %w: tensor<32x16x3x3xf32>, %acc: tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x16x10x10xf32>, tensor<32x16x3x3xf32>) outs(%acc : tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32>
  return %r : tensor<1x32x8x8xf32>
}
