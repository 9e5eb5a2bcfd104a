//===- CpuRuntime.cpp - The project's CPU runtime library -----------------===//
//
// A caching heap for generated CPU code. See include/convbn/Runtime/
// CpuRuntime.h for the contract. No LLVM or MLIR: the library travels with
// the generated code.
//
//===----------------------------------------------------------------------===//

#include "convbn/Runtime/CpuRuntime.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kMinCachedBytes = size_t(64) << 10;
constexpr uint64_t kDefaultCacheLimitMiB = 4096;

/// `size` rounded up to its size class: a multiple of 1/8 of the largest
/// power of two not above it.
size_t sizeClass(size_t size) {
  size_t power = size_t(1) << (63 - __builtin_clzll(size));
  size_t step = std::max<size_t>(power / 8, kAlignment);
  return (size + step - 1) / step * step;
}

bool envFlag(const char *name) {
  const char *value = std::getenv(name);
  return value && *value && std::strcmp(value, "0") != 0;
}

uint64_t cacheLimitBytes() {
  const char *value = std::getenv("CONVBN_RUNTIME_CPU_CACHE_MB");
  if (!value || !*value)
    return kDefaultCacheLimitMiB << 20;
  char *end = nullptr;
  unsigned long long mib = std::strtoull(value, &end, 10);
  if (*end != '\0') {
    std::fprintf(stderr,
                 "convbn cpu runtime: CONVBN_RUNTIME_CPU_CACHE_MB='%s' is not "
                 "a number of MiB; using %llu\n",
                 value, (unsigned long long)kDefaultCacheLimitMiB);
    return kDefaultCacheLimitMiB << 20;
  }
  return uint64_t(mib) << 20;
}

class CachingAllocator {
public:
  CachingAllocator()
      : useCache(!envFlag("CONVBN_RUNTIME_NO_CACHE")),
        cacheLimit(cacheLimitBytes()) {}

  void *allocate(size_t size, size_t alignment) {
    size = std::max<size_t>(size, 1);
    bool cacheable =
        useCache && size >= kMinCachedBytes && alignment <= kAlignment;
    size_t bytes = cacheable ? sizeClass(size) : size;
    std::lock_guard<std::mutex> lock(mutex);
    void *ptr = nullptr;
    if (cacheable) {
      auto it = cache.find(bytes);
      if (it != cache.end() && !it->second.empty()) {
        ptr = it->second.back();
        it->second.pop_back();
        stats.cachedBytes -= bytes;
        ++stats.cacheHits;
      }
    }
    if (!ptr)
      ptr = systemAllocate(bytes, std::max(alignment, kAlignment));
    live.emplace(ptr, Block{bytes, cacheable});
    stats.liveBytes += bytes;
    stats.peakBytes = std::max(stats.peakBytes, stats.liveBytes);
    return ptr;
  }

  void deallocate(void *ptr) {
    if (!ptr)
      return;
    std::lock_guard<std::mutex> lock(mutex);
    auto it = live.find(ptr);
    if (it == live.end()) {
      // Not ours (nothing in generated code does this): the system's.
      std::free(ptr);
      return;
    }
    Block block = it->second;
    live.erase(it);
    stats.liveBytes -= block.bytes;
    if (!block.cacheable) {
      std::free(ptr);
      return;
    }
    if (stats.cachedBytes + block.bytes > cacheLimit)
      releaseCacheLocked();
    if (block.bytes > cacheLimit) {
      std::free(ptr);
      return;
    }
    cache[block.bytes].push_back(ptr);
    stats.cachedBytes += block.bytes;
  }

  ConvbnCpuMemoryStats snapshot() {
    std::lock_guard<std::mutex> lock(mutex);
    return stats;
  }

  void resetPeak() {
    std::lock_guard<std::mutex> lock(mutex);
    stats.peakBytes = stats.liveBytes;
  }

  void releaseCache() {
    std::lock_guard<std::mutex> lock(mutex);
    releaseCacheLocked();
  }

private:
  struct Block {
    size_t bytes;
    bool cacheable;
  };

  void *systemAllocate(size_t bytes, size_t alignment) {
    void *ptr = nullptr;
    ++stats.systemAllocations;
    if (posix_memalign(&ptr, alignment, bytes) == 0)
      return ptr;
    releaseCacheLocked();
    if (posix_memalign(&ptr, alignment, bytes) == 0)
      return ptr;
    std::fprintf(stderr,
                 "convbn cpu runtime: out of memory allocating %zu bytes "
                 "(%llu bytes live)\n",
                 bytes, (unsigned long long)stats.liveBytes);
    std::abort();
  }

  void releaseCacheLocked() {
    for (auto &entry : cache)
      for (void *ptr : entry.second)
        std::free(ptr);
    cache.clear();
    stats.cachedBytes = 0;
  }

  const bool useCache;
  const uint64_t cacheLimit;
  std::mutex mutex;
  std::unordered_map<void *, Block> live;
  std::unordered_map<size_t, std::vector<void *>> cache;
  ConvbnCpuMemoryStats stats = {};
};

CachingAllocator &allocator() {
  // Never destroyed: generated code may free from other libraries'
  // destructors at exit.
  static auto *instance = new CachingAllocator();
  return *instance;
}

} // namespace

extern "C" {

void *_mlir_memref_to_llvm_alloc(size_t size) {
  return allocator().allocate(size, kAlignment);
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  // posix_memalign needs a power of two, at least sizeof(void *).
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    alignment = kAlignment;
  return allocator().allocate(size, alignment);
}

void _mlir_memref_to_llvm_free(void *ptr) { allocator().deallocate(ptr); }

void convbnCpuRuntimeMemoryStats(ConvbnCpuMemoryStats *stats) {
  if (stats)
    *stats = allocator().snapshot();
}

void convbnCpuRuntimeResetPeakMemory(void) { allocator().resetPeak(); }

void convbnCpuRuntimeReleaseCache(void) { allocator().releaseCache(); }

} // extern "C"
