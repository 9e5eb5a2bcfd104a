//===- ConvBNVerify.cpp - Shared contract checks of convbn ops ------------===//

#include "ConvBNVerify.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::convbn;
using namespace mlir::convbn::detail;

static bool isSupportedFloat(Type t) {
  return t.isF32() || t.isF16() || t.isBF16();
}

static bool isKnown(int64_t dim) { return !ShapedType::isDynamic(dim); }

/// A double as users write it (0.1, not 1.000000e-01).
static std::string formatValue(double value) {
  return llvm::formatv("{0}", llvm::format("%g", value)).str();
}

/// A ranked tensor operand of a floating-point element type T.
static FailureOr<RankedTensorType> getActivation(Operation *op, StringRef name,
                                                 Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  if (!isSupportedFloat(type.getElementType()))
    return op->emitOpError()
           << "'" << name << "' element type must be f32, f16 or bf16, but is "
           << type.getElementType();
  return type;
}

LogicalResult
mlir::convbn::detail::verifyParameters(Operation *op,
                                       const BlockOperands &operands,
                                       double epsilon, BlockSignature &sig) {
  if (!(epsilon > 0.0))
    return op->emitOpError()
           << "'epsilon' must be > 0, but is " << formatValue(epsilon);

  FailureOr<RankedTensorType> filterType =
      getActivation(op, "filter", operands.filter);
  if (failed(filterType))
    return failure();
  if (filterType->getRank() < 3 || filterType->getRank() > 5)
    return op->emitOpError()
           << "'filter' must have rank 3, 4 or 5 (O, C/groups and 1-3 kernel "
              "dimensions), but has rank "
           << filterType->getRank();
  sig.activationType = filterType->getElementType();
  sig.outChannels = filterType->getDimSize(0);

  // Per-channel vectors: 1-D, O elements, one element type S in {T, f32}.
  std::pair<StringRef, Value> vectors[] = {{"bias", operands.bias},
                                           {"gamma", operands.gamma},
                                           {"beta", operands.beta},
                                           {"running_mean", operands.mean},
                                           {"running_var", operands.var}};
  StringRef firstName;
  for (auto [name, value] : vectors) {
    if (!value)
      continue;
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getRank() != 1)
      return op->emitOpError()
             << "'" << name << "' must be a 1-D tensor (one value per output "
             << "channel), but has rank " << type.getRank();
    int64_t len = type.getDimSize(0);
    if (isKnown(len) && isKnown(sig.outChannels) && len != sig.outChannels)
      return op->emitOpError()
             << "'" << name << "' must have " << sig.outChannels
             << " elements (the filter's output channels), but has " << len;
    Type elt = type.getElementType();
    if (!sig.channelType) {
      if (elt != sig.activationType && !elt.isF32())
        return op->emitOpError()
               << "'" << name << "' element type must be " << sig.activationType
               << " (the filter's) or f32, but is " << elt;
      sig.channelType = elt;
      firstName = name;
      continue;
    }
    if (elt != sig.channelType)
      return op->emitOpError()
             << "'" << name << "' element type must be " << sig.channelType
             << " (the type of '" << firstName << "'), but is " << elt;
  }
  return success();
}

/// Checks an optional per-spatial-dimension attribute and returns its values
/// (or `defaultValue` for each dimension when absent).
static FailureOr<SmallVector<int64_t>>
getSpatialAttr(Operation *op, StringRef name,
               std::optional<ArrayRef<int64_t>> values, int64_t spatialRank,
               int64_t minValue, int64_t defaultValue) {
  if (!values)
    return SmallVector<int64_t>(spatialRank, defaultValue);
  if (static_cast<int64_t>(values->size()) != spatialRank)
    return op->emitOpError()
           << "'" << name << "' must have " << spatialRank
           << " values (one per spatial dimension), but has " << values->size();
  for (auto [i, v] : llvm::enumerate(*values))
    if (v < minValue)
      return op->emitOpError()
             << "'" << name << "' values must be >= " << minValue
             << ", but value " << i << " is " << v;
  return SmallVector<int64_t>(values->begin(), values->end());
}

/// Checks that `mode` has the statistics operands it needs, and no others.
static LogicalResult verifyModeOperands(Operation *op, Mode mode,
                                        const BlockOperands &operands) {
  std::pair<StringRef, Value> bnOperands[] = {{"gamma", operands.gamma},
                                              {"beta", operands.beta},
                                              {"running_mean", operands.mean},
                                              {"running_var", operands.var}};
  if (mode == Mode::Deploy) {
    for (auto [name, value] : bnOperands)
      if (value)
        return op->emitOpError()
               << "deploy mode takes folded weights, so '" << name
               << "' must be absent (fold it into the filter and bias with "
                  "convbn.fold)";
    return success();
  }
  for (auto [name, value] : ArrayRef(bnOperands).drop_front(2))
    if (!value)
      return op->emitOpError()
             << stringifyMode(mode) << " mode needs '" << name << "'";
  return success();
}

FailureOr<BlockSignature>
mlir::convbn::detail::verifyBlock(Operation *op, Mode mode,
                                  const BlockOperands &operands,
                                  const ConvAttrs &attrs, double epsilon) {
  if (failed(verifyModeOperands(op, mode, operands)))
    return failure();

  FailureOr<RankedTensorType> inputType =
      getActivation(op, "input", operands.input);
  if (failed(inputType))
    return failure();
  int64_t rank = inputType->getRank();
  if (rank < 3 || rank > 5)
    return op->emitOpError()
           << "'input' must have rank 3, 4 or 5 (N, C and 1-3 spatial "
              "dimensions), but has rank "
           << rank;

  BlockSignature sig;
  if (failed(verifyParameters(op, operands, epsilon, sig)))
    return failure();
  auto filterType = cast<RankedTensorType>(operands.filter.getType());
  if (inputType->getElementType() != sig.activationType)
    return op->emitOpError()
           << "'filter' element type must be " << inputType->getElementType()
           << " (the input's), but is " << sig.activationType;
  if (filterType.getRank() != rank)
    return op->emitOpError()
           << "'filter' must have rank " << rank
           << " (the input's), but has rank " << filterType.getRank();

  // Channels and groups.
  int64_t groups = attrs.groups;
  if (groups < 1)
    return op->emitOpError() << "'groups' must be >= 1, but is " << groups;
  int64_t inChannels = inputType->getDimSize(1);
  if (isKnown(inChannels) && inChannels % groups != 0)
    return op->emitOpError()
           << "'input' channels (" << inChannels
           << ") must be divisible by 'groups' (" << groups << ")";
  if (isKnown(sig.outChannels) && sig.outChannels % groups != 0)
    return op->emitOpError()
           << "'filter' output channels (" << sig.outChannels
           << ") must be divisible by 'groups' (" << groups << ")";
  int64_t filterInChannels = filterType.getDimSize(1);
  if (isKnown(inChannels) && isKnown(filterInChannels) &&
      filterInChannels != inChannels / groups)
    return op->emitOpError()
           << "'filter' dimension 1 must be " << inChannels / groups
           << " (input channels " << inChannels << " / groups " << groups
           << "), but is " << filterInChannels;

  // Spatial attributes and the output shape.
  int64_t spatialRank = rank - 2;
  auto strides = getSpatialAttr(op, "strides", attrs.strides, spatialRank,
                                /*minValue=*/1, /*defaultValue=*/1);
  if (failed(strides))
    return failure();
  auto padLow =
      getSpatialAttr(op, "padding_low", attrs.paddingLow, spatialRank, 0, 0);
  if (failed(padLow))
    return failure();
  auto padHigh =
      getSpatialAttr(op, "padding_high", attrs.paddingHigh, spatialRank, 0, 0);
  if (failed(padHigh))
    return failure();
  auto dilations =
      getSpatialAttr(op, "dilations", attrs.dilations, spatialRank, 1, 1);
  if (failed(dilations))
    return failure();

  sig.outputShape = {inputType->getDimSize(0), sig.outChannels};
  for (int64_t i = 0; i < spatialRank; ++i) {
    int64_t in = inputType->getDimSize(2 + i);
    int64_t k = filterType.getDimSize(2 + i);
    if (isKnown(k) && k < 1)
      return op->emitOpError() << "'filter' kernel dimension " << i
                               << " must be >= 1, but is " << k;
    if (!isKnown(in) || !isKnown(k)) {
      sig.outputShape.push_back(ShapedType::kDynamic);
      continue;
    }
    // Sizes come from user input: compute them without signed overflow.
    std::optional<int64_t> padded = llvm::checkedAdd(in, (*padLow)[i]);
    if (padded)
      padded = llvm::checkedAdd(*padded, (*padHigh)[i]);
    std::optional<int64_t> extent =
        llvm::checkedMulAdd<int64_t>((*dilations)[i], k - 1, 1);
    if (!padded || !extent)
      return op->emitOpError()
             << "spatial dimension " << i
             << ": the padded input or the dilated kernel does not fit in "
                "64 bits";
    if (*padded < *extent)
      return op->emitOpError()
             << "spatial dimension " << i << ": the dilated kernel (extent "
             << *extent << ") must fit in the padded input (extent " << *padded
             << ")";
    sig.outputShape.push_back((*padded - *extent) / (*strides)[i] + 1);
  }

  // Batch statistics need more than one value per channel (the running
  // variance update divides by M - 1), as PyTorch requires in training.
  if (mode == Mode::Train) {
    SmallVector<int64_t> perChannel(sig.outputShape);
    perChannel.erase(perChannel.begin() + 1);
    if (llvm::all_of(perChannel, isKnown) &&
        llvm::all_of(perChannel, [](int64_t d) { return d == 1; }))
      return op->emitOpError()
             << "train mode needs more than 1 value per channel for batch "
                "statistics, but the output has batch and spatial sizes of 1";
  }
  return sig;
}

LogicalResult mlir::convbn::detail::verifyMomentum(Operation *op,
                                                   double momentum) {
  if (!(momentum >= 0.0 && momentum <= 1.0))
    return op->emitOpError()
           << "'momentum' must be in [0, 1], but is " << formatValue(momentum);
  return success();
}

LogicalResult mlir::convbn::detail::verifyTypeMatches(
    Operation *op, StringRef kind, StringRef name, Type actual,
    RankedTensorType expected, StringRef why) {
  auto actualType = cast<RankedTensorType>(actual);
  bool compatible =
      actualType.getElementType() == expected.getElementType() &&
      actualType.getRank() == expected.getRank() &&
      llvm::all_of(llvm::zip(actualType.getShape(), expected.getShape()),
                   [](auto dims) {
                     auto [a, e] = dims;
                     return !isKnown(a) || !isKnown(e) || a == e;
                   });
  if (compatible)
    return success();
  return op->emitOpError() << kind << " '" << name << "' must be " << expected
                           << " (" << why << "), but is " << actual;
}
