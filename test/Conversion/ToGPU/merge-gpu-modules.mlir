// RUN: convbn-opt %s -split-input-file -convbn-merge-gpu-modules | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-merge-gpu-modules="module-name=all" | FileCheck %s --check-prefix=NAMED

// As gpu-kernel-outlining leaves them: a module per kernel, the kernels
// named after their function (the same name twice), the modules unique.
// They move into one module, `kernels` (`kernels_0` here, where the host
// has a `kernels` already), each kernel named after the module it leaves;
// the launches follow. A device function of the same name in two modules
// keeps its name in the first and gets a unique one in the second, whose
// call follows it.

// CHECK-LABEL: func.func @kernels()
//   CHECK-NOT: gpu.module @f_kernel
//       CHECK: gpu.module @kernels_0 {
//       CHECK:   func.func @scale(
//       CHECK:     arith.addf
//       CHECK:   gpu.func @f_kernel(%{{.*}}: memref<4xf32>) kernel
//       CHECK:     func.call @scale(
//       CHECK:   gpu.func @f_kernel_0(%{{.*}}: memref<4xf32>) kernel
//       CHECK:     func.call @[[SCALE:scale_[0-9]+]](
//       CHECK:   func.func @[[SCALE]](
//       CHECK:     arith.mulf
//   CHECK-NOT: gpu.module
//       CHECK: func.func @f(
//       CHECK:   gpu.launch_func @kernels_0::@f_kernel blocks
//       CHECK:   gpu.launch_func @kernels_0::@f_kernel_0 blocks
// NAMED: gpu.module @all {
// NAMED: gpu.launch_func @all::@f_kernel blocks
// NAMED: gpu.launch_func @all::@f_kernel_0 blocks
module attributes {gpu.container_module} {
  func.func @kernels() {
    return
  }
  gpu.module @f_kernel {
    func.func @scale(%x: f32) -> f32 {
      %r = arith.addf %x, %x : f32
      return %r : f32
    }
    gpu.func @f_kernel(%m: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %m[%c0] : memref<4xf32>
      %r = func.call @scale(%v) : (f32) -> f32
      memref.store %r, %m[%c0] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @f_kernel_0 {
    gpu.func @f_kernel(%m: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %m[%c0] : memref<4xf32>
      %r = func.call @scale(%v) : (f32) -> f32
      memref.store %r, %m[%c0] : memref<4xf32>
      gpu.return
    }
    func.func @scale(%x: f32) -> f32 {
      %r = arith.mulf %x, %x : f32
      return %r : f32
    }
  }
  func.func @f(%m: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    return
  }
}

// -----

// Modules whose attributes differ (here their targets) compile apart and
// stay apart; the two with the same target merge.

// CHECK-LABEL: gpu.module @kernels [#nvvm.target<chip = "sm_80">] {
//       CHECK:   gpu.func @a_kernel() kernel
//       CHECK:   gpu.func @c_kernel() kernel
//       CHECK: gpu.module @b_kernel [#nvvm.target<chip = "sm_90">] {
//       CHECK:   gpu.func @b_kernel() kernel
//       CHECK: gpu.launch_func @kernels::@a_kernel
//       CHECK: gpu.launch_func @b_kernel::@b_kernel
//       CHECK: gpu.launch_func @kernels::@c_kernel
module attributes {gpu.container_module} {
  gpu.module @a_kernel [#nvvm.target<chip = "sm_80">] {
    gpu.func @a_kernel() kernel {
      gpu.return
    }
  }
  gpu.module @b_kernel [#nvvm.target<chip = "sm_90">] {
    gpu.func @b_kernel() kernel {
      gpu.return
    }
  }
  gpu.module @c_kernel [#nvvm.target<chip = "sm_80">] {
    gpu.func @c_kernel() kernel {
      gpu.return
    }
  }
  func.func @g() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @a_kernel::@a_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @b_kernel::@b_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @c_kernel::@c_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}

// -----

// One module: nothing to merge, left as it is.

// CHECK-LABEL: gpu.module @only_kernel {
//       CHECK:   gpu.func @only_kernel() kernel
//       CHECK: gpu.launch_func @only_kernel::@only_kernel
module attributes {gpu.container_module} {
  gpu.module @only_kernel {
    gpu.func @only_kernel() kernel {
      gpu.return
    }
  }
  func.func @h() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @only_kernel::@only_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}

// -----

// As the pipeline runs it, after the NVVM lowering: kernels are llvm.func
// (a module's only launched one takes the module's name), a kernel's
// shared buffer is a global named after it (made unique), and external
// declarations that both modules hold (a libdevice function, the dynamic
// shared memory) stay once, under their own names.

// CHECK-LABEL: gpu.module @kernels {
//   CHECK-DAG:   llvm.mlir.global external @__dynamic_shmem__0()
//   CHECK-DAG:   llvm.func @__nv_expf(f32) -> f32
//   CHECK-DAG:   llvm.mlir.global internal @__wg_k_kernel_0()
//   CHECK-DAG:   llvm.mlir.global internal @[[WG:__wg_k_kernel_0_[0-9]+]]()
//   CHECK-DAG:   llvm.func @k_kernel() attributes {gpu.kernel, nvvm.kernel}
//   CHECK-DAG:   llvm.func @k_kernel_0() attributes {gpu.kernel, nvvm.kernel}
//       CHECK:   llvm.mlir.addressof @[[WG]]
//   CHECK-NOT: llvm.func @__nv_expf
//   CHECK-NOT: @__dynamic_shmem__0()
//       CHECK: gpu.launch_func @kernels::@k_kernel blocks
//       CHECK: gpu.launch_func @kernels::@k_kernel_0 blocks
module attributes {gpu.container_module} {
  gpu.module @k_kernel {
    llvm.mlir.global external @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
    llvm.mlir.global internal @__wg_k_kernel_0() {addr_space = 3 : i32} : !llvm.array<64 x f32>
    llvm.func @__nv_expf(f32) -> f32
    llvm.func @k_kernel() attributes {gpu.kernel, nvvm.kernel} {
      %0 = llvm.mlir.addressof @__wg_k_kernel_0 : !llvm.ptr<3>
      %1 = llvm.mlir.addressof @__dynamic_shmem__0 : !llvm.ptr<3>
      llvm.return
    }
  }
  gpu.module @k_kernel_0 {
    llvm.mlir.global external @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
    llvm.mlir.global internal @__wg_k_kernel_0() {addr_space = 3 : i32} : !llvm.array<32 x f32>
    llvm.func @__nv_expf(f32) -> f32
    llvm.func @k_kernel() attributes {gpu.kernel, nvvm.kernel} {
      %0 = llvm.mlir.addressof @__wg_k_kernel_0 : !llvm.ptr<3>
      %1 = llvm.mlir.addressof @__dynamic_shmem__0 : !llvm.ptr<3>
      llvm.return
    }
  }
  func.func @k() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k_kernel::@k_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @k_kernel_0::@k_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
}
