/*===- RuntimeApi.h - Export macro of the runtime libraries -------*- C -*-===*
 *
 * CONVBN_RUNTIME_API marks the C entry points of libconvbn_cpu_runtime and
 * libconvbn_cuda_runtime: exported when building them (the libraries hide
 * everything else), plain declarations for their users.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CONVBN_RUNTIME_RUNTIMEAPI_H
#define CONVBN_RUNTIME_RUNTIMEAPI_H

#if defined(CONVBN_RUNTIME_BUILD)
#define CONVBN_RUNTIME_API __attribute__((visibility("default")))
#else
#define CONVBN_RUNTIME_API
#endif

#endif /* CONVBN_RUNTIME_RUNTIMEAPI_H */
