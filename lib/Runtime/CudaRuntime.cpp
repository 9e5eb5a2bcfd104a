//===- CudaRuntime.cpp - The project's CUDA runtime library ---------------===//
//
// The gpu-to-llvm runtime ABI on the CUDA driver API, loaded with dlopen. See
// include/convbn/Runtime/CudaRuntime.h for the contract. No LLVM, MLIR or
// CUDA headers: the few driver types and entry points are declared here.
//
//===----------------------------------------------------------------------===//

#include "convbn/Runtime/CudaRuntime.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>

namespace {

//===----------------------------------------------------------------------===//
// The driver API subset we use
//===----------------------------------------------------------------------===//

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUevent = void *;
using CUmemoryPool = void *;
constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_DEINITIALIZED = 4;
constexpr unsigned CU_STREAM_NON_BLOCKING = 1;
constexpr unsigned CU_EVENT_DISABLE_TIMING = 2;
constexpr unsigned CU_MEM_ATTACH_GLOBAL = 1;
constexpr int CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
constexpr int CU_JIT_OPTIMIZATION_LEVEL = 7;
constexpr int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
/// The shared memory a kernel may take without opting in.
constexpr int32_t kDefaultMaxSharedBytes = 48 * 1024;

struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxGetCurrent)(CUcontext *);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                                 void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuFuncSetAttribute)(CUfunction, int, int);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamDestroy_v2)(CUstream);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventDestroy_v2)(CUevent);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuMemAlloc_v2)(CUdeviceptr *, size_t);
  CUresult (*cuMemAllocManaged)(CUdeviceptr *, size_t, unsigned);
  CUresult (*cuMemFree_v2)(CUdeviceptr);
  CUresult (*cuMemcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*cuMemsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);
  CUresult (*cuMemsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);
  CUresult (*cuMemHostRegister_v2)(void *, size_t, unsigned);
  CUresult (*cuMemHostUnregister)(void *);
  // Stream-ordered allocation (drivers of CUDA 11.2 and later); optional.
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDeviceGetDefaultMemPool)(CUmemoryPool *, CUdevice);
  CUresult (*cuMemPoolSetAttribute)(CUmemoryPool, int, void *);
  CUresult (*cuMemAllocAsync)(CUdeviceptr *, size_t, CUstream);
  CUresult (*cuMemFreeAsync)(CUdeviceptr, CUstream);
};

// Values of cuda.h's enums that the runtime uses.
constexpr int kDeviceAttributeMemoryPoolsSupported = 115;
constexpr int kMemPoolAttributeReleaseThreshold = 4;

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

std::mutex errorMutex;
std::string stickyError; // guarded by errorMutex; empty = no error

void reportError(const std::string &message) {
  if (!std::getenv("CONVBN_RUNTIME_QUIET"))
    std::fprintf(stderr, "convbn-runtime: error: %s\n", message.c_str());
  {
    std::lock_guard<std::mutex> lock(errorMutex);
    if (stickyError.empty())
      stickyError = message;
  }
  if (const char *abortFlag = std::getenv("CONVBN_RUNTIME_ABORT"))
    if (std::strcmp(abortFlag, "0") != 0)
      std::abort();
}

/// Names of common results, for drivers (the toolkit's stub among them)
/// whose cuGetErrorName itself fails.
const char *fallbackName(CUresult result) {
  static constexpr std::pair<CUresult, const char *> known[] = {
      {1, "CUDA_ERROR_INVALID_VALUE"},
      {2, "CUDA_ERROR_OUT_OF_MEMORY"},
      {3, "CUDA_ERROR_NOT_INITIALIZED"},
      {34,
       "CUDA_ERROR_STUB_LIBRARY (the toolkit's stub libcuda, not a driver)"},
      {35, "CUDA_ERROR_INSUFFICIENT_DRIVER"},
      {100, "CUDA_ERROR_NO_DEVICE"},
      {101, "CUDA_ERROR_INVALID_DEVICE"},
      {200, "CUDA_ERROR_INVALID_IMAGE"},
      {201, "CUDA_ERROR_INVALID_CONTEXT"},
      {209, "CUDA_ERROR_NO_BINARY_FOR_GPU"},
      {218, "CUDA_ERROR_INVALID_PTX"},
      {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"},
      {400, "CUDA_ERROR_INVALID_HANDLE"},
      {500, "CUDA_ERROR_NOT_FOUND"},
      {700, "CUDA_ERROR_ILLEGAL_ADDRESS"},
      {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"},
      {719, "CUDA_ERROR_LAUNCH_FAILED"},
  };
  for (auto [code, name] : known)
    if (code == result)
      return name;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Loading the driver, the context
//===----------------------------------------------------------------------===//

Driver driver;
bool driverReady = false;
std::string driverFailure; // why the driver is not usable, once known
std::once_flag driverOnce;
int defaultDevice = 0;
CUcontext primaryContexts[64];
/// Per device: whether buffers come from its default memory pool
/// (stream-ordered, cached), decided with its context.
bool streamOrderedAllocation[64];
std::mutex contextMutex;

/// Device memory the generated code holds (mgpuMemAlloc/mgpuMemFree), for
/// convbnRuntimeMemoryStats.
std::mutex memoryMutex;
struct Allocation {
  uint64_t bytes = 0;
  bool pooled = false; // from cuMemAllocAsync
};
std::unordered_map<CUdeviceptr, Allocation> allocationSizes;
uint64_t liveBytes = 0, peakBytes = 0;
thread_local CUstream callerStream = nullptr;

std::string describe(CUresult result) {
  const char *name = nullptr, *text = nullptr;
  if (driver.cuGetErrorName &&
      driver.cuGetErrorName(result, &name) != CUDA_SUCCESS)
    name = nullptr;
  if (driver.cuGetErrorString &&
      driver.cuGetErrorString(result, &text) != CUDA_SUCCESS)
    text = nullptr;
  if (!name)
    name = fallbackName(result);
  std::string out = name ? name : "CUresult " + std::to_string(result);
  if (text)
    out += std::string(": ") + text;
  return out;
}

/// Checks a driver call's result; reports `call` and the driver's message.
bool check(CUresult result, const char *call, const std::string &what = {}) {
  if (result == CUDA_SUCCESS)
    return true;
  reportError(std::string(call) + " failed" +
              (what.empty() ? "" : " (" + what + ")") + ": " +
              describe(result));
  return false;
}

template <typename Fn> bool resolve(void *library, const char *name, Fn &slot) {
  slot = reinterpret_cast<Fn>(dlsym(library, name));
  if (!slot)
    reportError(std::string("the CUDA driver has no entry point ") + name);
  return slot != nullptr;
}

void loadDriver() {
  const char *names[] = {"libcuda.so.1", "libcuda.so"};
  void *library = nullptr;
  std::string failures;
  for (const char *name : names) {
    library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (library)
      break;
    const char *reason = dlerror();
    failures +=
        std::string(failures.empty() ? " [" : "; ") + (reason ? reason : name);
  }
  if (!library) {
    driverFailure = "cannot load the CUDA driver (libcuda.so.1); is an "
                    "NVIDIA driver installed?" +
                    failures + "]";
    reportError(driverFailure);
    return;
  }
#define CONVBN_RESOLVE(name) ok &= resolve(library, #name, driver.name)
  bool ok = true;
  CONVBN_RESOLVE(cuInit);
  CONVBN_RESOLVE(cuDeviceGet);
  CONVBN_RESOLVE(cuDevicePrimaryCtxRetain);
  CONVBN_RESOLVE(cuCtxGetCurrent);
  CONVBN_RESOLVE(cuCtxSetCurrent);
  CONVBN_RESOLVE(cuGetErrorName);
  CONVBN_RESOLVE(cuGetErrorString);
  CONVBN_RESOLVE(cuModuleLoadData);
  CONVBN_RESOLVE(cuModuleLoadDataEx);
  CONVBN_RESOLVE(cuModuleUnload);
  CONVBN_RESOLVE(cuModuleGetFunction);
  CONVBN_RESOLVE(cuFuncSetAttribute);
  CONVBN_RESOLVE(cuLaunchKernel);
  CONVBN_RESOLVE(cuStreamCreate);
  CONVBN_RESOLVE(cuStreamDestroy_v2);
  CONVBN_RESOLVE(cuStreamSynchronize);
  CONVBN_RESOLVE(cuStreamWaitEvent);
  CONVBN_RESOLVE(cuEventCreate);
  CONVBN_RESOLVE(cuEventDestroy_v2);
  CONVBN_RESOLVE(cuEventSynchronize);
  CONVBN_RESOLVE(cuEventRecord);
  CONVBN_RESOLVE(cuMemAlloc_v2);
  CONVBN_RESOLVE(cuMemAllocManaged);
  CONVBN_RESOLVE(cuMemFree_v2);
  CONVBN_RESOLVE(cuMemcpyAsync);
  CONVBN_RESOLVE(cuMemsetD32Async);
  CONVBN_RESOLVE(cuMemsetD16Async);
  CONVBN_RESOLVE(cuMemHostRegister_v2);
  CONVBN_RESOLVE(cuMemHostUnregister);
#undef CONVBN_RESOLVE
  // Optional: without them, every buffer is a cuMemAlloc/cuMemFree pair.
  auto optional = [&](const char *name, auto &slot) {
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(
        dlsym(library, name));
  };
  optional("cuDeviceGetAttribute", driver.cuDeviceGetAttribute);
  optional("cuDeviceGetDefaultMemPool", driver.cuDeviceGetDefaultMemPool);
  optional("cuMemPoolSetAttribute", driver.cuMemPoolSetAttribute);
  optional("cuMemAllocAsync", driver.cuMemAllocAsync);
  optional("cuMemFreeAsync", driver.cuMemFreeAsync);
  if (!ok) {
    driverFailure = "the CUDA driver lacks entry points the runtime needs";
    return;
  }
  CUresult result = driver.cuInit(0);
  driverReady = check(result, "cuInit");
  if (!driverReady)
    driverFailure = "cuInit failed: " + describe(result);
}

/// Whether `device` can serve the generated code's buffers from its default
/// memory pool: cuMemAllocAsync/cuMemFreeAsync on the code's stream, without
/// the device-wide synchronization of cuMemFree. The pool keeps freed
/// memory for the next call instead of returning it to the driver at every
/// synchronization (as PyTorch's caching allocator keeps its own).
bool useMemoryPool(CUdevice device) {
  if (std::getenv("CONVBN_RUNTIME_NO_MEMORY_POOL") || !driver.cuMemAllocAsync ||
      !driver.cuMemFreeAsync || !driver.cuDeviceGetAttribute ||
      !driver.cuDeviceGetDefaultMemPool || !driver.cuMemPoolSetAttribute)
    return false;
  int supported = 0;
  CUmemoryPool pool = nullptr;
  uint64_t keepAll = UINT64_MAX;
  return driver.cuDeviceGetAttribute(&supported,
                                     kDeviceAttributeMemoryPoolsSupported,
                                     device) == CUDA_SUCCESS &&
         supported &&
         check(driver.cuDeviceGetDefaultMemPool(&pool, device),
               "cuDeviceGetDefaultMemPool") &&
         check(driver.cuMemPoolSetAttribute(
                   pool, kMemPoolAttributeReleaseThreshold, &keepAll),
               "cuMemPoolSetAttribute", "release threshold");
}

/// Makes the primary context of the default device current on this thread;
/// `api` (the entry point) is named in the error when there is no driver.
bool enterContext(const char *api) {
  bool first = false;
  std::call_once(driverOnce, [&] {
    first = true;
    loadDriver();
  });
  if (!driverReady) {
    // The first call reported why; later ones say which call could not run.
    if (!first)
      reportError(std::string(api) + ": no usable CUDA driver (" +
                  driverFailure + ")");
    return false;
  }
  CUcontext context;
  {
    std::lock_guard<std::mutex> lock(contextMutex);
    if (defaultDevice < 0 || defaultDevice >= 64) {
      reportError("device " + std::to_string(defaultDevice) +
                  " is out of range");
      return false;
    }
    CUcontext &slot = primaryContexts[defaultDevice];
    if (!slot) {
      CUdevice device;
      if (!check(driver.cuDeviceGet(&device, defaultDevice), "cuDeviceGet",
                 "device " + std::to_string(defaultDevice)) ||
          !check(driver.cuDevicePrimaryCtxRetain(&slot, device),
                 "cuDevicePrimaryCtxRetain"))
        return false;
      streamOrderedAllocation[defaultDevice] = useMemoryPool(device);
    }
    context = slot;
  }
  CUcontext current = nullptr;
  if (!check(driver.cuCtxGetCurrent(&current), "cuCtxGetCurrent"))
    return false;
  return current == context ||
         check(driver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
}

/// Whether the driver has already shut down: at process exit it can go
/// before the generated code's static destructors unload their modules,
/// and then nothing is left to release (nor worth an error).
bool driverShutDown() {
  CUcontext current = nullptr;
  return driverReady &&
         driver.cuCtxGetCurrent(&current) == CUDA_ERROR_DEINITIALIZED;
}

/// Whether the default device serves buffers from its memory pool (its
/// context is current, see enterContext).
bool defaultDeviceUsesPool() {
  std::lock_guard<std::mutex> lock(contextMutex);
  return streamOrderedAllocation[defaultDevice];
}

CUdeviceptr devicePointer(void *ptr) {
  return reinterpret_cast<CUdeviceptr>(ptr);
}

/// The base pointer and byte size of a ranked memref descriptor
/// {allocated, aligned, offset, sizes[rank], strides[rank]}.
std::pair<void *, size_t> memrefExtent(int64_t rank, void *descriptor,
                                       int64_t elementSizeBytes) {
  struct Header {
    char *allocated, *aligned;
    int64_t offset;
  };
  auto *header = static_cast<Header *>(descriptor);
  auto *sizes = reinterpret_cast<int64_t *>(header + 1);
  size_t elements = 1;
  for (int64_t i = 0; i < rank; ++i)
    elements *= static_cast<size_t>(sizes[i]);
  return {header->aligned + header->offset * elementSizeBytes,
          elements * static_cast<size_t>(elementSizeBytes)};
}

} // namespace

//===----------------------------------------------------------------------===//
// The C API
//===----------------------------------------------------------------------===//

extern "C" {

const char *convbnRuntimeLastError(void) {
  std::lock_guard<std::mutex> lock(errorMutex);
  return stickyError.empty() ? nullptr : stickyError.c_str();
}

void convbnRuntimeClearError(void) {
  std::lock_guard<std::mutex> lock(errorMutex);
  stickyError.clear();
}

int convbnRuntimeAvailable(void) {
  return enterContext("convbnRuntimeAvailable") ? 1 : 0;
}

void convbnRuntimeUseStream(void *stream) { callerStream = stream; }

void convbnRuntimeMemoryStats(uint64_t *live, uint64_t *peak) {
  std::lock_guard<std::mutex> lock(memoryMutex);
  if (live)
    *live = liveBytes;
  if (peak)
    *peak = peakBytes;
}

void convbnRuntimeResetPeakMemory(void) {
  std::lock_guard<std::mutex> lock(memoryMutex);
  peakBytes = liveBytes;
}

void *mgpuModuleLoad(void *data, int64_t size) {
  CUmodule module = nullptr;
  if (enterContext("mgpuModuleLoad"))
    check(driver.cuModuleLoadData(&module, data), "cuModuleLoadData",
          std::to_string(size) + "-byte GPU binary");
  return module;
}

void *mgpuModuleLoadJIT(void *ptx, int32_t optLevel) {
  CUmodule module = nullptr;
  if (!enterContext("mgpuModuleLoadJIT"))
    return nullptr;
  char log[4096] = {0};
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                   CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {log, reinterpret_cast<void *>(sizeof(log)),
                    reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
  CUresult result = driver.cuModuleLoadDataEx(&module, ptx, 3, options, values);
  check(result, "cuModuleLoadDataEx",
        std::string("PTX JIT") + (log[0] ? ", log: " + std::string(log) : ""));
  return module;
}

void mgpuModuleUnload(void *module) {
  if (module && !driverShutDown() && enterContext("mgpuModuleUnload"))
    check(driver.cuModuleUnload(module), "cuModuleUnload");
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  CUfunction function = nullptr;
  if (!module) {
    reportError(std::string("no module to get kernel ") + name +
                " from (loading it failed earlier)");
    return nullptr;
  }
  if (enterContext("mgpuModuleGetFunction"))
    check(driver.cuModuleGetFunction(&function, module, name),
          "cuModuleGetFunction", std::string("kernel ") + name);
  return function;
}

void mgpuLaunchKernel(void *function, int64_t gridX, int64_t gridY,
                      int64_t gridZ, int64_t blockX, int64_t blockY,
                      int64_t blockZ, int32_t smem, void *stream, void **params,
                      void **extra, int64_t) {
  if (!function) {
    reportError("no kernel to launch (looking it up failed earlier)");
    return;
  }
  if (!enterContext("mgpuLaunchKernel"))
    return;
  // More shared memory than a kernel may take by default (the tensor-core
  // kernels' max-shared-bytes): the kernel opts in first, each launch (a
  // cheap attribute write; kernels are few and their sizes constant).
  if (smem > kDefaultMaxSharedBytes &&
      !check(driver.cuFuncSetAttribute(
                 static_cast<CUfunction>(function),
                 CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem),
             "cuFuncSetAttribute",
             std::to_string(smem) + " bytes of dynamic shared memory"))
    return;
  check(driver.cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY,
                              blockZ, smem, stream, params, extra),
        "cuLaunchKernel",
        "grid " + std::to_string(gridX) + "x" + std::to_string(gridY) + "x" +
            std::to_string(gridZ) + ", block " + std::to_string(blockX) + "x" +
            std::to_string(blockY) + "x" + std::to_string(blockZ));
}

void *mgpuStreamCreate(void) {
  if (callerStream)
    return callerStream;
  CUstream stream = nullptr;
  if (enterContext("mgpuStreamCreate"))
    check(driver.cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
          "cuStreamCreate");
  return stream;
}

void mgpuStreamDestroy(void *stream) {
  if (stream && stream != callerStream && enterContext("mgpuStreamDestroy"))
    check(driver.cuStreamDestroy_v2(stream), "cuStreamDestroy");
}

void mgpuStreamSynchronize(void *stream) {
  // The caller's stream: work the caller queues after ours on it is ordered
  // after ours, so the host need not wait (as with PyTorch's own kernels).
  if (stream && stream == callerStream)
    return;
  if (enterContext("mgpuStreamSynchronize"))
    check(driver.cuStreamSynchronize(stream), "cuStreamSynchronize");
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  if (enterContext("mgpuStreamWaitEvent"))
    check(driver.cuStreamWaitEvent(stream, event, 0), "cuStreamWaitEvent");
}

void *mgpuEventCreate(void) {
  CUevent event = nullptr;
  if (enterContext("mgpuEventCreate"))
    check(driver.cuEventCreate(&event, CU_EVENT_DISABLE_TIMING),
          "cuEventCreate");
  return event;
}

void mgpuEventDestroy(void *event) {
  if (event && enterContext("mgpuEventDestroy"))
    check(driver.cuEventDestroy_v2(event), "cuEventDestroy");
}

void mgpuEventSynchronize(void *event) {
  if (enterContext("mgpuEventSynchronize"))
    check(driver.cuEventSynchronize(event), "cuEventSynchronize");
}

void mgpuEventRecord(void *event, void *stream) {
  if (enterContext("mgpuEventRecord"))
    check(driver.cuEventRecord(event, stream), "cuEventRecord");
}

void *mgpuMemAlloc(uint64_t sizeBytes, void *stream, int8_t isHostShared) {
  CUdeviceptr ptr = 0;
  if (sizeBytes == 0 || !enterContext("mgpuMemAlloc"))
    return nullptr;
  std::string what = std::to_string(sizeBytes) + " bytes";
  // Stream-ordered on the code's stream where the device has memory pools;
  // an allocation outside any stream keeps the synchronous path.
  bool pooled = !isHostShared && stream && defaultDeviceUsesPool();
  bool ok;
  if (isHostShared)
    ok = check(driver.cuMemAllocManaged(&ptr, sizeBytes, CU_MEM_ATTACH_GLOBAL),
               "cuMemAllocManaged", what);
  else if (pooled)
    ok = check(driver.cuMemAllocAsync(&ptr, sizeBytes, stream),
               "cuMemAllocAsync", what);
  else
    ok = check(driver.cuMemAlloc_v2(&ptr, sizeBytes), "cuMemAlloc", what);
  if (ok && ptr) {
    std::lock_guard<std::mutex> lock(memoryMutex);
    allocationSizes[ptr] = Allocation{sizeBytes, pooled};
    liveBytes += sizeBytes;
    peakBytes = std::max(peakBytes, liveBytes);
  }
  return reinterpret_cast<void *>(ptr);
}

void mgpuMemFree(void *ptr, void *stream) {
  if (!ptr || !enterContext("mgpuMemFree"))
    return;
  Allocation allocation;
  {
    std::lock_guard<std::mutex> lock(memoryMutex);
    auto it = allocationSizes.find(devicePointer(ptr));
    if (it != allocationSizes.end()) {
      allocation = it->second;
      liveBytes -= allocation.bytes;
      allocationSizes.erase(it);
    }
  }
  // A pooled buffer goes back to the pool in stream order (after the
  // kernels queued before on `stream`, which allocated and used it).
  if (allocation.pooled && stream)
    check(driver.cuMemFreeAsync(devicePointer(ptr), stream), "cuMemFreeAsync");
  else
    check(driver.cuMemFree_v2(devicePointer(ptr)), "cuMemFree");
}

void mgpuMemcpy(void *dst, void *src, uint64_t sizeBytes, void *stream) {
  if (enterContext("mgpuMemcpy"))
    check(driver.cuMemcpyAsync(devicePointer(dst), devicePointer(src),
                               sizeBytes, stream),
          "cuMemcpyAsync", std::to_string(sizeBytes) + " bytes");
}

void mgpuMemset32(void *dst, uint32_t value, uint64_t count, void *stream) {
  if (enterContext("mgpuMemset32"))
    check(driver.cuMemsetD32Async(devicePointer(dst), value, count, stream),
          "cuMemsetD32Async");
}

void mgpuMemset16(void *dst, uint16_t value, uint64_t count, void *stream) {
  if (enterContext("mgpuMemset16"))
    check(driver.cuMemsetD16Async(devicePointer(dst), value, count, stream),
          "cuMemsetD16Async");
}

void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                               int64_t elementSizeBytes) {
  auto [ptr, bytes] = memrefExtent(rank, descriptor, elementSizeBytes);
  if (bytes && enterContext("mgpuMemHostRegisterMemRef"))
    check(driver.cuMemHostRegister_v2(ptr, bytes, 0), "cuMemHostRegister",
          std::to_string(bytes) + " bytes");
}

void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                 int64_t elementSizeBytes) {
  auto [ptr, bytes] = memrefExtent(rank, descriptor, elementSizeBytes);
  if (bytes && enterContext("mgpuMemHostUnregisterMemRef"))
    check(driver.cuMemHostUnregister(ptr), "cuMemHostUnregister");
}

void mgpuSetDefaultDevice(int32_t device) {
  std::lock_guard<std::mutex> lock(contextMutex);
  defaultDevice = device;
}

} // extern "C"
