/* Drives libconvbn_cpu_runtime's allocator as generated code does and
 * prints what it observes; cpu-allocator.test checks the output. */
#include "convbn/Runtime/CpuRuntime.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void print_stats(const char *when) {
  ConvbnCpuMemoryStats s;
  convbnCpuRuntimeMemoryStats(&s);
  printf("%s: live %llu peak %llu cached %llu system %llu hits %llu\n", when,
         (unsigned long long)s.liveBytes, (unsigned long long)s.peakBytes,
         (unsigned long long)s.cachedBytes,
         (unsigned long long)s.systemAllocations,
         (unsigned long long)s.cacheHits);
}

static int aligned(void *p, uintptr_t alignment) {
  return ((uintptr_t)p & (alignment - 1)) == 0;
}

int main(void) {
  const size_t mib = 1 << 20;
  /* A small request: malloc's, not cached; 64-byte aligned. */
  void *small = _mlir_memref_to_llvm_alloc(100);
  printf("small aligned: %d\n", aligned(small, 64));
  _mlir_memref_to_llvm_free(small);
  print_stats("after small");

  /* Two calls of a "function" with intermediates of 1 MiB and 3 MiB + 8. */
  void *first[2], *second[2];
  for (int call = 0; call < 2; ++call) {
    void **p = call == 0 ? first : second;
    p[0] = _mlir_memref_to_llvm_alloc(mib);
    p[1] = _mlir_memref_to_llvm_alloc(3 * mib + 8);
    memset(p[0], 1, mib);
    memset(p[1], 2, 3 * mib + 8);
    printf("call %d aligned: %d %d\n", call, aligned(p[0], 64),
           aligned(p[1], 64));
    _mlir_memref_to_llvm_free(p[1]);
    _mlir_memref_to_llvm_free(p[0]);
    print_stats(call == 0 ? "after call 0" : "after call 1");
  }
  printf("reused: %d %d\n", first[0] == second[0], first[1] == second[1]);

  /* Same size class (steps of 1/8 of the power of two): reused. */
  void *near = _mlir_memref_to_llvm_alloc(mib + 1000);
  _mlir_memref_to_llvm_free(near);
  void *nearer = _mlir_memref_to_llvm_alloc(mib + 100000);
  printf("same class reused: %d\n", nearer == near);
  _mlir_memref_to_llvm_free(nearer);

  /* Alignments above 64 bytes: honoured, not cached. */
  void *page = _mlir_memref_to_llvm_aligned_alloc(4096, 2 * mib);
  printf("page aligned: %d\n", aligned(page, 4096));
  _mlir_memref_to_llvm_free(page);

  _mlir_memref_to_llvm_free(NULL);
  print_stats("before release");
  convbnCpuRuntimeReleaseCache();
  convbnCpuRuntimeResetPeakMemory();
  print_stats("after release");
  return 0;
}
