//===- CollapseContiguousLoops.cpp - Fewer, longer loops for LLVM ---------===//
//
// The linalg lowering writes weight- and activation-sized elementwise ops and
// reductions over their natural dimensions (filters x channels x 3 x 3,
// images x channels x rows x columns). Lowered to loops, the innermost loop
// is then as short as the kernel width, and LLVM vectorizes across it with
// gathers and scatters. Merging every run of consecutive loops that all
// operands index contiguously (upstream's `collapseOpIterationDims`) leaves
// long unit-stride inner loops instead; a reduction whose terms lie along
// the outer dimension of memory (a sum over batch chunks) gets its
// contiguous parallel loop moved innermost (`interchangeGenericOp`).
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNCOLLAPSECONTIGUOUSLOOPS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {

/// The maximal runs of consecutive loops of `op` with one iterator type
/// that every indexing map keeps contiguous; only runs of two or more.
SmallVector<ReassociationIndices> collapsibleRuns(linalg::GenericOp op) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<ReassociationIndices> runs;
  ReassociationIndices run{0};
  auto close = [&] {
    if (run.size() > 1)
      runs.push_back(run);
  };
  for (int64_t d = 1, e = op.getNumLoops(); d < e; ++d) {
    ReassociationIndices longer(run);
    longer.push_back(d);
    if (iterators[d] == iterators[run.front()] &&
        linalg::areDimSequencesPreserved(maps, {longer})) {
      run = longer;
      continue;
    }
    close();
    run = {d};
  }
  close();
  return runs;
}

/// If `op`'s innermost loop is a reduction and one parallel loop is the
/// innermost dimension of every operand, the order that makes that loop
/// innermost (the others keep theirs): each output element still sums its
/// terms in the same order, now with a unit-stride parallel inner loop.
std::optional<SmallVector<unsigned>> parallelInnermost(linalg::GenericOp op) {
  unsigned numLoops = op.getNumLoops();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators.back() != utils::IteratorType::reduction)
    return std::nullopt;
  for (unsigned p = 0; p < numLoops; ++p) {
    if (iterators[p] != utils::IteratorType::parallel)
      continue;
    bool innermostEverywhere =
        llvm::all_of(op.getIndexingMapsArray(), [&](AffineMap m) {
          return m.getNumResults() > 0 &&
                 m.getResults().back() == getAffineDimExpr(p, op.getContext());
        });
    if (!innermostEverywhere)
      continue;
    SmallVector<unsigned> order;
    for (unsigned d = 0; d < numLoops; ++d)
      if (d != p)
        order.push_back(d);
    order.push_back(p);
    return order;
  }
  return std::nullopt;
}

/// Whether `op` is a generic this pass takes: on tensors, static shapes,
/// projected-permutation maps, no `linalg.index`.
bool isCandidate(linalg::GenericOp op) {
  return op.hasPureTensorSemantics() && !op.hasIndexSemantics() &&
         op.getNumLoops() > 1 &&
         llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isProjectedPermutation(); }) &&
         llvm::all_of(op->getOperandTypes(), [](Type t) {
           auto shaped = dyn_cast<ShapedType>(t);
           return !shaped || shaped.hasStaticShape();
         });
}

struct ConvBNCollapseContiguousLoopsPass
    : public convbn::impl::ConvBNCollapseContiguousLoopsBase<
          ConvBNCollapseContiguousLoopsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isCandidate(op))
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : candidates) {
      SmallVector<ReassociationIndices> runs = collapsibleRuns(op);
      if (!runs.empty()) {
        rewriter.setInsertionPoint(op);
        FailureOr<linalg::CollapseResult> collapsed =
            linalg::collapseOpIterationDims(
                cast<linalg::LinalgOp>(op.getOperation()), runs, rewriter);
        if (failed(collapsed))
          continue;
        rewriter.replaceOp(op, collapsed->results);
        op = cast<linalg::GenericOp>(collapsed->collapsedOp.getOperation());
      }
      if (std::optional<SmallVector<unsigned>> order = parallelInnermost(op))
        (void)linalg::interchangeGenericOp(rewriter, op, *order);
    }
  }
};

} // namespace
