// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="k-step-bytes=128 report=true" -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="k-step-bytes=128 cpu-emulation=true" | FileCheck %s --check-prefix=EMU
// RUN: convbn-opt %s -split-input-file -convbn-gpu-pipeline="tensor-cores=true tensor-core-k-step-bytes=128" | FileCheck %s --check-prefix=PIPE
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="report=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=DEFAULT
// RUN: not convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="k-step-bytes=128 block-m=128" 2>&1 >/dev/null | FileCheck %s --check-prefix=TALL
// RUN: not convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="k-step-bytes=48" 2>&1 >/dev/null | FileCheck %s --check-prefix=BAD

// K steps of 128 bytes (k-step-bytes=128): 32 f32 elements, four TF32
// mma k-steps of 8, so each warp of 32 x 32 issues 32 mma.sync per step
// and barrier (16 with the default 64 bytes). Rows of 32 + 4 f32: the A
// and B tiles' two stages take 2 x 2 x 64 x 144 = 36864 bytes, and with
// the output tile (18432) the block would take 55296, more than the 48 KiB
// a block may take statically: the output tile then lies over the operand
// tiles, from byte 0 (it is written after the K loop's last barrier).

// CHECK-LABEL: func @f32_steps_of_32
//       CHECK: gpu.launch
//  CHECK-SAME: workgroup({{.*}} : memref<36864xi8, #gpu.address_space<workgroup>>)
//       CHECK: memref.view {{.*}}[%c0{{.*}}][] : memref<36864xi8, #gpu.address_space<workgroup>> to memref<2x64x36xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view {{.*}}[%c18432{{.*}}][] : memref<36864xi8, #gpu.address_space<workgroup>> to memref<2x64x36xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view {{.*}}[%c0{{.*}}][] : memref<36864xi8, #gpu.address_space<workgroup>> to memref<64x72xf32, #gpu.address_space<workgroup>>
//       CHECK: scf.for
// CHECK-COUNT-32: nvgpu.mma.sync
//   CHECK-NOT: nvgpu.mma.sync
//       CHECK: scf.yield
// EMU-LABEL: func @f32_steps_of_32
//       EMU: memref.alloc() {convbn.emulated_shared} : memref<36864xi8>
//       EMU: memref.view {{.*}}[%c0{{.*}}][] : memref<36864xi8> to memref<64x72xf32>
//       EMU: vector.contract
// PIPE-LABEL: llvm.func @f32_steps_of_32
//       PIPE: gpu.binary
// DEFAULT: remark: convbn-tensor-core-convolutions: convolution {{.*}}; K ordered as window x channels; {{.*}}; blocks of 64 x 64 (warps of 32 x 32), K steps of 16; 38912 bytes of shared memory{{$}}
func.func @f32_steps_of_32(%x: memref<2x64x10x10xf32>, %w: memref<64x64x3x3xf32>, %o: memref<2x64x8x8xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=64 N=64 K=576, 2 in the grid's z); K ordered as window x channels; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1, ldmatrix 1, accumulators 1; blocks of 64 x 64 (warps of 32 x 32), K steps of 32; 36864 bytes of shared memory}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<2x64x10x10xf32>, memref<64x64x3x3xf32>) outs(%o : memref<2x64x8x8xf32>)
  return
}

// -----

// 64 bf16 elements a step, as many bytes: rows of 64 + 8, the same 36864
// bytes, 32 mma.sync (m16n8k16) per warp and step.

// CHECK-LABEL: func @bf16_steps_of_64
//       CHECK: memref.view {{.*}} to memref<2x64x72xbf16, #gpu.address_space<workgroup>>
//       CHECK: scf.for
// CHECK-COUNT-32: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]}
//   CHECK-NOT: nvgpu.mma.sync
//       CHECK: scf.yield
// PIPE-LABEL: llvm.func @bf16_steps_of_64
//       PIPE: gpu.binary
func.func @bf16_steps_of_64(%x: memref<1x64x10x10xbf16>, %w: memref<64x64x3x3xbf16>, %o: memref<1x64x8x8xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('bf16', M=64 N=64 K=576, 1 in the grid's z); K ordered as window x channels; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1, ldmatrix 1, accumulators 1; blocks of 64 x 64 (warps of 32 x 32), K steps of 64; 36864 bytes of shared memory}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x64x10x10xbf16>, memref<64x64x3x3xbf16>) outs(%o : memref<1x64x8x8xf32>)
  return
}

// -----

// Channels that a step of 32 does not divide take the widest narrower
// step that does: 48 f32 channels keep K steps of 16 (64 bytes), and their
// K ordered window x channels; the three tiles then fit side by side.

// CHECK-LABEL: func @f32_narrower
//       CHECK: workgroup({{.*}} : memref<38912xi8, #gpu.address_space<workgroup>>)
func.func @f32_narrower(%x: memref<1x48x10x10xf32>, %w: memref<64x48x3x3xf32>, %o: memref<1x64x8x8xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=64 N=64 K=432, 1 in the grid's z); K ordered as window x channels; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1, ldmatrix 1, accumulators 1; blocks of 64 x 64 (warps of 32 x 32), K steps of 16; 38912 bytes of shared memory}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x48x10x10xf32>, memref<64x48x3x3xf32>) outs(%o : memref<1x64x8x8xf32>)
  return
}

// -----

// A grid of 1024 blocks or more takes 128-row blocks by default (M = 128,
// 16 images of 64 x 64 positions: 16 x 64 blocks of 128 x 64); with steps
// of 128 bytes two stages of 128 + 64 rows of 144 bytes (55296) do not fit
// 48 KiB even with the output tile over them, so the choice is 64 rows.
// Forcing 128 rows is an error.

// DEFAULT: remark: convbn-tensor-core-convolutions: convolution {{.*}}M=128 N=4096 K=576, 16 in the grid's z{{.*}}; blocks of 128 x 64 (warps of 64 x 32), K steps of 16; 49152 bytes of shared memory{{$}}
// TALL: error: convbn-tensor-core-convolutions: blocks of 128 rows with K steps of 32 elements (128 bytes) need 55296 bytes of shared memory, more than the 49152 that max-shared-bytes allows; use block-m=64, a smaller k-step-bytes or a larger max-shared-bytes
func.func @tall_grid(%x: memref<16x64x66x66xf32>, %w: memref<128x64x3x3xf32>, %o: memref<16x128x64x64xf32>) {
  // expected-remark @+1 {{convolution as an implicit GEMM on tensor cores ('f32', M=128 N=4096 K=576, 16 in the grid's z); K ordered as window x channels; shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1, ldmatrix 1, accumulators 1; blocks of 64 x 64 (warps of 32 x 32), K steps of 32; 36864 bytes of shared memory}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<16x64x66x66xf32>, memref<128x64x3x3xf32>) outs(%o : memref<16x128x64x64xf32>)
  return
}

// BAD: error: convbn-tensor-core-convolutions: k-step-bytes is 48; it must be 32, 64 or 128
