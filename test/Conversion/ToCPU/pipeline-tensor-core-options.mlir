// RUN: convbn-opt %s -convbn-cpu-pipeline="emulate-tensor-cores=true" -dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: convbn-opt %s -convbn-cpu-pipeline="emulate-tensor-cores=true tensor-core-prefetch=false tensor-core-block-m=128 tensor-core-block-n=128 tensor-core-vector-gathers=false tensor-core-filter-copies=true tensor-core-input-copies=true tensor-core-k-step-bytes=32 tensor-core-blocks-per-sm=6 narrow-indices=false" -dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPU-SET
// RUN: convbn-opt %s -convbn-gpu-pipeline="tensor-cores=true tensor-core-prefetch=false tensor-core-block-m=128 tensor-core-vector-gathers=false tensor-core-max-registers=160 tensor-core-blocks-per-sm=8" -dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=GPU-SET
// RUN: convbn-opt %s -convbn-cpu-pipeline="emulate-tensor-cores=true tensor-core-stages=4 tensor-core-max-shared-bytes=98304" -dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=STAGES
// RUN: convbn-opt %s -convbn-gpu-pipeline="tensor-cores=true tensor-core-stages=3 tensor-core-max-shared-bytes=65536" -dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=GPU-STAGES

// The tensor-core kernels' options are shared by the two pipelines under
// the same names and reach the pass alike, so that the CPU emulation
// builds the kernels a GPU configuration runs.

// CPU: convbn-tensor-core-convolutions{{{.*}}block-m=0 block-n=64 blocks-per-sm=0 cpu-emulation=true filter-copies=false {{.*}}input-copies=false k-step-bytes=64 max-shared-bytes=49152 prefetch=true {{.*}}stages=2 vector-gathers=true}
// CPU: arith-int-range-narrowing

// CPU-SET: convbn-tensor-core-convolutions{{{.*}}block-m=128 block-n=128 blocks-per-sm=6 cpu-emulation=true filter-copies=true {{.*}}input-copies=true k-step-bytes=32 max-shared-bytes=49152 prefetch=false {{.*}}vector-gathers=false}
// CPU-SET-NOT: arith-int-range-narrowing

// GPU-SET: convbn-tensor-core-convolutions{{{.*}}block-m=128 block-n=64 blocks-per-sm=8 cpu-emulation=false {{.*}}k-step-bytes=64 max-shared-bytes=49152 prefetch=false {{.*}}vector-gathers=false}
// GPU-SET: convbn-cap-kernel-registers{max-registers=160 min-blocks-per-sm=8}
func.func @empty() {
  return
}

// STAGES: convbn-tensor-core-convolutions{{{.*}}cpu-emulation=true {{.*}}max-shared-bytes=98304 {{.*}}stages=4 {{.*}}}
// GPU-STAGES: convbn-tensor-core-convolutions{{{.*}}cpu-emulation=false {{.*}}max-shared-bytes=65536 {{.*}}stages=3 {{.*}}}
// GPU-STAGES: convert-gpu-to-nvvm
// GPU-STAGES-NEXT: convbn-extern-dynamic-shared-memory
