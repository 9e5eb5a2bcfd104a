//===- AccessTrace.cpp - The tracer of emulated kernels' global loads -----===//
//
// What -convbn-trace-global-loads calls: see CpuRuntime.h. A K step's loads
// are kept as (request, sector) pairs and counted when the step ends, by
// sorting: a request is one load of one warp in one step.
//
//===----------------------------------------------------------------------===//

#include "convbn/Runtime/CpuRuntime.h"

#include <algorithm>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace {

constexpr int kWarpLanes = 32;
constexpr int kSectorShift = 5; // 32-byte sectors

struct Launch {
  explicit Launch(std::string name) : name(std::move(name)) {}
  std::string name;
  uint64_t loads = 0, requests = 0, sectors = 0, stepSectors = 0, bytes = 0,
           steps = 0;
  std::unordered_set<uint64_t> distinct;
};

struct Tracer {
  std::vector<Launch> launches;
  /// The open step's (request, sector) pairs.
  std::vector<std::pair<uint64_t, uint64_t>> pairs;
  std::vector<uint64_t> stepSectors;
  std::string json;

  Launch &current() {
    if (launches.empty())
      launches.emplace_back("(no kernel named)");
    return launches.back();
  }

  void closeStep() {
    if (pairs.empty())
      return;
    Launch &launch = current();
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    stepSectors.clear();
    uint64_t requests = 0;
    for (size_t i = 0; i < pairs.size(); ++i) {
      if (i == 0 || pairs[i].first != pairs[i - 1].first)
        ++requests;
      stepSectors.push_back(pairs[i].second);
    }
    std::sort(stepSectors.begin(), stepSectors.end());
    stepSectors.erase(std::unique(stepSectors.begin(), stepSectors.end()),
                      stepSectors.end());
    launch.requests += requests;
    launch.sectors += pairs.size();
    launch.stepSectors += stepSectors.size();
    launch.distinct.insert(stepSectors.begin(), stepSectors.end());
    ++launch.steps;
    pairs.clear();
  }

  void load(int32_t site, int64_t thread, int64_t address, int32_t bytes) {
    Launch &launch = current();
    ++launch.loads;
    launch.bytes += bytes;
    uint64_t request =
        (uint64_t(uint32_t(site)) << 32) | uint64_t(thread / kWarpLanes);
    uint64_t first = uint64_t(address) >> kSectorShift;
    uint64_t last =
        uint64_t(address + (bytes > 0 ? bytes - 1 : 0)) >> kSectorShift;
    for (uint64_t sector = first; sector <= last; ++sector)
      pairs.emplace_back(request, sector);
  }

  const char *toJson() {
    closeStep();
    json = "[";
    for (size_t i = 0; i < launches.size(); ++i) {
      const Launch &l = launches[i];
      std::string name;
      for (char c : l.name) {
        if (c == '"' || c == '\\')
          name.push_back('\\');
        if (static_cast<unsigned char>(c) >= 0x20)
          name.push_back(c);
      }
      json += (i ? ",\n " : "\n ") + std::string("{\"kernel\": \"") + name +
              "\", \"loads\": " + std::to_string(l.loads) +
              ", \"requests\": " + std::to_string(l.requests) +
              ", \"sectors\": " + std::to_string(l.sectors) +
              ", \"step_sectors\": " + std::to_string(l.stepSectors) +
              ", \"distinct_sectors\": " + std::to_string(l.distinct.size()) +
              ", \"bytes\": " + std::to_string(l.bytes) +
              ", \"steps\": " + std::to_string(l.steps) + "}";
    }
    json += "\n]\n";
    return json.c_str();
  }
};

Tracer &tracer() {
  static Tracer *instance = new Tracer(); // never destroyed: no exit order
  return *instance;
}

} // namespace

extern "C" {

CONVBN_RUNTIME_API void convbn_trace_kernel(const char *name) {
  Tracer &t = tracer();
  t.closeStep();
  t.launches.emplace_back(name ? name : "");
}

CONVBN_RUNTIME_API void convbn_trace_step(void) { tracer().closeStep(); }

CONVBN_RUNTIME_API void convbn_trace_load(int32_t site, int64_t thread,
                                          int64_t address, int32_t bytes) {
  tracer().load(site, thread, address, bytes);
}

CONVBN_RUNTIME_API const char *convbnCpuRuntimeTraceJson(void) {
  return tracer().toJson();
}

CONVBN_RUNTIME_API void convbnCpuRuntimeTraceReset(void) {
  Tracer &t = tracer();
  t.launches.clear();
  t.pairs.clear();
}

} // extern "C"
