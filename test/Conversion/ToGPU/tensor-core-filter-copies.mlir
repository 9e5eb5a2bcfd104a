// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="filter-copies=true report=true" -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="filter-copies=true async-copies=true" | FileCheck %s --check-prefix=ASYNC
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="filter-copies=true vector-gathers=false" | FileCheck %s --check-prefix=NOVEC
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="filter-copies=true cpu-emulation=true" | FileCheck %s --check-prefix=EMU
// RUN: convbn-opt %s -split-input-file -convbn-gpu-pipeline="tensor-cores=true tensor-core-filter-copies=true" | FileCheck %s --check-prefix=PIPE

// With filter-copies, a 3x3 filter whose channels (32) are a multiple of
// 16 is copied into (f, kh, kw, c) order before the kernel: K, ordered
// window x channels, is then contiguous in the copy, which the kernel
// reads with the window and channels collapsed into one dimension, 16
// bytes per thread, instead of one element per 36 bytes of the filter.
// The copy is freed after the kernel.

// CHECK-LABEL: func @window
//       CHECK: %[[COPY:.*]] = memref.alloc() : memref<64x3x3x32xf32>
//       CHECK: linalg.transpose ins(%arg1 : memref<64x32x3x3xf32>) outs(%[[COPY]] : memref<64x3x3x32xf32>) permutation = [0, 2, 3, 1]
//       CHECK: gpu.launch
//       CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[COPY]] {{\[}}[0], [1, 2, 3]] : memref<64x3x3x32xf32> into memref<64x288xf32>
//       CHECK: memref.assume_alignment %[[FLAT]], 16
//       CHECK: memref.load %{{.*}} : memref<64x288xf32>
//       CHECK: vector.store {{.*}} {alignment = 16 : i64} : memref<2x64x20xf32, #gpu.address_space<workgroup>>, vector<4xf32>
//       CHECK: nvgpu.mma.sync
//       CHECK: gpu.terminator
//       CHECK: memref.dealloc %[[COPY]] : memref<64x3x3x32xf32>
//  CHECK-NEXT: return
// ASYNC-LABEL: func @window
//       ASYNC: %[[COPY:.*]] = memref.alloc() : memref<64x3x3x32xf32>
//       ASYNC: %[[FLAT:.*]] = memref.collapse_shape %[[COPY]]
//       ASYNC: nvgpu.device_async_copy {{.*}} : memref<64x288xf32> to memref<2x64x20xf32, #gpu.address_space<workgroup>>
// NOVEC-LABEL: func @window
//       NOVEC: linalg.transpose
//       NOVEC: memref.load %{{.*}} : memref<64x288xf32>
//       NOVEC: nvgpu.mma.sync
// EMU-LABEL: func @window
//       EMU: linalg.transpose
//   EMU-NOT: gpu.launch
//       EMU: memref.load %{{.*}} : memref<64x288xf32>
//       EMU: vector.contract
//       EMU: memref.dealloc
// PIPE-LABEL: llvm.func @window
//   PIPE-NOT: linalg.
//       PIPE: gpu.binary
func.func @window(%x: memref<2x32x10x10xf32>, %w: memref<64x32x3x3xf32>, %o: memref<2x64x8x8xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=64 N=64 K=288, 2 in the grid's z); K ordered as window x channels; the filter copied in (f, kh, kw, c) order first; A gathered in 16-byte vectors along K;}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<2x32x10x10xf32>, memref<64x32x3x3xf32>) outs(%o : memref<2x64x8x8xf32>)
  return
}

// -----

// 16-bit filters alike (8 elements per 16 bytes).

// CHECK-LABEL: func @f16_window
//       CHECK: memref.alloc() : memref<32x3x3x16xf16>
//       CHECK: linalg.transpose
//       CHECK: memref.collapse_shape {{.*}} : memref<32x3x3x16xf16> into memref<32x144xf16>
func.func @f16_window(%x: memref<1x16x9x9xf16>, %w: memref<32x16x3x3xf16>, %o: memref<1x32x7x7xf32>) {
  // expected-remark @+1 {{the filter copied in (f, kh, kw, c) order first; A gathered in 16-byte vectors along K}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x16x9x9xf16>, memref<32x16x3x3xf16>) outs(%o : memref<1x32x7x7xf32>)
  return
}

// -----

// No copy where it would not make whole vectors along K: 8 channels
// (padded to 8 per window offset, two offsets per K step), a 1x1 filter
// (already contiguous along K) or 20 channels (K ordered channels x
// window).

// CHECK-LABEL: func @not_copied
//   CHECK-NOT: linalg.transpose
//   CHECK-NOT: memref.alloc() : memref<{{.*}}x3x3x
//       CHECK: return
func.func @not_copied(%x: memref<1x8x9x9xf32>, %w: memref<32x8x3x3xf32>, %o: memref<1x32x7x7xf32>,
                      %x1: memref<1x32x8x8xf32>, %w1: memref<32x32x1x1xf32>, %o1: memref<1x32x8x8xf32>,
                      %x2: memref<1x20x9x9xf32>, %w2: memref<32x20x3x3xf32>, %o2: memref<1x32x7x7xf32>) {
  // expected-remark @+1 {{K ordered as window x channels; shared-memory ways}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x8x9x9xf32>, memref<32x8x3x3xf32>) outs(%o : memref<1x32x7x7xf32>)
  // expected-remark @+1 {{K=32, 1 in the grid's z); A gathered in 16-byte vectors along K}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x1, %w1 : memref<1x32x8x8xf32>, memref<32x32x1x1xf32>) outs(%o1 : memref<1x32x8x8xf32>)
  // expected-remark @+1 {{K=180, 1 in the grid's z); shared-memory ways}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x2, %w2 : memref<1x20x9x9xf32>, memref<32x20x3x3xf32>) outs(%o2 : memref<1x32x7x7xf32>)
  return
}

// -----

// A filter that one linalg.generic writes for the convolution alone (the
// Tune fold's W * k; backward-data's flipped filter alike): the generic
// writes (f, kh, kw, c) order itself, its output map's channel result
// moved last, and no copy is made; the buffer it wrote before is gone.

// CHECK-DAG: #[[LAST:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// CHECK-LABEL: func @produced
//   CHECK-NOT: linalg.transpose
//   CHECK-NOT: memref.alloc() : memref<64x32x3x3xf32>
//       CHECK: %[[NEW:.*]] = memref.alloc() : memref<64x3x3x32xf32>
//       CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[LAST]]]{{.*}} outs(%[[NEW]] : memref<64x3x3x32xf32>)
//       CHECK: gpu.launch
//       CHECK: memref.collapse_shape %[[NEW]] {{\[}}[0], [1, 2, 3]] : memref<64x3x3x32xf32> into memref<64x288xf32>
//       CHECK: gpu.terminator
//       CHECK: memref.dealloc %[[NEW]] : memref<64x3x3x32xf32>
//   CHECK-NOT: memref.dealloc
//       CHECK: return
// PIPE-LABEL: llvm.func @produced
//       PIPE: gpu.binary
// EMU-LABEL: func @produced
//   EMU-NOT: linalg.transpose
//       EMU: linalg.generic
//       EMU: vector.contract
func.func @produced(%x: memref<2x32x10x10xf32>, %w: memref<64x32x3x3xf32>, %k: memref<64xf32>, %o: memref<2x64x8x8xf32>) {
  %folded = memref.alloc() : memref<64x32x3x3xf32>
  linalg.generic {indexing_maps = [affine_map<(f, c, h, w) -> (f, c, h, w)>, affine_map<(f, c, h, w) -> (f)>, affine_map<(f, c, h, w) -> (f, c, h, w)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
    ins(%w, %k : memref<64x32x3x3xf32>, memref<64xf32>) outs(%folded : memref<64x32x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %0 = arith.mulf %a, %b : f32
    linalg.yield %0 : f32
  }
  // expected-remark @+1 {{the filter copied in (f, kh, kw, c) order first; A gathered in 16-byte vectors along K}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %folded : memref<2x32x10x10xf32>, memref<64x32x3x3xf32>) outs(%o : memref<2x64x8x8xf32>)
  return
}
