// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="input-copies=true filter-gradient-input-copies=true report=true" -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="input-copies=true async-copies=true" | FileCheck %s --check-prefix=ASYNC
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="input-copies=true vector-gathers=false" | FileCheck %s --check-prefix=NOVEC
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="input-copies=true filter-gradient-input-copies=true cpu-emulation=true" | FileCheck %s --check-prefix=EMU
// RUN: convbn-opt %s -split-input-file -convbn-gpu-pipeline="tensor-cores=true tensor-core-input-copies=true tensor-core-filter-copies=true tensor-core-async-copies=true" | FileCheck %s --check-prefix=PIPE

// With input-copies, the input of a 3x3 convolution whose channels (32)
// are a multiple of 16 is copied into (n, h, w, c) order before the
// kernel: a K step's 16 channels of one window position are then
// consecutive, and the kernel reads them 16 bytes per thread instead of
// one element per output position. The copy is freed after the kernel.
// The filter's gather splits its K step's window offset (below 9) into
// kh and kw by a multiplication and a shift ((t * 11) >> 5 is t / 3 for
// t < 9) and a subtraction.

// CHECK-LABEL: func @window
//       CHECK: %[[COPY:.*]] = memref.alloc() : memref<2x10x10x32xf32>
//       CHECK: linalg.transpose ins(%arg0 : memref<2x32x10x10xf32>) outs(%[[COPY]] : memref<2x10x10x32xf32>) permutation = [0, 2, 3, 1]
//       CHECK: gpu.launch
//       CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[COPY]] {{\[\[}}0, 1, 2, 3]] : memref<2x10x10x32xf32> into memref<6400xf32>
//       CHECK: %[[ALIGNED:.*]] = memref.assume_alignment %[[FLAT]], 16
//       CHECK: %[[TIMES:.*]] = arith.muli %[[TAP:.*]], %c11 overflow<nsw, nuw> : index
//       CHECK: %[[KH:.*]] = arith.shrui %[[TIMES]], %c5 : index
//       CHECK: %[[BACK:.*]] = arith.muli %[[KH]], %c3 overflow<nsw, nuw> : index
//       CHECK: %[[KW:.*]] = arith.subi %[[TAP]], %[[BACK]] overflow<nsw, nuw> : index
//       CHECK: memref.load %{{.*}}[%{{.*}}, %{{.*}}, %[[KH]], %[[KW]]] : memref<64x32x3x3xf32>
//       CHECK: memref.load %[[ALIGNED]][{{.*}}] : memref<6400xf32>
//       CHECK: vector.store {{.*}} {alignment = 16 : i64} : memref<2x64x20xf32, #gpu.address_space<workgroup>>, vector<4xf32>
//       CHECK: nvgpu.mma.sync
//       CHECK: gpu.terminator
//       CHECK: memref.dealloc %[[COPY]] : memref<2x10x10x32xf32>
//  CHECK-NEXT: return
// ASYNC-LABEL: func @window
//       ASYNC: linalg.transpose
//       ASYNC: nvgpu.device_async_copy {{.*}} : memref<6400xf32> to memref<2x64x20xf32, #gpu.address_space<workgroup>>
// NOVEC-LABEL: func @window
//       NOVEC: linalg.transpose
//       NOVEC: memref.load %{{.*}} : memref<6400xf32>
//       NOVEC: nvgpu.mma.sync
// EMU-LABEL: func @window
//       EMU: linalg.transpose
//   EMU-NOT: gpu.launch
//       EMU: memref.load %{{.*}} : memref<6400xf32>
//       EMU: vector.contract
//       EMU: memref.dealloc
// PIPE-LABEL: llvm.func @window
//   PIPE-NOT: linalg.
//       PIPE: gpu.binary
func.func @window(%x: memref<2x32x10x10xf32>, %w: memref<64x32x3x3xf32>, %o: memref<2x64x8x8xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=64 N=64 K=288, 2 in the grid's z); K ordered as window x channels; the input copied in (n, h, w, c) order first; B gathered in 16-byte vectors along K;}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<2x32x10x10xf32>, memref<64x32x3x3xf32>) outs(%o : memref<2x64x8x8xf32>)
  return
}

// -----

// A zero-padded copy of the input, as bufferization leaves tensor.pad: its
// source is copied instead (the padded buffer, its fill and its copy go
// away), and the gather checks each vector's window position against the
// source's bounds (one unsigned comparison per dimension after
// subtracting the padding), loading at a position clamped into the copy
// (the offset of its first channel, kept between 0 and that of the last
// position, (2 * 8 * 8 - 1) * 32) and selecting zero outside; cp.async
// zero-fills such a vector (no source bytes).

// CHECK-LABEL: func @padded
//   CHECK-NOT: linalg.fill
//       CHECK: %[[COPY:.*]] = memref.alloc() : memref<2x8x8x32xf32>
//       CHECK: linalg.transpose ins(%arg0 : memref<2x32x8x8xf32>) outs(%[[COPY]] : memref<2x8x8x32xf32>)
//       CHECK: gpu.launch
//       CHECK: arith.cmpi ult, %{{.*}}, %c8
//       CHECK: arith.maxsi %{{.*}}, %c0
//       CHECK: arith.minsi %{{.*}}, %c4064
//       CHECK: memref.load %{{.*}} : memref<4096xf32>
//       CHECK: arith.select
//       CHECK: nvgpu.mma.sync
//       CHECK: memref.dealloc %[[COPY]]
//   CHECK-NOT: memref.dealloc
//       CHECK: return
// ASYNC-LABEL: func @padded
//       ASYNC: %[[N:.*]] = arith.select %{{.*}}, %c4{{.*}}, %c0{{.*}} : index
//       ASYNC: nvgpu.device_async_copy {{.*}}, 4, %[[N]] {bypassL1} : memref<4096xf32> to memref<2x64x20xf32, #gpu.address_space<workgroup>>
// EMU-LABEL: func @padded
//       EMU: memref.load %{{.*}} : memref<4096xf32>
//       EMU: arith.select
func.func @padded(%x: memref<2x32x8x8xf32>, %w: memref<64x32x3x3xf32>, %o: memref<2x64x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<2x32x10x10xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<2x32x10x10xf32>)
  %window = memref.subview %p[0, 0, 1, 1] [2, 32, 8, 8] [1, 1, 1, 1] : memref<2x32x10x10xf32> to memref<2x32x8x8xf32, strided<[3200, 100, 10, 1], offset: 11>>
  memref.copy %x, %window : memref<2x32x8x8xf32> to memref<2x32x8x8xf32, strided<[3200, 100, 10, 1], offset: 11>>
  // expected-remark @+1 {{reads the unpadded input (padding 1, 1 before); the input copied in (n, h, w, c) order first; B gathered in 16-byte vectors along K}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%p, %w : memref<2x32x10x10xf32>, memref<64x32x3x3xf32>) outs(%o : memref<2x64x8x8xf32>)
  return
}

// -----

// Convolutions that read the same source unchanged (backward-data's stride
// phases, each from its own padded copy of the output gradient) share one
// copy, freed after the last of them. A convolution whose source may have
// changed since (here: written by the second kernel) makes its own.

// CHECK-LABEL: func @shared
//       CHECK: %[[COPY:.*]] = memref.alloc() : memref<1x6x6x32xf32>
//       CHECK: linalg.transpose ins(%arg0 : {{.*}}) outs(%[[COPY]]
//       CHECK: gpu.launch
//   CHECK-NOT: linalg.transpose
//       CHECK: gpu.launch
//       CHECK: memref.dealloc %[[COPY]]
//       CHECK: %[[OWN:.*]] = memref.alloc() : memref<1x6x6x32xf32>
//       CHECK: linalg.transpose ins(%arg0 : {{.*}}) outs(%[[OWN]]
//       CHECK: gpu.launch
//       CHECK: memref.dealloc %[[OWN]]
func.func @shared(%g: memref<1x32x6x6xf32>, %w: memref<64x32x2x2xf32>, %w2: memref<64x32x2x1xf32>,
                  %o: memref<1x64x6x6xf32>, %o2: memref<1x64x6x6xf32>, %o3: memref<1x64x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<1x32x7x7xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<1x32x7x7xf32>)
  %window = memref.subview %p[0, 0, 1, 1] [1, 32, 6, 6] [1, 1, 1, 1] : memref<1x32x7x7xf32> to memref<1x32x6x6xf32, strided<[1568, 49, 7, 1], offset: 8>>
  memref.copy %g, %window : memref<1x32x6x6xf32> to memref<1x32x6x6xf32, strided<[1568, 49, 7, 1], offset: 8>>
  // expected-remark @+1 {{reads the unpadded input (padding 1, 1 before); the input copied in (n, h, w, c) order first;}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%p, %w : memref<1x32x7x7xf32>, memref<64x32x2x2xf32>) outs(%o : memref<1x64x6x6xf32>)
  %q = memref.alloc() : memref<1x32x7x6xf32>
  linalg.fill ins(%zero : f32) outs(%q : memref<1x32x7x6xf32>)
  %window2 = memref.subview %q[0, 0, 0, 0] [1, 32, 6, 6] [1, 1, 1, 1] : memref<1x32x7x6xf32> to memref<1x32x6x6xf32, strided<[1344, 42, 6, 1]>>
  memref.copy %g, %window2 : memref<1x32x6x6xf32> to memref<1x32x6x6xf32, strided<[1344, 42, 6, 1]>>
  // expected-remark @+1 {{reads the unpadded input (padding 0, 0 before); the input copied in (n, h, w, c) order first (the copy an earlier convolution read);}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%q, %w2 : memref<1x32x7x6xf32>, memref<64x32x2x1xf32>) outs(%o2 : memref<1x64x6x6xf32>)
  linalg.fill ins(%zero : f32) outs(%g : memref<1x32x6x6xf32>)
  %r = memref.alloc() : memref<1x32x7x7xf32>
  linalg.fill ins(%zero : f32) outs(%r : memref<1x32x7x7xf32>)
  %window3 = memref.subview %r[0, 0, 1, 1] [1, 32, 6, 6] [1, 1, 1, 1] : memref<1x32x7x7xf32> to memref<1x32x6x6xf32, strided<[1568, 49, 7, 1], offset: 8>>
  memref.copy %g, %window3 : memref<1x32x6x6xf32> to memref<1x32x6x6xf32, strided<[1568, 49, 7, 1], offset: 8>>
  // expected-remark @+1 {{the input copied in (n, h, w, c) order first; B gathered}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%r, %w : memref<1x32x7x7xf32>, memref<64x32x2x2xf32>) outs(%o3 : memref<1x64x6x6xf32>)
  return
}

// -----

// With filter-gradient-input-copies, a backward-filter reduction with N
// ordered window x channels (64 channels a window offset) reads its input
// channels-last too, swept along
// B's rows (a warp's lanes: 32 channels of one position, where the input
// holds them a plane apart): here the copy that the forward convolution
// before it made of the same input, freed after the reduction (its B
// stores into shared memory lose their 2-way bank conflict too). Without
// N ordered so (16 channels: B read in vectors along K already), or from a
// buffer that is not the whole input (a 5-D argument), no copy.

#in = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, c, oh + kh, ow + kw)>
#grad = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (n, g, f, oh, ow)>
#out = affine_map<(g, f, c, kh, kw, n, oh, ow) -> (g, f, c, kh, kw)>
// CHECK-LABEL: func @backward_filter
//       CHECK: linalg.transpose ins(%arg0 : memref<2x64x10x10xf32>) outs(%[[COPY:.*]] : memref<2x10x10x64xf32>)
//   CHECK-NOT: linalg.transpose
//       CHECK: gpu.launch
//       CHECK: gpu.launch
//   CHECK-NOT: gpu.launch
//       CHECK: memref.dealloc %[[COPY]]
//       CHECK: gpu.launch
//       CHECK: gpu.launch
//       CHECK: return
// EMU-LABEL: func @backward_filter
//       EMU: linalg.transpose ins(%arg0 : memref<2x64x10x10xf32>) outs(%[[COPY:.*]] : memref<2x10x10x64xf32>)
//       EMU: convbn.emulated_kernel = "convolution
//       EMU: %[[FLAT:.*]] = memref.collapse_shape %[[COPY]] {{.*}} into memref<12800xf32>
//       EMU: memref.load %[[FLAT]]
//       EMU: convbn.emulated_kernel = "backward-filter reduction
//       EMU: memref.dealloc %[[COPY]]
func.func @backward_filter(%x: memref<2x64x10x10xf32>, %w: memref<32x64x3x3xf32>, %o: memref<2x32x8x8xf32>,
                           %g: memref<2x1x32x8x8xf32>, %dw: memref<1x32x64x3x3xf32>,
                           %x16: memref<2x1x16x10x10xf32>, %dw16: memref<1x32x16x3x3xf32>,
                           %x5: memref<2x1x64x10x10xf32>) {
  // expected-remark @+1 {{the input copied in (n, h, w, c) order first; B gathered in 16-byte vectors along K}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<2x64x10x10xf32>, memref<32x64x3x3xf32>) outs(%o : memref<2x32x8x8xf32>)
  %xe = memref.expand_shape %x [[0], [1, 2], [3], [4]] output_shape [2, 1, 64, 10, 10] : memref<2x64x10x10xf32> into memref<2x1x64x10x10xf32>
  // expected-remark @+1 {{backward-filter reduction as an implicit GEMM on tensor cores ('f32', M=32 N=576 K=128, 1 in the grid's z); N ordered as window x channels; the input copied in (n, h, w, c) order first (the copy an earlier convolution read); A gathered in 16-byte vectors along K; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1,}}
  linalg.generic {indexing_maps = [#in, #grad, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%xe, %g : memref<2x1x64x10x10xf32>, memref<2x1x32x8x8xf32>) outs(%dw : memref<1x32x64x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  // expected-remark @+1 {{M=32 N=144 K=128, 1 in the grid's z); A and B gathered in 16-byte vectors along K; shared-memory ways}}
  linalg.generic {indexing_maps = [#in, #grad, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x16, %g : memref<2x1x16x10x10xf32>, memref<2x1x32x8x8xf32>) outs(%dw16 : memref<1x32x16x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  // expected-remark @+1 {{M=32 N=576 K=128, 1 in the grid's z); N ordered as window x channels; A gathered in 16-byte vectors along K; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 2,}}
  linalg.generic {indexing_maps = [#in, #grad, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x5, %g : memref<2x1x64x10x10xf32>, memref<2x1x32x8x8xf32>) outs(%dw : memref<1x32x64x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// No copy where a K step's channels are not one window position's whole
// vectors (8 channels: two window offsets per step; 20 channels: K
// ordered channels x window), for a 1x1 convolution (its input is read
// along the output positions) or an f16 input multiplied as TF32 with an
// f32 filter (the copy would not be of the operand type).

// CHECK-LABEL: func @not_copied
//   CHECK-NOT: linalg.transpose
//       CHECK: return
func.func @not_copied(%x: memref<1x8x9x9xf32>, %w: memref<32x8x3x3xf32>, %o: memref<1x32x7x7xf32>,
                      %x1: memref<1x32x8x8xf32>, %w1: memref<32x32x1x1xf32>, %o1: memref<1x32x8x8xf32>,
                      %x2: memref<1x20x9x9xf32>, %w2: memref<32x20x3x3xf32>, %o2: memref<1x32x7x7xf32>,
                      %x3: memref<1x16x9x9xf16>, %w3: memref<32x16x3x3xf32>, %o3: memref<1x32x7x7xf32>) {
  // expected-remark @+1 {{K ordered as window x channels; shared-memory ways}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x8x9x9xf32>, memref<32x8x3x3xf32>) outs(%o : memref<1x32x7x7xf32>)
  // expected-remark @+1 {{K=32, 1 in the grid's z); A gathered in 16-byte vectors along K}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x1, %w1 : memref<1x32x8x8xf32>, memref<32x32x1x1xf32>) outs(%o1 : memref<1x32x8x8xf32>)
  // expected-remark @+1 {{K=180, 1 in the grid's z); shared-memory ways}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x2, %w2 : memref<1x20x9x9xf32>, memref<32x20x3x3xf32>) outs(%o2 : memref<1x32x7x7xf32>)
  // expected-remark @+1 {{K=144, 1 in the grid's z); K ordered as window x channels; shared-memory ways}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x3, %w3 : memref<1x16x9x9xf16>, memref<32x16x3x3xf32>) outs(%o3 : memref<1x32x7x7xf32>)
  return
}
