//===- FuseElementwise.cpp - Fuse the lowering's elementwise chains -------===//
//
// The linalg lowering builds each step of the batch-norm arithmetic as its
// own `linalg.generic` (rsqrt of the variance, then the scale, then the
// folded weight, then its flipped transpose for backward-data...), and every
// generic becomes a loop nest: a kernel on the GPU, a pass over memory on the
// CPU. Upstream's elementwise fusion patterns merge a producer into its
// consumer; this pass applies them only where that adds no pass over
// memory and keeps the ops later passes match:
//
// * every use of the producer is fusable, so it disappears (a producer with
//   several uses is recomputed in each of its consumers, at the same number
//   of points, instead of being written and read back);
// * producer and consumer iterate over the same number of points (a
//   per-channel vector is not recomputed for every element of an activation
//   it is broadcast over, and a broadcast stays a broadcast, which the
//   tensor-core kernels fold into their epilogue);
// * the consumer is all-parallel (reductions keep the exact form the
//   backward-filter GEMM rewrites recognize);
// * a reshape between them (the group view of a filter) is moved above
//   the producer only when that makes such a fusion possible.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNFUSEELEMENTWISE
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {
/// Number of points in the iteration space of `op` (nullopt if dynamic).
std::optional<int64_t> iterationPoints(linalg::LinalgOp op) {
  int64_t points = 1;
  for (int64_t extent : op.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(extent))
      return std::nullopt;
    points *= extent;
  }
  return points;
}

/// Whether `consumer` may absorb `producer`: both generics, the consumer
/// all-parallel, and the same number of points in both.
bool fusable(linalg::GenericOp producer, Operation *user) {
  auto consumer = dyn_cast<linalg::GenericOp>(user);
  if (!consumer || consumer.getNumReductionLoops() != 0)
    return false;
  std::optional<int64_t> producerPoints = iterationPoints(producer);
  std::optional<int64_t> consumerPoints = iterationPoints(consumer);
  return producerPoints && consumerPoints &&
         *producerPoints == *consumerPoints;
}

/// Fuse where the producer disappears: every use of it is fusable, so after
/// the last fusion nothing reads it and it is not computed on its own.
bool shouldFuse(OpOperand *operand) {
  auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
  // `operand` is one of the uses.
  return producer && llvm::all_of(producer->getUses(), [&](OpOperand &use) {
           return fusable(producer, use.getOwner());
         });
}

/// Expand a generic through the `tensor.expand_shape` of its result when
/// that lets the reshaped value's consumers absorb it: the generic's only
/// use is the reshape, and every use of the reshaped value would fuse.
/// (The linalg lowering views a filter with a group dimension before
/// transposing it for backward-data; without this, Tune's folded weight is
/// written, reshaped and read back by the transpose.)
bool shouldExpandThroughReshape(OpOperand *operand) {
  auto reshape = dyn_cast<tensor::ExpandShapeOp>(operand->getOwner());
  auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
  if (!reshape || !producer || !producer->hasOneUse() ||
      reshape.getResult().use_empty())
    return false;
  return llvm::all_of(reshape.getResult().getUsers(),
                      [&](Operation *user) { return fusable(producer, user); });
}

struct ConvBNFuseElementwisePass
    : public convbn::impl::ConvBNFuseElementwiseBase<
          ConvBNFuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, shouldFuse);
    linalg::populateFoldReshapeOpsByExpansionPatterns(
        patterns, shouldExpandThroughReshape);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
