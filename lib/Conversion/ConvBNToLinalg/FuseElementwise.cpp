//===- FuseElementwise.cpp - Fuse the lowering's elementwise chains -------===//
//
// The linalg lowering builds each step of the batch-norm arithmetic as its
// own `linalg.generic` (rsqrt of the variance, then the scale, then the
// folded weight, then its flipped transpose for backward-data...), and every
// generic becomes a loop nest: a kernel on the GPU, a pass over memory on the
// CPU. Upstream's elementwise fusion patterns merge a producer into its
// consumer; this pass applies them only where that recomputes nothing and
// keeps the ops later passes match:
//
// * the producer has one use (it is not computed twice);
// * producer and consumer iterate over the same number of points (a
//   per-channel vector is not recomputed for every element of an activation
//   it is broadcast over, and a broadcast stays a broadcast, which the
//   tensor-core kernels fold into their epilogue);
// * the consumer is all-parallel (reductions keep the exact form the
//   backward-filter GEMM rewrites recognize).
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
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

bool shouldFuse(OpOperand *operand) {
  auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
  auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
  if (!producer || !consumer || !producer->hasOneUse() ||
      consumer.getNumReductionLoops() != 0)
    return false;
  std::optional<int64_t> producerPoints = iterationPoints(producer);
  std::optional<int64_t> consumerPoints = iterationPoints(consumer);
  return producerPoints && consumerPoints &&
         *producerPoints == *consumerPoints;
}

struct ConvBNFuseElementwisePass
    : public convbn::impl::ConvBNFuseElementwiseBase<
          ConvBNFuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, shouldFuse);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
