// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="report=true" -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="allow-tf32=false report=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=NOTF32
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="cpu-emulation=true" | FileCheck %s --check-prefix=EMU
// RUN: convbn-opt %s -split-input-file -convbn-gpu-pipeline="tensor-cores=true" | FileCheck %s --check-prefix=PIPE
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="fold-operands=false" | FileCheck %s --check-prefix=NOFOLD
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="recompute-producers=true" | FileCheck %s --check-prefix=RECOMPUTE
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="prefetch=false" | FileCheck %s --check-prefix=NOPREFETCH
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="vector-gathers=false report=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=NOVEC
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="async-copies=true" | FileCheck %s --check-prefix=ASYNC
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="async-copies=true report=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=ASYNCREPORT
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="async-copies=true cpu-emulation=true" | FileCheck %s --check-prefix=ASYNCEMU
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="k-step-bytes=32" | FileCheck %s --check-prefix=NARROW
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="k-step-bytes=32 report=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=NARROWREPORT

// f32 operands: TF32 mma.sync m16n8k8. One launch: grid (position tiles,
// filter tiles, images), 128 threads, three shared-memory tiles, the
// filter and im2col ones in two stages. The kernel starts by assuming each
// buffer it reads 16-byte aligned, once; the first K step's tiles are
// gathered by the block ahead of the K loop. Each step loads the next
// step's elements, multiplies its own stage (ldmatrix, mma.sync; 2 x 4
// accumulators per warp carried by the loop), stores what it loaded into
// the other stage and waits once. With prefetch=false, one stage: gather,
// barrier, multiply, barrier.
// The im2col tile's elements, 8 consecutive k per thread, are stored 16
// bytes at a time. The report also says what the tiles' layout costs in
// shared-memory bank conflicts: the most 4-byte words that a warp's access
// puts in one bank (TensorCoreTiles.h: rows padded by 16 bytes).

// CHECK-LABEL: func @f32_tf32
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c2{{.*}}, {{.*}} = %c2{{.*}}, {{.*}} = %c2{{.*}}) threads({{.*}}) in ({{.*}} = %c128
//  CHECK-SAME: workgroup({{.*}} : memref<38912xi8, #gpu.address_space<workgroup>>)
//  CHECK-NEXT: %[[W:.*]] = memref.assume_alignment %arg1, 16 : memref<70x20x3x3xf32>
//  CHECK-NEXT: %[[X:.*]] = memref.assume_alignment %arg0, 16 : memref<2x20x14x12xf32>
//   CHECK-NOT: memref.assume_alignment
//       CHECK: memref.view {{.*}}[%c0{{.*}}][] : memref<38912xi8, #gpu.address_space<workgroup>> to memref<2x64x20xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view {{.*}}[%c10240{{.*}}][] : memref<38912xi8, #gpu.address_space<workgroup>> to memref<2x64x20xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view {{.*}}[%c20480{{.*}}][] : memref<38912xi8, #gpu.address_space<workgroup>> to memref<64x72xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.load %[[W]]
//       CHECK: memref.load %[[X]]
//       CHECK: memref.store {{.*}}[%c0{{.*}}, {{.*}}, {{.*}}] : memref<2x64x20xf32, #gpu.address_space<workgroup>>
//       CHECK: vector.store {{.*}}[%c0{{.*}}, {{.*}}, {{.*}}] {alignment = 16 : i64} : memref<2x64x20xf32, #gpu.address_space<workgroup>>, vector<4xf32>
//       CHECK: vector.store {{.*}}[%c0{{.*}}, {{.*}}, {{.*}}] {alignment = 16 : i64} : memref<2x64x20xf32, #gpu.address_space<workgroup>>, vector<4xf32>
//       CHECK: gpu.barrier
//       CHECK: scf.for %[[K:.*]] = {{.*}} iter_args({{.*}}) -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>)
//  CHECK-NEXT:   %[[NEXT:.*]] = affine.apply #{{.*}}(%[[K]])
//       CHECK:   memref.load %[[W]]
//       CHECK:   memref.load %[[X]]
//       CHECK:   %[[STAGE:.*]] = affine.apply #{{.*}}(%[[K]])
//       CHECK:   nvgpu.ldmatrix %{{.*}}[%[[STAGE]], {{.*}}, {{.*}}]
//       CHECK:   nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 8], tf32Enabled}
//       CHECK:   memref.store {{.*}}[%[[NEXT]], {{.*}}, {{.*}}] : memref<2x64x20xf32, #gpu.address_space<workgroup>>
//       CHECK:   vector.store {{.*}}[%[[NEXT]], {{.*}}, {{.*}}] {alignment = 16 : i64} : memref<2x64x20xf32, #gpu.address_space<workgroup>>, vector<4xf32>
//       CHECK:   gpu.barrier
//   CHECK-NOT:   gpu.barrier
//       CHECK:   scf.yield
//       CHECK: gpu.barrier
//       CHECK: arith.addf
//       CHECK: memref.store {{.*}}, %arg2
//   CHECK-NOT: linalg.conv_2d_nchw_fchw
// NOPREFETCH-LABEL: func @f32_tf32
//       NOPREFETCH: workgroup({{.*}} : memref<28672xi8, #gpu.address_space<workgroup>>)
//       NOPREFETCH: memref.view {{.*}}[%c0{{.*}}][] : memref<28672xi8, #gpu.address_space<workgroup>> to memref<1x64x20xf32, #gpu.address_space<workgroup>>
//       NOPREFETCH: memref.view {{.*}}[%c5120{{.*}}][] : memref<28672xi8, #gpu.address_space<workgroup>> to memref<1x64x20xf32, #gpu.address_space<workgroup>>
//       NOPREFETCH: memref.view {{.*}}[%c10240{{.*}}][] : memref<28672xi8, #gpu.address_space<workgroup>> to memref<64x72xf32, #gpu.address_space<workgroup>>
//   NOPREFETCH-NOT: gpu.barrier
//       NOPREFETCH: scf.for
//       NOPREFETCH:   memref.load %{{.*}} : memref<70x20x3x3xf32>
//       NOPREFETCH:   memref.load %{{.*}} : memref<2x20x14x12xf32>
//       NOPREFETCH:   gpu.barrier
//       NOPREFETCH:   nvgpu.mma.sync
//       NOPREFETCH:   gpu.barrier
//       NOPREFETCH:   scf.yield
//       NOPREFETCH: gpu.barrier
// NOTF32: :[[@LINE+11]]:3: remark: convbn-tensor-core-convolutions: left as a loop nest: f32 operands and allow-tf32=false
// EMU-LABEL: func @f32_tf32
//   EMU-NOT: gpu.launch
//       EMU: memref.alloc() {convbn.emulated_shared} : memref<38912xi8>
//       EMU: memref.view {{.*}} : memref<38912xi8> to memref<2x64x20xf32>
//       EMU: vector.contract
//   EMU-NOT: nvgpu
// PIPE-LABEL: llvm.func @f32_tf32
//       PIPE: gpu.binary
func.func @f32_tf32(%x: memref<2x20x14x12xf32>, %w: memref<70x20x3x3xf32>, %o: memref<2x70x12x10xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=70 N=120 K=180, 2 in the grid's z); shared-memory ways per warp access (1: no bank conflict): A stores 2, B stores 1, ldmatrix 1, accumulators 1}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<2x20x14x12xf32>, memref<70x20x3x3xf32>) outs(%o : memref<2x70x12x10xf32>)
  return
}

// -----

// f16 operands, f32 accumulator: m16n8k16, with strides and dilations in
// the gather. A K step holds 32 16-bit elements (k-step-bytes=64, the
// default), here 4 window offsets of the 8 channels: K = 9 x 8 padded to
// 96, 3 steps (with k-step-bytes=32, 80: 5 steps of 16).

// CHECK-LABEL: func @f16
//       CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// EMU-LABEL: func @f16
//       EMU: arith.extf {{.*}} : vector<16x16xf16> to vector<16x16xf32>
func.func @f16(%x: memref<1x8x15x15xf16>, %w: memref<64x8x3x3xf16>, %o: memref<1x64x6x6xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f16', M=64 N=36 K=96, 1 in the grid's z); K ordered as window x channels; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 2, ldmatrix 1, accumulators 1; blocks of 64 x 64 (warps of 32 x 32), K steps of 32}}
  linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %w : memref<1x8x15x15xf16>, memref<64x8x3x3xf16>) outs(%o : memref<1x64x6x6xf32>)
  return
}

// -----

// bf16 operands, f32 accumulator: built as f16 (upstream's fragment helpers
// know no bf16), then the shared tiles and ldmatrix results retyped; the
// pipeline's -convbn-lower-bf16-mma-sync makes NVVM's bf16 mma.sync. K is
// one tile here: the gathers precede the barrier ahead of the folded K loop.
// The 1x1 filter's rows are contiguous along K: gathered and stored 8
// elements (16 bytes) at a time, like the im2col tile. K is 16, which
// steps of 32 would leave with a tail (no vectors): its steps stay 16.

// CHECK-LABEL: func @bf16
//       CHECK: workgroup({{.*}} : memref<30720xi8, #gpu.address_space<workgroup>>)
//       CHECK: memref.view {{.*}}[%c0{{.*}}][] : memref<30720xi8, #gpu.address_space<workgroup>> to memref<2x64x24xbf16, #gpu.address_space<workgroup>>
//       CHECK: memref.view {{.*}}[%c6144{{.*}}][] : memref<30720xi8, #gpu.address_space<workgroup>> to memref<2x64x24xbf16, #gpu.address_space<workgroup>>
//       CHECK: memref.view {{.*}}[%c12288{{.*}}][] : memref<30720xi8, #gpu.address_space<workgroup>> to memref<64x72xf32, #gpu.address_space<workgroup>>
//   CHECK-NOT: scf.for {{.*}} iter_args
//       CHECK: memref.load %{{.*}} : memref<32x16x1x1xbf16>
//       CHECK: memref.load %{{.*}} : memref<1x16x8x8xbf16>
//       CHECK: vector.store {{.*}} {alignment = 16 : i64} : memref<2x64x24xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
//       CHECK: vector.store {{.*}} {alignment = 16 : i64} : memref<2x64x24xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
//       CHECK: gpu.barrier
//       CHECK: nvgpu.ldmatrix {{.*}} : memref<2x64x24xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
//       CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
//       CHECK: gpu.barrier
//       CHECK: gpu.barrier
//       CHECK: memref.store {{.*}}, %arg2
//   CHECK-NOT: f16>
// EMU-LABEL: func @bf16
//       EMU: arith.extf {{.*}} : vector<16x16xbf16> to vector<16x16xf32>
// PIPE-LABEL: llvm.func @bf16
//       PIPE: gpu.binary
// With async-copies, the filter's vectors go from global to shared memory
// without registers (cp.async), read from the filter with its channels
// and window as one dimension, along which they lie; rows past the 32
// filters are zero-filled (0 source elements); the copies are waited for
// before the barrier.
// ASYNC-LABEL: func @f32_tf32
//   ASYNC-NOT: nvgpu.device_async_copy
// ASYNC-LABEL: func @bf16
//       ASYNC: %[[W:.*]] = memref.collapse_shape %arg1 {{\[}}[0], [1, 2, 3]] : memref<32x16x1x1xbf16> into memref<32x16xbf16>
//       ASYNC: %[[COPY:.*]] = nvgpu.device_async_copy %[[W]][{{.*}}, {{.*}}], %{{.*}}[%c0{{.*}}, {{.*}}, {{.*}}], 8, %{{.*}} {bypassL1} : memref<32x16xbf16> to memref<2x64x24xbf16, #gpu.address_space<workgroup>>
//   ASYNC-NOT: memref.load %{{.*}} : memref<32x16x1x1xbf16>
//       ASYNC: %[[GROUP:.*]] = nvgpu.device_async_create_group %[[COPY]]
//       ASYNC: vector.store {{.*}} : memref<2x64x24xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
//  ASYNC-NEXT: nvgpu.device_async_wait %[[GROUP]]
//  ASYNC-NEXT: gpu.barrier
// ASYNCREPORT: remark: convbn-tensor-core-convolutions: convolution as an implicit GEMM on tensor cores ('bf16', M=32 N=64 K=16, 1 in the grid's z); A gathered in 16-byte vectors along K; A copied to shared memory asynchronously (cp.async);
func.func @bf16(%x: memref<1x16x8x8xbf16>, %w: memref<32x16x1x1xbf16>, %o: memref<1x32x8x8xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('bf16', M=32 N=64 K=16, 1 in the grid's z); A gathered in 16-byte vectors along K; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1, ldmatrix 1, accumulators 1; blocks of 64 x 64 (warps of 32 x 32), K steps of 16}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x16x8x8xbf16>, memref<32x16x1x1xbf16>) outs(%o : memref<1x32x8x8xf32>)
  return
}

// -----

// Wide K steps: 64 channels of bf16, 32 a step (64 bytes, as f32's 16):
// rows of 32 elements plus 8 of padding in the shared tiles, and per step
// two mma.sync k-steps of 16 for each of a warp's 2 x 4 mma tiles between
// two barriers, ldmatrix 16 bytes of rows 80 bytes apart (no conflict).
// With k-step-bytes=32, rows of 16 + 8 and 8 mma.sync per step.

// CHECK-LABEL: func @bf16_wide_steps
//       CHECK: workgroup({{.*}} : memref<38912xi8, #gpu.address_space<workgroup>>)
//       CHECK: memref.view {{.*}}[%c0{{.*}}][] : memref<38912xi8, #gpu.address_space<workgroup>> to memref<2x64x40xbf16, #gpu.address_space<workgroup>>
//       CHECK: memref.view {{.*}}[%c10240{{.*}}][] : memref<38912xi8, #gpu.address_space<workgroup>> to memref<2x64x40xbf16, #gpu.address_space<workgroup>>
//       CHECK: memref.view {{.*}}[%c20480{{.*}}][] : memref<38912xi8, #gpu.address_space<workgroup>> to memref<64x72xf32, #gpu.address_space<workgroup>>
//       CHECK: scf.for
// CHECK-COUNT-16: nvgpu.mma.sync
//   CHECK-NOT: nvgpu.mma.sync
//       CHECK: gpu.barrier
// NARROW-LABEL: func @bf16_wide_steps
//       NARROW: workgroup({{.*}} : memref<30720xi8, #gpu.address_space<workgroup>>)
//       NARROW: memref.view {{.*}}[%c0{{.*}}][] : memref<30720xi8, #gpu.address_space<workgroup>> to memref<2x64x24xbf16, #gpu.address_space<workgroup>>
//       NARROW: memref.view {{.*}}[%c6144{{.*}}][] : memref<30720xi8, #gpu.address_space<workgroup>> to memref<2x64x24xbf16, #gpu.address_space<workgroup>>
//       NARROW: memref.view {{.*}}[%c12288{{.*}}][] : memref<30720xi8, #gpu.address_space<workgroup>> to memref<64x72xf32, #gpu.address_space<workgroup>>
//       NARROW: scf.for
// NARROW-COUNT-8: nvgpu.mma.sync
//   NARROW-NOT: nvgpu.mma.sync
//       NARROW: gpu.barrier
// NARROWREPORT: remark: convbn-tensor-core-convolutions: convolution as an implicit GEMM on tensor cores ('bf16', M=64 N=64 K=576, 1 in the grid's z); K ordered as window x channels; {{.*}}, K steps of 16; 30720 bytes of shared memory{{$}}
func.func @bf16_wide_steps(%x: memref<1x64x10x10xbf16>, %w: memref<64x64x3x3xbf16>, %o: memref<1x64x8x8xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('bf16', M=64 N=64 K=576, 1 in the grid's z); K ordered as window x channels; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1, ldmatrix 1, accumulators 1; blocks of 64 x 64 (warps of 32 x 32), K steps of 32}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x64x10x10xbf16>, memref<64x64x3x3xbf16>) outs(%o : memref<1x64x8x8xf32>)
  return
}

// -----

// The backward-filter reduction of the linalg lowering (batch split into
// chunks: loops p g f c kh kw | n oh ow), stride 2, dilation 1: one GEMM per
// chunk, M = filters, N = channels x window, K = images x positions; the
// f64 partials are accumulated into (the f32 tile widened).

#in = affine_map<(p, g, f, c, kh, kw, n, oh, ow) -> (p, n, g, c, oh * 2 + kh, ow * 2 + kw)>
#grad = affine_map<(p, g, f, c, kh, kw, n, oh, ow) -> (p, n, g, f, oh, ow)>
#out = affine_map<(p, g, f, c, kh, kw, n, oh, ow) -> (p, g, f, c, kh, kw)>
// CHECK-LABEL: func @backward_filter
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c3{{.*}}, {{.*}} = %c2{{.*}}, {{.*}} = %c4{{.*}})
//       CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 8], tf32Enabled}
//       CHECK: arith.extf {{.*}} : f32 to f64
//       CHECK: memref.store {{.*}}, %arg2
//   CHECK-NOT: linalg.generic
// EMU-LABEL: func @backward_filter
//       EMU: vector.contract
func.func @backward_filter(%x: memref<4x2x1x16x11x11xf32>, %g: memref<4x2x1x70x5x5xf32>, %dw: memref<4x1x70x16x3x3xf64>) {
  // expected-remark @+1 {{backward-filter reduction as an implicit GEMM on tensor cores ('f32', M=70 N=144 K=50, 4 in the grid's z); shared-memory ways per warp access (1: no bank conflict): A stores 2, B stores 2, ldmatrix 1, accumulators 1}}
  linalg.generic {indexing_maps = [#in, #grad, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %g : memref<4x2x1x16x11x11xf32>, memref<4x2x1x70x5x5xf32>) outs(%dw : memref<4x1x70x16x3x3xf64>) {
  ^bb0(%a: f32, %b: f32, %acc: f64):
    %ae = arith.extf %a : f32 to f64
    %be = arith.extf %b : f32 to f64
    %m = arith.mulf %ae, %be : f64
    %s = arith.addf %acc, %m : f64
    linalg.yield %s : f64
  }
  return
}

// -----

// With channels a multiple of 64 (a tile of N), N is ordered (kh, kw, c):
// a block's tile of N lies in one window offset, which the block splits
// once (by the channels, 64), and the epilogue writes dW[f][c][kh][kw]
// from n = (kh * 3 + kw) * 64 + c.

#in = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, c, oh + kh, ow + kw)>
#grad = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, f, oh, ow)>
#out = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (g, f, c, kh, kw)>
// CHECK-LABEL: func @backward_filter_window_outer
//       CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c9{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}})
//       CHECK: arith.divui %{{.*}}, %c64{{(_[0-9]+)?}} : index
//       CHECK: nvgpu.mma.sync
func.func @backward_filter_window_outer(%x: memref<2x1x64x7x7xf32>, %g: memref<2x1x16x5x5xf32>, %dw: memref<1x16x64x3x3xf32>) {
  // expected-remark @+1 {{backward-filter reduction as an implicit GEMM on tensor cores ('f32', M=16 N=576 K=50, 1 in the grid's z); N ordered as window x channels}}
  linalg.generic {indexing_maps = [#in, #grad, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %g : memref<2x1x64x7x7xf32>, memref<2x1x16x5x5xf32>) outs(%dw : memref<1x16x64x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A 1x1 window at stride 1 without padding, each image's plane a multiple
// of 4 positions and K of whole steps: both operands are contiguous along K
// in runs of whole vectors, so each thread gathers 16 bytes of consecutive
// k at a time (Sweep::AlongKVectors) from the buffers with their planes
// collapsed (no division of k by the plane's width), its constant offsets
// last, and stores them into the tiles 16 bytes at a time, a quarter warp's
// rows spread over the banks. The collapsed buffers are made, and their
// starts assumed 16-byte aligned, once at the kernel's start, so that LLVM
// can join each thread's 4 loads into one.

#in = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, c, oh + kh, ow + kw)>
#grad = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, f, oh, ow)>
#out = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (g, f, c, kh, kw)>
// CHECK-LABEL: func @backward_filter_vectors
//       CHECK: gpu.launch
//  CHECK-NEXT: %[[G:.*]] = memref.collapse_shape %arg1 {{\[}}[0], [1], [2], [3, 4]] : memref<2x1x64x8x8xf32> into memref<2x1x64x64xf32>
//  CHECK-NEXT: %[[GA:.*]] = memref.assume_alignment %[[G]], 16
//  CHECK-NEXT: %[[X:.*]] = memref.collapse_shape %arg0 {{\[}}[0], [1], [2], [3, 4]] : memref<2x1x32x8x8xf32> into memref<2x1x32x64xf32>
//  CHECK-NEXT: %[[XA:.*]] = memref.assume_alignment %[[X]], 16
//   CHECK-NOT: memref.collapse_shape
//   CHECK-NOT: memref.assume_alignment
//       CHECK: memref.load %[[GA]]
//       CHECK: memref.load %[[XA]]
//       CHECK: vector.store {{.*}} {alignment = 16 : i64} : memref<2x64x20xf32, #gpu.address_space<workgroup>>, vector<4xf32>
//       CHECK: vector.store {{.*}} {alignment = 16 : i64} : memref<2x64x20xf32, #gpu.address_space<workgroup>>, vector<4xf32>
//       CHECK: nvgpu.mma.sync
// With vector-gathers=false, the same tiles are swept along k one element
// at a time (stores 2-way conflicted in f32).
// NOVEC: remark: convbn-tensor-core-convolutions: backward-filter reduction as an implicit GEMM on tensor cores ('f32', M=64 N=32 K=128, 1 in the grid's z); shared-memory ways per warp access (1: no bank conflict): A stores 2, B stores 2,
// EMU-LABEL: func @backward_filter_vectors
//   EMU-NOT: memref.assume_alignment
//       EMU: vector.contract
// With async-copies, both operands are copied (B's rows past its 32
// zero-filled), the next step's copies
// started before the products and waited for after them, before the
// barrier; the emulation copies with vector loads and stores.
// ASYNC-LABEL: func @backward_filter_vectors
//       ASYNC: nvgpu.device_async_copy %[[G:.*]][{{.*}}], %{{.*}}[{{.*}}], 4 {bypassL1} : memref<2x1x64x64xf32> to memref<2x64x20xf32, #gpu.address_space<workgroup>>
//       ASYNC: nvgpu.device_async_copy %[[X:.*]][{{.*}}], %{{.*}}[{{.*}}], 4, %{{.*}} {bypassL1} : memref<2x1x32x64xf32> to memref<2x64x20xf32, #gpu.address_space<workgroup>>
//       ASYNC: %[[FIRST:.*]] = nvgpu.device_async_create_group
//  ASYNC-NEXT: nvgpu.device_async_wait %[[FIRST]]
//  ASYNC-NEXT: gpu.barrier
//       ASYNC: scf.for
//       ASYNC:   nvgpu.device_async_copy %[[G]]
//       ASYNC:   %[[NEXT:.*]] = nvgpu.device_async_create_group
//       ASYNC:   nvgpu.mma.sync
//       ASYNC:   nvgpu.device_async_wait %[[NEXT]]
//  ASYNC-NEXT:   gpu.barrier
// ASYNCREPORT: remark: convbn-tensor-core-convolutions: backward-filter reduction as an implicit GEMM on tensor cores ('f32', M=64 N=32 K=128, 1 in the grid's z); A and B gathered in 16-byte vectors along K; A and B copied to shared memory asynchronously (cp.async);
// ASYNCEMU-LABEL: func @backward_filter_vectors
//   ASYNCEMU-NOT: nvgpu.device_async
//       ASYNCEMU: vector.load %{{.*}} : memref<2x1x64x64xf32>, vector<4xf32>
//       ASYNCEMU: vector.store %{{.*}} {alignment = 16 : i64} : memref<2x64x20xf32>, vector<4xf32>
//       ASYNCEMU: vector.contract
func.func @backward_filter_vectors(%x: memref<2x1x32x8x8xf32>, %g: memref<2x1x64x8x8xf32>, %dw: memref<1x64x32x1x1xf32>) {
  // expected-remark @+1 {{backward-filter reduction as an implicit GEMM on tensor cores ('f32', M=64 N=32 K=128, 1 in the grid's z); A and B gathered in 16-byte vectors along K; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1, ldmatrix 1, accumulators 1}}
  linalg.generic {indexing_maps = [#in, #grad, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %g : memref<2x1x32x8x8xf32>, memref<2x1x64x8x8xf32>) outs(%dw : memref<1x64x32x1x1xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A 3x3 window, 8 channels (N ordered channels x window):
// the output gradient in vectors as above, and the im2col tile swept in
// vectors of k too, since an output row (8 positions) holds whole vectors:
// each thread splits its k once for both tiles, loads its 4 im2col
// elements one by one (each has its own window column and bounds) and
// stores them 16 bytes at a time.

#in = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, c, oh + kh, ow + kw)>
#grad = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, f, oh, ow)>
#out = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (g, f, c, kh, kw)>
// CHECK-LABEL: func @backward_filter_window_vectors
//       CHECK: gpu.launch
//       CHECK: vector.store {{.*}} {alignment = 16 : i64} : memref<2x64x20xf32, #gpu.address_space<workgroup>>, vector<4xf32>
//       CHECK: vector.store {{.*}} {alignment = 16 : i64} : memref<2x64x20xf32, #gpu.address_space<workgroup>>, vector<4xf32>
//       CHECK: nvgpu.mma.sync
func.func @backward_filter_window_vectors(%x: memref<2x1x8x10x10xf32>, %g: memref<2x1x64x8x8xf32>, %dw: memref<1x64x8x3x3xf32>) {
  // expected-remark @+1 {{backward-filter reduction as an implicit GEMM on tensor cores ('f32', M=64 N=72 K=128, 1 in the grid's z); A and B gathered in 16-byte vectors along K; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1,}}
  linalg.generic {indexing_maps = [#in, #grad, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %g : memref<2x1x8x10x10xf32>, memref<2x1x64x8x8xf32>) outs(%dw : memref<1x64x8x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Without chunks (loops g f c kh kw | n oh ow), f16 operands, f32 partials,
// dilation 2.

#in = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, c, oh + kh * 2, ow + kw * 2)>
#grad = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, f, oh, ow)>
#out = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (g, f, c, kh, kw)>
// CHECK-LABEL: func @backward_filter_f16
//       CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]}
func.func @backward_filter_f16(%x: memref<3x1x8x9x9xf16>, %g: memref<3x1x64x5x5xf16>, %dw: memref<1x64x8x3x3xf32>) {
  // expected-remark @+1 {{backward-filter reduction as an implicit GEMM on tensor cores ('f16', M=64 N=72 K=75, 1 in the grid's z); shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1, ldmatrix 1, accumulators 1}}
  linalg.generic {indexing_maps = [#in, #grad, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %g : memref<3x1x8x9x9xf16>, memref<3x1x64x5x5xf16>) outs(%dw : memref<1x64x8x3x3xf32>) {
  ^bb0(%a: f16, %b: f16, %acc: f32):
    %ae = arith.extf %a : f16 to f32
    %be = arith.extf %b : f16 to f32
    %m = arith.mulf %ae, %be : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Generics of other shapes are not candidates (no remark); a grouped
// backward-filter reduction is one, left alone with its reason.

#in = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, c, oh + kh, ow + kw)>
#grad = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, f, oh, ow)>
#out = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (g, f, c, kh, kw)>
#id = affine_map<(i, j) -> (i, j)>
// CHECK-LABEL: func @not_taken
//   CHECK-NOT: gpu.launch
func.func @not_taken(%x: memref<3x2x8x9x9xf32>, %g: memref<3x2x64x7x7xf32>, %dw: memref<2x64x8x3x3xf32>,
                     %a: memref<4x4xf32>, %b: memref<4x4xf32>) {
  // expected-remark @+1 {{left as a loop nest: grouped convolution}}
  linalg.generic {indexing_maps = [#in, #grad, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %g : memref<3x2x8x9x9xf32>, memref<3x2x64x7x7xf32>) outs(%dw : memref<2x64x8x3x3xf32>) {
  ^bb0(%u: f32, %v: f32, %acc: f32):
    %m = arith.mulf %u, %v : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4x4xf32>) outs(%b : memref<4x4xf32>) {
  ^bb0(%u: f32, %acc: f32):
    linalg.yield %u : f32
  }
  return
}

// -----

// K ordered window x channels with at least a tile's rows of filters: the
// filter tile (its k kh x kw apart in memory) is swept along its rows like
// the im2col tile, each thread keeping its filter and storing its 8
// consecutive k 16 bytes at a time, without bank conflicts. With fewer
// filters than a tile's rows (@mixed below) it stays swept along k.

// CHECK-LABEL: func @filter_rows
//       CHECK: memref.load %{{.*}} : memref<80x32x3x3xf32>
//       CHECK: vector.store {{.*}}[%c0{{.*}}, {{.*}}, {{.*}}] {alignment = 16 : i64} : memref<2x64x20xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// EMU-LABEL: func @filter_rows
//       EMU: vector.store {{.*}} {alignment = 16 : i64} : memref<2x64x20xf32>, vector<4xf32>
func.func @filter_rows(%x: memref<2x32x10x10xf32>, %w: memref<80x32x3x3xf32>, %o: memref<2x80x8x8xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=80 N=64 K=288, 2 in the grid's z); K ordered as window x channels; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1, ldmatrix 1, accumulators 1}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<2x32x10x10xf32>, memref<80x32x3x3xf32>) outs(%o : memref<2x80x8x8xf32>)
  return
}

// -----

// One f32 and one 16-bit operand (the f32 output gradient against bf16
// weights, in train and eval): a TF32 GEMM, the 16-bit operand widened
// (exactly) as it is gathered. f16 against bf16 is left alone.

// CHECK-LABEL: func @mixed
//       CHECK: workgroup({{.*}} : memref<38912xi8, #gpu.address_space<workgroup>>)
//       CHECK: memref.view {{.*}} to memref<2x64x20xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view {{.*}} to memref<2x64x20xf32, #gpu.address_space<workgroup>>
//       CHECK: %[[W:.*]] = memref.load %{{.*}} : memref<16x32x3x3xbf16>
//  CHECK-NEXT: arith.extf %[[W]] : bf16 to f32
//       CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 8], tf32Enabled}
// NOTF32: :[[@LINE+6]]:3: remark: convbn-tensor-core-convolutions: left as a loop nest: f32 and 16-bit operands and allow-tf32=false
// EMU-LABEL: func @mixed
//       EMU: arith.extf {{.*}} : bf16 to f32
func.func @mixed(%g: memref<2x32x10x10xf32>, %w: memref<16x32x3x3xbf16>, %dx: memref<2x16x8x8xf32>,
                 %x16: memref<1x16x8x8xf16>, %wb: memref<32x16x1x1xbf16>, %o: memref<1x32x8x8xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=16 N=64 K=288, 2 in the grid's z); K ordered as window x channels}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%g, %w : memref<2x32x10x10xf32>, memref<16x32x3x3xbf16>) outs(%dx : memref<2x16x8x8xf32>)
  // expected-remark @+1 {{left as a loop nest: operands of different types other than f32 and f16/bf16}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x16, %wb : memref<1x16x8x8xf16>, memref<32x16x1x1xbf16>) outs(%o : memref<1x32x8x8xf32>)
  return
}

// -----

// The op just before the convolution that only initializes its output is
// folded into the epilogue, which then writes initial value + product
// instead of reading the output back: the bias broadcast of a forward
// convolution (one bias load per element), a zero fill (the product
// alone), a fill with another constant.

#bias = affine_map<(n, f, h, w) -> (f)>
#id4 = affine_map<(n, f, h, w) -> (n, f, h, w)>
// CHECK-LABEL: func @fold_bias
//   CHECK-NOT: linalg.generic
//       CHECK: gpu.launch
//       CHECK: nvgpu.mma.sync
//       CHECK: gpu.barrier
//       CHECK: gpu.barrier
//       CHECK: scf.if
//   CHECK-NOT: memref.load %arg3
//       CHECK: %[[T:.*]] = memref.load %{{.*}} : memref<64x72xf32, #gpu.address_space<workgroup>>
//       CHECK: %[[B:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<70xf32>
//       CHECK: %[[S:.*]] = arith.addf %[[B]], %[[T]]
//       CHECK: memref.store %[[S]], %arg3
// NOFOLD-LABEL: func @fold_bias
//       NOFOLD: linalg.generic
//       NOFOLD: gpu.launch
//       NOFOLD: %[[O:.*]] = memref.load %arg3
//       NOFOLD: arith.addf %[[O]]
// EMU-LABEL: func @fold_bias
//   EMU-NOT: linalg.generic
//       EMU: memref.load %arg2
func.func @fold_bias(%x: memref<2x20x14x12xf32>, %w: memref<70x20x3x3xf32>, %b: memref<70xf32>, %o: memref<2x70x12x10xf32>) {
  linalg.generic {indexing_maps = [#bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : memref<70xf32>) outs(%o : memref<2x70x12x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=70 N=120 K=180, 2 in the grid's z); the output's initialization (linalg.generic) folded into the epilogue}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<2x20x14x12xf32>, memref<70x20x3x3xf32>) outs(%o : memref<2x70x12x10xf32>)
  return
}

// CHECK-LABEL: func @fold_zero
//   CHECK-NOT: linalg.fill
//       CHECK: gpu.launch
//       CHECK: %[[T:.*]] = memref.load %{{.*}} : memref<64x72xf32, #gpu.address_space<workgroup>>
//  CHECK-NEXT: memref.store %[[T]], %arg2
func.func @fold_zero(%x: memref<1x8x15x15xf16>, %w: memref<64x8x3x3xf16>, %o: memref<1x64x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%o : memref<1x64x6x6xf32>)
  // expected-remark @+1 {{the output's initialization (linalg.fill) folded into the epilogue}}
  linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %w : memref<1x8x15x15xf16>, memref<64x8x3x3xf16>) outs(%o : memref<1x64x6x6xf32>)
  return
}

// CHECK-LABEL: func @fold_constant
//   CHECK-NOT: linalg.fill
//       CHECK: gpu.launch
//       CHECK: %[[T:.*]] = memref.load %{{.*}} : memref<64x72xf32, #gpu.address_space<workgroup>>
//  CHECK-NEXT: %[[C:.*]] = arith.constant 5.000000e-01 : f32
//  CHECK-NEXT: %[[S:.*]] = arith.addf %[[C]], %[[T]]
//  CHECK-NEXT: memref.store %[[S]], %arg2
func.func @fold_constant(%x: memref<1x8x15x15xf16>, %w: memref<64x8x3x3xf16>, %o: memref<1x64x6x6xf32>) {
  %half = arith.constant 0.5 : f32
  linalg.fill ins(%half : f32) outs(%o : memref<1x64x6x6xf32>)
  // expected-remark @+1 {{the output's initialization (linalg.fill) folded into the epilogue}}
  linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %w : memref<1x8x15x15xf16>, memref<64x8x3x3xf16>) outs(%o : memref<1x64x6x6xf32>)
  return
}

// -----

// Not folded: an initializer that is not just before the convolution, one
// of another buffer, and one whose buffer the convolution also reads
// (through a view); the epilogue adds to what the output holds.

// CHECK-LABEL: func @not_folded
//       CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg2
//       CHECK: linalg.fill ins(%{{.*}} : f32) outs(%arg3
//       CHECK: gpu.launch
//       CHECK: %[[O:.*]] = memref.load %arg2
//       CHECK: arith.addf %[[O]]
//       CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[BUF:.*]] :
//       CHECK: gpu.launch
//       CHECK: memref.load %[[BUF]]
func.func @not_folded(%x: memref<1x8x15x15xf16>, %w: memref<64x8x3x3xf16>, %o: memref<1x64x6x6xf32>,
                      %other: memref<1x64x6x6xf32>, %w32: memref<8x8x1x1xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%o : memref<1x64x6x6xf32>)
  linalg.fill ins(%zero : f32) outs(%other : memref<1x64x6x6xf32>)
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f16', M=64 N=36 K=96, 1 in the grid's z); K ordered as window x channels}}
  linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %w : memref<1x8x15x15xf16>, memref<64x8x3x3xf16>) outs(%o : memref<1x64x6x6xf32>)
  %buf = memref.alloc() : memref<2x8x4x4xf32>
  %in = memref.subview %buf[0, 0, 0, 0] [1, 8, 4, 4] [1, 1, 1, 1] : memref<2x8x4x4xf32> to memref<1x8x4x4xf32, strided<[128, 16, 4, 1]>>
  %out = memref.subview %buf[1, 0, 0, 0] [1, 8, 4, 4] [1, 1, 1, 1] : memref<2x8x4x4xf32> to memref<1x8x4x4xf32, strided<[128, 16, 4, 1], offset: 128>>
  linalg.fill ins(%zero : f32) outs(%out : memref<1x8x4x4xf32, strided<[128, 16, 4, 1], offset: 128>>)
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=8 N=16 K=8, 1 in the grid's z)}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%in, %w32 : memref<1x8x4x4xf32, strided<[128, 16, 4, 1]>>, memref<8x8x1x1xf32>) outs(%out : memref<1x8x4x4xf32, strided<[128, 16, 4, 1], offset: 128>>)
  return
}

// -----

// A zero-padded copy of the input (what bufferization leaves of
// tensor.pad: an alloc set to zero, the input copied into a window of it)
// is not read: the kernel reads the unpadded input (at clamped indices)
// and selects zero outside it, and the alloc, its zero fill and its copy go away (its dealloc too,
// in the pipeline; test/Conversion/ToGPU/tensor-core-ptx.test). Through an
// expand_shape too (the backward-filter reduction's view of the batch).

// CHECK-LABEL: func @fold_padding
//   CHECK-NOT: memref.alloc
//   CHECK-NOT: memref.copy
//       CHECK: gpu.launch
//       CHECK: %[[H:.*]] = arith.subi %{{.*}}, %c1
//       CHECK: %[[W:.*]] = arith.subi %{{.*}}, %c2
//       CHECK: %[[HIN:.*]] = arith.cmpi ult, %[[H]], %c12
//       CHECK: %[[WIN:.*]] = arith.cmpi ult, %[[W]], %c10
//       CHECK: %[[IN:.*]] = arith.andi %[[HIN]], %[[WIN]]
//       CHECK: %[[HC:.*]] = arith.select %[[IN]], %[[H]], %c0
//       CHECK: %[[WC:.*]] = arith.select %[[IN]], %[[W]], %c0
//       CHECK: %[[X:.*]] = memref.load %{{.*}}[%{{.*}}, %{{.*}}, %[[HC]], %[[WC]]] : memref<2x20x12x10xf32>
//       CHECK: arith.select %[[IN]], %[[X]], %cst
// NOFOLD-LABEL: func @fold_padding
//       NOFOLD: memref.copy %arg0
//       NOFOLD: gpu.launch
// EMU-LABEL: func @fold_padding
//   EMU-NOT: memref.copy
//       EMU: memref.load %arg0
func.func @fold_padding(%x: memref<2x20x12x10xf32>, %w: memref<70x20x3x3xf32>, %o: memref<2x70x12x10xf32>) {
  %zero = arith.constant 0.0 : f32
  %padded = memref.alloc() : memref<2x20x14x14xf32>
  linalg.map outs(%padded : memref<2x20x14x14xf32>)
    (%init: f32) {
      linalg.yield %zero : f32
    }
  %window = memref.subview %padded[0, 0, 1, 2] [2, 20, 12, 10] [1, 1, 1, 1] : memref<2x20x14x14xf32> to memref<2x20x12x10xf32, strided<[3920, 196, 14, 1], offset: 16>>
  memref.copy %x, %window : memref<2x20x12x10xf32> to memref<2x20x12x10xf32, strided<[3920, 196, 14, 1], offset: 16>>
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=70 N=120 K=180, 2 in the grid's z); reads the unpadded input (padding 1, 2 before)}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%padded, %w : memref<2x20x14x14xf32>, memref<70x20x3x3xf32>) outs(%o : memref<2x70x12x10xf32>)
  return
}

#in = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, c, oh + kh * 2, ow + kw * 2)>
#grad = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, f, oh, ow)>
#out = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (g, f, c, kh, kw)>
// CHECK-LABEL: func @fold_padding_backward_filter
//   CHECK-NOT: memref.alloc
//       CHECK: gpu.launch
//       CHECK: memref.load %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<3x8x7x7xf16>
func.func @fold_padding_backward_filter(%x: memref<3x8x7x7xf16>, %g: memref<3x1x64x5x5xf16>, %dw: memref<1x64x8x3x3xf32>) {
  %zero = arith.constant 0.0 : f16
  %padded = memref.alloc() : memref<3x8x9x9xf16>
  linalg.fill ins(%zero : f16) outs(%padded : memref<3x8x9x9xf16>)
  %window = memref.subview %padded[0, 0, 1, 1] [3, 8, 7, 7] [1, 1, 1, 1] : memref<3x8x9x9xf16> to memref<3x8x7x7xf16, strided<[648, 81, 9, 1], offset: 10>>
  memref.copy %x, %window : memref<3x8x7x7xf16> to memref<3x8x7x7xf16, strided<[648, 81, 9, 1], offset: 10>>
  %expanded = memref.expand_shape %padded [[0], [1, 2], [3], [4]] output_shape [3, 1, 8, 9, 9] : memref<3x8x9x9xf16> into memref<3x1x8x9x9xf16>
  // expected-remark @+1 {{backward-filter reduction as an implicit GEMM on tensor cores ('f16', M=64 N=72 K=75, 1 in the grid's z); reads the unpadded input (padding 1, 1 before)}}
  linalg.generic {indexing_maps = [#in, #grad, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%expanded, %g : memref<3x1x8x9x9xf16>, memref<3x1x64x5x5xf16>) outs(%dw : memref<1x64x8x3x3xf32>) {
  ^bb0(%a: f16, %b: f16, %acc: f32):
    %ae = arith.extf %a : f16 to f32
    %be = arith.extf %b : f16 to f32
    %m = arith.mulf %ae, %be : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// Not folded: padding with a value other than zero, a padded buffer that
// something else reads too, an input written between the copy and the
// convolution, and an input that is the convolution's own output.

// CHECK-LABEL: func @padding_kept
//       CHECK: memref.copy %arg0
//       CHECK: memref.copy %arg0
//       CHECK: memref.copy %arg0
//       CHECK: memref.copy %arg6
func.func @padding_kept(%x: memref<1x8x6x6xf32>, %w: memref<8x8x3x3xf32>, %o: memref<1x8x6x6xf32>,
                        %o2: memref<1x8x6x6xf32>, %o3: memref<1x8x6x6xf32>, %other: memref<1x8x8x8xf32>,
                        %o4: memref<1x8x6x6xf32>) {
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  %p1 = memref.alloc() : memref<1x8x8x8xf32>
  linalg.fill ins(%one : f32) outs(%p1 : memref<1x8x8x8xf32>)
  %w1 = memref.subview %p1[0, 0, 1, 1] [1, 8, 6, 6] [1, 1, 1, 1] : memref<1x8x8x8xf32> to memref<1x8x6x6xf32, strided<[512, 64, 8, 1], offset: 9>>
  memref.copy %x, %w1 : memref<1x8x6x6xf32> to memref<1x8x6x6xf32, strided<[512, 64, 8, 1], offset: 9>>
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=8 N=36 K=80, 1 in the grid's z); K ordered as window x channels}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%p1, %w : memref<1x8x8x8xf32>, memref<8x8x3x3xf32>) outs(%o : memref<1x8x6x6xf32>)
  %p2 = memref.alloc() : memref<1x8x8x8xf32>
  linalg.fill ins(%zero : f32) outs(%p2 : memref<1x8x8x8xf32>)
  %w2 = memref.subview %p2[0, 0, 1, 1] [1, 8, 6, 6] [1, 1, 1, 1] : memref<1x8x8x8xf32> to memref<1x8x6x6xf32, strided<[512, 64, 8, 1], offset: 9>>
  memref.copy %x, %w2 : memref<1x8x6x6xf32> to memref<1x8x6x6xf32, strided<[512, 64, 8, 1], offset: 9>>
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=8 N=36 K=80, 1 in the grid's z); K ordered as window x channels}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%p2, %w : memref<1x8x8x8xf32>, memref<8x8x3x3xf32>) outs(%o2 : memref<1x8x6x6xf32>)
  memref.copy %p2, %other : memref<1x8x8x8xf32> to memref<1x8x8x8xf32>
  %p3 = memref.alloc() : memref<1x8x8x8xf32>
  linalg.fill ins(%zero : f32) outs(%p3 : memref<1x8x8x8xf32>)
  %w3 = memref.subview %p3[0, 0, 1, 1] [1, 8, 6, 6] [1, 1, 1, 1] : memref<1x8x8x8xf32> to memref<1x8x6x6xf32, strided<[512, 64, 8, 1], offset: 9>>
  memref.copy %x, %w3 : memref<1x8x6x6xf32> to memref<1x8x6x6xf32, strided<[512, 64, 8, 1], offset: 9>>
  linalg.fill ins(%one : f32) outs(%x : memref<1x8x6x6xf32>)
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=8 N=36 K=80, 1 in the grid's z); K ordered as window x channels}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%p3, %w : memref<1x8x8x8xf32>, memref<8x8x3x3xf32>) outs(%o3 : memref<1x8x6x6xf32>)
  %p4 = memref.alloc() : memref<1x8x8x8xf32>
  linalg.fill ins(%zero : f32) outs(%p4 : memref<1x8x8x8xf32>)
  %w4 = memref.subview %p4[0, 0, 1, 1] [1, 8, 6, 6] [1, 1, 1, 1] : memref<1x8x8x8xf32> to memref<1x8x6x6xf32, strided<[512, 64, 8, 1], offset: 9>>
  memref.copy %o4, %w4 : memref<1x8x6x6xf32> to memref<1x8x6x6xf32, strided<[512, 64, 8, 1], offset: 9>>
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=8 N=36 K=80, 1 in the grid's z); K ordered as window x channels}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%p4, %w : memref<1x8x8x8xf32>, memref<8x8x3x3xf32>) outs(%o4 : memref<1x8x6x6xf32>)
  return
}

// -----

// Weights made by an elementwise generic only for the convolution (the
// Tune fold, W' = W * k): with recompute-producers=true the gather computes
// W[f, c, kh, kw] * k[f] itself and the generic and its buffer go away; by
// default they stay.

#w4 = affine_map<(f, c, h, w) -> (f, c, h, w)>
#k4 = affine_map<(f, c, h, w) -> (f)>
// CHECK-LABEL: func @recompute_weights
//       CHECK: linalg.generic
//       CHECK: gpu.launch
// RECOMPUTE-LABEL: func @recompute_weights
//   RECOMPUTE-NOT: memref.alloc
//   RECOMPUTE-NOT: linalg.generic
//       RECOMPUTE: gpu.launch
//       RECOMPUTE: %[[W:.*]] = memref.load %{{.*}}[{{.*}}] : memref<64x8x3x3xf16>
//       RECOMPUTE: %[[K:.*]] = memref.load %{{.*}}[{{.*}}] : memref<64xf16>
//       RECOMPUTE: %[[P:.*]] = arith.mulf %[[W]], %[[K]] : f16
//       RECOMPUTE: arith.select %{{.*}}, %[[P]], %{{.*}} : f16
func.func @recompute_weights(%x: memref<1x8x15x15xf16>, %w: memref<64x8x3x3xf16>, %k: memref<64xf16>, %o: memref<1x64x6x6xf32>) {
  %folded = memref.alloc() : memref<64x8x3x3xf16>
  linalg.generic {indexing_maps = [#w4, #k4, #w4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w, %k : memref<64x8x3x3xf16>, memref<64xf16>) outs(%folded : memref<64x8x3x3xf16>) {
  ^bb0(%a: f16, %b: f16, %out: f16):
    %m = arith.mulf %a, %b : f16
    linalg.yield %m : f16
  }
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f16', M=64 N=36 K=96, 1 in the grid's z); K ordered as window x channels}}
  linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %folded : memref<1x8x15x15xf16>, memref<64x8x3x3xf16>) outs(%o : memref<1x64x6x6xf32>)
  return
}

// -----

// Fewer channels than a K step: K is ordered window x channels when the
// channels divide 16 (8: two window offsets per step), or do once padded
// with zeros to a power of two that adds at most a third to K (3 -> 4, the
// stem's; 5 -> 8 would add 60%, so 5 channels keep (c, kh, kw)). K is then
// padded to whole steps: 9 x 8 = 72 -> 80, 49 x 4 = 196 -> 208. A padding
// channel or window offset is read at the first and replaced by zero.

// CHECK-LABEL: func @few_channels
//       CHECK: gpu.launch
//       CHECK: arith.cmpi ult, %{{.*}}, %c49 : index
//       CHECK: arith.cmpi ult, %{{.*}}, %c3 : index
func.func @few_channels(%x3: memref<2x3x38x38xf32>, %w3: memref<8x3x7x7xf32>, %o3: memref<2x8x16x16xf32>,
                        %x8: memref<1x8x10x10xf32>, %w8: memref<16x8x3x3xf32>, %o8: memref<1x16x8x8xf32>,
                        %x5: memref<1x5x10x10xf32>, %w5: memref<16x5x3x3xf32>, %o5: memref<1x16x8x8xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=8 N=256 K=208, 2 in the grid's z); K ordered as window x channels (3 padded to 4); shared-memory ways per warp access (1: no bank conflict): A stores 2, B stores 2, ldmatrix 1, accumulators 1}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x3, %w3 : memref<2x3x38x38xf32>, memref<8x3x7x7xf32>) outs(%o3 : memref<2x8x16x16xf32>)
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=16 N=64 K=80, 1 in the grid's z); K ordered as window x channels}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x8, %w8 : memref<1x8x10x10xf32>, memref<16x8x3x3xf32>) outs(%o8 : memref<1x16x8x8xf32>)
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=16 N=64 K=45, 1 in the grid's z)}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x5, %w5 : memref<1x5x10x10xf32>, memref<16x5x3x3xf32>) outs(%o5 : memref<1x16x8x8xf32>)
  return
}

// -----

// Left alone, with the reason: f64 operands, an f16 accumulator, a dynamic
// shape, a grid too large in z, tensors.

// CHECK-LABEL: func @left_alone
//   CHECK-NOT: gpu.launch
func.func @left_alone(%xb: memref<1x16x8x8xf64>, %wb: memref<32x16x1x1xf64>, %ob: memref<1x32x8x8xf32>,
                      %x: memref<1x16x8x8xf16>, %w: memref<32x16x1x1xf16>, %o: memref<1x32x8x8xf16>,
                      %xd: memref<?x16x8x8xf32>, %wd: memref<32x16x1x1xf32>, %od: memref<?x32x8x8xf32>,
                      %xg: memref<65536x2x8x8xf32>, %wg: memref<4x2x1x1xf32>, %og: memref<65536x4x8x8xf32>,
                      %xt: tensor<1x16x8x8xf32>, %wt: tensor<32x16x1x1xf32>, %ot: tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32> {
  // expected-remark @+1 {{left as a loop nest: operand type is not f32, f16 or bf16}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%xb, %wb : memref<1x16x8x8xf64>, memref<32x16x1x1xf64>) outs(%ob : memref<1x32x8x8xf32>)
  // expected-remark @+1 {{left as a loop nest: a non-f32 accumulator}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x16x8x8xf16>, memref<32x16x1x1xf16>) outs(%o : memref<1x32x8x8xf16>)
  // expected-remark @+1 {{left as a loop nest: dynamic shape}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%xd, %wd : memref<?x16x8x8xf32>, memref<32x16x1x1xf32>) outs(%od : memref<?x32x8x8xf32>)
  // expected-remark @+1 {{left as a loop nest: more than 65535 images, chunks or filter tiles for the grid}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%xg, %wg : memref<65536x2x8x8xf32>, memref<4x2x1x1xf32>) outs(%og : memref<65536x4x8x8xf32>)
  // expected-remark @+1 {{left as a loop nest: not on buffers}}
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%xt, %wt : tensor<1x16x8x8xf32>, tensor<32x16x1x1xf32>) outs(%ot : tensor<1x32x8x8xf32>) -> tensor<1x32x8x8xf32>
  return %r : tensor<1x32x8x8xf32>
}
