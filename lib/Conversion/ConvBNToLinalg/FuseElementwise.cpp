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
// With `reductions` (once the passes that match reductions' exact form have
// run) the consumer may be a reduction, and a consumer that reads the
// producer through a collapse_shape is expanded to read it directly.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
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
/// all-parallel unless `reductions`, and the same number of points in both.
bool fusable(linalg::GenericOp producer, Operation *user, bool reductions) {
  auto consumer = dyn_cast<linalg::GenericOp>(user);
  if (!consumer || (!reductions && consumer.getNumReductionLoops() != 0))
    return false;
  std::optional<int64_t> producerPoints = iterationPoints(producer);
  std::optional<int64_t> consumerPoints = iterationPoints(consumer);
  return producerPoints && consumerPoints &&
         *producerPoints == *consumerPoints;
}

/// Fuse where the producer disappears: every use of it is fusable, so after
/// the last fusion nothing reads it and it is not computed on its own.
bool shouldFuse(OpOperand *operand, bool reductions) {
  auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
  // `operand` is one of the uses.
  return producer && llvm::all_of(producer->getUses(), [&](OpOperand &use) {
           return fusable(producer, use.getOwner(), reductions);
         });
}

/// Expand a generic through the `tensor.expand_shape` of its result when
/// that lets the reshaped value's consumers absorb it: the generic's only
/// use is the reshape, and every use of the reshaped value would fuse.
/// (The linalg lowering views a filter with a group dimension before
/// transposing it for backward-data; without this, Tune's folded weight is
/// written, reshaped and read back by the transpose.)
bool shouldExpandThroughReshape(OpOperand *operand, bool reductions) {
  // With `reductions`: a consumer reading a collapsed view of a producer it
  // could absorb (Tune's filter gradient, computed in the GEMM's blocked
  // layout and collapsed into the filter's, read by the weight gradient's
  // scaling and by gamma's sum) is expanded to read the producer's shape.
  if (auto collapse = operand->get().getDefiningOp<tensor::CollapseShapeOp>())
    if (auto producer = collapse.getSrc().getDefiningOp<linalg::GenericOp>())
      return reductions && fusable(producer, operand->getOwner(), reductions);
  auto reshape = dyn_cast<tensor::ExpandShapeOp>(operand->getOwner());
  auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
  if (!reshape || !producer || !producer->hasOneUse() ||
      reshape.getResult().use_empty())
    return false;
  return llvm::all_of(reshape.getResult().getUsers(), [&](Operation *user) {
    return fusable(producer, user, reductions);
  });
}

/// Upstream's elementwise fusion of a producer into a consumer, without the
/// rest of `linalg::populateElementwiseOpsFusionPatterns` (which also gives
/// every generic that does not read its outs a new `tensor.empty` of their
/// shape: after `convbn-collapse-contiguous-loops` that replaces the
/// collapsed view of a result's buffer, and out-params then copies the
/// result instead of hoisting the buffer). A producer with several readers
/// is copied for this one first, so that each reader recomputes it: upstream
/// would keep it as an extra result of the first fused op, which the next
/// reader could then not absorb alone.
struct FuseIntoConsumer : public OpRewritePattern<linalg::GenericOp> {
  FuseIntoConsumer(MLIRContext *ctx, linalg::ControlFusionFn control)
      : OpRewritePattern(ctx), control(std::move(control)) {}

  LogicalResult matchAndRewrite(linalg::GenericOp consumer,
                                PatternRewriter &rewriter) const override {
    for (OpOperand &operand : consumer->getOpOperands()) {
      if (!linalg::areElementwiseOpsFusable(&operand) || !control(&operand))
        continue;
      auto producer = operand.get().getDefiningOp<linalg::GenericOp>();
      if (!producer->hasOneUse()) {
        rewriter.setInsertionPoint(producer);
        Operation *copy = rewriter.clone(*producer);
        rewriter.modifyOpInPlace(consumer, [&] {
          operand.set(
              copy->getResult(cast<OpResult>(operand.get()).getResultNumber()));
        });
      }
      // The fused op in the consumer's place, after all it reads.
      rewriter.setInsertionPoint(consumer);
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, &operand);
      if (failed(fused))
        return rewriter.notifyMatchFailure(consumer, "fusion failed");
      for (auto [original, replacement] : fused->replacements)
        rewriter.replaceAllUsesWith(original, replacement);
      rewriter.eraseOp(consumer);
      return success();
    }
    return failure();
  }

  linalg::ControlFusionFn control;
};

struct ConvBNFuseElementwisePass
    : public convbn::impl::ConvBNFuseElementwiseBase<
          ConvBNFuseElementwisePass> {
  using ConvBNFuseElementwiseBase::ConvBNFuseElementwiseBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    bool withReductions = reductions;
    auto fuse = [=](OpOperand *operand) {
      return shouldFuse(operand, withReductions);
    };
    if (withReductions) {
      patterns.add<FuseIntoConsumer>(ctx, fuse);
      // Reshapes of reshapes composed (a filter's views, GEMM blocks ->
      // filter -> rows, as one), and nothing else of their folds.
      patterns.add<ComposeReassociativeReshapeOps<tensor::CollapseShapeOp,
                                                  ReshapeOpKind::kCollapse>,
                   ComposeReassociativeReshapeOps<tensor::ExpandShapeOp,
                                                  ReshapeOpKind::kExpand>,
                   ComposeCollapseOfExpandOp<
                       tensor::CollapseShapeOp, tensor::ExpandShapeOp,
                       tensor::CastOp, tensor::DimOp, RankedTensorType>,
                   ComposeExpandOfCollapseOp<tensor::ExpandShapeOp,
                                             tensor::CollapseShapeOp>>(ctx);
    } else {
      linalg::populateElementwiseOpsFusionPatterns(patterns, fuse);
    }
    linalg::populateFoldReshapeOpsByExpansionPatterns(
        patterns, [=](OpOperand *operand) {
          return shouldExpandThroughReshape(operand, withReductions);
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
