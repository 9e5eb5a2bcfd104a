// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="blocks-per-sm=6 report=true" -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="report=true" 2>&1 >/dev/null | FileCheck %s --check-prefix=NONE
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="blocks-per-sm=6 cpu-emulation=true" | FileCheck %s --check-prefix=EMU
// RUN: convbn-opt %s -split-input-file -convbn-gpu-pipeline="tensor-cores=true tensor-core-blocks-per-sm=6 format=isa" | FileCheck %s --check-prefix=PTX
// RUN: not convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="blocks-per-sm=17" 2>&1 >/dev/null | FileCheck %s --check-prefix=RANGE

// With blocks-per-sm=6 a block of 64 x 64 tiles takes at most the shared
// memory that lets 6 blocks fit an SM of sm_90 (228 KiB / 6, less the 1
// KiB reserved per block: 37,888 bytes). Side by side, two stages of 64 +
// 64 rows of 80 bytes (20,480 bytes) and the 64 x 72 f32 output tile
// (18,432 bytes) take 38,912, so the output tile lies over the operand
// tiles, from byte 0: 20,480 bytes. On the GPU the kernel then asks ptxas
// for registers that let 6 blocks fit (.minnctapersm 6, through
// nvvm.minctasm: 80 registers for blocks of 128 threads). Without a target
// the tiles lie side by side (38,912 bytes: 5 blocks an SM).

// CHECK-LABEL: func @small_tiles
//       CHECK: gpu.launch blocks({{.*}}) threads({{.*}}) workgroup(%{{.*}} : memref<20480xi8, #gpu.address_space<workgroup>>)
//       CHECK: memref.view %{{.*}}[%c0{{.*}}][] : memref<20480xi8, #gpu.address_space<workgroup>> to memref<2x64x20xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view %{{.*}}[%c10240{{.*}}][] : memref<20480xi8, #gpu.address_space<workgroup>> to memref<2x64x20xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view %{{.*}}[%c0{{.*}}][] : memref<20480xi8, #gpu.address_space<workgroup>> to memref<64x72xf32, #gpu.address_space<workgroup>>
//       CHECK: nvgpu.mma.sync
// NONE: blocks of 64 x 64 (warps of 32 x 32), K steps of 16; 38912 bytes of shared memory{{$}}
// EMU-LABEL: func @small_tiles
//   EMU-NOT: gpu.launch
//       EMU: memref.alloc() {convbn.emulated_shared} : memref<20480xi8>
//       EMU: memref.view %{{.*}}[%c0{{.*}}][] : memref<20480xi8> to memref<64x72xf32>
// PTX-LABEL: llvm.func @small_tiles
//       PTX: gpu.binary
//  PTX-SAME: .maxntid 128, 1, 1{{\\0A}}.minnctapersm 6
// RANGE: error: convbn-tensor-core-convolutions: blocks-per-sm is 17; it must be 0 (no target) to 16 (blocks of 128 threads that fill an SM)
func.func @small_tiles(%x: memref<2x64x10x10xf32>, %w: memref<64x64x3x3xf32>, %o: memref<2x64x8x8xf32>) {
  // expected-remark @+1 {{blocks of 64 x 64 (warps of 32 x 32), K steps of 16; 20480 bytes of shared memory}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<2x64x10x10xf32>, memref<64x64x3x3xf32>) outs(%o : memref<2x64x8x8xf32>)
  return
}

// -----

// The target is for 64 x 64 tiles: the 128-row blocks that a grid of 1024
// blocks or more takes keep their tiles side by side (49,152 bytes), and
// on the GPU ptxas's choice of registers (no .minnctapersm: their shared
// memory lets only 4 blocks fit).

// CHECK-LABEL: func @tall_tiles
//       CHECK: gpu.launch blocks({{.*}}) threads({{.*}}) workgroup(%{{.*}} : memref<49152xi8, #gpu.address_space<workgroup>>)
//       CHECK: memref.view %{{.*}}[%c30720{{.*}}][] : memref<49152xi8, #gpu.address_space<workgroup>> to memref<64x72xf32, #gpu.address_space<workgroup>>
// PTX-LABEL: llvm.func @tall_tiles
//       PTX: gpu.binary
//   PTX-NOT: .minnctapersm
//       PTX: }
func.func @tall_tiles(%x: memref<16x64x66x66xf32>, %w: memref<128x64x3x3xf32>, %o: memref<16x128x64x64xf32>) {
  // expected-remark @+1 {{blocks of 128 x 64 (warps of 64 x 32), K steps of 16; 49152 bytes of shared memory}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<16x64x66x66xf32>, memref<128x64x3x3xf32>) outs(%o : memref<16x128x64x64xf32>)
  return
}
