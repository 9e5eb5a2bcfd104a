/*===- CudaRuntime.h - The project's CUDA runtime library ---------*- C -*-===*
 *
 * libconvbn_cuda_runtime.so implements the runtime ABI that MLIR 22's
 * gpu-to-llvm lowering emits (mgpuModuleLoad, mgpuLaunchKernel, ...) on the
 * CUDA driver API, which it loads with dlopen: the library builds and loads
 * where there is no GPU or driver, and fails at the first call there with a
 * message instead.
 *
 * Errors: every CUDA call that fails is reported on stderr with the call's
 * name and the driver's message, and kept as the library's sticky error
 * (the first one since the last clear), because the generated code cannot
 * check: the ABI's functions return void or a handle. Callers check
 * convbnRuntimeLastError() after running generated code.
 * CONVBN_RUNTIME_QUIET=1 silences stderr; CONVBN_RUNTIME_ABORT=1 aborts at
 * the first error instead.
 *
 * Context and streams: the runtime uses the primary context of the device
 * (mgpuSetDefaultDevice, default 0), the context PyTorch uses, so device
 * pointers from PyTorch tensors are valid in generated code. Generated code
 * creates its own stream unless the caller hands it one with
 * convbnRuntimeUseStream: then mgpuStreamCreate returns that stream (and
 * mgpuStreamDestroy leaves it alone), so the generated work is ordered with
 * the caller's (for PyTorch: torch.cuda.current_stream().cuda_stream), and
 * mgpuStreamSynchronize on it returns at once: like a PyTorch kernel, the
 * generated code's work runs asynchronously, and a fault in a kernel shows
 * at the caller's next synchronization.
 *
 * Memory: on devices with memory pools, the generated code's intermediate
 * buffers come from the device's default pool, allocated and freed in
 * order on the code's stream (cuMemAllocAsync/cuMemFreeAsync): no
 * cuMemFree, which synchronizes the device, per buffer and call. The pool
 * keeps freed memory for the next call (its release threshold is set to
 * the maximum), as PyTorch's caching allocator keeps its own.
 * CONVBN_RUNTIME_NO_MEMORY_POOL=1 uses cuMemAlloc/cuMemFree instead.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CONVBN_RUNTIME_CUDARUNTIME_H
#define CONVBN_RUNTIME_CUDARUNTIME_H

#include <stdint.h>

#include "convbn/Runtime/RuntimeApi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The first error since the last clear, or NULL. */
CONVBN_RUNTIME_API const char *convbnRuntimeLastError(void);
CONVBN_RUNTIME_API void convbnRuntimeClearError(void);
/* 1 if the driver loads and initializes, else 0 (and the error is set). */
CONVBN_RUNTIME_API int convbnRuntimeAvailable(void);
/* Streams created by generated code on this thread are `stream` (a CUstream)
 * until called again with NULL. */
CONVBN_RUNTIME_API void convbnRuntimeUseStream(void *stream);
/* Device bytes the generated code holds now (`live`) and at most since the
 * last reset (`peak`), through mgpuMemAlloc/mgpuMemFree; either may be NULL. */
CONVBN_RUNTIME_API void convbnRuntimeMemoryStats(uint64_t *live, uint64_t *peak);
CONVBN_RUNTIME_API void convbnRuntimeResetPeakMemory(void);

/* The ABI of MLIR 22's gpu-to-llvm (declarations as the lowering emits). */
CONVBN_RUNTIME_API void *mgpuModuleLoad(void *data, int64_t size);
CONVBN_RUNTIME_API void *mgpuModuleLoadJIT(void *ptx, int32_t optLevel);
CONVBN_RUNTIME_API void mgpuModuleUnload(void *module);
CONVBN_RUNTIME_API void *mgpuModuleGetFunction(void *module, const char *name);
CONVBN_RUNTIME_API void mgpuLaunchKernel(void *function, int64_t gridX,
                                         int64_t gridY, int64_t gridZ,
                                         int64_t blockX, int64_t blockY,
                                         int64_t blockZ, int32_t smem,
                                         void *stream, void **params,
                                         void **extra, int64_t paramsCount);
CONVBN_RUNTIME_API void *mgpuStreamCreate(void);
CONVBN_RUNTIME_API void mgpuStreamDestroy(void *stream);
CONVBN_RUNTIME_API void mgpuStreamSynchronize(void *stream);
CONVBN_RUNTIME_API void mgpuStreamWaitEvent(void *stream, void *event);
CONVBN_RUNTIME_API void *mgpuEventCreate(void);
CONVBN_RUNTIME_API void mgpuEventDestroy(void *event);
CONVBN_RUNTIME_API void mgpuEventSynchronize(void *event);
CONVBN_RUNTIME_API void mgpuEventRecord(void *event, void *stream);
CONVBN_RUNTIME_API void *mgpuMemAlloc(uint64_t sizeBytes, void *stream,
                                      int8_t isHostShared);
CONVBN_RUNTIME_API void mgpuMemFree(void *ptr, void *stream);
CONVBN_RUNTIME_API void mgpuMemcpy(void *dst, void *src, uint64_t sizeBytes,
                                   void *stream);
CONVBN_RUNTIME_API void mgpuMemset32(void *dst, uint32_t value, uint64_t count,
                                     void *stream);
CONVBN_RUNTIME_API void mgpuMemset16(void *dst, uint16_t value, uint64_t count,
                                     void *stream);
CONVBN_RUNTIME_API void mgpuMemHostRegisterMemRef(int64_t rank,
                                                  void *descriptor,
                                                  int64_t elementSizeBytes);
CONVBN_RUNTIME_API void mgpuMemHostUnregisterMemRef(int64_t rank,
                                                    void *descriptor,
                                                    int64_t elementSizeBytes);
CONVBN_RUNTIME_API void mgpuSetDefaultDevice(int32_t device);

#ifdef __cplusplus
}
#endif

#endif /* CONVBN_RUNTIME_CUDARUNTIME_H */
