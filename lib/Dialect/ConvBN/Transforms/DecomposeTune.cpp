//===- DecomposeTune.cpp - Tune mode as a fold and a folded convolution ---===//

#include "convbn/Dialect/ConvBN/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNDECOMPOSETUNE
#include "convbn/Dialect/ConvBN/Transforms/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;
using namespace mlir::convbn;

namespace {
/// conv_bn tune  ->  fold + conv_bn deploy over the folded filter and bias.
struct DecomposeTuneBlock : public OpRewritePattern<ConvBNOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvBNOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getMode() != Mode::Tune)
      return rewriter.notifyMatchFailure(op, "not in tune mode");
    auto fold = FoldOp::create(
        rewriter, op.getLoc(), op.getFilter().getType(), getFoldedBiasType(op),
        op.getFilter(), op.getBias(), op.getGamma(), op.getBeta(),
        op.getRunningMean(), op.getRunningVar(), op.getEpsilonAttr());
    convertToDeploy(rewriter, op, fold.getFoldedFilter(), fold.getFoldedBias());
    return success();
  }
};

struct ConvBNDecomposeTunePass
    : public convbn::impl::ConvBNDecomposeTuneBase<ConvBNDecomposeTunePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateDecomposeTunePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void mlir::convbn::populateDecomposeTunePatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeTuneBlock>(patterns.getContext());
}
