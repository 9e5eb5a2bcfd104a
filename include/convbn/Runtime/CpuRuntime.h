/*===- CpuRuntime.h - The project's CPU runtime library -----------*- C -*-===*
 *
 * libconvbn_cpu_runtime.so is the heap of generated CPU code compiled with
 * -convbn-cpu-pipeline{runtime-allocator=true}: that code calls the generic
 * allocation functions of MLIR's finalize-memref-to-llvm
 * (use-generic-functions) instead of malloc and free, and this library
 * implements them with a caching allocator.
 *
 * Why: generated code allocates its intermediate buffers on every call.
 * glibc serves large requests with fresh mmap'd pages, so every call pays
 * a page fault per 4 KiB of intermediates (thousands per call for
 * ResNet-50's stage-4 layers) and its time varies with the kernel's
 * mood. PyTorch keeps its own buffers; so does this library.
 *
 * Policy: a request of at least 64 KiB is rounded up to its size class
 * (steps of 1/8 of its power of two, so at most 12.5% waste) and freed
 * blocks of that class are reused; a block freed while the cache holds its
 * limit empties the cache first (CONVBN_RUNTIME_CPU_CACHE_MB, default 4096
 * MiB). Smaller requests go to malloc. All blocks are 64-byte aligned.
 * CONVBN_RUNTIME_NO_CACHE=1 sends every request to the system allocator.
 * Thread-safe; one instance per process (the library's soname is shared by
 * every generated module). Out of memory, with the cache emptied, is
 * reported on stderr and aborts: the generated code cannot check.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CONVBN_RUNTIME_CPURUNTIME_H
#define CONVBN_RUNTIME_CPURUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "convbn/Runtime/RuntimeApi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The functions finalize-memref-to-llvm{use-generic-functions=true} calls. */
CONVBN_RUNTIME_API void *_mlir_memref_to_llvm_alloc(size_t size);
CONVBN_RUNTIME_API void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                            size_t size);
CONVBN_RUNTIME_API void _mlir_memref_to_llvm_free(void *ptr);

/* What the allocator holds and has done since the process started. */
typedef struct ConvbnCpuMemoryStats {
  uint64_t liveBytes;         /* held by generated code now (size classes) */
  uint64_t peakBytes;         /* most live bytes since the last reset */
  uint64_t cachedBytes;       /* freed blocks kept for reuse */
  uint64_t systemAllocations; /* requests passed to the system allocator */
  uint64_t cacheHits;         /* requests served from the cache */
} ConvbnCpuMemoryStats;

CONVBN_RUNTIME_API void
convbnCpuRuntimeMemoryStats(ConvbnCpuMemoryStats *stats);
CONVBN_RUNTIME_API void convbnCpuRuntimeResetPeakMemory(void);
/* Returns the cached blocks to the system. */
CONVBN_RUNTIME_API void convbnCpuRuntimeReleaseCache(void);

/* The tracer of -convbn-cpu-pipeline{emulate-tensor-cores
 * trace-global-loads}: the emulated tensor-core kernels call the first three
 * (-convbn-trace-global-loads) and the tracer counts, per kernel launch,
 * what the GPU's memory system would see of their gathers from global
 * memory: the lanes of a warp that run one load in one K step of a block
 * make one request, which touches one or more 32-byte sectors. Not
 * thread-safe: the emulation runs on one thread. */
CONVBN_RUNTIME_API void convbn_trace_kernel(const char *name);
CONVBN_RUNTIME_API void convbn_trace_step(void);
CONVBN_RUNTIME_API void convbn_trace_load(int32_t site, int64_t thread,
                                          int64_t address, int32_t bytes);
/* The launches traced since the last reset, as a JSON array of objects:
 * "kernel" (the name given), "loads" (thread-level loads), "requests"
 * (warp-level), "sectors" (the sum over requests of the distinct sectors
 * each touches), "step_sectors" (the sum over K steps of the distinct
 * sectors of each block's step), "distinct_sectors" (over the launch),
 * "bytes" (what the lanes asked for) and "steps". The string lives until
 * the next call. */
CONVBN_RUNTIME_API const char *convbnCpuRuntimeTraceJson(void);
CONVBN_RUNTIME_API void convbnCpuRuntimeTraceReset(void);

#ifdef __cplusplus
}
#endif

#endif /* CONVBN_RUNTIME_CPURUNTIME_H */
