//===- ConvBNFolds.cpp - Folders and canonicalizations of convbn ----------===//

#include "convbn/Dialect/ConvBN/IR/ConvBNOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/bit.h"
#include <cmath>

using namespace mlir;
using namespace mlir::convbn;

//===----------------------------------------------------------------------===//
// Constant folding of the BN parameters into the filter and bias
//===----------------------------------------------------------------------===//

/// Largest filter folded at compile time, in elements (64 MiB of f32; the
/// largest ResNet-50 filter has 2.4M elements). Larger ones are folded at run
/// time rather than holding the compiler on a huge constant.
static constexpr int64_t kMaxFoldedElements = int64_t(1) << 24;

/// Per-channel values of an optional constant vector as doubles
/// (`fallback` everywhere when the vector is absent).
static std::optional<SmallVector<double>>
getChannelValues(DenseElementsAttr attr, int64_t channels, double fallback) {
  if (!attr)
    return SmallVector<double>(channels, fallback);
  if (!isa<FloatType>(attr.getElementType()) ||
      attr.getNumElements() != channels)
    return std::nullopt;
  SmallVector<double> values;
  values.reserve(channels);
  for (const APFloat &v : attr.getValues<APFloat>())
    values.push_back(v.convertToDouble());
  return values;
}

static APFloat roundTo(double value, Type elementType) {
  APFloat result(value);
  bool losesInfo = false;
  result.convert(cast<FloatType>(elementType).getFloatSemantics(),
                 APFloat::rmNearestTiesToEven, &losesInfo);
  return result;
}

FailureOr<FoldedConstants> mlir::convbn::foldConstantParameters(
    DenseElementsAttr filter, DenseElementsAttr bias, DenseElementsAttr gamma,
    DenseElementsAttr beta, DenseElementsAttr mean, DenseElementsAttr var,
    double epsilon, RankedTensorType biasType) {
  if (!filter || !mean || !var || !isa<FloatType>(filter.getElementType()))
    return failure();
  auto filterType = cast<ShapedType>(filter.getType());
  if (!filterType.hasStaticShape() || !biasType.hasStaticShape() ||
      filterType.getNumElements() > kMaxFoldedElements)
    return failure();
  int64_t channels = filterType.getDimSize(0);
  auto b = getChannelValues(bias, channels, 0.0);
  auto g = getChannelValues(gamma, channels, 1.0);
  auto bt = getChannelValues(beta, channels, 0.0);
  auto mu = getChannelValues(mean, channels, 0.0);
  auto v = getChannelValues(var, channels, 0.0);
  if (!b || !g || !bt || !mu || !v)
    return failure();

  SmallVector<double> k(channels);
  SmallVector<APFloat> foldedBias;
  Type biasElt = biasType.getElementType();
  for (int64_t o = 0; o < channels; ++o) {
    double denom = (*v)[o] + epsilon;
    // A non-positive variance has no fold; leave it to run time.
    if (!(denom > 0.0) || !std::isfinite(denom))
      return failure();
    k[o] = (*g)[o] / std::sqrt(denom);
    foldedBias.push_back(
        roundTo(k[o] * ((*b)[o] - (*mu)[o]) + (*bt)[o], biasElt));
  }

  int64_t perChannel = channels ? filterType.getNumElements() / channels : 0;
  Type filterElt = filterType.getElementType();
  SmallVector<APFloat> foldedFilter;
  foldedFilter.reserve(filterType.getNumElements());
  int64_t index = 0;
  for (const APFloat &w : filter.getValues<APFloat>())
    foldedFilter.push_back(
        roundTo(k[index++ / perChannel] * w.convertToDouble(), filterElt));

  return FoldedConstants{DenseElementsAttr::get(filterType, foldedFilter),
                         DenseElementsAttr::get(biasType, foldedBias)};
}

LogicalResult FoldOp::fold(FoldAdaptor adaptor,
                           SmallVectorImpl<OpFoldResult> &results) {
  auto asDense = [](Attribute a) {
    return dyn_cast_or_null<DenseElementsAttr>(a);
  };
  // Absent optional operands are fine; present ones must be constants.
  if ((getBias() && !adaptor.getBias()) ||
      (getGamma() && !adaptor.getGamma()) || (getBeta() && !adaptor.getBeta()))
    return failure();
  FailureOr<FoldedConstants> folded = foldConstantParameters(
      asDense(adaptor.getFilter()), asDense(adaptor.getBias()),
      asDense(adaptor.getGamma()), asDense(adaptor.getBeta()),
      asDense(adaptor.getRunningMean()), asDense(adaptor.getRunningVar()),
      getEpsilon().convertToDouble(), getFoldedBias().getType());
  if (failed(folded))
    return failure();
  results.push_back(folded->filter);
  results.push_back(folded->bias);
  return success();
}

Operation *mlir::convbn::cloneWithResultTypes(RewriterBase &rewriter,
                                              Operation *op,
                                              TypeRange resultTypes) {
  OperationState state(op->getLoc(), op->getName(), op->getOperands(),
                       resultTypes, llvm::to_vector(op->getDiscardableAttrs()));
  state.propertiesAttr = op->getPropertiesAsAttribute();
  return rewriter.create(state);
}

//===----------------------------------------------------------------------===//
// BackwardOp canonicalization
//===----------------------------------------------------------------------===//

namespace {
/// Stops computing gradients nobody uses: shrinks `grads` to the used
/// results (an op left with none is dead and is erased).
struct DropUnusedGradients : public OpRewritePattern<BackwardOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BackwardOp op,
                                PatternRewriter &rewriter) const override {
    uint32_t mask = static_cast<uint32_t>(op.getGrads());
    uint32_t usedMask = 0;
    SmallVector<Value> usedResults;
    SmallVector<Type> usedTypes;
    for (uint32_t rest = mask; rest; rest &= rest - 1) {
      uint32_t bit = rest & -rest;
      Value grad = op.getGradient(static_cast<GradMask>(bit));
      if (grad.use_empty())
        continue;
      usedMask |= bit;
      usedResults.push_back(grad);
      usedTypes.push_back(grad.getType());
    }
    if (usedMask == mask)
      return rewriter.notifyMatchFailure(op, "every gradient is used");
    if (usedMask == 0) {
      rewriter.eraseOp(op);
      return success();
    }
    auto newOp =
        cast<BackwardOp>(cloneWithResultTypes(rewriter, op, usedTypes));
    newOp.setGrads(static_cast<GradMask>(usedMask));
    for (auto [oldResult, newResult] :
         llvm::zip(usedResults, newOp.getGradients()))
      rewriter.replaceAllUsesWith(oldResult, newResult);
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

void BackwardOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                             MLIRContext *context) {
  patterns.add<DropUnusedGradients>(context);
}
