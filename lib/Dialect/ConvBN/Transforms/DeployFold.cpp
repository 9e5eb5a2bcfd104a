//===- DeployFold.cpp - Fold constant BN parameters at compile time -------===//

#include "convbn/Dialect/ConvBN/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNDEPLOYFOLD
#include "convbn/Dialect/ConvBN/Transforms/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;
using namespace mlir::convbn;

namespace {
/// conv_bn tune with constant parameters -> conv_bn deploy over constants.
struct FoldConstantTuneBlock : public OpRewritePattern<ConvBNOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvBNOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getMode() != Mode::Tune)
      return rewriter.notifyMatchFailure(op, "not in tune mode");

    // Each present parameter must be a constant; absent ones stay null.
    bool allConstant = true;
    auto constantOf = [&](Value v) -> DenseElementsAttr {
      DenseElementsAttr attr;
      if (v && !matchPattern(v, m_Constant(&attr)))
        allConstant = false;
      return attr;
    };
    DenseElementsAttr filter = constantOf(op.getFilter()),
                      bias = constantOf(op.getBias()),
                      gamma = constantOf(op.getGamma()),
                      beta = constantOf(op.getBeta()),
                      mean = constantOf(op.getRunningMean()),
                      var = constantOf(op.getRunningVar());
    if (!allConstant)
      return rewriter.notifyMatchFailure(op, "a parameter is not a constant");

    FailureOr<FoldedConstants> folded = foldConstantParameters(
        filter, bias, gamma, beta, mean, var, op.getEpsilon().convertToDouble(),
        getFoldedBiasType(op));
    if (failed(folded))
      return rewriter.notifyMatchFailure(
          op, "the fold has no finite value (running_var + epsilon <= 0)");

    Location loc = op.getLoc();
    Value newFilter = arith::ConstantOp::create(rewriter, loc, folded->filter);
    Value newBias = arith::ConstantOp::create(rewriter, loc, folded->bias);
    convertToDeploy(rewriter, op, newFilter, newBias);
    return success();
  }
};

struct ConvBNDeployFoldPass
    : public convbn::impl::ConvBNDeployFoldBase<ConvBNDeployFoldPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateDeployFoldPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void mlir::convbn::populateDeployFoldPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldConstantTuneBlock>(patterns.getContext());
}
