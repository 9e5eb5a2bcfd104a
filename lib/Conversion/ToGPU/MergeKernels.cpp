//===- MergeKernels.cpp - Independent loop nests as one launch ------------===//
//
// After convbn-map-loops-to-gpu every linalg op is a nest
//
//   scf.parallel (%b) = (0) to (N) step (B) {        // blocks
//     scf.parallel (%t) = (0) to (B) step (1) {...}   // threads
//   }
//
// and becomes one kernel launch. The batch-norm arithmetic leaves many of
// them tiny (one block of per-channel work) and independent of each other:
// the scale and the folded bias, the per-phase filter transposes of a
// strided backward-data, the last steps of the dgamma and dbeta reductions.
// This pass moves each nest up to the earliest earlier nest it may run
// beside and concatenates their grids: blocks [0, ceil(N1/B)) run the first
// body, the others the second. Kernels launch in order on one stream, so one
// launch instead of two saves a launch and the gap between them.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNMERGEKERNELS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {
/// A block-mapped nest with static bounds: `blocks` blocks of `blockSize`
/// threads.
struct KernelNest {
  scf::ParallelOp outer, inner;
  int64_t blocks = 0, blockSize = 0;
};

bool isMappedTo(scf::ParallelOp loop, gpu::Processor processor) {
  auto mapping = loop->getAttrOfType<ArrayAttr>(gpu::getMappingAttrName());
  if (!mapping || mapping.size() != 1)
    return false;
  auto dim = dyn_cast<gpu::ParallelLoopDimMappingAttr>(mapping[0]);
  return dim && dim.getProcessor() == processor;
}

/// The constant `value` folds to (the tiling leaves bounds as products of
/// constants).
std::optional<int64_t> foldToConstant(Value value, unsigned depth = 0) {
  if (std::optional<int64_t> constant = getConstantIntValue(value))
    return constant;
  Operation *producer = value.getDefiningOp();
  if (!producer || depth > 8 || producer->getNumResults() != 1 ||
      !isPure(producer))
    return std::nullopt;
  SmallVector<Attribute> operands;
  for (Value operand : producer->getOperands()) {
    std::optional<int64_t> constant = foldToConstant(operand, depth + 1);
    if (!constant || !operand.getType().isIntOrIndex())
      return std::nullopt;
    operands.push_back(IntegerAttr::get(operand.getType(), *constant));
  }
  SmallVector<OpFoldResult> folded;
  if (failed(producer->fold(operands, folded)) || folded.size() != 1)
    return std::nullopt;
  if (auto result = dyn_cast<Value>(folded[0]))
    return foldToConstant(result, depth + 1);
  return getConstantIntValue(folded[0]);
}

/// One dimension from 0 to a constant with a constant step, no results.
std::optional<std::pair<int64_t, int64_t>> staticRange(scf::ParallelOp loop) {
  if (loop.getNumLoops() != 1 || loop.getNumResults() != 0)
    return std::nullopt;
  std::optional<int64_t> lb = foldToConstant(loop.getLowerBound()[0]);
  std::optional<int64_t> ub = foldToConstant(loop.getUpperBound()[0]);
  std::optional<int64_t> step = foldToConstant(loop.getStep()[0]);
  if (!lb || !ub || !step || *lb != 0 || *step < 1 || *ub < 1)
    return std::nullopt;
  return std::make_pair(*ub, *step);
}

/// The nest that `op` is, if it has the form convbn-map-loops-to-gpu makes
/// (the block loop may also hold side-effect-free ops before the thread
/// loop).
std::optional<KernelNest> matchNest(Operation *op) {
  auto outer = dyn_cast<scf::ParallelOp>(op);
  if (!outer || !isMappedTo(outer, gpu::Processor::BlockX))
    return std::nullopt;
  auto outerRange = staticRange(outer);
  if (!outerRange)
    return std::nullopt;
  Block *body = outer.getBody();
  auto inner = dyn_cast<scf::ParallelOp>(body->getTerminator()->getPrevNode());
  if (!inner || !isMappedTo(inner, gpu::Processor::ThreadX))
    return std::nullopt;
  for (Operation &other : body->without_terminator())
    if (&other != inner.getOperation() && !isMemoryEffectFree(&other))
      return std::nullopt;
  auto innerRange = staticRange(inner);
  if (!innerRange || innerRange->first != outerRange->second ||
      innerRange->second != 1)
    return std::nullopt;
  int64_t blockSize = outerRange->second;
  int64_t blocks = llvm::divideCeil(outerRange->first, blockSize);
  return KernelNest{outer, inner, blocks, blockSize};
}

/// The buffer a memref value views: through view-like ops to an allocation
/// or a block argument.
Value rootBuffer(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>()) {
    if (view.getViewSource() == value)
      break;
    value = view.getViewSource();
  }
  return value;
}

/// Whether `root` is a buffer distinct from every other such root: an
/// allocation or an argument of a function (a global, a call's result or a
/// loop's iteration argument may alias another buffer).
bool isDistinctBuffer(Value root) {
  if (auto argument = dyn_cast<BlockArgument>(root))
    return argument.getOwner()->isEntryBlock() &&
           isa<FunctionOpInterface>(argument.getOwner()->getParentOp());
  return isa_and_nonnull<memref::AllocOp, memref::AllocaOp>(
      root.getDefiningOp());
}

/// The buffers `op` reads and writes, defined outside it; nullopt if some
/// memory effect of it cannot be attributed to a buffer.
struct Accesses {
  llvm::SmallDenseSet<Value> reads, writes;
};
std::optional<Accesses> accessesOf(Operation *op) {
  Accesses accesses;
  bool known = true;
  op->walk([&](Operation *nested) {
    // Barriers, and the grouping of and waiting for a thread's
    // asynchronous copies (whose reads and writes the copies declare),
    // touch no buffer of their own.
    if (isa<gpu::BarrierOp, nvgpu::DeviceAsyncCreateGroupOp,
            nvgpu::DeviceAsyncWaitOp>(nested) ||
        nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return WalkResult::advance();
    auto effecting = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!effecting) {
      known = false;
      return WalkResult::interrupt();
    }
    SmallVector<MemoryEffects::EffectInstance> effects;
    effecting.getEffects(effects);
    for (const MemoryEffects::EffectInstance &effect : effects) {
      if (isa<MemoryEffects::Allocate>(effect.getEffect()))
        continue;
      // An effect declared without its operand (nvgpu.ldmatrix's read) is
      // taken to be on each memref operand; without any, it is unknown.
      SmallVector<Value> values;
      if (Value value = effect.getValue())
        values.push_back(value);
      else
        llvm::append_range(
            values,
            llvm::make_filter_range(nested->getOperands(), [](Value operand) {
              return isa<BaseMemRefType>(operand.getType());
            }));
      if (values.empty()) {
        known = false;
        return WalkResult::interrupt();
      }
      for (Value value : values) {
        Value root = rootBuffer(value);
        // Buffers of the nest itself (workgroup memory, allocas).
        if (op->isAncestor(root.getParentBlock()->getParentOp()))
          continue;
        if (!isDistinctBuffer(root)) {
          known = false;
          return WalkResult::interrupt();
        }
        if (isa<MemoryEffects::Read>(effect.getEffect()))
          accesses.reads.insert(root);
        else
          accesses.writes.insert(root);
      }
    }
    return WalkResult::advance();
  });
  if (!known)
    return std::nullopt;
  return accesses;
}

/// Whether two ops may touch the same buffer with at least one write.
/// Distinct allocations and distinct function arguments are distinct
/// buffers.
bool conflict(const Accesses &a, const Accesses &b) {
  for (Value written : a.writes)
    if (b.reads.contains(written) || b.writes.contains(written))
      return true;
  for (Value written : b.writes)
    if (a.reads.contains(written))
      return true;
  return false;
}

/// Ops that may move above others when a nest that uses their results
/// moves up: side-effect-free ops without regions and allocations.
bool canHoist(Operation *op) {
  if (op->getNumRegions() != 0)
    return false;
  return isMemoryEffectFree(op) || isa<memref::AllocOp>(op);
}

/// Whether `op` or an op in it frees memory.
bool frees(Operation *op) {
  WalkResult result = op->walk([](MemoryEffectOpInterface effecting) {
    return effecting.hasEffect<MemoryEffects::Free>() ? WalkResult::interrupt()
                                                      : WalkResult::advance();
  });
  return result.wasInterrupted();
}

/// Clones the body of `nest` (the block loop's ops before the thread loop,
/// then the thread loop's), with `block` and `thread` for its induction
/// variables, at the builder's insertion point.
void cloneBody(OpBuilder &builder, KernelNest nest, Value block, Value thread) {
  IRMapping mapping;
  mapping.map(nest.outer.getInductionVars()[0], block);
  mapping.map(nest.inner.getInductionVars()[0], thread);
  for (Operation &op : nest.outer.getBody()->without_terminator())
    if (&op != nest.inner.getOperation())
      builder.clone(op, mapping);
  for (Operation &op : nest.inner.getBody()->without_terminator())
    builder.clone(op, mapping);
}

/// One nest whose grid is `first`'s blocks followed by `second`'s, at
/// `first`'s place; both are erased.
KernelNest concatenate(KernelNest first, KernelNest second) {
  OpBuilder builder(first.outer);
  Location loc =
      builder.getFusedLoc({first.outer.getLoc(), second.outer.getLoc()});
  int64_t blockSize = first.blockSize;
  int64_t firstEnd = first.blocks * blockSize;
  auto constant = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(builder, loc, value);
  };
  Value zero = constant(0), one = constant(1), size = constant(blockSize);
  Value end = constant((first.blocks + second.blocks) * blockSize);
  Value split = constant(firstEnd);
  auto outer = scf::ParallelOp::create(builder, loc, zero, end, size);
  builder.setInsertionPointToStart(outer.getBody());
  auto inner = scf::ParallelOp::create(builder, loc, zero, size, one);
  outer->setAttr(gpu::getMappingAttrName(),
                 first.outer->getAttr(gpu::getMappingAttrName()));
  inner->setAttr(gpu::getMappingAttrName(),
                 first.inner->getAttr(gpu::getMappingAttrName()));
  builder.setInsertionPointToStart(inner.getBody());
  Value block = outer.getInductionVars()[0];
  Value thread = inner.getInductionVars()[0];
  Value inFirst = arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::ult,
                                        block, split);
  auto choice = scf::IfOp::create(builder, loc, inFirst, /*withElse=*/true);
  builder.setInsertionPointToStart(choice.thenBlock());
  cloneBody(builder, first, block, thread);
  builder.setInsertionPointToStart(choice.elseBlock());
  Value secondBlock = arith::SubIOp::create(builder, loc, block, split);
  cloneBody(builder, second, secondBlock, thread);
  first.outer.erase();
  second.outer.erase();
  return KernelNest{outer, inner, first.blocks + second.blocks, blockSize};
}

struct ConvBNMergeKernelsPass
    : public convbn::impl::ConvBNMergeKernelsBase<ConvBNMergeKernelsPass> {
  void runOnOperation() override {
    getOperation()->walk([&](Block *block) {
      if (block->getParentOp()->getParentOfType<gpu::LaunchOp>() ||
          isa<gpu::LaunchOp, scf::ParallelOp>(block->getParentOp()))
        return;
      mergeIn(*block);
    });
  }

  /// Moves each nest of `block` up to the earliest earlier nest with the
  /// same block size that nothing in between keeps it from running beside.
  void mergeIn(Block &block) {
    DenseMap<Operation *, std::optional<Accesses>> accessCache;
    auto accessesFor = [&](Operation *op) -> std::optional<Accesses> {
      auto it = accessCache.find(op);
      if (it == accessCache.end())
        it = accessCache.try_emplace(op, accessesOf(op)).first;
      return it->second;
    };
    for (Operation &op : llvm::make_early_inc_range(block)) {
      std::optional<KernelNest> nest = matchNest(&op);
      if (!nest)
        continue;
      std::optional<Accesses> accesses = accessesFor(&op);
      if (!accesses)
        continue;
      // Values the nest (and what must move with it) uses.
      llvm::SetVector<Value> needed;
      getUsedValuesDefinedAbove(nest->outer->getRegions(), needed);
      needed.insert(nest->outer->operand_begin(), nest->outer->operand_end());
      SmallVector<Operation *> toHoist, targetHoist;
      Operation *target = nullptr;
      bool hoistsAlloc = false;
      for (Operation *prior = op.getPrevNode(); prior;
           prior = prior->getPrevNode()) {
        if (llvm::any_of(prior->getResults(),
                         [&](Value v) { return needed.contains(v); })) {
          if (!canHoist(prior))
            break;
          toHoist.push_back(prior);
          hoistsAlloc |= isa<memref::AllocOp>(prior);
          needed.insert(prior->operand_begin(), prior->operand_end());
          continue;
        }
        std::optional<Accesses> priorAccesses = accessesFor(prior);
        if (!priorAccesses || conflict(*accesses, *priorAccesses))
          break;
        // An allocation does not move above a deallocation: the peak
        // footprint stays what it was.
        if (hoistsAlloc && frees(prior))
          break;
        std::optional<KernelNest> candidate = matchNest(prior);
        if (candidate && candidate->blockSize == nest->blockSize) {
          target = prior;
          targetHoist = toHoist;
        }
      }
      if (!target)
        continue;
      // `targetHoist` lists the ops to move last-first.
      for (Operation *moved : llvm::reverse(targetHoist))
        moved->moveBefore(target);
      KernelNest merged = concatenate(*matchNest(target), *nest);
      Accesses union_ = *accessesFor(target);
      union_.reads.insert(accesses->reads.begin(), accesses->reads.end());
      union_.writes.insert(accesses->writes.begin(), accesses->writes.end());
      accessCache.erase(target);
      accessCache.erase(&op);
      accessCache.try_emplace(merged.outer, union_);
    }
  }
};
} // namespace
