// RUN: convbn-opt %s -split-input-file -convbn-promote-accumulators | FileCheck %s

// A per-channel sum as convert-linalg-to-parallel-loops writes it, into a
// buffer allocated in the function: the element is loaded once before the
// reduction loops, carried through both of them, and stored once after.

// CHECK-LABEL: func @sum_into_alloc
//       CHECK: scf.parallel (%[[N:.*]], %[[C:.*]]) =
//       CHECK:   %[[INIT:.*]] = memref.load %[[ACC:.*]][%[[N]], %[[C]]]
//       CHECK:   %[[OUTER:.*]] = scf.for {{.*}} iter_args(%[[A:.*]] = %[[INIT]]) -> (f64)
//       CHECK:     %[[INNER:.*]] = scf.for {{.*}} iter_args(%[[B:.*]] = %[[A]]) -> (f64)
//       CHECK:       memref.load %arg0
//   CHECK-NOT:       memref.load
//       CHECK:       %[[SUM:.*]] = arith.addf %[[B]]
//   CHECK-NOT:       memref.store
//       CHECK:       scf.yield %[[SUM]]
//       CHECK:     scf.yield %[[INNER]]
//       CHECK:   memref.store %[[OUTER]], %[[ACC]][%[[N]], %[[C]]]
func.func @sum_into_alloc(%x: memref<8x32x16x16xf32>) -> memref<8x32xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %acc = memref.alloc() : memref<8x32xf64>
  scf.parallel (%n, %c) = (%c0, %c0) to (%c8, %c32) step (%c1, %c1) {
    scf.for %h = %c0 to %c16 step %c1 {
      scf.for %w = %c0 to %c16 step %c1 {
        %v = memref.load %x[%n, %c, %h, %w] : memref<8x32x16x16xf32>
        %a = memref.load %acc[%n, %c] : memref<8x32xf64>
        %e = arith.extf %v : f32 to f64
        %s = arith.addf %a, %e : f64
        memref.store %s, %acc[%n, %c] : memref<8x32xf64>
      }
    }
    scf.reduce
  }
  return %acc : memref<8x32xf64>
}

// -----

// Left alone: the output is an argument like the input, and the alias
// analysis cannot prove that they do not overlap.

// CHECK-LABEL: func @sum_into_argument
//   CHECK-NOT: iter_args
//       CHECK: memref.store
func.func @sum_into_argument(%x: memref<8x256xf32>, %acc: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c256 = arith.constant 256 : index
  scf.parallel (%n) = (%c0) to (%c8) step (%c1) {
    scf.for %k = %c0 to %c256 step %c1 {
      %v = memref.load %x[%n, %k] : memref<8x256xf32>
      %a = memref.load %acc[%n] : memref<8xf32>
      %s = arith.addf %a, %v : f32
      memref.store %s, %acc[%n] : memref<8xf32>
    }
    scf.reduce
  }
  return
}

// -----

// Left alone: the loop also writes another buffer, and reads the
// accumulator's buffer at an element that depends on the loop.

// CHECK-LABEL: func @other_effects
//   CHECK-NOT: iter_args
func.func @other_effects(%x: memref<256xf32>) -> (memref<4xf32>, memref<256xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %acc = memref.alloc() : memref<4xf32>
  %copy = memref.alloc() : memref<256xf32>
  scf.for %k = %c0 to %c256 step %c1 {
    %v = memref.load %x[%k] : memref<256xf32>
    %a = memref.load %acc[%c0] : memref<4xf32>
    %s = arith.addf %a, %v : f32
    memref.store %s, %acc[%c0] : memref<4xf32>
    memref.store %v, %copy[%k] : memref<256xf32>
  }
  scf.for %k = %c0 to %c256 step %c1 {
    %i = arith.remui %k, %c4 : index
    %v = memref.load %acc[%i] : memref<4xf32>
    %a = memref.load %acc[%c1] : memref<4xf32>
    %s = arith.addf %a, %v : f32
    memref.store %s, %acc[%c1] : memref<4xf32>
  }
  return %acc, %copy : memref<4xf32>, memref<256xf32>
}

// -----

// The buffer is filled with zeros by the loop nest just before, and the
// reduction nest stores every element once: the accumulator starts from the
// zero and the fill (a kernel of its own on the GPU) goes away.

// CHECK-LABEL: func @fill_folded
//       CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
//  CHECK-NEXT: %[[ACC:.*]] = memref.alloc() : memref<4xf64>
//  CHECK-NEXT: scf.parallel
//  CHECK-NEXT:   %[[S:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]]) -> (f64)
//       CHECK:   memref.store %[[S]], %[[ACC]]
//  CHECK-NEXT:   scf.reduce
//  CHECK-NEXT: }
//  CHECK-NEXT: return
func.func @fill_folded(%x: memref<4x64xf32>) -> memref<4xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f64
  %acc = memref.alloc() : memref<4xf64>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    memref.store %zero, %acc[%i] : memref<4xf64>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.for %k = %c0 to %c64 step %c1 {
      %v = memref.load %x[%i, %k] : memref<4x64xf32>
      %a = memref.load %acc[%i] : memref<4xf64>
      %e = arith.extf %v : f32 to f64
      %s = arith.addf %a, %e : f64
      memref.store %s, %acc[%i] : memref<4xf64>
    }
    scf.reduce
  }
  return %acc : memref<4xf64>
}

// -----

// The fill stays: something between it and the reduction reads the buffer.

// CHECK-LABEL: func @fill_read_between
//       CHECK: scf.parallel
//       CHECK:   memref.store %{{.*}}, %[[ACC:.*]][
//       CHECK: memref.copy %[[ACC]]
//       CHECK: scf.parallel
//       CHECK:   %[[INIT:.*]] = memref.load %[[ACC]]
//       CHECK:   scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (f64)
func.func @fill_read_between(%x: memref<4x64xf32>, %snapshot: memref<4xf64>) -> memref<4xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f64
  %acc = memref.alloc() : memref<4xf64>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    memref.store %zero, %acc[%i] : memref<4xf64>
    scf.reduce
  }
  memref.copy %acc, %snapshot : memref<4xf64> to memref<4xf64>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.for %k = %c0 to %c64 step %c1 {
      %v = memref.load %x[%i, %k] : memref<4x64xf32>
      %a = memref.load %acc[%i] : memref<4xf64>
      %e = arith.extf %v : f32 to f64
      %s = arith.addf %a, %e : f64
      memref.store %s, %acc[%i] : memref<4xf64>
    }
    scf.reduce
  }
  return %acc : memref<4xf64>
}

// -----

// The fill stays: the reduction stores only half of the buffer, whose other
// half keeps the fill's zeros.

// CHECK-LABEL: func @reduction_covers_part
//       CHECK: scf.parallel
//       CHECK:   memref.store %{{.*}}, %[[ACC:.*]][
//       CHECK: scf.parallel
//       CHECK:   %[[INIT:.*]] = memref.load %[[ACC]]
//       CHECK:   scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (f64)
func.func @reduction_covers_part(%x: memref<4x64xf32>) -> memref<8xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f64
  %acc = memref.alloc() : memref<8xf64>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %zero, %acc[%i] : memref<8xf64>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.for %k = %c0 to %c64 step %c1 {
      %v = memref.load %x[%i, %k] : memref<4x64xf32>
      %a = memref.load %acc[%i] : memref<8xf64>
      %e = arith.extf %v : f32 to f64
      %s = arith.addf %a, %e : f64
      memref.store %s, %acc[%i] : memref<8xf64>
    }
    scf.reduce
  }
  return %acc : memref<8xf64>
}
