//===- Compiler.cpp - The compiler's C API --------------------------------===//
//
// Implements include/convbn-c/Compiler.h: one MLIRContext per call, every
// dialect, pass and pipeline of convbn-opt registered, diagnostics collected
// as JSON instead of printed.
//
//===----------------------------------------------------------------------===//

#include "convbn-c/Compiler.h"

#include "convbn/Conversion/Passes.h"
#include "convbn/Dialect/ConvBN/IR/ConvBNDialect.h"
#include "convbn/Dialect/ConvBN/Transforms/Passes.h"
#include "convbn/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

using namespace mlir;

namespace {

void registerEverythingOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerAllPasses();
    convbn::registerConvBNPasses();
    convbn::registerConvBNConversionPasses();
    convbn::registerPipelines();
  });
}

DialectRegistry makeRegistry() {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<convbn::ConvBNDialect>();
  return registry;
}

char *copyOut(StringRef text) {
  char *out = static_cast<char *>(std::malloc(text.size() + 1));
  if (!out)
    return nullptr;
  std::memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  return out;
}

std::string printLocation(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().str() + ":" + std::to_string(file.getLine()) +
            ":" + std::to_string(file.getColumn()));
  // A fused location (the raising pass fuses conv and batch norm): its first
  // file location.
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations()) {
      std::string printed = printLocation(inner);
      if (!printed.empty())
        return printed;
    }
  // A call stack (torch-mlir records the Python frames): innermost first,
  // " <- " between frames.
  if (auto callSite = dyn_cast<CallSiteLoc>(loc)) {
    std::string callee = printLocation(callSite.getCallee());
    std::string caller = printLocation(callSite.getCaller());
    return caller.empty() ? callee : callee + " <- " + caller;
  }
  if (auto name = dyn_cast<NameLoc>(loc))
    return printLocation(name.getChildLoc());
  return "";
}

StringRef severityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Remark:
    return "remark";
  case DiagnosticSeverity::Note:
    return "note";
  }
  return "error";
}

/// Collects every diagnostic of a context as JSON.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(MLIRContext &context)
      : handler(&context, [this](Diagnostic &d) {
          record(d);
          return success();
        }) {}

  char *json() {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << llvm::json::Value(std::move(entries));
    return copyOut(text);
  }

private:
  void record(Diagnostic &d) {
    llvm::json::Array notes;
    for (Diagnostic &note : d.getNotes())
      notes.push_back(
          llvm::json::Object{{"location", printLocation(note.getLocation())},
                             {"message", note.str()}});
    entries.push_back(
        llvm::json::Object{{"severity", severityName(d.getSeverity())},
                           {"location", printLocation(d.getLocation())},
                           {"message", d.str()},
                           {"notes", std::move(notes)}});
  }

  llvm::json::Array entries;
  ScopedDiagnosticHandler handler;
};

OwningOpRef<ModuleOp> parse(MLIRContext &context, const char *input,
                            size_t length, const char *bufferName) {
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(
      StringRef(input, length), bufferName ? bufferName : "<input>");
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}

/// The shape of every entry point: a fresh context whose diagnostics are
/// collected, `input` parsed as a module, `body` producing the output text
/// from it (or failure, having emitted its diagnostics). Sets `*output`
/// (null on failure) and `*diagnostics` (JSON); returns 0 on success.
int onParsedModule(const char *input, size_t length, const char *bufferName,
                   char **output, char **diagnostics,
                   function_ref<FailureOr<std::string>(ModuleOp)> body) {
  registerEverythingOnce();
  *output = nullptr;
  MLIRContext context(makeRegistry());
  DiagnosticCollector collector(context);
  int status = 1;
  if (OwningOpRef<ModuleOp> module =
          parse(context, input, length, bufferName)) {
    FailureOr<std::string> text = body(*module);
    if (succeeded(text)) {
      *output = copyOut(*text);
      status = 0;
    }
  }
  *diagnostics = collector.json();
  return status;
}

} // namespace

extern "C" int convbnCApiVersion(void) { return 2; }

extern "C" int convbnRunPipeline(const char *input, size_t length,
                                 const char *bufferName, const char *pipeline,
                                 int genericForm, char **output,
                                 char **diagnostics) {
  return onParsedModule(
      input, length, bufferName, output, diagnostics,
      [&](ModuleOp module) -> FailureOr<std::string> {
        MLIRContext *context = module.getContext();
        std::string pipelineError;
        llvm::raw_string_ostream errorStream(pipelineError);
        FailureOr<OpPassManager> parsed =
            parsePassPipeline(pipeline ? pipeline : "", errorStream);
        if (failed(parsed) ||
            parsed->getOpAnchorName() != ModuleOp::getOperationName()) {
          emitError(UnknownLoc::get(context))
              << "invalid pass pipeline '" << pipeline << "': "
              << (failed(parsed)
                      ? pipelineError
                      : "expected builtin.module(...) around the passes");
          return failure();
        }
        PassManager pm(context, ModuleOp::getOperationName());
        static_cast<OpPassManager &>(pm) = std::move(*parsed);
        if (failed(pm.run(module)))
          return failure();
        std::string text;
        llvm::raw_string_ostream os(text);
        OpPrintingFlags flags;
        if (genericForm)
          flags.printGenericOpForm();
        module.print(os, flags);
        return text;
      });
}

extern "C" int convbnTranslateToLLVMIR(const char *input, size_t length,
                                       const char *bufferName, char **output,
                                       char **diagnostics) {
  return onParsedModule(input, length, bufferName, output, diagnostics,
                        [](ModuleOp module) -> FailureOr<std::string> {
                          llvm::LLVMContext llvmContext;
                          std::unique_ptr<llvm::Module> llvmModule =
                              translateModuleToLLVMIR(module, llvmContext);
                          if (!llvmModule) {
                            emitError(module.getLoc())
                                << "translation to LLVM IR failed";
                            return failure();
                          }
                          std::string text;
                          llvm::raw_string_ostream os(text);
                          llvmModule->print(os, nullptr);
                          return text;
                        });
}

namespace {
/// A function argument's or result's type as JSON: kind ("tensor" or
/// "memref"), shape and element type of a ranked tensor or memref, the
/// printed type otherwise.
llvm::json::Value typeToJSON(Type type) {
  auto printed = [](auto printable) {
    std::string text;
    llvm::raw_string_ostream os(text);
    printable.print(os);
    return text;
  };
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasRank() || !isa<RankedTensorType, MemRefType>(type))
    return llvm::json::Object{{"type", printed(type)}};
  llvm::json::Array shape;
  for (int64_t size : shaped.getShape())
    shape.push_back(ShapedType::isDynamic(size) ? llvm::json::Value(nullptr)
                                                : llvm::json::Value(size));
  return llvm::json::Object{
      {"kind", isa<MemRefType>(type) ? "memref" : "tensor"},
      {"shape", std::move(shape)},
      {"element", printed(shaped.getElementType())}};
}
} // namespace

extern "C" int convbnFunctionSignatures(const char *input, size_t length,
                                        const char *bufferName, char **output,
                                        char **diagnostics) {
  return onParsedModule(input, length, bufferName, output, diagnostics,
                        [](ModuleOp module) -> FailureOr<std::string> {
                          llvm::json::Object signatures;
                          module.walk([&](FunctionOpInterface function) {
                            if (function.isExternal())
                              return;
                            llvm::json::Array arguments, results;
                            for (Type type : function.getArgumentTypes())
                              arguments.push_back(typeToJSON(type));
                            for (Type type : function.getResultTypes())
                              results.push_back(typeToJSON(type));
                            signatures[function.getName()] = llvm::json::Object{
                                {"arguments", std::move(arguments)},
                                {"results", std::move(results)}};
                          });
                          std::string text;
                          llvm::raw_string_ostream os(text);
                          os << llvm::json::Value(std::move(signatures));
                          return text;
                        });
}

extern "C" void convbnFree(char *string) { std::free(string); }
