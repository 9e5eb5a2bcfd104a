//===- CopyToLinalg.cpp - memref.copy as linalg.copy ----------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNCOPYTOLINALG
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {
struct CopyToLinalg : public OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(),
                                                op.getTarget());
    return success();
  }
};

struct ConvBNCopyToLinalgPass
    : public convbn::impl::ConvBNCopyToLinalgBase<ConvBNCopyToLinalgPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<CopyToLinalg>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
