//===- LowerBF16MmaSync.cpp - bf16 nvgpu.mma.sync to NVVM -----------------===//
//
// Upstream's nvgpu-to-NVVM conversion (MLIR 22) cannot deduce the PTX types
// of an `nvgpu.mma.sync` on bf16 operands, although NVVM's `mma.sync` has
// bf16 forms (m16n8k8 and m16n8k16, f32 accumulators). This rewrite builds
// that `nvvm.mma.sync` directly: each fragment row of two bf16 elements is
// one 32-bit register (bf16 fragments have f16's layout), the accumulator's
// elements are scalars in row-major order, and so are the struct fields
// of the result.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNLOWERBF16MMASYNC
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {
/// `vector<R x 2 x bf16>` as R i32 registers, row by row.
SmallVector<Value> packRows(ImplicitLocOpBuilder &b, Value fragment) {
  auto type = cast<VectorType>(fragment.getType());
  auto word = VectorType::get({1}, b.getI32Type());
  SmallVector<Value> registers;
  for (int64_t row = 0; row < type.getDimSize(0); ++row) {
    Value elements = vector::ExtractOp::create(b, fragment, row);
    Value packed = vector::BitCastOp::create(b, word, elements);
    registers.push_back(vector::ExtractOp::create(b, packed, 0));
  }
  return registers;
}

struct LowerBF16MmaSync : OpRewritePattern<nvgpu::MmaSyncOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nvgpu::MmaSyncOp op,
                                PatternRewriter &rewriter) const override {
    VectorType aType = op.getMatrixA().getType();
    VectorType bType = op.getMatrixB().getType();
    VectorType cType = op.getMatrixC().getType();
    if (!aType.getElementType().isBF16() || !bType.getElementType().isBF16())
      return rewriter.notifyMatchFailure(op, "operands are not bf16");
    if (!cType.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "bf16 mma accumulates in f32");
    if (aType.getRank() != 2 || aType.getDimSize(1) != 2 ||
        bType.getRank() != 2 || bType.getDimSize(1) != 2 ||
        cType.getRank() != 2)
      return rewriter.notifyMatchFailure(op, "not in nvgpu's register form");

    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    SmallVector<Value> a = packRows(b, op.getMatrixA());
    SmallVector<Value> bRegs = packRows(b, op.getMatrixB());
    SmallVector<Value> c;
    for (int64_t i = 0; i < cType.getDimSize(0); ++i)
      for (int64_t j = 0; j < cType.getDimSize(1); ++j)
        c.push_back(vector::ExtractOp::create(b, op.getMatrixC(),
                                              ArrayRef<int64_t>{i, j}));
    Type f32 = b.getF32Type();
    auto resultType = LLVM::LLVMStructType::getLiteral(
        b.getContext(), SmallVector<Type>(c.size(), f32));
    std::array<int64_t, 3> shape = op.getMmaShapeAsArray();
    auto mma = NVVM::MmaOp::create(
        b, resultType, a, bRegs, c, shape, /*b1Op=*/std::nullopt,
        /*intOverflow=*/std::nullopt,
        std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16,
                                      NVVM::MMATypes::bf16},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                       NVVM::MMALayout::col});
    SmallVector<Value> d;
    for (int64_t i = 0, e = c.size(); i < e; ++i)
      d.push_back(LLVM::ExtractValueOp::create(b, mma, i));
    rewriter.replaceOpWithNewOp<vector::FromElementsOp>(op, cType, d);
    return success();
  }
};

struct ConvBNLowerBF16MmaSyncPass
    : public convbn::impl::ConvBNLowerBF16MmaSyncBase<
          ConvBNLowerBF16MmaSyncPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerBF16MmaSync>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
