//===- TensorCoreOperands.cpp - What the gathers read ---------------------===//

#include "TensorCoreOperands.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace mlir::convbn::tensor_cores;

namespace {

/// Whether a constant zero is what `op` writes to every element of its one
/// output: `linalg.fill` with zero, or an input-less linalg op (the
/// `linalg.map` of a bufferized `tensor.pad`) that yields zero.
bool writesZero(Operation *op) {
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return matchPattern(fill.value(), m_AnyZeroFloat());
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || linalgOp.getNumDpsInputs() != 0 ||
      linalgOp.getNumDpsInits() != 1 ||
      linalgOp.getNumLoops() != linalgOp.getNumParallelLoops() ||
      !linalgOp.getMatchingIndexingMap(linalgOp.getDpsInitOperand(0))
           .isIdentity())
    return false;
  auto yield = cast<linalg::YieldOp>(linalgOp.getBlock()->getTerminator());
  return yield.getValues().size() == 1 &&
         matchPattern(yield.getValues()[0], m_AnyZeroFloat());
}

} // namespace

bool convbn::tensor_cores::writesBuffer(Operation *op, Value buffer) {
  auto dps = dyn_cast<DestinationStyleOpInterface>(op);
  Value root = rootBuffer(buffer);
  return dps && llvm::any_of(dps.getDpsInits(), [&](Value init) {
           return rootBuffer(init) == root;
         });
}

bool convbn::tensor_cores::mayChangeBefore(Operation *from, Operation *to,
                                           Value buffer) {
  if (writesBuffer(to, buffer))
    return true;
  Value root = rootBuffer(buffer);
  for (Operation *op = from->getNextNode(); op && op != to;
       op = op->getNextNode()) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects) {
      if (!isMemoryEffectFree(op))
        return true;
      continue;
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &effect : instances) {
      if (!isa<MemoryEffects::Write>(effect.getEffect()))
        continue;
      Value target = effect.getValue();
      if (!target || rootBuffer(target) == root)
        return true;
    }
  }
  return false;
}

bool convbn::tensor_cores::alignedStart(Value buffer) {
  while (true) {
    auto type = dyn_cast<MemRefType>(buffer.getType());
    if (!type || !type.getLayout().isIdentity())
      return false;
    Operation *def = buffer.getDefiningOp();
    if (!def)
      return isa<FunctionOpInterface>(
          cast<BlockArgument>(buffer).getOwner()->getParentOp());
    if (isa<memref::AllocOp>(def))
      return true;
    if (!isa<memref::CollapseShapeOp, memref::ExpandShapeOp, memref::CastOp>(
            def))
      return false;
    buffer = def->getOperand(0);
  }
}

Value convbn::tensor_cores::rootBuffer(Value buffer) {
  while (auto view = buffer.getDefiningOp<ViewLikeOpInterface>())
    buffer = view.getViewSource();
  return buffer;
}

std::optional<PaddedCopy> convbn::tensor_cores::matchPaddedCopy(Value operand,
                                                                Operation *op) {
  PaddedCopy padded;
  Value buffer = operand;
  auto expand = operand.getDefiningOp<memref::ExpandShapeOp>();
  if (expand) {
    if (!expand->hasOneUse())
      return std::nullopt;
    buffer = expand.getSrc();
    padded.reassociation = expand.getReassociationIndices();
    padded.expandedShape = llvm::to_vector(expand.getType().getShape());
    int64_t rank = padded.reassociation.size();
    // The spatial dimensions must stay dimensions of their own.
    if (rank < 2 || padded.reassociation[rank - 1].size() != 1 ||
        padded.reassociation[rank - 2].size() != 1)
      return std::nullopt;
  }
  auto alloc = buffer.getDefiningOp<memref::AllocOp>();
  if (!alloc || alloc->getBlock() != op->getBlock())
    return std::nullopt;
  Operation *zero = nullptr, *copy = nullptr;
  memref::SubViewOp window;
  SmallVector<Operation *> deallocs;
  for (Operation *user : alloc->getUsers()) {
    if (user == op || (expand && user == expand.getOperation()))
      continue;
    if (isa<memref::DeallocOp>(user)) {
      deallocs.push_back(user);
    } else if (auto subview = dyn_cast<memref::SubViewOp>(user)) {
      if (window || !subview->hasOneUse())
        return std::nullopt;
      window = subview;
      copy = *subview->getUsers().begin();
    } else if (!zero && writesZero(user)) {
      zero = user;
    } else {
      return std::nullopt;
    }
  }
  if (!zero || !window || zero->getBlock() != op->getBlock() ||
      copy->getBlock() != op->getBlock() || !zero->isBeforeInBlock(copy) ||
      !copy->isBeforeInBlock(op))
    return std::nullopt;
  if (auto memrefCopy = dyn_cast<memref::CopyOp>(copy)) {
    if (memrefCopy.getTarget() != window.getResult())
      return std::nullopt;
    padded.source = memrefCopy.getSource();
  } else if (auto linalgCopy = dyn_cast<linalg::CopyOp>(copy)) {
    if (linalgCopy.getDpsInits()[0] != window.getResult() ||
        !linalgCopy.hasPureBufferSemantics())
      return std::nullopt;
    padded.source = linalgCopy.getDpsInputs()[0];
  } else {
    return std::nullopt;
  }
  // The window is the source's shape, offset in the last two dimensions.
  auto sourceType = dyn_cast<MemRefType>(padded.source.getType());
  MemRefType paddedType = alloc.getType();
  int64_t rank = paddedType.getRank();
  if (!sourceType || !sourceType.hasStaticShape() || rank < 2 ||
      sourceType.getRank() != rank ||
      sourceType.getElementType() != paddedType.getElementType() ||
      window.getSourceType().getRank() != rank ||
      window.getType().getRank() != rank)
    return std::nullopt;
  for (int64_t i = 0; i < rank; ++i) {
    if (ShapedType::isDynamic(window.getStaticOffsets()[i]) ||
        window.getStaticStrides()[i] != 1 ||
        window.getStaticSizes()[i] != sourceType.getDimSize(i) ||
        (i < rank - 2 &&
         (window.getStaticOffsets()[i] != 0 ||
          sourceType.getDimSize(i) != paddedType.getDimSize(i))))
      return std::nullopt;
  }
  padded.low[0] = window.getStaticOffsets()[rank - 2];
  padded.low[1] = window.getStaticOffsets()[rank - 1];
  // The source must hold the copied values when the kernel reads it, and
  // must be neither the buffer being replaced nor one the kernel writes.
  if (rootBuffer(padded.source) == buffer ||
      mayChangeBefore(copy, op, padded.source))
    return std::nullopt;
  if (expand)
    padded.ops.push_back(expand);
  padded.ops.append({copy, window, zero});
  padded.ops.append(deallocs);
  padded.ops.push_back(alloc);
  return padded;
}

Value PaddedCopy::load(Index &ix, ArrayRef<Value> at) const {
  // Indices in the padded buffer: those of the operand, each expanded group
  // linearized back into one.
  SmallVector<Value> indices;
  if (reassociation.empty()) {
    indices.assign(at.begin(), at.end());
  } else {
    for (const ReassociationIndices &group : reassociation) {
      Value linear = at[group.front()];
      for (int64_t dim : ArrayRef<int64_t>(group).drop_front())
        linear = ix.add(ix.mul(linear, expandedShape[dim]), at[dim]);
      indices.push_back(linear);
    }
  }
  int64_t rank = indices.size();
  Value inside = intoSource(ix, indices[rank - 2], indices[rank - 1]);
  return ix.orZero(inside, ix.load(source, indices));
}

Value PaddedCopy::intoSource(Index &ix, Value &h, Value &w) const {
  auto type = cast<MemRefType>(source.getType());
  int64_t rank = type.getRank();
  // In `source`'s coordinates; a position in the padding wraps around to
  // a huge unsigned value, so one unsigned comparison per dimension.
  Value hs = ix.subConstant(h, low[0]);
  Value ws = ix.subConstant(w, low[1]);
  Value inside =
      arith::AndIOp::create(ix.b, ix.lessThan(hs, type.getDimSize(rank - 2)),
                            ix.lessThan(ws, type.getDimSize(rank - 1)));
  // In the padding, the source's first row and column are read instead.
  h = ix.select(inside, hs, ix.c(0));
  w = ix.select(inside, ws, ix.c(0));
  return inside;
}

std::optional<ProducedOperand>
convbn::tensor_cores::matchProducedOperand(Value operand, Operation *op) {
  auto alloc = operand.getDefiningOp<memref::AllocOp>();
  if (!alloc || alloc->getBlock() != op->getBlock())
    return std::nullopt;
  ProducedOperand produced;
  SmallVector<Operation *> deallocs;
  for (Operation *user : alloc->getUsers()) {
    if (user == op)
      continue;
    if (isa<memref::DeallocOp>(user)) {
      deallocs.push_back(user);
      continue;
    }
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (produced.producer || !generic || generic.getNumDpsInits() != 1 ||
        generic.getDpsInits()[0] != operand)
      return std::nullopt;
    produced.producer = generic;
  }
  linalg::GenericOp generic = produced.producer;
  if (!generic || generic->getBlock() != op->getBlock() ||
      !generic->isBeforeInBlock(op) || !generic.hasPureBufferSemantics() ||
      generic.getNumReductionLoops() != 0 ||
      !generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
           .isIdentity() ||
      !generic.getMatchingBlockArgument(generic.getDpsInitOperand(0))
           .use_empty())
    return std::nullopt;
  for (Operation &bodyOp : generic.getBody()->without_terminator())
    // Pure: the gather may run it on elements it then discards.
    if (bodyOp.getNumRegions() != 0 || isa<linalg::IndexOp>(bodyOp) ||
        !isPure(&bodyOp))
      return std::nullopt;
  // Its inputs must still hold what the generic read, and the kernel must
  // not write them.
  for (Value input : generic.getDpsInputs())
    if (isa<MemRefType>(input.getType()) && mayChangeBefore(generic, op, input))
      return std::nullopt;
  produced.ops.push_back(generic);
  produced.ops.append(deallocs);
  produced.ops.push_back(alloc);
  return produced;
}

Value ProducedOperand::load(Index &ix, ArrayRef<Value> at) const {
  linalg::GenericOp generic = producer;
  // The loop indices are `at` (identity output map); each input is read at
  // its indexing map of them, and the body is replayed on what was read.
  IRMapping mapping;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    Value value = input->get();
    if (isa<MemRefType>(value.getType())) {
      SmallVector<Value> indices;
      AffineMap map = generic.getMatchingIndexingMap(input);
      for (AffineExpr expr : map.getResults()) {
        if (auto dim = dyn_cast<AffineDimExpr>(expr))
          indices.push_back(at[dim.getPosition()]);
        else
          indices.push_back(affine::AffineApplyOp::create(
              ix.b, AffineMap::get(map.getNumDims(), 0, expr), at));
      }
      value = ix.load(value, indices);
    }
    mapping.map(generic.getMatchingBlockArgument(input), value);
  }
  for (Operation &bodyOp : generic.getBody()->without_terminator())
    ix.b.clone(bodyOp, mapping);
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  return mapping.lookupOrDefault(yield.getValues()[0]);
}
