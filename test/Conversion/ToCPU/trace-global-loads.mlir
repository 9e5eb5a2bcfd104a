// RUN: convbn-opt %s -split-input-file -convbn-tensor-core-convolutions="cpu-emulation=true" -convbn-trace-global-loads -cse | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-trace-global-loads | FileCheck %s --check-prefix=NONE
// RUN: convbn-opt %s -split-input-file -convbn-cpu-pipeline="emulate-tensor-cores=true trace-global-loads=true" | FileCheck %s --check-prefix=PIPE

// -convbn-trace-global-loads instruments the CPU emulation of the
// tensor-core kernels: the kernel's name before its grid, a step before each
// loop over a block's threads that gathers, and a call before each load
// from global memory there. The filter of a 1x1 convolution is gathered in
// 16-byte vectors along K (four f32 turns of a thread): on the GPU one load,
// so its four scalar loads share a number. The input is gathered along the
// rows, a load per element, each with its own number. Nothing reads the
// emulated shared memory in those loops, and nothing is traced outside them.

// CHECK: llvm.mlir.global internal constant @convbn_trace_kernel_0("pointwise: convolution (M=64 N=64 K=32 z=1, blocks of 64 x 64)\00")
// CHECK-DAG: func.func private @convbn_trace_load(i32, i64, i64, i32)
// CHECK-DAG: func.func private @convbn_trace_step()
// CHECK-DAG: func.func private @convbn_trace_kernel(!llvm.ptr)
// CHECK-LABEL: func.func @pointwise
//       CHECK: memref.alloc() {convbn.emulated_shared}
//       CHECK: %[[NAME:.*]] = llvm.mlir.addressof @convbn_trace_kernel_0
//       CHECK: call @convbn_trace_kernel(
//  CHECK-NEXT: scf.for
//       CHECK: func.call @convbn_trace_step()
//  CHECK-NEXT: scf.for %[[TID:.*]] = %c0 to %c128 step %c1 {
//       CHECK: %[[THREAD:.*]] = arith.index_cast %[[TID]] : index to i64
//       CHECK: func.call @convbn_trace_load(%[[V0:.*]], %[[THREAD]], %{{.*}}, %[[FOUR:.*]]) :
//  CHECK-NEXT: memref.load %arg1{{.*}} {convbn.emulated_vector = [1, 0]}
//       CHECK: func.call @convbn_trace_load(%[[V0]], %[[THREAD]], %{{.*}}, %[[FOUR]]) :
//  CHECK-NEXT: memref.load %arg1{{.*}} {convbn.emulated_vector = [1, 0]}
//       CHECK: func.call @convbn_trace_load(%[[V0]], %[[THREAD]], %{{.*}}, %[[FOUR]]) :
//  CHECK-NEXT: memref.load %arg1{{.*}} {convbn.emulated_vector = [1, 0]}
//       CHECK: func.call @convbn_trace_load(%[[V0]], %[[THREAD]], %{{.*}}, %[[FOUR]]) :
//  CHECK-NEXT: memref.load %arg1{{.*}} {convbn.emulated_vector = [1, 0]}
//       CHECK: func.call @convbn_trace_load(%[[V1:.*]], %[[THREAD]], %{{.*}}, %[[FOUR]]) :
//  CHECK-NEXT: memref.load %arg1{{.*}} {convbn.emulated_vector = [2, 0]}
//       CHECK: func.call @convbn_trace_load(%[[V1]], %[[THREAD]], %{{.*}}, %[[FOUR]]) :
//  CHECK-NEXT: memref.load %arg1{{.*}} {convbn.emulated_vector = [2, 0]}
//       CHECK: func.call @convbn_trace_load(%[[V1]], %[[THREAD]], %{{.*}}, %[[FOUR]]) :
//  CHECK-NEXT: memref.load %arg1{{.*}} {convbn.emulated_vector = [2, 0]}
//       CHECK: func.call @convbn_trace_load(%[[V1]], %[[THREAD]], %{{.*}}, %[[FOUR]]) :
//  CHECK-NEXT: memref.load %arg1{{.*}} {convbn.emulated_vector = [2, 0]}
// The input, an element per load; its address: the aligned pointer plus the
// strided offset, 4 bytes an element.
//       CHECK: memref.extract_strided_metadata %arg0
//       CHECK: memref.extract_aligned_pointer_as_index %arg0
//       CHECK: func.call @convbn_trace_load(%[[X0:.*]], %[[THREAD]], %{{.*}}, %[[FOUR]]) :
//  CHECK-NEXT: memref.load %arg0
//       CHECK: func.call @convbn_trace_load(%[[X1:.*]], %[[THREAD]], %{{.*}}, %[[FOUR]]) :
//  CHECK-NEXT: memref.load %arg0
//   CHECK-NOT: memref.store {{.*}} %arg
//       CHECK: } {convbn.emulated_threads}

// NONE-NOT: convbn_trace

// PIPE: llvm.call @convbn_trace_kernel
// PIPE: llvm.call @convbn_trace_step
// PIPE: llvm.call @convbn_trace_load
func.func @pointwise(%x: memref<1x32x8x8xf32>, %w: memref<64x32x1x1xf32>, %o: memref<1x64x8x8xf32>) {
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x32x8x8xf32>, memref<64x32x1x1xf32>) outs(%o : memref<1x64x8x8xf32>)
  return
}
