// RUN: convbn-opt %s -convbn-narrow-loop-counters | FileCheck %s
// RUN: convbn-opt %s -convbn-narrow-loop-counters -arith-int-range-narrowing="int-bitwidths-supported=32" -canonicalize | FileCheck %s --check-prefix=NARROWED
// RUN: convbn-opt %s -convbn-narrow-loop-counters="min-trips=1" | FileCheck %s --check-prefix=EVERY

// A loop with constant bounds from zero up, its last value plus the step
// below 2^31, and at least 17 trips (min-trips) counts in i32; its users
// get the counter as an index. Loops with a bound that is not a constant,
// that end too high, that start below zero, that already count in i32, or
// with fewer trips (ptxas unrolls those whole only while they count in 64
// bits), are left as they are, and so are the values a loop carries.

// CHECK-LABEL: func.func @small
//   CHECK-DAG: %[[LOW:.*]] = arith.constant 0 : i32
//   CHECK-DAG: %[[HIGH:.*]] = arith.constant 2304 : i32
//   CHECK-DAG: %[[STEP:.*]] = arith.constant 16 : i32
//       CHECK: %[[SUM:.*]] = scf.for %[[K:.*]] = %[[LOW]] to %[[HIGH]] step %[[STEP]] iter_args(%[[ACC:.*]] = %{{.*}}) -> (index)  : i32 {
//  CHECK-NEXT:   %[[AT:.*]] = arith.index_castui %[[K]] : i32 to index
//  CHECK-NEXT:   %[[PLUS:.*]] = arith.addi %[[AT]], %{{.*}} : index
//  CHECK-NEXT:   memref.store %{{.*}}, %{{.*}}[%[[PLUS]]]
//  CHECK-NEXT:   %[[NEXT:.*]] = arith.addi %[[ACC]], %[[AT]] : index
//  CHECK-NEXT:   scf.yield %[[NEXT]] : index
//       CHECK: return %[[SUM]] : index

// Range narrowing then computes in 32 bits what depends on the counter
// (here the index of the store, k + 1).
// NARROWED-LABEL: func.func @small
//       NARROWED: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (index)  : i32 {
//       NARROWED:   %[[NEXT:.*]] = arith.addi %[[K]], %{{.*}} : i32
//  NARROWED-NEXT:   %[[AT:.*]] = arith.index_castui %[[NEXT]] : i32 to index
//  NARROWED-NEXT:   memref.store %{{.*}}, %{{.*}}[%[[AT]]]
func.func @small(%m: memref<2305xf32>) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c2304 = arith.constant 2304 : index
  %f = arith.constant 0.0 : f32
  %sum = scf.for %k = %c0 to %c2304 step %c16 iter_args(%acc = %c0) -> (index) {
    %at = arith.addi %k, %c1 : index
    memref.store %f, %m[%at] : memref<2305xf32>
    %next = arith.addi %acc, %k : index
    scf.yield %next : index
  }
  return %sum : index
}

// CHECK-LABEL: func.func @kept
//       CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
//       CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
//       CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
//       CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}}  : i32 {
//       CHECK: scf.for %{{.*}} = %c0 to %c64 step %c16 {
//   CHECK-NOT: index_castui
//       CHECK: return

// With min-trips=1 the short loop (4 trips) counts in i32 too.
// EVERY-LABEL: func.func @kept
//       EVERY: scf.for %{{.*}} = %c0_i32{{.*}} to %c64_i32{{.*}} step %c16_i32  : i32 {
//  EVERY-NEXT:   arith.index_castui
func.func @kept(%m: memref<64xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cm1 = arith.constant -1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  // 2^31 - 1: the counter would reach 2^31 before the loop ends.
  %last = arith.constant 2147483647 : index
  %i0 = arith.constant 0 : i32
  %i1 = arith.constant 1 : i32
  %i64 = arith.constant 64 : i32
  %f = arith.constant 0.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    memref.store %f, %m[%i] : memref<64xf32>
  }
  scf.for %i = %c0 to %last step %c1 {
    memref.store %f, %m[%c0] : memref<64xf32>
  }
  scf.for %i = %cm1 to %c64 step %c1 {
    memref.store %f, %m[%c0] : memref<64xf32>
  }
  scf.for %i = %i0 to %i64 step %i1 : i32 {
    memref.store %f, %m[%c0] : memref<64xf32>
  }
  scf.for %i = %c0 to %c64 step %c16 {
    memref.store %f, %m[%i] : memref<64xf32>
  }
  return
}
