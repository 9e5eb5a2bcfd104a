//===- SplitReductions.cpp - Enough threads for short, wide reductions ----===//
//
// On the GPU every parallel iteration of a loop nest is a thread and the
// reduction loops run inside it. The lowering's per-channel sums have few
// parallel iterations: images x channels (2,048 at batch 32 in ResNet-50's
// first stage, eight blocks of 256 threads on a GPU with 132 multiprocessors),
// each summing a whole feature map, with neighbouring threads reading
// addresses a feature map apart; tune's weight-sized reductions have one
// thread per filter. This pass splits such a reduction in two with
// upstream's `linalg::splitReduction` (inner-parallel form): its reduction
// dimensions are first merged into one (`collapseOpIterationDims`), which is
// split into (terms, lanes) with the lanes parallel, so that lane t of a
// partial sums the terms t, t + lanes, t + 2 lanes, ... Neighbouring threads
// then read neighbouring addresses, and a second op sums the lanes.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNSPLITREDUCTIONS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {

/// What splitting one reduction takes: its reduction loops (consecutive)
/// and their total extent, and its number of parallel iterations.
struct ReductionShape {
  ReassociationIndices reductionLoops;
  int64_t terms = 1;
  int64_t parallelIterations = 1;
};

/// The shape of `op` if this pass takes it: a generic on tensors with static
/// shapes, projected-permutation maps, no `linalg.index`, one output, and
/// consecutive reduction loops that every input using them indexes as its
/// innermost dimensions, in order (so that the lanes of the split are
/// neighbours in memory).
std::optional<ReductionShape> reductionShape(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.hasIndexSemantics() ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0 ||
      !llvm::all_of(op.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isProjectedPermutation(); }))
    return std::nullopt;
  ReductionShape shape;
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  for (auto [loop, iterator] : llvm::enumerate(op.getIteratorTypesArray())) {
    if (ShapedType::isDynamic(extents[loop]))
      return std::nullopt;
    if (iterator == utils::IteratorType::parallel) {
      shape.parallelIterations *= extents[loop];
      continue;
    }
    if (!shape.reductionLoops.empty() &&
        shape.reductionLoops.back() + 1 != static_cast<int64_t>(loop))
      return std::nullopt;
    shape.reductionLoops.push_back(loop);
    shape.terms *= extents[loop];
  }
  MLIRContext *ctx = op.getContext();
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    ArrayRef<AffineExpr> results = map.getResults();
    bool usesReduction = llvm::any_of(shape.reductionLoops, [&](int64_t d) {
      return map.isFunctionOfDim(d);
    });
    if (!usesReduction)
      continue;
    size_t n = shape.reductionLoops.size();
    if (results.size() < n)
      return std::nullopt;
    for (size_t i = 0; i < n; ++i)
      if (results[results.size() - n + i] !=
          getAffineDimExpr(shape.reductionLoops[i], ctx))
        return std::nullopt;
  }
  return shape;
}

/// The number of lanes to split `shape`'s reduction into: the smallest
/// divisor of its terms that brings the parallel iterations to
/// `parallelism`, else the largest; each lane sums at least `minTerms`
/// terms. 1: leave it alone.
int64_t chooseLanes(const ReductionShape &shape, int64_t parallelism,
                    int64_t minTerms) {
  if (shape.parallelIterations >= parallelism)
    return 1;
  int64_t wanted = llvm::divideCeil(parallelism, shape.parallelIterations);
  int64_t lanes = 1;
  for (int64_t d = 2; d * minTerms <= shape.terms; ++d) {
    if (shape.terms % d != 0)
      continue;
    lanes = d;
    if (d >= wanted)
      break;
  }
  return lanes;
}

/// With a fixed number of lanes (vector units): the largest divisor of
/// `shape`'s terms up to `maxLanes` with at least `minTerms` terms per lane.
int64_t fixedLanes(const ReductionShape &shape, int64_t maxLanes,
                   int64_t minTerms) {
  for (int64_t d = maxLanes; d >= 2; --d)
    if (shape.terms % d == 0 && d * minTerms <= shape.terms)
      return d;
  return 1;
}

/// The loop order that puts the parallel loops of `op` first, in their order
/// but with `lanes` last among them, then its reduction loops.
SmallVector<unsigned> lanesInnermostParallel(linalg::GenericOp op,
                                             unsigned lanes) {
  SmallVector<unsigned> order, reductions;
  for (auto [loop, iterator] : llvm::enumerate(op.getIteratorTypesArray())) {
    if (loop == lanes)
      continue;
    (iterator == utils::IteratorType::parallel ? order : reductions)
        .push_back(loop);
  }
  order.push_back(lanes);
  llvm::append_range(order, reductions);
  return order;
}

struct ConvBNSplitReductionsPass
    : public convbn::impl::ConvBNSplitReductionsBase<
          ConvBNSplitReductionsPass> {
  using ConvBNSplitReductionsBase::ConvBNSplitReductionsBase;

  void runOnOperation() override {
    if (parallelism < 1 || minTerms < 1 || lanes < 0) {
      getOperation()->emitError()
          << "convbn-split-reductions: parallelism and min-terms must be at "
             "least 1 and lanes at least 0, but are "
          << static_cast<int64_t>(parallelism) << ", "
          << static_cast<int64_t>(minTerms) << " and "
          << static_cast<int64_t>(lanes);
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, ReductionShape>> candidates;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (std::optional<ReductionShape> shape = reductionShape(op))
        candidates.emplace_back(op, *shape);
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, shape] : candidates) {
      int64_t splitLanes = lanes > 0
                               ? fixedLanes(shape, lanes, minTerms)
                               : chooseLanes(shape, parallelism, minTerms);
      if (splitLanes <= 1)
        continue;
      rewriter.setInsertionPoint(op);
      if (shape.reductionLoops.size() > 1) {
        FailureOr<linalg::CollapseResult> collapsed =
            linalg::collapseOpIterationDims(
                cast<linalg::LinalgOp>(op.getOperation()),
                {shape.reductionLoops}, rewriter);
        if (failed(collapsed))
          continue;
        rewriter.replaceOp(op, collapsed->results);
        op = cast<linalg::GenericOp>(collapsed->collapsedOp.getOperation());
      }
      // The partial sums get the lanes as their innermost dimension.
      unsigned outputRank =
          op.getMatchingIndexingMap(op.getDpsInitOperand(0)).getNumResults();
      FailureOr<linalg::SplitReductionResult> split = linalg::splitReduction(
          rewriter, cast<linalg::LinalgOp>(op.getOperation()),
          [&](linalg::LinalgOp) {
            return linalg::SplitReductionOptions{splitLanes, outputRank,
                                                 /*innerParallel=*/true};
          });
      if (failed(split))
        continue;
      // The split puts the lanes right after the (merged) reduction loop.
      // Make them the innermost parallel loop, before the reduction: on the
      // GPU every parallel loop is threads, and neighbouring lanes become
      // neighbouring threads.
      auto partial = cast<linalg::GenericOp>(split->splitLinalgOp);
      unsigned lanesLoop = shape.reductionLoops.front() + 1;
      (void)linalg::interchangeGenericOp(
          rewriter, partial, lanesInnermostParallel(partial, lanesLoop));
    }
  }
};

} // namespace
