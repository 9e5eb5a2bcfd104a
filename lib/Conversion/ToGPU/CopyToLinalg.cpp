//===- CopyToLinalg.cpp - memref.copy as linalg.copy ----------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNCOPYTOLINALG
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {
/// Whether `type` is one block of memory in row-major order, as the LLVM
/// lowering of memref.copy requires for a memcpy.
bool contiguous(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && (memref.getLayout().isIdentity() ||
                    memref::isStaticShapeAndContiguousRowMajor(memref));
}

struct CopyToLinalg : public OpRewritePattern<memref::CopyOp> {
  CopyToLinalg(MLIRContext *context, bool stridedOnly)
      : OpRewritePattern(context), stridedOnly(stridedOnly) {}

  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    if (stridedOnly && contiguous(op.getSource().getType()) &&
        contiguous(op.getTarget().getType()))
      return rewriter.notifyMatchFailure(op, "a memcpy");
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(),
                                                op.getTarget());
    return success();
  }

private:
  bool stridedOnly;
};

struct ConvBNCopyToLinalgPass
    : public convbn::impl::ConvBNCopyToLinalgBase<ConvBNCopyToLinalgPass> {
  using ConvBNCopyToLinalgBase::ConvBNCopyToLinalgBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<CopyToLinalg>(&getContext(), stridedOnly);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
