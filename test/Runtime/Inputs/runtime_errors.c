/* Calls the runtime's ABI where no usable driver is: every call must fail
 * cleanly, return a null handle, and leave a message naming the failure. */
#include "convbn/Runtime/CudaRuntime.h"
#include <stdio.h>

static void show(const char *what) {
  const char *error = convbnRuntimeLastError();
  printf("%s -> %s\n", what, error ? error : "(no error)");
  convbnRuntimeClearError();
}

int main(void) {
  printf("available: %d\n", convbnRuntimeAvailable());
  show("convbnRuntimeAvailable");
  void *stream = mgpuStreamCreate();
  printf("stream: %s\n", stream ? "non-null" : "null");
  show("mgpuStreamCreate");
  void *module = mgpuModuleLoadJIT((void *)"// no PTX", 2);
  printf("module: %s\n", module ? "non-null" : "null");
  show("mgpuModuleLoadJIT");
  void *kernel = mgpuModuleGetFunction(module, "main_kernel");
  show("mgpuModuleGetFunction");
  mgpuLaunchKernel(kernel, 1, 1, 1, 32, 1, 1, 0, stream, 0, 0, 0);
  show("mgpuLaunchKernel");
  void *ptr = mgpuMemAlloc(1024, stream, 0);
  printf("alloc: %s\n", ptr ? "non-null" : "null");
  mgpuMemFree(ptr, stream);
  mgpuStreamDestroy(stream);
  printf("done\n");
  return 0;
}
