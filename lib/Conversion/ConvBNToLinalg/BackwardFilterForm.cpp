//===- BackwardFilterForm.cpp - Recognizing the backward-filter generic ---===//

#include "convbn/Conversion/ConvBNToLinalg/BackwardFilterForm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::convbn;

namespace {

/// The coefficient of each dimension in `expr`, if it is linear in them.
std::optional<SmallVector<int64_t>> linearCoefficients(AffineExpr expr,
                                                       unsigned numDims) {
  MLIRContext *ctx = expr.getContext();
  auto evaluate = [&](int64_t at, std::optional<unsigned> dim) {
    SmallVector<AffineExpr> values;
    for (unsigned i = 0; i < numDims; ++i)
      values.push_back(getAffineConstantExpr(dim == i ? at : 0, ctx));
    auto folded =
        dyn_cast<AffineConstantExpr>(expr.replaceDimsAndSymbols(values, {}));
    return folded ? std::optional<int64_t>(folded.getValue()) : std::nullopt;
  };
  std::optional<int64_t> zero = evaluate(0, std::nullopt);
  if (!zero || *zero != 0)
    return std::nullopt;
  SmallVector<int64_t> coefficients;
  for (unsigned i = 0; i < numDims; ++i) {
    std::optional<int64_t> one = evaluate(1, i);
    if (!one)
      return std::nullopt;
    coefficients.push_back(*one);
  }
  return coefficients;
}

/// The body computes out + a * b, either operand possibly extended first.
bool isMultiplyAccumulate(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2);
  Value product = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  if (add.getLhs() != acc && add.getRhs() != acc)
    return false;
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  auto source = [](Value v) {
    if (auto ext = v.getDefiningOp<arith::ExtFOp>())
      return ext.getIn();
    return v;
  };
  Value x = source(mul.getLhs()), y = source(mul.getRhs());
  Value a = body.getArgument(0), b = body.getArgument(1);
  return ((x == a && y == b) || (x == b && y == a)) &&
         body.getOperations().size() <= 5;
}

} // namespace

std::optional<BackwardFilterForm>
mlir::convbn::matchBackwardFilter(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 3)
    return std::nullopt;
  unsigned numLoops = op.getNumLoops();
  if (numLoops != 8 && numLoops != 9)
    return std::nullopt;
  BackwardFilterForm form;
  form.chunked = numLoops == 9;
  int64_t lead = form.lead();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  // Loops: [p] g f c kh kw | n oh ow.
  auto dim = [&](int64_t i) {
    return getAffineDimExpr(lead + i, op.getContext());
  };
  // X's indices: [p] n g c row col.
  if (maps[0].getNumResults() != 5 + lead)
    return std::nullopt;
  auto rowCoefficients =
      linearCoefficients(maps[0].getResult(lead + 3), numLoops);
  auto colCoefficients =
      linearCoefficients(maps[0].getResult(lead + 4), numLoops);
  if (!rowCoefficients || !colCoefficients)
    return std::nullopt;
  int64_t *s = form.strides, *d = form.dilations;
  s[0] = (*rowCoefficients)[lead + 6];
  s[1] = (*colCoefficients)[lead + 7];
  d[0] = (*rowCoefficients)[lead + 3];
  d[1] = (*colCoefficients)[lead + 4];
  SmallVector<AffineExpr> inExprs, gradExprs, outExprs;
  if (lead) {
    AffineExpr p = getAffineDimExpr(0, op.getContext());
    inExprs.push_back(p);
    gradExprs.push_back(p);
    outExprs.push_back(p);
  }
  inExprs.append({dim(5), dim(0), dim(2), dim(6) * s[0] + dim(3) * d[0],
                  dim(7) * s[1] + dim(4) * d[1]});
  gradExprs.append({dim(5), dim(0), dim(1), dim(6), dim(7)});
  outExprs.append({dim(0), dim(1), dim(2), dim(3), dim(4)});
  MLIRContext *ctx = op.getContext();
  if (maps[0] != AffineMap::get(numLoops, 0, inExprs, ctx) ||
      maps[1] != AffineMap::get(numLoops, 0, gradExprs, ctx) ||
      maps[2] != AffineMap::get(numLoops, 0, outExprs, ctx) ||
      !isMultiplyAccumulate(op))
    return std::nullopt;
  return form;
}
