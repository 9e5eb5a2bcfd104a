/* Drives the CPU runtime's tracer as the emulated kernels do, with access
 * patterns whose counts are known (access-trace.test). */
#include "convbn/Runtime/CpuRuntime.h"

#include <stdio.h>

int main(void) {
  /* Nothing traced yet. */
  printf("empty: %s", convbnCpuRuntimeTraceJson());

  convbn_trace_kernel("coalesced");
  /* One step: warp 0's 32 lanes read consecutive 4-byte words (128 bytes,
   * 4 sectors), twice at the same site in the same step (one request), and
   * warp 1 reads the same words at another site (another request). */
  convbn_trace_step();
  for (int lane = 0; lane < 32; ++lane) {
    convbn_trace_load(0, lane, 4096 + 4 * lane, 4);
    convbn_trace_load(0, lane, 4096 + 4 * lane, 4);
    convbn_trace_load(1, 32 + lane, 4096 + 4 * lane, 4);
  }
  /* The next step: the same words again (distinct over the launch stays 4). */
  convbn_trace_step();
  for (int lane = 0; lane < 32; ++lane)
    convbn_trace_load(0, lane, 4096 + 4 * lane, 4);

  convbn_trace_kernel("strided and vectors");
  /* Lanes 128 bytes apart: a sector each (32 per request). Then 16-byte
   * vectors, one at a 32-byte boundary minus 8 (two sectors). */
  convbn_trace_step();
  for (int lane = 0; lane < 32; ++lane)
    convbn_trace_load(0, lane, 128 * lane, 4);
  convbn_trace_load(1, 0, 64 - 8, 16);
  printf("%s", convbnCpuRuntimeTraceJson());

  convbnCpuRuntimeTraceReset();
  printf("after reset: %s", convbnCpuRuntimeTraceJson());
  return 0;
}
