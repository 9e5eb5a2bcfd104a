//===- ConvBNOps.cpp - Operations of the convbn dialect -------------------===//

#include "convbn/Dialect/ConvBN/IR/ConvBNOps.h"
#include "ConvBNVerify.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace mlir::convbn;
using namespace mlir::convbn::detail;

/// The mode as a bare keyword in op syntax: `convbn.conv_bn tune ...`.
static ParseResult parseMode(OpAsmParser &parser, ModeAttr &mode) {
  StringRef keyword;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<Mode> value = symbolizeMode(keyword);
  if (!value)
    return parser.emitError(loc)
           << "expected a mode (train, eval, deploy or tune), but got '"
           << keyword << "'";
  mode = ModeAttr::get(parser.getContext(), *value);
  return success();
}

static void printMode(OpAsmPrinter &printer, Operation *, ModeAttr mode) {
  printer << stringifyMode(mode.getValue());
}

#define GET_OP_CLASSES
#include "convbn/Dialect/ConvBN/IR/ConvBNOps.cpp.inc"

template <typename OpTy> static BlockOperands getBlockOperands(OpTy op) {
  return {op.getInput(), op.getFilter(),      op.getBias(),      op.getGamma(),
          op.getBeta(),  op.getRunningMean(), op.getRunningVar()};
}

template <typename OpTy> static ConvAttrs getConvAttrs(OpTy op) {
  return {op.getStrides(), op.getPaddingLow(), op.getPaddingHigh(),
          op.getDilations(), static_cast<int64_t>(op.getGroups())};
}

//===----------------------------------------------------------------------===//
// ConvBNOp
//===----------------------------------------------------------------------===//

namespace {
/// Positions of the mode-dependent results of conv_bn within mode_results.
enum ModeResult : unsigned {
  ConvOutput = 0,
  NewRunningMean = 1,
  NewRunningVar = 2,
  BatchMean = 3,
  BatchInvStd = 4,
};
} // namespace

unsigned ConvBNOp::getNumModeResults(Mode mode) {
  switch (mode) {
  case Mode::Train:
    return 5;
  case Mode::Eval:
    return 1;
  case Mode::Tune:
  case Mode::Deploy:
    return 0;
  }
  llvm_unreachable("unknown mode");
}

static Value getModeResult(ConvBNOp op, unsigned which) {
  auto results = op.getModeResults();
  return which < results.size() ? results[which] : Value();
}

void ConvBNOp::getAsmResultNames(OpAsmSetValueNameFn setNameFn) {
  static constexpr StringLiteral names[] = {"conv_output", "new_running_mean",
                                            "new_running_var", "batch_mean",
                                            "batch_inv_std"};
  setNameFn(getOutput(), "output");
  for (auto [value, name] : llvm::zip(getModeResults(), names))
    setNameFn(value, name);
}

Value ConvBNOp::getConvOutput() { return getModeResult(*this, ConvOutput); }
Value ConvBNOp::getNewRunningMean() {
  return getModeResult(*this, NewRunningMean);
}
Value ConvBNOp::getNewRunningVar() {
  return getModeResult(*this, NewRunningVar);
}
Value ConvBNOp::getBatchMean() { return getModeResult(*this, BatchMean); }
Value ConvBNOp::getBatchInvStd() { return getModeResult(*this, BatchInvStd); }

LogicalResult ConvBNOp::verify() {
  Mode mode = getMode();
  FailureOr<BlockSignature> sig =
      verifyBlock(*this, mode, getBlockOperands(*this), getConvAttrs(*this),
                  getEpsilon().convertToDouble());
  if (failed(sig) ||
      failed(verifyMomentum(*this, getMomentum().convertToDouble())))
    return failure();

  unsigned expected = getNumModeResults(mode);
  if (getModeResults().size() != expected)
    return emitOpError() << stringifyMode(mode) << " mode has " << expected + 1
                         << " results, but the op has " << getNumResults();

  constexpr StringLiteral shapeWhy =
      "shape from input, filter, strides, padding and dilations";
  if (failed(verifyTypeMatches(*this, "result", "output", getOutput().getType(),
                               sig->getOutputType(), shapeWhy)))
    return failure();
  if (Value y = getConvOutput())
    if (failed(verifyTypeMatches(*this, "result", "conv_output", y.getType(),
                                 sig->getOutputType(), shapeWhy)))
      return failure();
  if (mode != Mode::Train)
    return success();
  std::pair<StringRef, Value> stats[] = {
      {"new_running_mean", getNewRunningMean()},
      {"new_running_var", getNewRunningVar()},
      {"batch_mean", getBatchMean()},
      {"batch_inv_std", getBatchInvStd()}};
  for (auto [name, value] : stats)
    if (failed(verifyTypeMatches(*this, "result", name, value.getType(),
                                 sig->getChannelVectorType(),
                                 "one value per output channel")))
      return failure();
  return success();
}

RankedTensorType mlir::convbn::getFoldedBiasType(ConvBNOp op) {
  auto filterType = cast<RankedTensorType>(op.getFilter().getType());
  auto meanType = cast<RankedTensorType>(op.getRunningMean().getType());
  return RankedTensorType::get({filterType.getDimSize(0)},
                               meanType.getElementType());
}

void mlir::convbn::convertToDeploy(RewriterBase &rewriter, ConvBNOp op,
                                   Value foldedFilter, Value foldedBias) {
  assert(op.getMode() == Mode::Tune && "only tune mode has one result");
  rewriter.modifyOpInPlace(op, [&] {
    op.setMode(Mode::Deploy);
    op.getFilterMutable().assign(foldedFilter);
    op.getBiasMutable().assign(foldedBias);
    op.getGammaMutable().clear();
    op.getBetaMutable().clear();
    op.getRunningMeanMutable().clear();
    op.getRunningVarMutable().clear();
    op.setEpsilon(APFloat(1e-5));
    op.setMomentum(APFloat(0.1));
  });
}

//===----------------------------------------------------------------------===//
// FoldOp
//===----------------------------------------------------------------------===//

void FoldOp::getAsmResultNames(OpAsmSetValueNameFn setNameFn) {
  setNameFn(getFoldedFilter(), "folded_filter");
  setNameFn(getFoldedBias(), "folded_bias");
}

LogicalResult FoldOp::verify() {
  BlockSignature sig;
  BlockOperands operands{Value(),        getFilter(), getBias(),
                         getGamma(),     getBeta(),   getRunningMean(),
                         getRunningVar()};
  if (failed(verifyParameters(*this, operands, getEpsilon().convertToDouble(),
                              sig)))
    return failure();
  if (getFoldedFilter().getType() != getFilter().getType())
    return emitOpError() << "result 'folded_filter' must be "
                         << getFilter().getType()
                         << " (the filter's type), but is "
                         << getFoldedFilter().getType();
  return verifyTypeMatches(
      *this, "result", "folded_bias", getFoldedBias().getType(),
      sig.getChannelVectorType(), "one value per output channel");
}

//===----------------------------------------------------------------------===//
// BackwardOp
//===----------------------------------------------------------------------===//

/// The gradients in result order, with the operand each one belongs to.
static constexpr std::pair<GradMask, StringLiteral> kGradients[] = {
    {GradMask::Input, "input"},
    {GradMask::Filter, "filter"},
    {GradMask::Bias, "bias"},
    {GradMask::Gamma, "gamma"},
    {GradMask::Beta, "beta"}};

Value BackwardOp::getGradient(GradMask which) {
  uint32_t mask = static_cast<uint32_t>(getGrads());
  uint32_t bit = static_cast<uint32_t>(which);
  if (!(mask & bit))
    return Value();
  return getGradients()[llvm::popcount(mask & (bit - 1))];
}

void BackwardOp::getAsmResultNames(OpAsmSetValueNameFn setNameFn) {
  static constexpr StringLiteral names[] = {
      "grad_input", "grad_filter", "grad_bias", "grad_gamma", "grad_beta"};
  for (auto [index, entry] : llvm::enumerate(kGradients))
    if (Value grad = getGradient(entry.first))
      setNameFn(grad, names[index]);
}

LogicalResult BackwardOp::verify() {
  Mode mode = getMode();
  BlockOperands operands = getBlockOperands(*this);
  FailureOr<BlockSignature> sig =
      verifyBlock(*this, mode, operands, getConvAttrs(*this),
                  getEpsilon().convertToDouble());
  if (failed(sig))
    return failure();
  if (failed(verifyTypeMatches(*this, "operand", "grad_output",
                               getGradOutput().getType(), sig->getOutputType(),
                               "the block's output")))
    return failure();

  // What the forward pass kept, by mode.
  bool keepsConvOutput = mode == Mode::Train || mode == Mode::Eval;
  bool keepsBatchStats = mode == Mode::Train;
  std::tuple<StringRef, Value, bool, RankedTensorType, StringRef> kept[] = {
      {"conv_output", getConvOutput(), keepsConvOutput, sig->getOutputType(),
       "the block's output"},
      {"batch_mean", getBatchMean(), keepsBatchStats,
       keepsBatchStats ? sig->getChannelVectorType() : RankedTensorType(),
       "one value per output channel"},
      {"batch_inv_std", getBatchInvStd(), keepsBatchStats,
       keepsBatchStats ? sig->getChannelVectorType() : RankedTensorType(),
       "one value per output channel"}};
  for (auto [name, value, wanted, type, why] : kept) {
    if (wanted && !value)
      return emitOpError() << stringifyMode(mode) << " mode needs '" << name
                           << "' from the forward pass";
    if (!wanted && value)
      return emitOpError() << stringifyMode(mode) << " mode keeps no '" << name
                           << "' from the forward pass, so it must be absent";
    if (value && failed(verifyTypeMatches(*this, "operand", name,
                                          value.getType(), type, why)))
      return failure();
  }

  // Requested gradients: the parameter must exist, one result each, in order.
  uint32_t mask = static_cast<uint32_t>(getGrads());
  Value gradOperands[] = {operands.input, operands.filter, operands.bias,
                          operands.gamma, operands.beta};
  unsigned numWanted = llvm::popcount(mask);
  if (getGradients().size() != numWanted)
    return emitOpError() << "'grads' asks for " << numWanted
                         << " gradients, but the op has "
                         << getGradients().size() << " results";
  for (auto [index, entry] : llvm::enumerate(kGradients)) {
    auto [bit, name] = entry;
    if (!(mask & static_cast<uint32_t>(bit)))
      continue;
    Value operand = gradOperands[index];
    if (!operand)
      return emitOpError() << "'grads' asks for the gradient of '" << name
                           << "', but the block has no '" << name << "'";
    Value grad = getGradient(bit);
    if (grad.getType() != operand.getType())
      return emitOpError() << "result 'grad_" << name << "' must be "
                           << operand.getType() << " (the type of '" << name
                           << "'), but is " << grad.getType();
  }
  return success();
}
