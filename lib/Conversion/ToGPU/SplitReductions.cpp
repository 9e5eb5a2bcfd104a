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
// Upstream's split takes a generic with one output and one reduction loop.
// Batch norm's backward sums two things per channel in one pass over the
// output gradient (its sum and its dot with the centred or normalized
// output); such a generic with several outputs is split here the same way,
// each output with its own partials and its own sum of the lanes, the inputs
// still read once. So is a reduction whose inputs keep only its innermost
// reduction loops innermost (Tune's gamma gradient read from the filter
// gradient's GEMM blocks, [c / 32, f, 32]): those are split, the others
// stay reductions of the partials.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNSPLITREDUCTIONS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {

/// What splitting one reduction takes: the reduction loops it splits
/// (consecutive, the innermost of its reduction loops) and their total
/// extent, the extent of all its reduction loops, and its number of
/// parallel iterations.
struct ReductionShape {
  ReassociationIndices reductionLoops;
  int64_t terms = 1;
  int64_t allTerms = 1;
  int64_t parallelIterations = 1;
};

/// Whether every input of `op` that uses one of `loops` indexes them as its
/// innermost dimensions, in order.
bool innermostInInputs(linalg::GenericOp op, ArrayRef<int64_t> loops) {
  MLIRContext *ctx = op.getContext();
  return llvm::all_of(op.getDpsInputOperands(), [&](OpOperand *input) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (llvm::none_of(loops, [&](int64_t d) { return map.isFunctionOfDim(d); }))
      return true;
    ArrayRef<AffineExpr> results = map.getResults();
    if (results.size() < loops.size())
      return false;
    return llvm::all_of(llvm::enumerate(loops), [&](auto indexed) {
      return results[results.size() - loops.size() + indexed.index()] ==
             getAffineDimExpr(indexed.value(), ctx);
    });
  });
}

/// The shape of `op` if this pass takes it: a generic on tensors with static
/// shapes, projected-permutation maps, no `linalg.index`, and consecutive
/// reduction loops. It splits the longest run of the innermost of them that
/// every input using them indexes as its innermost dimensions, in order (so
/// that the lanes of the split are neighbours in memory): all of them when
/// the inputs allow, else (Tune's gamma gradient fused with the filter
/// gradient, read in the GEMM's blocked layout) the ones they do.
std::optional<ReductionShape> reductionShape(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.hasIndexSemantics() ||
      op.getNumDpsInits() == 0 || op.getNumReductionLoops() == 0 ||
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
    shape.allTerms *= extents[loop];
  }
  for (size_t first = 0, e = shape.reductionLoops.size(); first < e; ++first) {
    ArrayRef<int64_t> loops = ArrayRef(shape.reductionLoops).drop_front(first);
    if (!innermostInInputs(op, loops))
      continue;
    for (int64_t loop : loops)
      shape.terms *= extents[loop];
    shape.reductionLoops = ReassociationIndices(loops);
    return shape;
  }
  return std::nullopt;
}

/// How one output of a generic is reduced: the op that combines the output's
/// block argument with a term (`arith.addf` for a sum) and its neutral
/// element.
struct Combiner {
  Operation *op;
  TypedAttr neutral;
};

/// The combiner of each output of `op`, or nothing where an output has no
/// single combiner with a neutral element.
std::optional<SmallVector<Combiner>> combinersOf(linalg::GenericOp op) {
  SmallVector<Combiner> combiners;
  for (auto [i, accumulator] : llvm::enumerate(op.getRegionOutputArgs())) {
    SmallVector<Operation *> ops;
    if (!matchReduction(op.getRegionOutputArgs(), i, ops) || ops.size() != 1 ||
        ops.front()->getNumOperands() != 2 ||
        llvm::count(ops.front()->getOperands(), accumulator) != 1)
      return std::nullopt;
    std::optional<TypedAttr> neutral = arith::getNeutralElement(ops.front());
    if (!neutral)
      return std::nullopt;
    combiners.push_back({ops.front(), *neutral});
  }
  return combiners;
}

/// Upstream's `linalg::splitReduction` in its inner-parallel form, for a
/// generic with several outputs or several reduction loops, which upstream
/// does not take. `op` splits one reduction loop, `reduction`, whose terms
/// every input using it indexes innermost (its other reduction loops stay
/// reductions of the partials). That loop becomes (terms / `lanes`) x `lanes`,
/// a reduction and a parallel loop right after it; the inputs using it are
/// viewed with their innermost dimension split the same way, and every output
/// gains an innermost dimension of lanes, initialized to its combiner's neutral
/// element. One generic per output then combines its lanes into the
/// output's initial value. Returns the partial generic, with `op` replaced.
FailureOr<linalg::GenericOp> splitReductionLoop(RewriterBase &rewriter,
                                                linalg::GenericOp op,
                                                unsigned reduction,
                                                int64_t lanes) {
  std::optional<SmallVector<Combiner>> combiners = combinersOf(op);
  if (!combiners)
    return failure();
  for (OpOperand &init : op.getDpsInitsMutable())
    if (op.getMatchingIndexingMap(&init).isFunctionOfDim(reduction))
      return failure();
  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  unsigned numLoops = op.getNumLoops();
  unsigned laneLoop = reduction + 1;
  // The loops after the split: the reduction keeps its place, the lanes come
  // right after it.
  auto newDim = [&](AffineExpr expr) {
    unsigned d = cast<AffineDimExpr>(expr).getPosition();
    return getAffineDimExpr(d <= reduction ? d : d + 1, ctx);
  };
  auto remap = [&](AffineMap map, bool appendLanes) {
    SmallVector<AffineExpr> results;
    for (AffineExpr expr : map.getResults())
      results.push_back(newDim(expr));
    if (appendLanes)
      results.push_back(getAffineDimExpr(laneLoop, ctx));
    return AffineMap::get(numLoops + 1, 0, results, ctx);
  };

  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!map.isFunctionOfDim(reduction)) {
      inputs.push_back(input->get());
      maps.push_back(remap(map, /*appendLanes=*/false));
      continue;
    }
    // Its innermost dimension (the terms, by reductionShape) as terms /
    // lanes x lanes: lane t reads the terms t, t + lanes, ...
    auto type = cast<RankedTensorType>(input->get().getType());
    SmallVector<int64_t> shape(type.getShape());
    int64_t terms = shape.back();
    shape.back() = terms / lanes;
    shape.push_back(lanes);
    SmallVector<ReassociationIndices> groups;
    for (int64_t i = 0, e = type.getRank() - 1; i < e; ++i)
      groups.push_back({i});
    groups.push_back({type.getRank() - 1, type.getRank()});
    inputs.push_back(tensor::ExpandShapeOp::create(
        rewriter, loc, type.clone(shape), input->get(), groups));
    maps.push_back(remap(map, /*appendLanes=*/true));
  }

  SmallVector<Value> partialInits;
  for (auto [init, combiner] : llvm::zip(op.getDpsInitsMutable(), *combiners)) {
    auto type = cast<RankedTensorType>(init.get().getType());
    SmallVector<int64_t> shape(type.getShape());
    shape.push_back(lanes);
    Value empty =
        tensor::EmptyOp::create(rewriter, loc, shape, type.getElementType());
    Value neutral = arith::ConstantOp::create(rewriter, loc, combiner.neutral);
    partialInits.push_back(
        linalg::FillOp::create(rewriter, loc, neutral, empty).getResult(0));
    maps.push_back(remap(op.getMatchingIndexingMap(&init),
                         /*appendLanes=*/true));
  }

  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  iterators.insert(iterators.begin() + laneLoop, utils::IteratorType::parallel);
  auto partial = linalg::GenericOp::create(
      rewriter, loc, ValueRange(partialInits).getTypes(), inputs, partialInits,
      maps, iterators);
  rewriter.cloneRegionBefore(op.getRegion(), partial.getRegion(),
                             partial.getRegion().begin());

  // Each output: its lanes combined into its initial value.
  SmallVector<Value> results;
  for (auto [i, init, combiner] :
       llvm::enumerate(op.getDpsInits(), *combiners)) {
    auto type = cast<RankedTensorType>(init.getType());
    unsigned rank = type.getRank();
    SmallVector<AffineMap> sumMaps = {
        AffineMap::getMultiDimIdentityMap(rank + 1, ctx),
        AffineMap::getMultiDimIdentityMap(rank + 1, ctx).getMajorSubMap(rank)};
    SmallVector<utils::IteratorType> sumIterators(
        rank, utils::IteratorType::parallel);
    sumIterators.push_back(utils::IteratorType::reduction);
    BlockArgument accumulator = op.getRegionOutputArgs()[i];
    Operation *combine = combiner.op;
    auto sum = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{partial.getResult(i)},
        ValueRange{init}, sumMaps, sumIterators,
        [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          IRMapping mapping;
          for (Value operand : combine->getOperands())
            mapping.map(operand, operand == accumulator ? args[1] : args[0]);
          Operation *combined = b.clone(*combine, mapping);
          linalg::YieldOp::create(b, bodyLoc, combined->getResult(0));
        });
    results.push_back(sum.getResult(0));
  }
  rewriter.replaceOp(op, results);
  return partial;
}

/// The number of lanes to split `shape`'s reduction into: the smallest
/// divisor of the terms it splits that brings the parallel iterations to
/// `parallelism`, else the largest; each lane sums at least `minTerms`
/// terms. 1: leave it alone.
int64_t chooseLanes(const ReductionShape &shape, int64_t parallelism,
                    int64_t minTerms) {
  if (shape.parallelIterations >= parallelism)
    return 1;
  int64_t wanted = llvm::divideCeil(parallelism, shape.parallelIterations);
  int64_t lanes = 1;
  for (int64_t d = 2; d <= shape.terms && d * minTerms <= shape.allTerms; ++d) {
    if (shape.terms % d != 0)
      continue;
    lanes = d;
    if (d >= wanted)
      break;
  }
  return lanes;
}

/// With a fixed number of lanes (vector units): the largest divisor of the
/// terms `shape` splits, up to `maxLanes`, with at least `minTerms` terms per
/// lane.
int64_t fixedLanes(const ReductionShape &shape, int64_t maxLanes,
                   int64_t minTerms) {
  for (int64_t d = maxLanes; d >= 2; --d)
    if (shape.terms % d == 0 && d * minTerms <= shape.allTerms)
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
      if (op.getNumDpsInits() > 1 && !combinersOf(op))
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
      unsigned reduction = shape.reductionLoops.front();
      linalg::GenericOp partial;
      if (op.getNumDpsInits() == 1 && op.getNumReductionLoops() == 1) {
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
        partial = cast<linalg::GenericOp>(split->splitLinalgOp);
      } else {
        FailureOr<linalg::GenericOp> split =
            splitReductionLoop(rewriter, op, reduction, splitLanes);
        if (failed(split))
          continue;
        partial = *split;
      }
      // The split puts the lanes right after the (merged) reduction loop.
      // Make them the innermost parallel loop, before the reduction: on the
      // GPU every parallel loop is threads, and neighbouring lanes become
      // neighbouring threads.
      unsigned lanesLoop = reduction + 1;
      (void)linalg::interchangeGenericOp(
          rewriter, partial, lanesInnermostParallel(partial, lanesLoop));
    }
  }
};

} // namespace
