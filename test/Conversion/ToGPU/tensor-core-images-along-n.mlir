// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="report=true" -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="images-along-n=false" | FileCheck %s --check-prefix=PERIMAGE
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="cpu-emulation=true" | FileCheck %s --check-prefix=EMU
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="input-copies=true report=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=COPY

// Eight images of 7 x 7 output positions (ResNet's last stage in small):
// one image per grid z would take 8 tiles of 64 columns, each 49 full;
// one GEMM over the images (N = 8 x 49 = 392) takes 7, only the last
// partly empty. The gathers and the epilogue split each column into its
// image and position (a division by 49); the grid has one z. The bias
// broadcast before the convolution stays folded into the epilogue, read
// at the same split.

// CHECK-LABEL: func @small_planes
//   CHECK-NOT: linalg.generic
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c7{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}})
//       CHECK: arith.divui %{{.*}}, %c49
//       CHECK: arith.remui %{{.*}}, %c49
//       CHECK: memref.store %{{.*}}, %arg2[{{.*}}] : memref<8x32x7x7xf32>
// PERIMAGE-LABEL: func @small_planes
//       PERIMAGE: gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c8{{.*}})
//   PERIMAGE-NOT: arith.divui %{{.*}}, %c49
//       PERIMAGE: gpu.terminator
// EMU-LABEL: func @small_planes
//       EMU: arith.divui %{{.*}}, %c49
// COPY: remark: convbn-tensor-core-convolutions: convolution as an implicit GEMM on tensor cores ('f32', M=32 N=392 K=144, 1 in the grid's z); N spans the images (one GEMM of images x positions); K ordered as window x channels; the output's initialization (linalg.generic) folded into the epilogue; the input copied in (n, h, w, c) order first; B gathered in 16-byte vectors along K;
func.func @small_planes(%x: memref<8x16x9x9xf32>, %w: memref<32x16x3x3xf32>, %o: memref<8x32x7x7xf32>, %bias: memref<32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
    ins(%bias : memref<32xf32>) outs(%o : memref<8x32x7x7xf32>) {
  ^bb0(%b: f32, %out: f32):
    linalg.yield %b : f32
  }
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=32 N=392 K=144, 1 in the grid's z); N spans the images (one GEMM of images x positions); K ordered as window x channels; the output's initialization (linalg.generic) folded into the epilogue;}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<8x16x9x9xf32>, memref<32x16x3x3xf32>) outs(%o : memref<8x32x7x7xf32>)
  return
}

// -----

// Not spread: positions that fill whole tiles (8 x 8 = 64), or too few
// images for a tile fewer (4 x 49 = 196 still takes 4 tiles).

// CHECK-LABEL: func @no_saving
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c2{{.*}})
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c4{{.*}})
func.func @no_saving(%x: memref<2x16x10x10xf32>, %w: memref<32x16x3x3xf32>, %o: memref<2x32x8x8xf32>,
                     %x2: memref<4x16x9x9xf32>, %o2: memref<4x32x7x7xf32>) {
  // expected-remark @+1 {{('f32', M=32 N=64 K=144, 2 in the grid's z); K ordered}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<2x16x10x10xf32>, memref<32x16x3x3xf32>) outs(%o : memref<2x32x8x8xf32>)
  // expected-remark @+1 {{('f32', M=32 N=49 K=144, 4 in the grid's z); K ordered}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x2, %w : memref<4x16x9x9xf32>, memref<32x16x3x3xf32>) outs(%o2 : memref<4x32x7x7xf32>)
  return
}

// -----

// 65536 images: more than the grid's z holds (65535), unless one GEMM
// spans them. With one output position each (N = 65536 in one grid z) the
// convolution is taken; with 64 each (whole tiles, not spread) it is
// left as a loop nest, as with images-along-n=false.

// CHECK-LABEL: func @many_images
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c1024{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}})
//   CHECK-NOT: gpu.launch
// PERIMAGE-LABEL: func @many_images
//   PERIMAGE-NOT: gpu.launch
func.func @many_images(%x: memref<65536x2x1x1xf32>, %w: memref<4x2x1x1xf32>, %o: memref<65536x4x1x1xf32>,
                       %x8: memref<65536x2x8x8xf32>, %o8: memref<65536x4x8x8xf32>) {
  // expected-remark @+1 {{('f32', M=4 N=65536 K=2, 1 in the grid's z); N spans the images}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<65536x2x1x1xf32>, memref<4x2x1x1xf32>) outs(%o : memref<65536x4x1x1xf32>)
  // expected-remark @+1 {{left as a loop nest: more than 65535 images, chunks or filter tiles for the grid}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x8, %w : memref<65536x2x8x8xf32>, memref<4x2x1x1xf32>) outs(%o8 : memref<65536x4x8x8xf32>)
  return
}
