// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="async-copies=true stages=3 report=true" -verify-diagnostics | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="async-copies=true stages=4" | FileCheck %s --check-prefix=FOUR
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="async-copies=true" | FileCheck %s --check-prefix=TWO
// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="async-copies=true stages=3 cpu-emulation=true" | FileCheck %s --check-prefix=EMU
// RUN: convbn-opt %s -split-input-file -convbn-gpu-pipeline="tensor-cores=true tensor-core-async-copies=true tensor-core-stages=3" | FileCheck %s --check-prefix=PIPE
// RUN: not convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="stages=5" 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="stages=3 prefetch=false" 2>&1 | FileCheck %s --check-prefix=PREFETCH

// With stages=3, a kernel whose A and B are both copied by cp.async (here
// the backward-filter reduction of a 1x1 convolution: output gradient and
// input, both contiguous along K = positions) has three stages of operand
// tiles. The copies of the first two K steps go ahead of the K loop, one
// group each; each step waits until at most one group is pending (its own
// has landed), then at its barrier starts the copies of the step two
// ahead into the stage the step before read (minui clamps the step: past
// the last step the copies read it again, into a stage no step reads any
// more; each copy's source size says only whether its filter row is in
// the GEMM, 4 elements or none), and multiplies its own stage, which the loop
// carries (0, 1, 2, 0, ..., as an i32). Every copy has landed before the barrier
// after the loop. 3 x 2 tiles of 64 x 20 f32 and the output tile:
// 49,152 bytes.

// CHECK-LABEL: func @filter_gradient
//       CHECK: gpu.launch
//       CHECK: %[[A:.*]] = memref.view %{{.*}}[%c0{{.*}}][] : memref<49152xi8, #gpu.address_space<workgroup>> to memref<3x64x20xf32, #gpu.address_space<workgroup>>
//       CHECK: %[[B:.*]] = memref.view %{{.*}}[%c15360{{.*}}][] : memref<49152xi8, #gpu.address_space<workgroup>> to memref<3x64x20xf32, #gpu.address_space<workgroup>>
//       CHECK: memref.view %{{.*}}[%c30720{{.*}}][] : {{.*}} to memref<64x72xf32, #gpu.address_space<workgroup>>
//       CHECK: nvgpu.device_async_copy {{.*}}, %[[A]][%c0{{.*}}, {{.*}}]
//       CHECK: nvgpu.device_async_copy {{.*}}, %[[B]][%c0{{.*}}, {{.*}}]
//       CHECK: nvgpu.device_async_create_group
//       CHECK: nvgpu.device_async_copy {{.*}}, %[[A]][%c1{{.*}}, {{.*}}]
//       CHECK: nvgpu.device_async_copy {{.*}}, %[[B]][%c1{{.*}}, {{.*}}]
//       CHECK: %[[GROUP:.*]] = nvgpu.device_async_create_group
//       CHECK: scf.for %[[K:.*]] = %c0{{.*}} to %c64{{.*}} step %c16 iter_args({{.*}}, %[[CARRIED:.*]] = %c0_i32)
//  CHECK-NEXT: %[[READ:.*]] = arith.index_castui %[[CARRIED]] : i32 to index
//  CHECK-NEXT: nvgpu.device_async_wait %[[GROUP]] {numGroups = 1 : i32}
//  CHECK-NEXT: gpu.barrier
//       CHECK: %[[AHEAD:.*]] = affine.apply #{{.*}}(%[[K]])
//       CHECK: arith.minui %[[AHEAD]], %c48
//   CHECK-NOT: arith.cmpi ult, %[[AHEAD]]
//       CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[READ]], %c0
//       CHECK: %[[BEFORE:.*]] = arith.addi %[[READ]], %c-1
//       CHECK: %[[STAGE:.*]] = arith.select %[[FIRST]], %c2{{.*}}, %[[BEFORE]]
//       CHECK: %[[ROW:.*]] = arith.cmpi ult, %{{.*}}, %c32
//       CHECK: %[[N:.*]] = arith.select %[[ROW]], %c4{{.*}}, %c0
//       CHECK: nvgpu.device_async_copy {{.*}}, %[[A]][%[[STAGE]], {{.*}}], 4, %[[N]]
//       CHECK: nvgpu.device_async_copy {{.*}}, %[[B]][%[[STAGE]], {{.*}}], 4, %{{.*}}
//       CHECK: nvgpu.device_async_create_group
//       CHECK: nvgpu.ldmatrix %[[A]][%[[READ]],
//       CHECK: nvgpu.mma.sync
//       CHECK: %[[WRAPS:.*]] = arith.cmpi eq, %[[CARRIED]], %c2_i32
//       CHECK: %[[NEXT:.*]] = arith.addi %[[CARRIED]], %c1_i32
//       CHECK: %[[CARRY:.*]] = arith.select %[[WRAPS]], %c0_i32{{.*}}, %[[NEXT]]
//       CHECK: scf.yield {{.*}}, %[[CARRY]] :
//       CHECK: nvgpu.device_async_wait %[[GROUP]] {numGroups = 0 : i32}
//  CHECK-NEXT: gpu.barrier
//       CHECK: gpu.terminator
// FOUR-LABEL: func @filter_gradient
//       FOUR: memref<4x64x20xf32, #gpu.address_space<workgroup>>
//       FOUR: nvgpu.device_async_wait %{{.*}} {numGroups = 2 : i32}
// TWO-LABEL: func @filter_gradient
//       TWO: memref<2x64x20xf32, #gpu.address_space<workgroup>>
//   TWO-NOT: numGroups
//       TWO: gpu.terminator
// EMU-LABEL: func @filter_gradient
//   EMU-NOT: gpu.launch
//       EMU: memref.alloc() {convbn.emulated_shared} : memref<49152xi8>
//       EMU: memref.view {{.*}} : memref<49152xi8> to memref<3x64x20xf32>
//       EMU: vector.contract
// PIPE-LABEL: llvm.func @filter_gradient
//       PIPE: gpu.binary
// RANGE: error: convbn-tensor-core-convolutions: stages is 5; it must be 2, 3 or 4
// PREFETCH: error: convbn-tensor-core-convolutions: stages=3 needs prefetch (prefetch=false is one stage)
func.func @filter_gradient(%x: memref<1x1x1x16x8x8xf32>, %g: memref<1x1x1x32x8x8xf32>, %out: memref<1x1x32x16x1x1xf64>) {
  // expected-remark @+1 {{backward-filter reduction as an implicit GEMM on tensor cores ('f32', M=32 N=16 K=64, 1 in the grid's z); A and B gathered in 16-byte vectors along K; A and B copied to shared memory asynchronously (cp.async);}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d3, d4 + d7, d5 + d8)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d2, d7, d8)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d1, d2, d3, d4, d5)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
    ins(%x, %g : memref<1x1x1x16x8x8xf32>, memref<1x1x1x32x8x8xf32>) outs(%out : memref<1x1x32x16x1x1xf64>) {
  ^bb0(%in: f32, %in_0: f32, %acc: f64):
    %0 = arith.extf %in : f32 to f64
    %1 = arith.extf %in_0 : f32 to f64
    %2 = arith.mulf %0, %1 : f64
    %3 = arith.addf %acc, %2 : f64
    linalg.yield %3 : f64
  }
  return
}

// -----

// Two stages where more are not possible: a K of one step (16 positions:
// the loop that would hold the copies ahead is folded), and a 1x1
// convolution whose input (B, contiguous along the positions, not along
// K) is gathered through registers, so only A is copied.

// CHECK-LABEL: func @two_stages
//   CHECK-NOT: numGroups = 1
//       CHECK: return
func.func @two_stages(%x: memref<1x1x1x16x4x4xf32>, %g: memref<1x1x1x32x4x4xf32>, %out: memref<1x1x32x16x1x1xf64>,
                      %i: memref<1x32x8x8xf32>, %w: memref<64x32x1x1xf32>, %o: memref<1x64x8x8xf32>) {
  // expected-remark @+1 {{K steps of 16; 38912 bytes of shared memory}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d3, d4 + d7, d5 + d8)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d6, d1, d2, d7, d8)>,
                                   affine_map<(d0, d1, d2, d3, d4, d5, d6, d7, d8) -> (d0, d1, d2, d3, d4, d5)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
    ins(%x, %g : memref<1x1x1x16x4x4xf32>, memref<1x1x1x32x4x4xf32>) outs(%out : memref<1x1x32x16x1x1xf64>) {
  ^bb0(%in: f32, %in_0: f32, %acc: f64):
    %0 = arith.extf %in : f32 to f64
    %1 = arith.extf %in_0 : f32 to f64
    %2 = arith.mulf %0, %1 : f64
    %3 = arith.addf %acc, %2 : f64
    linalg.yield %3 : f64
  }
  // expected-remark @+1 {{A copied to shared memory asynchronously (cp.async); shared-memory ways per warp access (1: no bank conflict): A stores 1, B stores 1, ldmatrix 1, accumulators 1; blocks of 64 x 64 (warps of 32 x 32), K steps of 16; 38912 bytes of shared memory}}
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%i, %w : memref<1x32x8x8xf32>, memref<64x32x1x1xf32>) outs(%o : memref<1x64x8x8xf32>)
  return
}
