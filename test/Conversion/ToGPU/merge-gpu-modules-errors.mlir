// RUN: convbn-opt %s -convbn-merge-gpu-modules -verify-diagnostics

// An external declaration is linked by its name, so it cannot be renamed:
// two modules that declare one name differently cannot share a module.

module attributes {gpu.container_module} {
  gpu.module @a_kernel {
    llvm.func @__nv_expf(f32) -> f32
  }
  gpu.module @b_kernel {
    // expected-error @+1 {{convbn-merge-gpu-modules: '__nv_expf' is declared here and defined or declared differently in another module}}
    llvm.func @__nv_expf(f64) -> f64
  }
}
