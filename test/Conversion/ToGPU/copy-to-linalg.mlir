// RUN: convbn-opt %s -convbn-copy-to-linalg | FileCheck %s --check-prefix=ALL
// RUN: convbn-opt %s -convbn-copy-to-linalg=strided-only=true | FileCheck %s --check-prefix=STRIDED
// RUN: convbn-opt %s -convbn-copy-to-linalg=strided-only=true -convert-linalg-to-loops \
// RUN:   -expand-strided-metadata -lower-affine -finalize-memref-to-llvm -convert-to-llvm \
// RUN:   -reconcile-unrealized-casts | FileCheck %s --check-prefix=LLVM

// A padded input's interior (a strided target), a contiguous slice and a
// whole buffer. Every copy becomes linalg.copy by default; with
// strided-only, only the first: the others stay memref.copy, which the LLVM
// lowering makes a memcpy, and no copy is left to the runtime's generic
// element-by-element memrefCopy.

// ALL-LABEL: func @copies
//       ALL:   linalg.copy ins(%arg0 : memref<2x3x4x4xf32>) outs(%{{.*}} : memref<2x3x4x4xf32, strided<[108, 36, 6, 1], offset: 7>>)
//       ALL:   linalg.copy ins(%{{.*}} : memref<3x4x4xf32, strided<[16, 4, 1], offset: 48>>) outs(%arg1 : memref<3x4x4xf32>)
//       ALL:   linalg.copy ins(%arg0 : memref<2x3x4x4xf32>) outs(%arg2 : memref<2x3x4x4xf32>)
//   ALL-NOT:   memref.copy

// STRIDED-LABEL: func @copies
//       STRIDED:   linalg.copy ins(%arg0 : memref<2x3x4x4xf32>) outs(%{{.*}} : memref<2x3x4x4xf32, strided<[108, 36, 6, 1], offset: 7>>)
//       STRIDED:   memref.copy %{{.*}}, %arg1 : memref<3x4x4xf32, strided<[16, 4, 1], offset: 48>> to memref<3x4x4xf32>
//       STRIDED:   memref.copy %arg0, %arg2 : memref<2x3x4x4xf32> to memref<2x3x4x4xf32>

// LLVM-LABEL: llvm.func @copies
//   LLVM-NOT:   memrefCopy
//       LLVM:   "llvm.intr.memcpy"
//       LLVM:   "llvm.intr.memcpy"
//   LLVM-NOT:   memrefCopy
func.func @copies(%x: memref<2x3x4x4xf32>, %slice: memref<3x4x4xf32>,
                  %whole: memref<2x3x4x4xf32>) -> memref<2x3x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %padded = memref.alloc() : memref<2x3x6x6xf32>
  linalg.fill ins(%zero : f32) outs(%padded : memref<2x3x6x6xf32>)
  %interior = memref.subview %padded[0, 0, 1, 1] [2, 3, 4, 4] [1, 1, 1, 1]
      : memref<2x3x6x6xf32> to memref<2x3x4x4xf32, strided<[108, 36, 6, 1], offset: 7>>
  memref.copy %x, %interior
      : memref<2x3x4x4xf32> to memref<2x3x4x4xf32, strided<[108, 36, 6, 1], offset: 7>>
  %second = memref.subview %x[1, 0, 0, 0] [1, 3, 4, 4] [1, 1, 1, 1]
      : memref<2x3x4x4xf32> to memref<3x4x4xf32, strided<[16, 4, 1], offset: 48>>
  memref.copy %second, %slice : memref<3x4x4xf32, strided<[16, 4, 1], offset: 48>> to memref<3x4x4xf32>
  memref.copy %x, %whole : memref<2x3x4x4xf32> to memref<2x3x4x4xf32>
  return %padded : memref<2x3x6x6xf32>
}
