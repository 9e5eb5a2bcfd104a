/*===- convbn-c/Compiler.h - The compiler's C API ------------------*- C -*-===*
 *
 * The small C API through which the Python package (ctypes) reaches the
 * compiler: parse a module, run a textual pass pipeline on it, translate it
 * to LLVM IR. Every dialect, pass and pipeline that convbn-opt knows is
 * registered. Strings in and out are UTF-8; strings the library returns are
 * owned by the caller and released with convbnFree.
 *
 * Diagnostics are returned as JSON: an array of objects
 *   {"severity": "error"|"warning"|"remark"|"note",
 *    "location": "file:line:col" ("" when unknown; a call stack is printed
 *                innermost frame first, frames separated by " <- "),
 *    "message": "...", "notes": [{"location": ..., "message": ...}]}
 * in the order they were emitted.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CONVBN_C_COMPILER_H
#define CONVBN_C_COMPILER_H

#include <stddef.h>

#if defined(CONVBN_CAPI_EXPORT)
#define CONVBN_CAPI __attribute__((visibility("default")))
#else
#define CONVBN_CAPI
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The API version; it changes when a signature below changes. */
CONVBN_CAPI int convbnCApiVersion(void);

/* Parses `input` (`length` bytes, named `bufferName` in diagnostics), runs
 * `pipeline` (the textual form of -pass-pipeline, e.g.
 * "builtin.module(convbn-raise-from-linalg{report=true})") and prints the
 * resulting module to *output (generic form when `genericForm` is
 * non-zero). *diagnostics always receives the JSON array. Returns 0 on
 * success, 1 when parsing, the pipeline or verification failed (then
 * *output is NULL). */
CONVBN_CAPI int convbnRunPipeline(const char *input, size_t length, const char *bufferName,
                      const char *pipeline, int genericForm, char **output,
                      char **diagnostics);

/* Parses `input` (a module in the LLVM dialect, with GPU binaries already
 * embedded) and translates it to LLVM IR text in *output. Returns 0 on
 * success, 1 on failure; *diagnostics as above. */
CONVBN_CAPI int convbnTranslateToLLVMIR(const char *input, size_t length,
                            const char *bufferName, char **output,
                            char **diagnostics);

/* Parses `input` and writes to *output, as JSON, the signature of every
 * function with a body:
 *   {"name": {"arguments": [T, ...], "results": [T, ...]}, ...}
 * where T is {"kind": "tensor" or "memref", "shape": [d, ...], "element":
 * "f32"} for a ranked tensor or memref (d is null for a dynamic size) and
 * {"type": "..."} (the printed type) otherwise. Returns 0 on success, 1 on failure; *diagnostics as
 * above. */
CONVBN_CAPI int convbnFunctionSignatures(const char *input, size_t length,
                                         const char *bufferName, char **output,
                                         char **diagnostics);

/* Releases a string returned by this library. */
CONVBN_CAPI void convbnFree(char *string);

#ifdef __cplusplus
}
#endif

#endif /* CONVBN_C_COMPILER_H */
