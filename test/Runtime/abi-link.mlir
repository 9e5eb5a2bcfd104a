// The host code that gpu-to-llvm emits links against the project's runtime
// with no undefined symbol left: the library implements the whole ABI that
// this module uses (module load from global constructors, kernel lookup and
// launch, streams, device memory, copies, memset, host registration).
// Loading the result without a driver reports the failure instead of
// crashing.

// RUN: convbn-opt %s -gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90 cubin-features=+ptx80 cubin-format=isa" \
// RUN:   | mlir-translate --mlir-to-llvmir -o %t.ll
// RUN: %clang -shared -fPIC -Wno-override-module %t.ll -o %t.so \
// RUN:   -L%convbn_obj_root/lib -lconvbn_cuda_runtime -Wl,--no-undefined -Wl,-rpath,%convbn_obj_root/lib
// RUN: grep -o "declare [^@]*@mgpu[A-Za-z0-9]*" %t.ll | sort | FileCheck %s --check-prefix=ABI
// ABI-DAG: @mgpuLaunchKernel
// ABI-DAG: @mgpuModuleLoadJIT
// ABI-DAG: @mgpuModuleGetFunction
// ABI-DAG: @mgpuMemAlloc
// ABI-DAG: @mgpuMemcpy
// RUN: %python -c "import ctypes; ctypes.CDLL('%t.so'); print('loaded')" 2>&1 | FileCheck %s --check-prefix=LOAD
// LOAD: loaded
// UNSUPPORTED: cuda-driver

module attributes {gpu.container_module} {
  gpu.module @kernels [#nvvm.target<chip = "sm_90", features = "+ptx80">] {
    gpu.func @fill(%a: memref<?xf32>) kernel {
      %i = gpu.thread_id x
      %v = arith.constant 1.0 : f32
      memref.store %v, %a[%i] : memref<?xf32>
      gpu.return
    }
  }
  func.func @host(%n: index, %h: memref<?xf32>, %u: memref<*xf32>) {
    %c1 = arith.constant 1 : index
    %t0 = gpu.wait async
    %d, %t1 = gpu.alloc async [%t0] (%n) : memref<?xf32>
    %t2 = gpu.memcpy async [%t1] %d, %h : memref<?xf32>, memref<?xf32>
    %f = arith.constant 0.0 : f32
    %t3 = gpu.memset async [%t2] %d, %f : memref<?xf32>, f32
    %t4 = gpu.launch_func async [%t3] @kernels::@fill blocks in (%c1, %c1, %c1) threads in (%n, %c1, %c1) args(%d : memref<?xf32>)
    %t5 = gpu.dealloc async [%t4] %d : memref<?xf32>
    gpu.wait [%t5]
    gpu.host_register %u : memref<*xf32>
    gpu.host_unregister %u : memref<*xf32>
    return
  }
}
