//===- MemoryReport.cpp - Bytes each ConvBN block keeps for backward ------===//

#include "convbn/Dialect/ConvBN/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNMEMORYREPORT
#include "convbn/Dialect/ConvBN/Transforms/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;
using namespace mlir::convbn;

namespace {

constexpr Mode kModes[] = {Mode::Train, Mode::Eval, Mode::Tune, Mode::Deploy};

/// Bytes of a static tensor, or nullopt when a dimension is dynamic.
std::optional<int64_t> bytesOf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return std::nullopt;
  int64_t bits = tensor.getElementTypeBitWidth();
  return tensor.getNumElements() * ((bits + 7) / 8);
}

/// One tensor a block's backward keeps: identified by (owner, slot) so that
/// a tensor kept by several blocks is counted once. The input is keyed by its
/// SSA value (an input shared by two convolutions is one tensor); the conv
/// output and the batch statistics belong to the block.
struct Kept {
  std::pair<const void *, int> key;
  std::optional<int64_t> bytes;
};

SmallVector<Kept> keptTensors(ConvBNOp op, Mode mode) {
  SmallVector<Kept> kept{{{op.getInput().getAsOpaquePointer(), 0},
                          bytesOf(op.getInput().getType())}};
  if (mode == Mode::Train || mode == Mode::Eval) {
    // The conv output Y has the output's shape and element type.
    kept.push_back({{op.getOperation(), 1}, bytesOf(op.getOutput().getType())});
  }
  if (mode == Mode::Train) {
    auto filterType = cast<RankedTensorType>(op.getFilter().getType());
    Type statType = op.getRunningMean()
                        ? getElementTypeOrSelf(op.getRunningMean().getType())
                        : filterType.getElementType();
    auto vec = RankedTensorType::get({filterType.getDimSize(0)}, statType);
    kept.push_back({{op.getOperation(), 2}, bytesOf(vec)}); // batch mean
    kept.push_back({{op.getOperation(), 3}, bytesOf(vec)}); // batch inv_std
  }
  return kept;
}

std::string formatBytes(std::optional<int64_t> bytes) {
  if (!bytes)
    return "?";
  static constexpr const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = *bytes;
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  if (unit == 0)
    return llvm::formatv("{0} B", *bytes).str();
  return llvm::formatv("{0:F2} {1}", value, units[unit]).str();
}

std::string shapeOf(Value v) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << v.getType();
  return text;
}

struct ConvBNMemoryReportPass
    : public convbn::impl::ConvBNMemoryReportBase<ConvBNMemoryReportPass> {
  using ConvBNMemoryReportBase::ConvBNMemoryReportBase;

  void runOnOperation() override {
    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> file =
        openOutputFile(outputFile, &error);
    if (!file) {
      getOperation()->emitError() << "convbn-memory-report: " << error;
      return signalPassFailure();
    }
    raw_ostream &os = file->os();

    SmallVector<ConvBNOp> blocks;
    getOperation()->walk([&](ConvBNOp op) { blocks.push_back(op); });

    // Totals per hypothetical mode, and for the modes as written; tensors
    // counted once across blocks.
    llvm::DenseSet<std::pair<const void *, int>> seen[5];
    int64_t totals[5] = {0, 0, 0, 0, 0};
    int dynamicBlocks = 0;
    auto account = [&](int column, ArrayRef<Kept> kept) {
      for (const Kept &k : kept)
        if (k.bytes && seen[column].insert(k.key).second)
          totals[column] += *k.bytes;
    };

    os << "ConvBN memory report: bytes each block's backward keeps from the "
          "forward pass\n";
    os << llvm::formatv("{0,5}  {1,-7}  {2,-28}  {3,12}  {4,12}  {5,12}  "
                        "{6,12}  {7}\n",
                        "block", "mode", "input", "train", "eval", "tune",
                        "deploy", "location");
    for (auto [index, op] : llvm::enumerate(blocks)) {
      std::optional<int64_t> perMode[4];
      bool dynamic = false;
      for (auto [column, mode] : llvm::enumerate(kModes)) {
        SmallVector<Kept> kept = keptTensors(op, mode);
        int64_t sum = 0;
        for (const Kept &k : kept) {
          if (!k.bytes)
            dynamic = true;
          else
            sum += *k.bytes;
        }
        perMode[column] = dynamic ? std::nullopt : std::optional(sum);
        if (!dynamic)
          account(column, kept);
      }
      if (dynamic)
        ++dynamicBlocks;
      else
        account(4, keptTensors(op, op.getMode()));
      std::string loc;
      llvm::raw_string_ostream locOs(loc);
      if (auto fileLoc = dyn_cast<FileLineColLoc>(op.getLoc()))
        locOs << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine()
              << ":" << fileLoc.getColumn();
      else
        op.getLoc().print(locOs);
      os << llvm::formatv("{0,5}  {1,-7}  {2,-28}  {3,12}  {4,12}  {5,12}  "
                          "{6,12}  {7}\n",
                          index, stringifyMode(op.getMode()),
                          shapeOf(op.getInput()), formatBytes(perMode[0]),
                          formatBytes(perMode[1]), formatBytes(perMode[2]),
                          formatBytes(perMode[3]), loc);
    }
    os << llvm::formatv("total ({0} blocks, shared tensors once): train {1}, "
                        "eval {2}, tune {3}, deploy {4}\n",
                        blocks.size(), formatBytes(totals[0]),
                        formatBytes(totals[1]), formatBytes(totals[2]),
                        formatBytes(totals[3]));
    os << "total bytes: train " << totals[0] << ", eval " << totals[1]
       << ", tune " << totals[2] << ", deploy " << totals[3] << ", as written "
       << totals[4] << "\n";
    if (totals[1] > 0)
      os << llvm::formatv("tune / eval: {0:F3} ({1:F1}% less kept for "
                          "backward)\n",
                          double(totals[2]) / totals[1],
                          100.0 * (1.0 - double(totals[2]) / totals[1]));
    if (dynamicBlocks)
      os << dynamicBlocks
         << " block(s) with dynamic shapes are not in the totals\n";
    file->keep();
    markAllAnalysesPreserved();
  }
};
} // namespace
