//===- convbn-opt.cpp - The convbn optimizer driver -----------------------===//
//
// mlir-opt with the convbn dialect and passes, every upstream dialect, pass
// and extension, and the LLVM IR translations (GPU included) registered.
// Unlike mlir-opt it rejects an input that holds no IR at all.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"
#include "convbn/Dialect/ConvBN/IR/ConvBNDialect.h"
#include "convbn/Dialect/ConvBN/Transforms/Passes.h"
#include "convbn/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

/// True if `text` holds nothing but white space and `//` comments.
static bool holdsNoIR(StringRef text) {
  while (!text.empty()) {
    text = text.ltrim();
    if (!text.consume_front("//"))
      return text.empty();
    text = text.drop_until([](char c) { return c == '\n'; });
  }
  return true;
}

int main(int argc, char **argv) {
  registerAllPasses();
  convbn::registerConvBNPasses();
  convbn::registerConvBNConversionPasses();
  convbn::registerPipelines();

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<convbn::ConvBNDialect>();

  auto [inputFilename, outputFilename] = registerAndParseCLIOptions(
      argc, argv, "convbn-opt: the ConvBN compiler's optimizer driver",
      registry);
  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(inputFilename, &errorMessage);
  if (!file) {
    llvm::errs() << "convbn-opt: error: " << errorMessage << "\n";
    return 1;
  }
  if (!config.shouldShowDialects() && !config.shouldListPasses() &&
      holdsNoIR(file->getBuffer())) {
    llvm::errs() << inputFilename
                 << ": error: the input holds no IR (it is empty or only "
                    "comments); expected an MLIR module\n";
    return 1;
  }

  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    llvm::errs() << "convbn-opt: error: " << errorMessage << "\n";
    return 1;
  }
  if (failed(MlirOptMain(output->os(), std::move(file), registry, config)))
    return 1;
  output->keep();
  return 0;
}
