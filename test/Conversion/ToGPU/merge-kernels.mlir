// RUN: convbn-opt %s -split-input-file -convert-linalg-to-parallel-loops \
// RUN:   -convbn-map-loops-to-gpu=block-size=128 -convbn-merge-kernels \
// RUN:   | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-merge-kernels \
// RUN:   | FileCheck %s --check-prefix=ALONE

// Two independent nests share one grid: 3 blocks for 300 points, then 1 for
// 40; the allocation the second writes moves up with it. The third reads
// what the second writes and stays a launch of its own.

#v = affine_map<(i) -> (i)>
// CHECK-LABEL: func @independent
//       CHECK: %[[T:.*]] = memref.alloc() : memref<40xf32>
//   CHECK-DAG: %[[END:.*]] = arith.constant 512 : index
//   CHECK-DAG: %[[SPLIT:.*]] = arith.constant 384 : index
//       CHECK: scf.parallel (%[[B:.*]]) = ({{.*}}) to (%[[END]]) step
//       CHECK:   scf.parallel
//       CHECK:     %[[FIRST:.*]] = arith.cmpi ult, %[[B]], %[[SPLIT]]
//       CHECK:     scf.if %[[FIRST]] {
//       CHECK:       arith.mulf
//       CHECK:       memref.store {{.*}}, %arg2
//       CHECK:     } else {
//       CHECK:       arith.subi %[[B]], %[[SPLIT]]
//       CHECK:       arith.addf
//       CHECK:       memref.store {{.*}}, %[[T]]
//       CHECK:     }
//       CHECK:   } {mapping = [#gpu.loop_dim_map<processor = thread_x
//       CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x
//       CHECK: scf.parallel
//       CHECK:   arith.negf
//       CHECK: memref.dealloc %[[T]]
func.func @independent(%a: memref<300xf32>, %b: memref<40xf32>,
                       %oa: memref<300xf32>, %ob: memref<40xf32>) {
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%a : memref<300xf32>) outs(%oa : memref<300xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  %t = memref.alloc() : memref<40xf32>
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%b : memref<40xf32>) outs(%t : memref<40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%t : memref<40xf32>) outs(%ob : memref<40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.negf %in : f32
    linalg.yield %s : f32
  }
  memref.dealloc %t : memref<40xf32>
  return
}

// -----

// The third nest moves past the second (they touch different buffers) to
// the earliest nest it may run beside, the first.

#v = affine_map<(i) -> (i)>
// CHECK-LABEL: func @earliest
//       CHECK: scf.parallel
//       CHECK:   scf.if
//       CHECK:     arith.mulf
//       CHECK:   } else {
//       CHECK:     arith.addf
//       CHECK: processor = block_x
//   CHECK-NOT: else
//       CHECK: arith.negf
//       CHECK: processor = block_x
//   CHECK-NOT: processor = block_x
func.func @earliest(%a: memref<300xf32>, %b: memref<40xf32>,
                    %oa: memref<300xf32>, %ob: memref<40xf32>, %oc: memref<300xf32>) {
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%a : memref<300xf32>) outs(%oa : memref<300xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%oa : memref<300xf32>) outs(%oc : memref<300xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.negf %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%b : memref<40xf32>) outs(%ob : memref<40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A kernel's asynchronous copies (nvgpu.device_async_copy into workgroup
// memory, their group and the wait for it, as the tensor-core kernels'
// async-copies make them) access only the buffers that the copies name: a
// nest independent of them moves past the kernel.

#v = affine_map<(i) -> (i)>
// CHECK-LABEL: func @past_async_copies
//       CHECK: scf.parallel
//       CHECK:   scf.if
//       CHECK:     arith.mulf
//       CHECK:   } else {
//       CHECK:     arith.addf
//       CHECK: gpu.launch
//       CHECK:   nvgpu.device_async_wait
//   CHECK-NOT: arith.addf
func.func @past_async_copies(%a: memref<300xf32>, %b: memref<40xf32>,
                             %w: memref<64x16xf32>, %oa: memref<300xf32>,
                             %ob: memref<40xf32>) {
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%a : memref<300xf32>) outs(%oa : memref<300xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1)
             workgroup(%tile : memref<64x16xf32, #gpu.address_space<workgroup>>) {
    %copy = nvgpu.device_async_copy %w[%c0, %c0], %tile[%c0, %c0], 4 {bypassL1}
        : memref<64x16xf32> to memref<64x16xf32, #gpu.address_space<workgroup>>
    %group = nvgpu.device_async_create_group %copy
    nvgpu.device_async_wait %group
    gpu.barrier
    gpu.terminator
  }
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%b : memref<40xf32>) outs(%ob : memref<40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Left apart: a nest that writes what an earlier one reads (through a
// view), a nest whose allocation would move above a deallocation, and a
// nest after a call, whose effects are unknown.

#v = affine_map<(i) -> (i)>
func.func private @opaque()
// CHECK-LABEL: func @kept_apart
// CHECK-COUNT-4: processor = block_x
//   CHECK-NOT: processor = block_x
//   CHECK-NOT: else
func.func @kept_apart(%a: memref<2x150xf32>, %b: memref<40xf32>,
                      %oa: memref<300xf32>, %ob: memref<40xf32>) {
  %flat = memref.collapse_shape %a [[0, 1]] : memref<2x150xf32> into memref<300xf32>
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%flat : memref<300xf32>) outs(%oa : memref<300xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  %row = memref.subview %a[1, 0] [1, 40] [1, 1] : memref<2x150xf32> to memref<40xf32, strided<[1], offset: 150>>
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%b : memref<40xf32>) outs(%row : memref<40xf32, strided<[1], offset: 150>>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  }
  %u = memref.alloc() : memref<40xf32>
  memref.dealloc %u : memref<40xf32>
  %t = memref.alloc() : memref<40xf32>
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%b : memref<40xf32>) outs(%t : memref<40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.subf %in, %in : f32
    linalg.yield %s : f32
  }
  func.call @opaque() : () -> ()
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%t : memref<40xf32>) outs(%ob : memref<40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.negf %in : f32
    linalg.yield %s : f32
  }
  memref.dealloc %t : memref<40xf32>
  return
}

// -----

// A nest reading a global stays a launch of its own: another view of the
// global may be written elsewhere.

#v = affine_map<(i) -> (i)>
memref.global "private" constant @table : memref<40xf32> = dense<1.0>
// CHECK-LABEL: func @global_read
// CHECK-COUNT-2: processor = block_x
//   CHECK-NOT: processor = block_x
//   CHECK-NOT: else
func.func @global_read(%b: memref<40xf32>, %ob: memref<40xf32>, %oc: memref<40xf32>) {
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%b : memref<40xf32>) outs(%ob : memref<40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  }
  %g = memref.get_global @table : memref<40xf32>
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%g : memref<40xf32>) outs(%oc : memref<40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.negf %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Nests with different block sizes keep their own launches.

#block = #gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>
#thread = #gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>
//  CHECK-LABEL: func @block_sizes
// ALONE-LABEL: func @block_sizes
//       ALONE: scf.parallel {{.*}} to (%c64) step (%c64)
//       ALONE:   scf.parallel {{.*}} to (%c64) step (%c1)
//       ALONE: scf.parallel {{.*}} to (%c128) step (%c128)
//       ALONE:   scf.parallel {{.*}} to (%c128) step (%c1)
//   ALONE-NOT: scf.if
func.func @block_sizes(%a: memref<128xf32>, %b: memref<128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c64) step (%c64) {
    scf.parallel (%j) = (%c0) to (%c64) step (%c1) {
      memref.store %one, %a[%j] : memref<128xf32>
      scf.reduce
    } {mapping = [#thread]}
    scf.reduce
  } {mapping = [#block]}
  scf.parallel (%i) = (%c0) to (%c128) step (%c128) {
    scf.parallel (%j) = (%c0) to (%c128) step (%c1) {
      memref.store %one, %b[%j] : memref<128xf32>
      scf.reduce
    } {mapping = [#thread]}
    scf.reduce
  } {mapping = [#block]}
  return
}
