// RUN: convbn-opt %s -convbn-memory-report -o /dev/null | FileCheck %s
// After the rewrite into tune mode, "as written" equals the tune column:
// RUN: convbn-opt %s -convbn-eval-to-tune -convbn-memory-report -o /dev/null | FileCheck %s --check-prefix=TUNED
// RUN: convbn-opt %s -convbn-memory-report=output=%t.txt -o /dev/null && FileCheck %s --input-file=%t.txt

// Two eval blocks read the same input %x (8 x 4 x 8 x 8 f32 = 8192 bytes), as
// a ResNet downsampling branch does; one train block in f16 with f32
// statistics; one block with a dynamic batch.
//   block 0: X 8192 + Y (8x6x8x8 f32) 12288      eval 20480, tune 8192
//   block 1: X (shared)   + Y (8x2x4x4 f32) 1024  eval  9216, tune 8192
//   block 2: X (2x3x5 f16) 60 + Y (2x4x3 f16) 48 + 2 x 4 x f32 32
//            train 140, eval 108, tune 60
// totals, the shared X once (train also keeps 2 x O f32 statistics for
// blocks 0 and 1: 48 + 16 bytes):
//   train 8192 + 12288 + 1024 + 60 + 48 + 32 + 64 = 21708
//   eval  8192 + 12288 + 1024 + 60 + 48 = 21612; tune = deploy = 8192 + 60
//   as written (eval, eval, train) = 21612 + 32 = 21644;
//   after -convbn-eval-to-tune (tune, tune, train) = 8192 + 140 = 8332

// CHECK: ConvBN memory report
// CHECK: 0  eval     tensor<8x4x8x8xf32>   20.05 KiB   20.00 KiB   8.00 KiB   8.00 KiB  {{.*}}memory-report.mlir:35:
// CHECK: 1  eval     tensor<8x4x8x8xf32>
// CHECK: 2  train    tensor<2x3x5xf16>   140 B   108 B   60 B   60 B
// CHECK: 3  tune     tensor<?x4x8x8xf32>   ?   ?   ?   ?
// CHECK: total bytes: train 21708, eval 21612, tune 8252, deploy 8252, as written 21644
// CHECK: tune / eval: 0.382 (61.8% less kept for backward)
// CHECK: 1 block(s) with dynamic shapes are not in the totals
// TUNED: total bytes: train 21708, eval 21612, tune 8252, deploy 8252, as written 8332

func.func @blocks(%x: tensor<8x4x8x8xf32>, %w0: tensor<6x4x3x3xf32>, %w1: tensor<2x4x1x1xf32>,
                  %v6: tensor<6xf32>, %v2: tensor<2xf32>,
                  %xh: tensor<2x3x5xf16>, %wh: tensor<4x3x3xf16>, %v4: tensor<4xf32>,
                  %xd: tensor<?x4x8x8xf32>, %wd: tensor<6x4x1x1xf32>)
    -> (tensor<8x6x8x8xf32>, tensor<8x2x4x4xf32>, tensor<2x4x3xf16>, tensor<?x6x8x8xf32>) {
  %z0, %y0 = convbn.conv_bn eval %x, %w0 mean %v6 var %v6 {padding_low = array<i64: 1, 1>, padding_high = array<i64: 1, 1>}
      : (tensor<8x4x8x8xf32>, tensor<6x4x3x3xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<8x6x8x8xf32>, tensor<8x6x8x8xf32>)
  %z1, %y1 = convbn.conv_bn eval %x, %w1 mean %v2 var %v2 {strides = array<i64: 2, 2>}
      : (tensor<8x4x8x8xf32>, tensor<2x4x1x1xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<8x2x4x4xf32>, tensor<8x2x4x4xf32>)
  %r:6 = convbn.conv_bn train %xh, %wh mean %v4 var %v4
      : (tensor<2x3x5xf16>, tensor<4x3x3xf16>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3xf16>, tensor<2x4x3xf16>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  %zd = convbn.conv_bn tune %xd, %wd mean %v6 var %v6
      : (tensor<?x4x8x8xf32>, tensor<6x4x1x1xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x6x8x8xf32>
  return %z0, %z1, %r#0, %zd : tensor<8x6x8x8xf32>, tensor<8x2x4x4xf32>, tensor<2x4x3xf16>, tensor<?x6x8x8xf32>
}
