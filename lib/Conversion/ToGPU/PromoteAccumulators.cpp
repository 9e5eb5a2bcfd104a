//===- PromoteAccumulators.cpp - Reduction accumulators in registers ------===//
//
// `convert-linalg-to-parallel-loops` writes a reduction as an `scf.for` whose
// body loads the output element, adds a term and stores it back, every
// iteration. LLVM cannot keep that element in a register: it cannot tell
// that the inputs read in the loop do not alias the output (the buffers are
// plain pointers to it), so on the GPU every term costs a store to global
// memory, 8 bytes for an f64 accumulator against the 4 bytes read. When
// MLIR's alias analysis can tell, this pass carries the element through the
// loop as an iteration argument instead: one load before the loop, one store
// after it.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Analysis/AliasAnalysis.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNPROMOTEACCUMULATORS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {

/// A load and a store of one element that `loop` carries from iteration to
/// iteration.
struct Accumulator {
  memref::LoadOp load;
  memref::StoreOp store;
};

/// Whether `op`, or an op nested in it other than those in `ignored`, may
/// touch memory that may alias `buffer` (as `aliasAnalysis` tells), or, with
/// `anyWrite`, writes any memory at all. Ops with unknown effects may.
bool mayInterfere(Operation *op, Value buffer, AliasAnalysis &aliasAnalysis,
                  bool anyWrite, ArrayRef<Operation *> ignored = {}) {
  WalkResult result = op->walk([&](Operation *nested) {
    if (llvm::is_contained(ignored, nested) ||
        nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return WalkResult::advance(); // Its nested ops are visited.
    auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!effects)
      return WalkResult::interrupt();
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &effect : instances)
      if ((anyWrite && !isa<MemoryEffects::Read>(effect.getEffect())) ||
          !effect.getValue() ||
          !aliasAnalysis.alias(effect.getValue(), buffer).isNo())
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return result.wasInterrupted();
}

/// Whether every effect of the ops in `loop`'s body other than `acc`'s load
/// and store is a read of memory that `aliasAnalysis` proves apart from the
/// accumulator's buffer.
bool onlyDisjointReads(scf::ForOp loop, Accumulator acc,
                       AliasAnalysis &aliasAnalysis) {
  Value buffer = acc.store.getMemRef();
  return llvm::none_of(loop.getBody()->getOperations(), [&](Operation &op) {
    return mayInterfere(&op, buffer, aliasAnalysis, /*anyWrite=*/true,
                        {acc.load, acc.store});
  });
}

/// The accumulator of `loop`: a store in its body (not nested) to an element
/// whose buffer and indices are defined outside the loop, and the one load
/// of that element before it in the body; nothing else in the loop writes
/// memory or reads memory that may alias the buffer.
std::optional<Accumulator> findAccumulator(scf::ForOp loop,
                                           AliasAnalysis &aliasAnalysis) {
  auto invariant = [&](Value v) { return loop.isDefinedOutsideOfLoop(v); };
  for (auto store : loop.getBody()->getOps<memref::StoreOp>()) {
    if (!invariant(store.getMemRef()) ||
        !llvm::all_of(store.getIndices(), invariant))
      continue;
    memref::LoadOp load;
    for (auto candidate : loop.getBody()->getOps<memref::LoadOp>()) {
      if (candidate.getMemRef() != store.getMemRef() ||
          candidate.getIndices() != store.getIndices() ||
          !candidate->isBeforeInBlock(store))
        continue;
      if (load)
        return std::nullopt; // Two loads of the element.
      load = candidate;
    }
    if (!load)
      continue;
    Accumulator acc{load, store};
    if (onlyDisjointReads(loop, acc, aliasAnalysis))
      return acc;
    return std::nullopt;
  }
  return std::nullopt;
}

/// Carries `acc` through `loop` as an iteration argument: loaded before the
/// loop, stored after it. Returns the loop that replaces `loop`, and that
/// load and store.
std::pair<scf::ForOp, Accumulator> promote(RewriterBase &rewriter,
                                           scf::ForOp loop, Accumulator acc) {
  rewriter.setInsertionPoint(loop);
  auto initial = cast<memref::LoadOp>(rewriter.clone(*acc.load));
  Value stored = acc.store.getValueToStore();
  auto newLoop = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
      rewriter, initial->getResult(0),
      /*replaceInitOperandUsesInLoop=*/false,
      [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
        return SmallVector<Value>{stored};
      }));
  rewriter.replaceOp(acc.load, newLoop.getRegionIterArgs().back());
  rewriter.setInsertionPointAfter(newLoop);
  auto final = memref::StoreOp::create(
      rewriter, acc.store.getLoc(), newLoop.getResults().back(),
      acc.store.getMemRef(), acc.store.getIndices());
  rewriter.eraseOp(acc.store);
  return {newLoop, Accumulator{initial, final}};
}

/// The constant `nest` stores into every element of `buffer` if it is a
/// zero-based, unit-step `scf.parallel` whose only op is that store, at its
/// induction variables, over `buffer`'s whole static shape: a fill.
Value fillConstant(scf::ParallelOp nest, Value buffer) {
  Block *body = nest.getBody();
  if (body->getOperations().size() != 2)
    return {};
  auto store = dyn_cast<memref::StoreOp>(body->front());
  if (!store || store.getMemRef() != buffer ||
      !nest.isDefinedOutsideOfLoop(store.getValueToStore()) ||
      !llvm::equal(store.getIndices(), nest.getInductionVars()))
    return {};
  auto type = cast<MemRefType>(buffer.getType());
  if (!type.hasStaticShape() || !type.getLayout().isIdentity())
    return {};
  for (auto [lb, ub, step, size] :
       llvm::zip_equal(nest.getLowerBound(), nest.getUpperBound(),
                       nest.getStep(), type.getShape())) {
    std::optional<int64_t> l = getConstantIntValue(lb);
    std::optional<int64_t> u = getConstantIntValue(ub);
    std::optional<int64_t> st = getConstantIntValue(step);
    if (l != 0 || st != 1 || u != size)
      return {};
  }
  return store.getValueToStore();
}

/// Whether `nest`'s induction variables run over every element of `buffer`
/// (static, identity layout) exactly once as the indices `indices`: each
/// index is a distinct induction variable of the nest, from 0 in unit steps
/// to the buffer's size in that dimension.
bool coversBuffer(scf::ParallelOp nest, Value buffer, ValueRange indices) {
  auto type = cast<MemRefType>(buffer.getType());
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      indices.size() != nest.getNumLoops())
    return false;
  llvm::SmallDenseSet<unsigned> seen;
  for (auto [dim, index] : llvm::enumerate(indices)) {
    auto iv = dyn_cast<BlockArgument>(index);
    if (!iv || iv.getOwner() != nest.getBody() ||
        !seen.insert(iv.getArgNumber()).second)
      return false;
    unsigned loop = iv.getArgNumber();
    if (getConstantIntValue(nest.getLowerBound()[loop]) != 0 ||
        getConstantIntValue(nest.getStep()[loop]) != 1 ||
        getConstantIntValue(nest.getUpperBound()[loop]) != type.getShape()[dim])
      return false;
  }
  return true;
}

/// When `acc`'s load is at the top of a loop nest that stores every element
/// of the buffer once, and the nest just before it (nothing touching the
/// buffer in between) fills the buffer with a constant, the accumulator
/// starts from the constant instead and the fill (a kernel of its own on
/// the GPU) goes away.
void foldFill(RewriterBase &rewriter, Accumulator acc,
              AliasAnalysis &aliasAnalysis) {
  auto nest = dyn_cast<scf::ParallelOp>(acc.load->getParentOp());
  Value buffer = acc.load.getMemRef();
  if (!nest || acc.store->getParentOp() != nest ||
      !coversBuffer(nest, buffer, acc.load.getIndices()))
    return;
  for (Operation *op = nest->getPrevNode(); op; op = op->getPrevNode()) {
    auto fill = dyn_cast<scf::ParallelOp>(op);
    if (Value constant = fill ? fillConstant(fill, buffer) : Value()) {
      if (constant.getType() != acc.load.getType())
        return;
      rewriter.replaceOp(acc.load, constant);
      rewriter.eraseOp(fill);
      return;
    }
    if (mayInterfere(op, buffer, aliasAnalysis, /*anyWrite=*/false))
      return;
  }
}

struct ConvBNPromoteAccumulatorsPass
    : public convbn::impl::ConvBNPromoteAccumulatorsBase<
          ConvBNPromoteAccumulatorsPass> {
  void runOnOperation() override {
    AliasAnalysis &aliasAnalysis = getAnalysis<AliasAnalysis>();
    IRRewriter rewriter(&getContext());
    // Innermost loops first: a promoted inner loop leaves the load and the
    // store in its parent's body, where they may be promoted again.
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) {
      if (!loop->getParentOfType<gpu::LaunchOp>() &&
          !loop->getParentOfType<gpu::GPUModuleOp>())
        loops.push_back(loop);
    });
    for (scf::ForOp loop : loops) {
      while (std::optional<Accumulator> acc =
                 findAccumulator(loop, aliasAnalysis)) {
        auto [newLoop, outer] = promote(rewriter, loop, *acc);
        loop = newLoop;
        foldFill(rewriter, outer, aliasAnalysis);
      }
    }
  }
};

} // namespace
