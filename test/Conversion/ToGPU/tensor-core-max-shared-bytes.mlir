// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="k-step-bytes=128 max-shared-bytes=98304 report=true" -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="k-step-bytes=128 max-shared-bytes=98304 cpu-emulation=true" | FileCheck %s --check-prefix=EMU
// RUN: convbn-opt %s -split-input-file -convbn-gpu-pipeline="tensor-cores=true tensor-core-k-step-bytes=128 tensor-core-max-shared-bytes=98304" | FileCheck %s --check-prefix=PIPE
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="max-shared-bytes=98304 report=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=STATIC
// RUN: not convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="max-shared-bytes=1000" 2>&1 >/dev/null | FileCheck %s --check-prefix=FEW
// RUN: not convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="max-shared-bytes=300000" 2>&1 >/dev/null | FileCheck %s --check-prefix=MANY
// RUN: not convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="k-step-bytes=128 block-m=128 max-shared-bytes=53248" 2>&1 >/dev/null | FileCheck %s --check-prefix=SHORT

// With max-shared-bytes=98304 a kernel may take up to 96 KiB of shared
// memory. A grid of 1024 blocks or more then keeps 128-row blocks with K
// steps of 128 bytes: two stages of 128 + 64 rows of 144 bytes (55,296
// bytes), the output tile over them as without the option. Over the 48
// KiB a block may take statically, the kernel's buffer is the dynamic
// shared memory (gpu.dynamic_shared_memory), whose size its launch gives.

// CHECK-LABEL: func @tall_grid
//       CHECK: %[[BYTES:.*]] = arith.constant 55296 : i32
//       CHECK: gpu.launch blocks({{.*}}) threads({{.*}}) dynamic_shared_memory_size %[[BYTES]] {
//   CHECK-NOT: workgroup(
//       CHECK: %[[SHARED:.*]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
//       CHECK: memref.view %[[SHARED]][%c0{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<2x128x36xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view %[[SHARED]][%c36864{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<2x64x36xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view %[[SHARED]][%c0{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<64x72xf32, #gpu.address_space<workgroup>>
//       CHECK: nvgpu.mma.sync
// EMU-LABEL: func @tall_grid
//   EMU-NOT: gpu.launch
//       EMU: memref.alloc() {convbn.emulated_shared} : memref<55296xi8>
//       EMU: memref.view %{{.*}}[%c0{{.*}}][] : memref<55296xi8> to memref<64x72xf32>
// PIPE-LABEL: llvm.func @tall_grid
//       PIPE: gpu.launch_func {{.*}} dynamic_shared_memory_size
//       PIPE: gpu.binary

// Without wider steps the same grid takes 49,152 bytes: a workgroup
// attribution, as without the option; so do the 64-row blocks that K
// steps of 128 bytes take without the option (36,864 bytes, the output
// tile over the operand tiles). Under 55,296 bytes, 128-row blocks with
// such steps are an error.
// STATIC: blocks of 128 x 64 (warps of 64 x 32), K steps of 16; 49152 bytes of shared memory{{$}}
// FEW: error: convbn-tensor-core-convolutions: max-shared-bytes is 1000; it must be from 49152 (what a block may take statically) to 232448 (sm_90's most per block)
// MANY: error: convbn-tensor-core-convolutions: max-shared-bytes is 300000; it must be from 49152
// SHORT: error: convbn-tensor-core-convolutions: blocks of 128 rows with K steps of 32 elements (128 bytes) need 55296 bytes of shared memory, more than the 53248 that max-shared-bytes allows; use block-m=64, a smaller k-step-bytes or a larger max-shared-bytes
func.func @tall_grid(%x: memref<16x64x66x66xf32>, %w: memref<128x64x3x3xf32>, %o: memref<16x128x64x64xf32>) {
  // expected-remark @+1 {{blocks of 128 x 64 (warps of 64 x 32), K steps of 32; 55296 bytes of shared memory (dynamic)}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<16x64x66x66xf32>, memref<128x64x3x3xf32>) outs(%o : memref<16x128x64x64xf32>)
  return
}

// -----

// A small grid takes 64-row blocks: with K steps of 128 bytes their tiles
// fit 48 KiB with the output tile over the operand tiles, so the kernel
// keeps a static workgroup buffer whatever the budget.

// CHECK-LABEL: func @small_grid
//       CHECK: gpu.launch blocks({{.*}}) threads({{.*}}) workgroup(%{{.*}} : memref<36864xi8, #gpu.address_space<workgroup>>)
//   CHECK-NOT: gpu.dynamic_shared_memory
//       CHECK: return
func.func @small_grid(%x: memref<1x64x10x10xf32>, %w: memref<64x64x3x3xf32>, %o: memref<1x64x8x8xf32>) {
  // expected-remark @+1 {{blocks of 64 x 64 (warps of 32 x 32), K steps of 32; 36864 bytes of shared memory}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x64x10x10xf32>, memref<64x64x3x3xf32>) outs(%o : memref<1x64x8x8xf32>)
  return
}
