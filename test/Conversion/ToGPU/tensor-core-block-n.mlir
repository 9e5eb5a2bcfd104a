// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="block-m=128 block-n=128 report=true" -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="block-m=128 block-n=128 cpu-emulation=true" | FileCheck %s --check-prefix=EMU
// RUN: convbn-opt %s -split-input-file -convbn-gpu-pipeline="tensor-cores=true tensor-core-block-m=128 tensor-core-block-n=128" | FileCheck %s --check-prefix=PIPE
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="block-n=128 k-step-bytes=128 report=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=NARROW
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="block-m=128 block-n=128 k-step-bytes=128 max-shared-bytes=98304 report=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=DYNAMIC
// RUN: not convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="block-n=96" 2>&1 | FileCheck %s --check-prefix=BAD

// Blocks of 128 x 128 (block-m=128 block-n=128): each warp multiplies
// 64 x 64, 4 x 8 mma tiles (32 accumulators carried by the K loop), from
// tiles of 128 filters and 128 output positions (here the 4 images' 64
// each: N spans the images, 2 blocks along N). Two stages of both tiles
// take 40,960 bytes; with the f32 output tile (64 rows of 128 columns,
// two passes) beside them they would take more than 48 KiB, so it lies
// over them.

// CHECK-LABEL: func @wide
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c2{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c128
//  CHECK-SAME: workgroup({{.*}} : memref<40960xi8, #gpu.address_space<workgroup>>)
//       CHECK: memref.view {{.*}}[%c0{{.*}}][] : memref<40960xi8, #gpu.address_space<workgroup>> to memref<2x128x20xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view {{.*}}[%c20480{{.*}}][] : memref<40960xi8, #gpu.address_space<workgroup>> to memref<2x128x20xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view {{.*}}[%c0{{.*}}][] : memref<40960xi8, #gpu.address_space<workgroup>> to memref<64x136xf32, #gpu.address_space<workgroup>>
//       CHECK: scf.for {{.*}} -> ([[ACC:vector<2x2xf32>]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]], [[ACC]])
//       CHECK:   gpu.barrier
//       CHECK:   scf.yield
//       CHECK: gpu.barrier
//       CHECK: memref.store {{.*}}, %arg2
//       CHECK: gpu.barrier
//       CHECK: gpu.barrier
//       CHECK: memref.store {{.*}}, %arg2
//   CHECK-NOT: gpu.barrier
//       CHECK: gpu.terminator
// EMU-LABEL: func @wide
//       EMU: memref.alloc() {convbn.emulated_shared} : memref<40960xi8>
//       EMU: memref.view {{.*}} : memref<40960xi8> to memref<2x128x20xf32>
//       EMU: memref.view {{.*}} : memref<40960xi8> to memref<2x128x20xf32>
//       EMU: memref.view {{.*}} : memref<40960xi8> to memref<64x136xf32>
//       EMU: memref.alloc() : memref<128x16x8xf32>
// PIPE-LABEL: llvm.func @wide
//       PIPE: gpu.binary
// NARROW: blocks of 64 x 128 (warps of 32 x 64), K steps of 16; 34816 bytes of shared memory{{$}}
// DYNAMIC: blocks of 128 x 128 (warps of 64 x 64), K steps of 16; 40960 bytes of shared memory{{$}}
// BAD: error: convbn-tensor-core-convolutions: block-n is 96; it must be 64 or 128
func.func @wide(%x: memref<4x16x10x10xf32>, %w: memref<128x16x3x3xf32>, %o: memref<4x128x8x8xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=128 N=256 K=144, 1 in the grid's z); N spans the images (one GEMM of images x positions); K ordered as window x channels; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1, ldmatrix 1, accumulators 1; blocks of 128 x 128 (warps of 64 x 64), K steps of 16; 40960 bytes of shared memory}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<4x16x10x10xf32>, memref<128x16x3x3xf32>) outs(%o : memref<4x128x8x8xf32>)
  return
}

// -----

// 128 columns only where two stages of the tiles fit the shared memory
// allowed: with K steps of 128 bytes (32 f32, 64 channels), 64 x 128
// blocks would take 55,296 bytes, so the block keeps 64 columns; with
// max-shared-bytes=98304, 128 x 128 blocks take 73,728 bytes of dynamic
// shared memory.

// NARROW: blocks of 64 x 64 (warps of 32 x 32), K steps of 32; 36864 bytes of shared memory{{$}}
// DYNAMIC: blocks of 128 x 128 (warps of 64 x 64), K steps of 32; 73728 bytes of shared memory (dynamic){{$}}
func.func @budget(%x: memref<4x64x10x10xf32>, %w: memref<128x64x3x3xf32>, %o: memref<4x128x8x8xf32>) {
  // expected-remark @+1 {{blocks of 128 x 128 (warps of 64 x 64), K steps of 16; 40960 bytes of shared memory}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<4x64x10x10xf32>, memref<128x64x3x3xf32>) outs(%o : memref<4x128x8x8xf32>)
  return
}

// -----

// A filter gradient whose N is ordered window x channels (64 channels of a
// 3 x 3 window) splits a block's columns into their window offset once per
// block: 128 columns would span two offsets, so it keeps 64.

// NARROW: blocks of 64 x 64 (warps of 32 x 32), K steps of 32; 36864 bytes of shared memory{{$}}
// DYNAMIC: blocks of 128 x 64 (warps of 64 x 32), K steps of 32; 55296 bytes of shared memory (dynamic){{$}}
func.func @window_columns(%x: memref<1x2x1x64x10x10xf32>, %g: memref<1x2x1x128x8x8xf32>, %out: memref<1x1x128x64x3x3xf64>) {
  // expected-remark @+1 {{backward-filter reduction as an implicit GEMM on tensor cores ('f32', M=128 N=576 K=128, 1 in the grid's z); N ordered as window x channels; A gathered in 16-byte vectors along K; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 2, ldmatrix 1, accumulators 1; blocks of 128 x 64 (warps of 64 x 32), K steps of 16; 49152 bytes of shared memory}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d3, d4 + d7, d5 + d8)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d2, d7, d8)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d1, d2, d3, d4, d5)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
    ins(%x, %g : memref<1x2x1x64x10x10xf32>, memref<1x2x1x128x8x8xf32>) outs(%out : memref<1x1x128x64x3x3xf64>) {
  ^bb0(%in: f32, %in_0: f32, %acc: f64):
    %0 = arith.extf %in : f32 to f64
    %1 = arith.extf %in_0 : f32 to f64
    %2 = arith.mulf %0, %1 : f64
    %3 = arith.addf %acc, %2 : f64
    linalg.yield %3 : f64
  }
  return
}
