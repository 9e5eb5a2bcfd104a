//===- EvalToTune.cpp - Rewrite eval-mode blocks into tune mode -----------===//

#include "convbn/Dialect/ConvBN/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNEVALTOTUNE
#include "convbn/Dialect/ConvBN/Transforms/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;
using namespace mlir::convbn;

namespace {
/// An eval-mode backward becomes tune mode: it no longer reads the conv
/// output that the forward pass kept.
struct BackwardEvalToTune : public OpRewritePattern<BackwardOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BackwardOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getMode() != Mode::Eval)
      return rewriter.notifyMatchFailure(op, "not in eval mode");
    rewriter.modifyOpInPlace(op, [&] {
      op.setMode(Mode::Tune);
      op.getConvOutputMutable().clear();
    });
    return success();
  }
};

/// An eval-mode forward whose conv output nobody reads becomes tune mode.
struct ForwardEvalToTune : public OpRewritePattern<ConvBNOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvBNOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getMode() != Mode::Eval)
      return rewriter.notifyMatchFailure(op, "not in eval mode");
    if (!op.getConvOutput().use_empty())
      return rewriter.notifyMatchFailure(
          op, "conv_output is used by something other than an eval-mode "
              "backward");
    auto tune = cast<ConvBNOp>(
        cloneWithResultTypes(rewriter, op, op.getOutput().getType()));
    tune.setMode(Mode::Tune);
    rewriter.replaceAllUsesWith(op.getOutput(), tune.getOutput());
    rewriter.eraseOp(op);
    return success();
  }
};

struct ConvBNEvalToTunePass
    : public convbn::impl::ConvBNEvalToTuneBase<ConvBNEvalToTunePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateEvalToTunePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void mlir::convbn::populateEvalToTunePatterns(RewritePatternSet &patterns) {
  patterns.add<BackwardEvalToTune, ForwardEvalToTune>(patterns.getContext());
}
