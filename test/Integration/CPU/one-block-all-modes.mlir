// Executes the CPU pipeline's code with mlir-runner on a block small enough
// to compute by hand, forward and backward, in each of the four modes.
//
// Block: 1-D, N = C = O = 1, x = [1, 2, 3, 4], w = [1, 1], conv bias 1, so the
// conv output is y = [4, 6, 8]. Gradient of the output: G = [1, 0, 0].
//
// deploy (w, b are the folded weights): z = y = [4, 6, 8];
//   dx = [G0*w0, G0*w1, 0, 0] = [1, 1, 0, 0]; dw[k] = sum_j G[j]*x[j+k] = [1, 2];
//   db = sum G = 1.
// eval/tune with gamma 2, beta 1, mean 6, var 3, eps 1: k = 2/sqrt(4) = 1,
//   z = k*(y - 6) + 1 = [-1, 1, 3]; dx, dw, db as deploy times k;
//   dgamma = sum G*(y - mean)/sqrt(var + eps) = -2/2 = -1; dbeta = 1.
// train with eps 1/3, momentum 0.5, running mean 0 and var 1: batch mean 6,
//   biased var 8/3, inv_std = 1/sqrt(3), yhat = [-2, 0, 2]/sqrt(3),
//   z = 2*yhat + 1 = [-1.3094, 1, 3.3094]; new mean = 0.5*0 + 0.5*6 = 3;
//   new var = 0.5*1 + 0.5*(8/3)*(3/2) = 2.5.
//   dY = gamma*inv_std*(G - mean(G) - yhat*mean(G*yhat))
//      = (2/sqrt(3))*[2/9, -1/3, 1/9] = [0.2566, -0.3849, 0.1283];
//   dx = [dY0, dY0 + dY1, dY1 + dY2, dY2] = [0.2566, -0.1283, -0.2566, 0.1283];
//   dw = [sum dY*x[j], sum dY*x[j+1]] = [-0.1283, -0.1283]; db = sum dY = 0;
//   dgamma = sum G*yhat = -1.1547; dbeta = 1.

// RUN: convbn-opt %s -convbn-cpu-pipeline | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s
// Eval mode kept as is (no rewrite into tune) gives the same numbers:
// RUN: convbn-opt %s -convbn-cpu-pipeline=eval-to-tune=false | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils | FileCheck %s
// Heap buffers from the project's CPU runtime (runtime-allocator=true): the
// code calls MLIR's generic allocation functions, not malloc and free.
// RUN: convbn-opt %s -convbn-cpu-pipeline=runtime-allocator=true | \
// RUN:   FileCheck %s --check-prefix=ALLOC \
// RUN:     --implicit-check-not=@malloc --implicit-check-not=@aligned_alloc \
// RUN:     --implicit-check-not=@free
// RUN: convbn-opt %s -convbn-cpu-pipeline=runtime-allocator=true | \
// RUN:   mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils,%mlir_c_runner_utils,%convbn_obj_root/lib/libconvbn_cpu_runtime.so \
// RUN:   | FileCheck %s
// ALLOC-DAG: llvm.func @_mlir_memref_to_llvm_aligned_alloc(i64, i64) -> !llvm.ptr
// ALLOC-DAG: llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
// ALLOC-DAG: llvm.call @_mlir_memref_to_llvm_aligned_alloc
// ALLOC-DAG: llvm.call @_mlir_memref_to_llvm_free

!x = tensor<1x1x4xf32>
!w = tensor<1x1x2xf32>
!z = tensor<1x1x3xf32>
!v = tensor<1xf32>

func.func private @printMemrefF32(tensor<*xf32>) attributes {llvm.emit_c_interface}

func.func @print(%t: tensor<?x?x?xf32>) {
  %u = tensor.cast %t : tensor<?x?x?xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func @print_vector(%t: !v) {
  %u = tensor.cast %t : !v to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

func.func @main() {
  %x = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0]]]> : !x
  %w = arith.constant dense<[[[1.0, 1.0]]]> : !w
  %b = arith.constant dense<1.0> : !v
  %g = arith.constant dense<2.0> : !v
  %bt = arith.constant dense<1.0> : !v
  %m = arith.constant dense<6.0> : !v
  %v = arith.constant dense<3.0> : !v
  %m0 = arith.constant dense<0.0> : !v
  %v1 = arith.constant dense<1.0> : !v
  %gz = arith.constant dense<[[[1.0, 0.0, 0.0]]]> : !z

  // CHECK-LABEL: deploy
  // CHECK: [4,   6,   8]
  // CHECK: [1,   1,   0,   0]
  // CHECK: [1,   2]
  // CHECK: [1]
  vector.print str "deploy\n"
  %dz = convbn.conv_bn deploy %x, %w bias %b : (!x, !w, !v) -> !z
  %ddx, %ddw, %ddb = convbn.backward deploy grads <input|filter|bias> %gz, %x, %w bias %b
      : (!z, !x, !w, !v) -> (!x, !w, !v)
  call @print_all3(%dz, %ddx, %ddw) : (!z, !x, !w) -> ()
  call @print_vector(%ddb) : (!v) -> ()

  // CHECK-LABEL: eval
  // CHECK: [-1,   1,   3]
  // CHECK: [1,   1,   0,   0]
  // CHECK: [1,   2]
  // CHECK: [1]
  // CHECK: [-1]
  // CHECK: [1]
  vector.print str "eval\n"
  %ez, %ey = convbn.conv_bn eval %x, %w bias %b gamma %g beta %bt mean %m var %v
      {epsilon = 1.0 : f64} : (!x, !w, !v, !v, !v, !v, !v) -> (!z, !z)
  %edx, %edw, %edb, %edg, %edbt = convbn.backward eval grads <input|filter|bias|gamma|beta>
      %gz, %x, %w bias %b gamma %g beta %bt mean %m var %v conv_output %ey {epsilon = 1.0 : f64}
      : (!z, !x, !w, !v, !v, !v, !v, !v, !z) -> (!x, !w, !v, !v, !v)
  call @print_all3(%ez, %edx, %edw) : (!z, !x, !w) -> ()
  call @print_vector(%edb) : (!v) -> ()
  call @print_vector(%edg) : (!v) -> ()
  call @print_vector(%edbt) : (!v) -> ()

  // CHECK-LABEL: tune
  // CHECK: [-1,   1,   3]
  // CHECK: [1,   1,   0,   0]
  // CHECK: [1,   2]
  // CHECK: [1]
  // CHECK: [-1]
  // CHECK: [1]
  vector.print str "tune\n"
  %tz = convbn.conv_bn tune %x, %w bias %b gamma %g beta %bt mean %m var %v
      {epsilon = 1.0 : f64} : (!x, !w, !v, !v, !v, !v, !v) -> !z
  %tdx, %tdw, %tdb, %tdg, %tdbt = convbn.backward tune grads <input|filter|bias|gamma|beta>
      %gz, %x, %w bias %b gamma %g beta %bt mean %m var %v {epsilon = 1.0 : f64}
      : (!z, !x, !w, !v, !v, !v, !v, !v) -> (!x, !w, !v, !v, !v)
  call @print_all3(%tz, %tdx, %tdw) : (!z, !x, !w) -> ()
  call @print_vector(%tdb) : (!v) -> ()
  call @print_vector(%tdg) : (!v) -> ()
  call @print_vector(%tdbt) : (!v) -> ()

  // CHECK-LABEL: train
  // CHECK: [-1.3094{{[0-9]*}},   1,   3.3094{{[0-9]*}}]
  // CHECK: [0.2566{{[0-9]*}},   -0.1283{{[0-9]*}},   -0.2566{{[0-9]*}},   0.1283{{[0-9]*}}]
  // CHECK: [-0.1283{{[0-9]*}},   -0.1283{{[0-9]*}}]
  // CHECK: [{{-?[0-9.e-]+}}]
  // CHECK: [-1.1547{{[0-9]*}}]
  // CHECK: [1]
  // CHECK: [3]
  // CHECK: [2.5]
  vector.print str "train\n"
  %rz, %ry, %rm, %rv, %rbm, %rbi = convbn.conv_bn train %x, %w bias %b gamma %g beta %bt mean %m0 var %v1
      {epsilon = 0.3333333333333333 : f64, momentum = 0.5 : f64}
      : (!x, !w, !v, !v, !v, !v, !v) -> (!z, !z, !v, !v, !v, !v)
  %rdx, %rdw, %rdb, %rdg, %rdbt = convbn.backward train grads <input|filter|bias|gamma|beta>
      %gz, %x, %w bias %b gamma %g beta %bt mean %m0 var %v1 conv_output %ry batch_mean %rbm batch_inv_std %rbi
      {epsilon = 0.3333333333333333 : f64}
      : (!z, !x, !w, !v, !v, !v, !v, !v, !z, !v, !v) -> (!x, !w, !v, !v, !v)
  call @print_all3(%rz, %rdx, %rdw) : (!z, !x, !w) -> ()
  call @print_vector(%rdb) : (!v) -> ()
  call @print_vector(%rdg) : (!v) -> ()
  call @print_vector(%rdbt) : (!v) -> ()
  call @print_vector(%rm) : (!v) -> ()
  call @print_vector(%rv) : (!v) -> ()
  return
}

func.func @print_all3(%a: !z, %b: !x, %c: !w) {
  %ua = tensor.cast %a : !z to tensor<?x?x?xf32>
  %ub = tensor.cast %b : !x to tensor<?x?x?xf32>
  %uc = tensor.cast %c : !w to tensor<?x?x?xf32>
  call @print(%ua) : (tensor<?x?x?xf32>) -> ()
  call @print(%ub) : (tensor<?x?x?xf32>) -> ()
  call @print(%uc) : (tensor<?x?x?xf32>) -> ()
  return
}
