//===- TileTransposes.cpp - Transposing copies in cache-sized blocks ------===//
//
// The vectorized convolutions copy weights and activations into other
// layouts: channels-last filters ([kh, kw, c, f] from [f, c, kh, kw], for
// backward-data from the flipped filter, Tune's fold fused in) and inputs.
// Lowered to loops in the output's order, such a copy reads its source
// with the stride of a whole filter row (18 KiB at 512 x 512 x 3 x 3) for
// every element of its innermost loop: that copy took 4.9 ms (4 GB/s).
// Tiled over its moved dimensions in blocks of 8, each block reads and
// writes short contiguous runs that stay in the L1 cache: 2.4 ms.
//
// Upstream's TilingInterface computes the operand slices of an indexing
// map from the tile's first and last points, which for a flipped dimension
// (`2 - kh`) gives a wrong slice; this pass tiles only dimensions that
// every operand indexes directly, keeps the flipped ones whole, and builds
// the loops of slices itself.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "TensorCopies.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNTILETRANSPOSES
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;
using mlir::convbn::cpu::divisorAtMost;

namespace {

/// The loop `e` indexes directly (`d`, or `s * d` at a constant stride
/// s > 1, a strided window of a 1x1 kernel), or as `c - d` (`flipped`);
/// nothing for other expressions.
std::optional<unsigned> loopOf(AffineExpr e, bool &flipped,
                               int64_t *stride = nullptr) {
  flipped = false;
  if (stride)
    *stride = 1;
  if (auto dim = dyn_cast<AffineDimExpr>(e))
    return dim.getPosition();
  auto binary = dyn_cast<AffineBinaryOpExpr>(e);
  if (!binary)
    return std::nullopt;
  // s * d.
  if (binary.getKind() == AffineExprKind::Mul) {
    auto dim = dyn_cast<AffineDimExpr>(binary.getLHS());
    auto factor = dyn_cast<AffineConstantExpr>(binary.getRHS());
    if (!dim || !factor || factor.getValue() <= 1)
      return std::nullopt;
    if (stride)
      *stride = factor.getValue();
    return dim.getPosition();
  }
  // c - d is (d * -1) + c.
  if (binary.getKind() != AffineExprKind::Add)
    return std::nullopt;
  AffineExpr lhs = binary.getLHS(), rhs = binary.getRHS();
  if (isa<AffineConstantExpr>(lhs))
    std::swap(lhs, rhs);
  auto product = dyn_cast<AffineBinaryOpExpr>(lhs);
  auto minusOne = product ? dyn_cast<AffineConstantExpr>(product.getRHS())
                          : AffineConstantExpr();
  if (!isa<AffineConstantExpr>(rhs) || !product ||
      product.getKind() != AffineExprKind::Mul || !minusOne ||
      minusOne.getValue() != -1 || !isa<AffineDimExpr>(product.getLHS()))
    return std::nullopt;
  flipped = true;
  return cast<AffineDimExpr>(product.getLHS()).getPosition();
}

/// `map` with the loops of one iteration (`extents` 1) replaced by 0,
/// simplified: what it reads of them is a constant (a 1x1 kernel's flip,
/// `-d` or, in a stride phase of backward-data, `-2 * d`, is 0).
AffineMap withoutUnitLoops(AffineMap map, ArrayRef<int64_t> extents) {
  MLIRContext *ctx = map.getContext();
  SmallVector<AffineExpr> loops;
  for (auto [i, extent] : llvm::enumerate(extents))
    loops.push_back(extent == 1 ? getAffineConstantExpr(0, ctx)
                                : getAffineDimExpr(i, ctx));
  return simplifyAffineMap(map.replaceDimsAndSymbols(
      loops, {}, map.getNumDims(), map.getNumSymbols()));
}

/// The tile size of each loop of `op`, or nothing if `op` is not a
/// transposing elementwise op worth tiling. `op` must be all-parallel on
/// tensors with static shapes, with one result written through the
/// identity map (so its loops run in the output's order), no
/// `linalg.index`, and a largest input indexed by every loop but unit ones,
/// each directly or flipped (`withoutUnitLoops`: what an operand reads of
/// the unit loops is a constant). A loop is moved where that input orders it
/// differently from another loop than the output does; the innermost loop
/// of more than one iteration must be. Loops before the first moved one
/// run one at a time; moved loops that every operand indexes directly take
/// the largest divisor of their extent at most `block`; the others stay
/// whole.
std::optional<SmallVector<int64_t>> tilesFor(linalg::GenericOp op,
                                             int64_t block) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 0 || op.hasIndexSemantics() ||
      !op.getIndexingMapsArray().back().isIdentity())
    return std::nullopt;
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  unsigned loops = extents.size();
  if (loops < 2 || llvm::any_of(extents, ShapedType::isDynamic))
    return std::nullopt;

  // Every operand indexes loops directly, flipped or by constants.
  SmallVector<bool> flipped(loops, false);
  OpOperand *largest = nullptr;
  int64_t largestSize = -1;
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    if (!type || !type.hasStaticShape())
      return std::nullopt;
    for (AffineExpr e :
         withoutUnitLoops(op.getMatchingIndexingMap(input), extents)
             .getResults()) {
      bool flip;
      std::optional<unsigned> loop = loopOf(e, flip);
      if (!loop && !isa<AffineConstantExpr>(e))
        return std::nullopt;
      if (loop && flip)
        flipped[*loop] = true;
    }
    if (type.getNumElements() > largestSize) {
      largest = input;
      largestSize = type.getNumElements();
    }
  }
  if (!largest)
    return std::nullopt;
  // Where the source holds each loop; loops it does not index must be
  // unit loops (a group dimension of one).
  AffineMap source =
      withoutUnitLoops(op.getMatchingIndexingMap(largest), extents);
  SmallVector<unsigned> position(loops, loops);
  for (auto [i, e] : llvm::enumerate(source.getResults())) {
    if (isa<AffineConstantExpr>(e))
      continue;
    bool flip;
    std::optional<unsigned> loop = loopOf(e, flip);
    if (!loop || position[*loop] != loops)
      return std::nullopt;
    position[*loop] = i;
  }
  for (unsigned d = 0; d < loops; ++d)
    if (position[d] == loops && extents[d] != 1)
      return std::nullopt;
  // A loop is moved where the source orders it differently from some
  // other loop than the output does.
  auto moved = [&](unsigned d) {
    if (position[d] == loops)
      return false;
    for (unsigned e = 0; e < loops; ++e)
      if (position[e] != loops && e != d &&
          (d < e) != (position[d] < position[e]))
        return true;
    return false;
  };
  unsigned firstMoved = loops, innermost = loops;
  for (unsigned d = 0; d < loops; ++d) {
    if (firstMoved == loops && moved(d))
      firstMoved = d;
    if (extents[d] != 1)
      innermost = d;
  }
  // Not a transpose, or one whose innermost loop keeps its place: it
  // already moves contiguous runs on both sides (backward-data's flipped
  // filter, runs of kh x kw), and blocks measured slower there.
  if (firstMoved == loops || innermost == loops || !moved(innermost))
    return std::nullopt;
  SmallVector<int64_t> sizes(extents);
  for (unsigned d = 0; d < loops; ++d) {
    if (d < firstMoved)
      sizes[d] = 1;
    else if (moved(d) && !flipped[d])
      sizes[d] = divisorAtMost(extents[d], block);
  }
  // Only moved loops split into several blocks matter: leading loops of
  // one iteration each do not reorder memory accesses.
  bool blocks = false;
  for (unsigned d = firstMoved; d < loops; ++d)
    blocks |= sizes[d] < extents[d];
  if (!blocks)
    return std::nullopt;
  return sizes;
}

/// `op` as a nest of `scf.for` loops over its tiles of `sizes`, each tile
/// the same generic on slices of its operands, inserted into the result.
void tile(RewriterBase &rewriter, linalg::GenericOp op,
          ArrayRef<int64_t> sizes) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  SmallVector<Value> ivs(sizes.size());
  Value result = op.getDpsInits()[0];

  // The loops, outermost first, each carrying the result.
  SmallVector<scf::ForOp> nest;
  for (unsigned d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == extents[d])
      continue;
    auto c = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    auto loop = scf::ForOp::create(rewriter, loc, c(0), c(extents[d]),
                                   c(sizes[d]), ValueRange{result});
    if (!nest.empty())
      scf::YieldOp::create(rewriter, loc, loop.getResults());
    ivs[d] = loop.getInductionVar();
    result = loop.getRegionIterArgs()[0];
    nest.push_back(loop);
    rewriter.setInsertionPointToStart(loop.getBody());
  }

  // Each operand's slice: a tiled loop's block where a map indexes it
  // directly, whole dimensions elsewhere.
  auto slice = [&](OpOperand &operand, Value of) -> Value {
    auto type = cast<RankedTensorType>(of.getType());
    SmallVector<OpFoldResult> offsets, lengths,
        strides(type.getRank(), rewriter.getIndexAttr(1));
    for (auto [i, e] : llvm::enumerate(
             withoutUnitLoops(op.getMatchingIndexingMap(&operand), extents)
                 .getResults())) {
      bool flip;
      int64_t stride;
      std::optional<unsigned> loop = loopOf(e, flip, &stride);
      if (loop && ivs[*loop] && stride == 1) {
        offsets.push_back(ivs[*loop]);
        lengths.push_back(rewriter.getIndexAttr(sizes[*loop]));
      } else if (loop && ivs[*loop]) {
        // Block b of a loop read at stride s: from s * b, (size - 1) * s
        // + 1 elements, which the tile's generic reads at s * d.
        Value scale = arith::ConstantIndexOp::create(rewriter, loc, stride);
        offsets.push_back(
            arith::MulIOp::create(rewriter, loc, ivs[*loop], scale)
                .getResult());
        lengths.push_back(
            rewriter.getIndexAttr((sizes[*loop] - 1) * stride + 1));
      } else {
        offsets.push_back(rewriter.getIndexAttr(0));
        lengths.push_back(rewriter.getIndexAttr(type.getDimSize(i)));
      }
    }
    return tensor::ExtractSliceOp::create(rewriter, loc, of, offsets, lengths,
                                          strides);
  };
  SmallVector<Value> operands;
  for (OpOperand *input : op.getDpsInputOperands())
    operands.push_back(slice(*input, input->get()));
  OpOperand &init = op.getDpsInitsMutable()[0];
  Value initSlice = slice(init, result);
  operands.push_back(initSlice);
  Operation *tiled = rewriter.clone(*op.getOperation());
  tiled->setOperands(operands);
  tiled->getResult(0).setType(initSlice.getType());
  auto extract = initSlice.getDefiningOp<tensor::ExtractSliceOp>();
  Value inserted = tensor::InsertSliceOp::create(
      rewriter, loc, tiled->getResult(0), result, extract.getMixedOffsets(),
      extract.getMixedSizes(), extract.getMixedStrides());
  scf::YieldOp::create(rewriter, loc, inserted);
  rewriter.replaceOp(op, nest.front().getResults());
}

struct ConvBNTileTransposesPass
    : public convbn::impl::ConvBNTileTransposesBase<ConvBNTileTransposesPass> {
  using ConvBNTileTransposesBase::ConvBNTileTransposesBase;

  void runOnOperation() override {
    if (blockSize < 1) {
      getOperation().emitError(
          "convbn-tile-transposes: block-size must be positive");
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, SmallVector<int64_t>>> work;
    getOperation().walk([&](linalg::GenericOp op) {
      if (std::optional<SmallVector<int64_t>> sizes = tilesFor(op, blockSize))
        work.emplace_back(op, *sizes);
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, sizes] : work)
      tile(rewriter, op, sizes);
  }
};
} // namespace
