//===- TensorCoreConvolutions.cpp - Implicit-GEMM convolution kernels -----===//
//
// Each eligible convolution on buffers becomes one `gpu.launch` doing an
// implicit GEMM: the forward and backward-data convolutions
// (`linalg.conv_2d_nchw_fchw`: filters x output positions, reducing over
// channels x kernel window, one image per grid z) and the backward-filter
// reduction of the linalg lowering (filters x channels x kernel window,
// reducing over images x output positions, one batch chunk per grid z).
// The operand tiles are gathered from global memory into shared memory by
// the whole block (the im2col matrix never exists in global memory) and
// multiplied by warps with `vector.contract`s of mma shape, which upstream's
// vector-to-nvgpu conversion turns into `nvgpu.ldmatrix` and
// `nvgpu.mma.sync`: tensor-core instructions, with the accumulators in
// registers across the reduction loop. Operands are f16, bf16 or f32 (as
// TF32); bf16 kernels go through that conversion as f16 (see build()).
//
// The output buffer's contents (zero, or the bias) are accumulated into,
// like the linalg op does.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/ConvBNToLinalg/BackwardFilterForm.h"
#include "convbn/Conversion/Passes.h"

#include "TensorCoreTiles.h"

#include "mlir/Conversion/VectorToGPU/VectorToGPU.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <functional>

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNTENSORCORECONVOLUTIONS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {

using namespace mlir::convbn::tensor_cores;

/// CUDA's limit on the grid's y and z dimensions.
constexpr int64_t kMaxGridYZ = 65535;

/// Whether `buffer` starts where the buffer it is a view of starts (its
/// layout is the identity, and so is every view's between them), and that
/// is an allocation or an argument of the function: the runtime's device
/// allocations are 256-byte aligned, and the callers' buffers must be
/// kVectorBytes-aligned (the Python binding checks).
bool alignedStart(Value buffer) {
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

/// Index arithmetic on `index` values with constant operands, and the
/// gathers' loads.
struct Index {
  ImplicitLocOpBuilder &b;
  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  /// Sums and products of indices, which never wrap (their flags let LLVM
  /// move a constant term out of a narrowed index's extension).
  arith::IntegerOverflowFlagsAttr noWrap() {
    return arith::IntegerOverflowFlagsAttr::get(
        b.getContext(),
        arith::IntegerOverflowFlags::nsw | arith::IntegerOverflowFlags::nuw);
  }
  Value add(Value x, Value y) {
    return arith::AddIOp::create(b, x, y, noWrap());
  }
  Value mul(Value x, int64_t y) {
    return y == 1 ? x : Value(arith::MulIOp::create(b, x, c(y), noWrap()));
  }
  Value addConstant(Value x, int64_t y) { return y == 0 ? x : add(x, c(y)); }
  Value div(Value x, int64_t y) {
    return y == 1 ? x : Value(arith::DivUIOp::create(b, x, c(y)));
  }
  Value rem(Value x, int64_t y) {
    return y == 1 ? c(0) : Value(arith::RemUIOp::create(b, x, c(y)));
  }
  Value lessThan(Value x, int64_t bound) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::ult, x, c(bound));
  }
  /// `x * s + y * d`: a window position.
  Value window(Value x, int64_t s, Value y, int64_t d) {
    return add(mul(x, s), mul(y, d));
  }
  /// Whether loads may assume that a buffer allocated by the code or given
  /// to it starts at a multiple of kVectorBytes (alignedStart()): set for
  /// the GPU, where the runtime's allocations are and the callers' buffers
  /// must be, so that LLVM can join a thread's neighbouring loads into one.
  bool assumeAligned = false;
  Value load(Value buffer, ArrayRef<Value> indices) {
    if (assumeAligned && alignedStart(buffer))
      buffer = memref::AssumeAlignmentOp::create(b, buffer, kVectorBytes);
    return memref::LoadOp::create(b, buffer, indices);
  }
  Value select(Value condition, Value x, Value y) {
    return arith::SelectOp::create(b, condition, x, y);
  }
  Value zero(Type type) {
    return arith::ConstantOp::create(b, type, b.getFloatAttr(type, 0.0));
  }
  /// `value` where `wanted`, zero elsewhere. The gathers load every
  /// element, at clamped indices where it is not wanted, and then select:
  /// straight-line code, whose index arithmetic LLVM shares between the
  /// elements of a thread (an element's indices computed in a branch of its
  /// own are not), and no divergent branches.
  Value orZero(Value wanted, Value value) {
    return select(wanted, value, zero(value.getType()));
  }
  /// Keeps `index` where `inside`, replaces it by 0 (an in-range stand-in)
  /// elsewhere, and ands `inside` into `all` (null: true so far), for
  /// orZero on the element loaded at it.
  void clampTo(Value inside, Value &index, Value &all) {
    all = all ? Value(arith::AndIOp::create(b, all, inside)) : inside;
    index = select(inside, index, c(0));
  }
};

/// The buffer a view (subview, reshape, cast) was taken of.
Value rootBuffer(Value buffer) {
  while (auto view = buffer.getDefiningOp<ViewLikeOpInterface>())
    buffer = view.getViewSource();
  return buffer;
}

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

/// A GEMM operand that is a zero-padded copy of another buffer, as
/// bufferization leaves `tensor.pad`: a `memref.alloc` set to zero
/// (`writesZero`), `source` copied into a subview of it that is offset by
/// `low` in the last two (spatial) dimensions only, and otherwise only read
/// by the kernel's op (directly, or through one `memref.expand_shape` with
/// `reassociation`) and deallocated. The kernel then reads `source` and
/// yields zero outside it: the padded buffer, its zero fill and its copy
/// (three passes over an activation) are not needed.
struct PaddedCopy {
  Value source;
  int64_t low[2] = {0, 0};
  /// Of the expand_shape between the padded buffer and the op, if any.
  SmallVector<ReassociationIndices> reassociation;
  SmallVector<int64_t> expandedShape;
  /// What to erase once the op is rewritten, users before what they use.
  SmallVector<Operation *> ops;

  /// The element of the padded operand at `at` (its indices in the operand).
  Value load(Index &ix, ArrayRef<Value> at) const;
};

/// Whether the buffer `buffer` belongs to may change after `from` and
/// while the kernel that replaces `to` (same block) reads it: some op
/// strictly between them may write it, or `to` writes it.
bool mayChangeBefore(Operation *from, Operation *to, Value buffer) {
  Value root = rootBuffer(buffer);
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(to))
    for (Value init : dps.getDpsInits())
      if (rootBuffer(init) == root)
        return true;
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

std::optional<PaddedCopy> matchPaddedCopy(Value operand, Operation *op) {
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
  auto type = cast<MemRefType>(source.getType());
  int64_t rank = type.getRank();
  // In `source`'s coordinates; a position in the padding wraps around to
  // a huge unsigned value, so one unsigned comparison per dimension.
  Value h = arith::SubIOp::create(ix.b, indices[rank - 2], ix.c(low[0]));
  Value w = arith::SubIOp::create(ix.b, indices[rank - 1], ix.c(low[1]));
  Value inside =
      arith::AndIOp::create(ix.b, ix.lessThan(h, type.getDimSize(rank - 2)),
                            ix.lessThan(w, type.getDimSize(rank - 1)));
  // In the padding, the source's first row and column are read instead.
  indices[rank - 2] = ix.select(inside, h, ix.c(0));
  indices[rank - 1] = ix.select(inside, w, ix.c(0));
  return ix.orZero(inside, ix.load(source, indices));
}

/// A GEMM operand computed only for the kernel by an elementwise
/// `linalg.generic`, such as the Tune fold's `W' = W * k`: an alloc that the
/// generic writes whole (identity output map, all-parallel, a body of pure
/// scalar ops that does not read the output) and that only the kernel's op
/// reads, the generic's inputs unchanged in between. The kernel computes
/// each element where it loads it, from the generic's inputs, and the
/// generic, its buffer and its pass over memory go away.
struct ProducedOperand {
  linalg::GenericOp producer;
  /// What to erase once the op is rewritten, users before what they use.
  SmallVector<Operation *> ops;

  /// The element of the operand at `at`.
  Value load(Index &ix, ArrayRef<Value> at) const;
};

std::optional<ProducedOperand> matchProducedOperand(Value operand,
                                                    Operation *op) {
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

/// A position along K: `step`, the start of its K step (a multiple of
/// kTileK, the same for the block's threads), plus `offset` + `shift`
/// (below kTileK): the thread's own part and its turn's constant. Kept apart
/// so that an accessor can split the step's part once per step, and add the
/// constant last: a thread's elements then differ by a constant in their
/// indices, even where an index is narrowed to 32 bits and extended back.
struct KPosition {
  Value step, offset;
  int64_t shift = 0;
  /// `offset` is below this.
  int64_t offsetBound = kTileK;
  /// `base` + offset + shift, in that order (without the shift where
  /// `withShift` is false).
  Value at(Index &ix, Value base, bool withShift = true) const {
    return ix.addConstant(ix.add(base, offset), withShift ? shift : 0);
  }
  Value linear(Index &ix) const { return at(ix, step); }
};

/// A row of an operand tile in the GEMM (along M for A, N for B): `index`,
/// and, unless it was clamped at a tail (`tile` null), how it is made:
/// `tile` (the block's first row, a multiple of the tile's rows) +
/// `offset` (the thread's part) + `shift` (a constant of its turn).
struct RowPosition {
  Value index;
  Value tile, offset;
  int64_t shift = 0;
};

/// An implicit GEMM per grid z: out(z, m, n) += sum_k A(z, m, k) * B(z, n, k).
/// The accessors get in-range indices (the kernel pads with zeros) and
/// load unconditionally.
struct Gemm {
  int64_t z = 1, m = 0, n = 0, k = 0;
  Type operandType; // f32 (as TF32), f16 or bf16
  /// How the gathers walk A and B (TensorCoreTiles.h): along k where the
  /// operand is contiguous along k in memory, else along its rows (Rows, or
  /// RowsSpread where a K step holds several window offsets), so that
  /// neighbouring threads read neighbouring addresses. A filter whose K is
  /// ordered window x channels is contiguous along neither (its k are kh x
  /// kw apart): Rows, for the 16-byte stores (unless it has fewer rows than
  /// a tile). Out is written along n.
  Sweep aSweep = Sweep::AlongK, bSweep = Sweep::Rows;
  /// The block's tile (its rows), chosen by the pass (chooseBlockTile()).
  BlockTile tile;
  std::function<Value(Index &, Value z, const RowPosition &row, KPosition k)>
      loadA, loadB;
  /// K of a convolution ordered (kh, kw, c) rather than (c, kh, kw), with
  /// this many channels per window offset (the channels padded with zeros
  /// to a divisor of kTileK, or all of them); 0 when not.
  int64_t windowChannels = 0;
  /// A convolution's input channels (the report names their padding).
  int64_t channels = 0;
  /// N of a backward-filter reduction ordered (kh, kw, c) rather than
  /// (c, kh, kw).
  bool windowOuterN = false;
  /// Indices of out(z, m, n) in `output` (f32 or f64 elements).
  std::function<SmallVector<Value>(Index &, Value z, Value m, Value n)>
      outIndices;
  Value output;
  /// Where the op that initialized `output` was folded into the kernel: the
  /// initial value of out(z, m, n), given its indices in `output` (null for
  /// zero). Unset: the epilogue reads the output buffer and adds to it.
  std::optional<std::function<Value(Index &, ValueRange at)>> initialValue;
  /// B read from the unpadded buffer, when it is a padded copy.
  std::optional<PaddedCopy> padded;
  /// A computed in the gather, when an elementwise generic produces it.
  std::optional<ProducedOperand> producedA;
  /// What the report calls it.
  std::string kind;
  /// k extent of one mma instruction: 8 for TF32, 16 for f16 and bf16.
  int64_t mmaK() const { return operandType.isF32() ? 8 : 16; }
};

/// Why operands of element type `element` cannot take the tensor-core path.
std::optional<std::string> unsupportedOperands(Type element, bool allowTF32) {
  if (element.isF32() && !allowTF32)
    return std::string("f32 operands and allow-tf32=false");
  if (!element.isF32() && !element.isF16() && !element.isBF16())
    return std::string("operand type is not f32, f16 or bf16");
  return std::nullopt;
}

/// The type the GEMM's operands `a` and `b` are multiplied in, or failure
/// with the reason in `why`. One f32 and one 16-bit operand (the lowering's
/// f32 output gradient against 16-bit weights or input, in train and eval)
/// are multiplied as TF32: f16 and bf16 values are exact in TF32, so only
/// the f32 operand is rounded, as `allow-tf32` permits.
FailureOr<Type> gemmOperandType(Type a, Type b, bool allowTF32,
                                std::string &why) {
  auto is16 = [](Type t) { return t.isF16() || t.isBF16(); };
  Type type = a;
  if (a != b) {
    if (!(a.isF32() && is16(b)) && !(is16(a) && b.isF32())) {
      why = "operands of different types other than f32 and f16/bf16";
      return failure();
    }
    if (!allowTF32) {
      why = "f32 and 16-bit operands and allow-tf32=false";
      return failure();
    }
    type = Float32Type::get(a.getContext());
  }
  if (auto reason = unsupportedOperands(type, allowTF32)) {
    why = *reason;
    return failure();
  }
  return type;
}

/// Static shapes, and linear offsets below 2^31 elements (they then fit in
/// 32 bits should index arithmetic be lowered to i32).
std::optional<std::string> unsupportedBuffers(TypeRange types) {
  for (Type type : types) {
    auto memref = dyn_cast<MemRefType>(type);
    if (!memref)
      return std::string("not on buffers");
    if (!memref.hasStaticShape())
      return std::string("dynamic shape");
    if (memref.getNumElements() >= (int64_t(1) << 31))
      return std::string("a buffer with 2^31 elements or more");
  }
  return std::nullopt;
}

/// (c, kh, kw) from a linear index over channels x window.
struct WindowIndex {
  Value c, kh, kw;
  /// Where K is padded: whether this is a real term (null: always).
  Value inside = nullptr;
};
WindowIndex splitWindow(Index &ix, Value linear, int64_t kh, int64_t kw) {
  Value r = ix.rem(linear, kh * kw);
  return {ix.div(linear, kh * kw), ix.div(r, kw), ix.rem(r, kw)};
}

/// The forward (and backward-data) convolution, one GEMM per image:
/// M = filters, N = output positions (oh, ow), K = (c, kh, kw), or
/// (kh, kw, c) when the channels are a multiple of kTileK: a K step then
/// lies within one window offset (kh, kw), which each thread splits from
/// the step once, and its elements differ only in the channel, so the
/// gather's window arithmetic and bounds checks are one per step instead
/// of one per element. Fewer channels (the stem's 3) are padded with zeros
/// to a power of two, which a K step holds whole, when that adds at most a
/// third to K: an element's window offset is then the step's plus a
/// constant of its turn, and its channel a mask, instead of a division of
/// its K index by kh x kw and by kw.
FailureOr<Gemm> analyzeConvolution(linalg::Conv2DNchwFchwOp conv,
                                   bool allowTF32, bool foldPadding,
                                   bool recomputeProducers, std::string &why) {
  if (auto reason = unsupportedBuffers(conv->getOperandTypes())) {
    why = *reason;
    return failure();
  }
  auto in = cast<MemRefType>(conv.getDpsInputs()[0].getType());
  auto filter = cast<MemRefType>(conv.getDpsInputs()[1].getType());
  auto out = cast<MemRefType>(conv.getDpsInits()[0].getType());
  if (!out.getElementType().isF32()) {
    why = "a non-f32 accumulator";
    return failure();
  }
  FailureOr<Type> element = gemmOperandType(
      in.getElementType(), filter.getElementType(), allowTF32, why);
  if (failed(element))
    return failure();
  auto s = llvm::to_vector(conv.getStrides().getValues<int64_t>());
  auto d = llvm::to_vector(conv.getDilations().getValues<int64_t>());
  int64_t kh = filter.getDimSize(2), kw = filter.getDimSize(3);
  int64_t ow = out.getDimSize(3);
  Value input = conv.getDpsInputs()[0], weights = conv.getDpsInputs()[1];
  Gemm g;
  g.z = out.getDimSize(0);
  g.m = out.getDimSize(1);
  g.n = out.getDimSize(2) * ow;
  int64_t channels = in.getDimSize(1);
  g.channels = channels;
  int64_t padded = static_cast<int64_t>(llvm::PowerOf2Ceil(channels));
  if (kh * kw > 1 && channels % kTileK == 0)
    g.windowChannels = channels;
  else if (kh * kw > 1 && channels < kTileK && 3 * padded <= 4 * channels)
    g.windowChannels = padded;
  int64_t windowChannels = g.windowChannels;
  int64_t windows = kh * kw;
  g.k = (windowChannels ? windowChannels : channels) * windows;
  // With several window offsets per K step, K is padded to whole steps
  // (zero terms past the last offset): no step needs a tail check. B is
  // swept RowsSpread: a thread's consecutive k (Rows) would cross window
  // offsets.
  if (windowChannels && windowChannels < kTileK) {
    g.k = llvm::alignTo(g.k, kTileK);
    g.bSweep = Sweep::RowsSpread;
  }
  bool paddedWindows = windowChannels && g.k > windows * windowChannels;
  // Fewer filters than a tile's rows: along k, the turns past them are
  // known to be outside (no loads), along the rows every thread's row is
  // tested.
  if (windowChannels && windowChannels % kTileK == 0 && g.m >= BlockTile().m)
    g.aSweep = Sweep::Rows;
  g.operandType = *element;
  g.output = conv.getDpsInits()[0];
  g.kind = "convolution";
  auto split = [=](Index &ix, KPosition k) -> WindowIndex {
    if (!windowChannels)
      return splitWindow(ix, k.linear(ix), kh, kw);
    Value window, c;
    if (windowChannels % kTileK == 0) {
      // The step lies in one window offset.
      window = ix.div(k.step, windowChannels);
      c = k.at(ix, ix.rem(k.step, windowChannels));
    } else {
      // The step holds kTileK / windowChannels window offsets whole. Where
      // the thread's part cannot carry into the next offset, the element's
      // offset is the step's plus a constant of its turn: the same for
      // every thread, split once per step (and per turn).
      Value first = ix.div(k.step, windowChannels);
      int64_t rest = k.shift % windowChannels;
      if (k.offsetBound - 1 + rest < windowChannels) {
        window = ix.addConstant(first, k.shift / windowChannels);
        c = ix.addConstant(k.offset, rest);
      } else {
        Value within = ix.addConstant(k.offset, k.shift);
        window = ix.add(first, ix.div(within, windowChannels));
        c = ix.rem(within, windowChannels);
      }
    }
    // A padding channel or window offset reads the first and is replaced
    // by zero.
    Value inside;
    if (paddedWindows)
      ix.clampTo(ix.lessThan(window, windows), window, inside);
    if (windowChannels > channels)
      ix.clampTo(ix.lessThan(c, channels), c, inside);
    return {c, ix.div(window, kw), ix.rem(window, kw), inside};
  };
  if (recomputeProducers)
    g.producedA = matchProducedOperand(weights, conv);
  std::optional<ProducedOperand> producedA = g.producedA;
  // A 1x1 filter's rows are its channels, contiguous: read in vectors of
  // k where K needs no tail (k is then the channel, its constant last).
  if (windows == 1 && g.k % kTileK == 0 &&
      (producedA || filter.getLayout().isIdentity()))
    g.aSweep = Sweep::AlongKVectors;
  g.loadA = [=](Index &ix, Value, const RowPosition &f, KPosition k) {
    WindowIndex w = split(ix, k);
    SmallVector<Value> at = {f.index, w.c, w.kh, w.kw};
    Value value = producedA ? producedA->load(ix, at) : ix.load(weights, at);
    return w.inside ? ix.orZero(w.inside, value) : value;
  };
  if (foldPadding)
    g.padded = matchPaddedCopy(input, conv);
  std::optional<PaddedCopy> paddedCopy = g.padded;
  g.loadB = [=](Index &ix, Value image, const RowPosition &position,
                KPosition k) {
    WindowIndex w = split(ix, k);
    Value p = position.index;
    SmallVector<Value> at = {image, w.c,
                             ix.window(ix.div(p, ow), s[0], w.kh, d[0]),
                             ix.window(ix.rem(p, ow), s[1], w.kw, d[1])};
    Value value = paddedCopy ? paddedCopy->load(ix, at) : ix.load(input, at);
    return w.inside ? ix.orZero(w.inside, value) : value;
  };
  g.outIndices = [=](Index &ix, Value image, Value f, Value p) {
    return SmallVector<Value>{image, f, ix.div(p, ow), ix.rem(p, ow)};
  };
  return g;
}

/// Loads `buffer` (leading indices, then an image, `middle`, then a
/// plane of `plane` elements in its last two dimensions) at `lead`, the
/// image and position in the plane of `k`, and `middle`: the plane is
/// collapsed into one dimension, so that the position needs no division.
/// `k`'s constant is added to the position in the plane, after the split:
/// a thread's vector of k (Sweep::AlongKVectors, which this needs `plane`
/// to be a multiple of) then differs only by it, and the loads by
/// neighbouring addresses, which LLVM joins.
Value planeLoad(Index &ix, Value buffer, SmallVector<Value> lead,
                ArrayRef<Value> middle, KPosition k, int64_t plane) {
  auto type = cast<MemRefType>(buffer.getType());
  SmallVector<ReassociationIndices> dims;
  for (int64_t i = 0; i < type.getRank() - 2; ++i)
    dims.push_back({i});
  dims.push_back({type.getRank() - 2, type.getRank() - 1});
  Value split = k.at(ix, k.step, /*withShift=*/false);
  lead.push_back(ix.div(split, plane));
  lead.append(middle.begin(), middle.end());
  lead.push_back(ix.addConstant(ix.rem(split, plane), k.shift));
  return ix.load(memref::CollapseShapeOp::create(ix.b, buffer, dims), lead);
}

/// The backward-filter reduction of the linalg lowering
/// (LinalgBuilders.cpp, `backwardFilter`), 2-D, one group:
///   dW[p, 0, f, c, kh, kw] += X[p, n, 0, c, oh*s + kh*d, ow*s + kw*d]
///                             * G[p, n, 0, f, oh, ow]
/// with the batch chunk p absent when the batch is not split. One GEMM per
/// chunk: M = filters, N = (c, kh, kw), K = (n, oh, ow).
FailureOr<Gemm> analyzeBackwardFilter(linalg::GenericOp op, bool allowTF32,
                                      bool foldPadding, bool recomputeProducers,
                                      std::string &why) {
  // Recognized by shape first; only then is a mismatch worth a reason.
  std::optional<convbn::BackwardFilterForm> form =
      convbn::matchBackwardFilter(op);
  if (!form)
    return failure();
  int64_t lead = form->lead();
  // Copied: the accessors below capture them by value.
  int64_t s[2] = {form->strides[0], form->strides[1]};
  int64_t d[2] = {form->dilations[0], form->dilations[1]};

  if (auto reason = unsupportedBuffers(op->getOperandTypes())) {
    why = *reason;
    return failure();
  }
  auto in = cast<MemRefType>(op.getDpsInputs()[0].getType());
  auto grad = cast<MemRefType>(op.getDpsInputs()[1].getType());
  auto out = cast<MemRefType>(op.getDpsInits()[0].getType());
  Type accumulator = out.getElementType();
  if (!(accumulator.isF32() || accumulator.isF64())) {
    why = "a non-f32/f64 accumulator";
    return failure();
  }
  if (in.getDimSize(lead + 1) != 1) {
    why = "grouped convolution";
    return failure();
  }
  FailureOr<Type> element = gemmOperandType(
      in.getElementType(), grad.getElementType(), allowTF32, why);
  if (failed(element))
    return failure();
  int64_t oh = grad.getDimSize(lead + 3), ow = grad.getDimSize(lead + 4);
  int64_t kh = out.getDimSize(lead + 3), kw = out.getDimSize(lead + 4);
  Value input = op.getDpsInputs()[0], gradient = op.getDpsInputs()[1];
  Gemm g;
  g.z = lead ? out.getDimSize(0) : 1;
  g.m = out.getDimSize(lead + 1);
  g.n = out.getDimSize(lead + 2) * kh * kw;
  g.k = grad.getDimSize(lead) * oh * ow;
  g.operandType = *element;
  g.bSweep = Sweep::AlongK;
  // N ordered (kh, kw, c) when the channels are a multiple of kTileN: a
  // block's tile of N then lies in one window offset, split once per
  // block, and a thread's elements differ only in the channel, by
  // constants, so their window arithmetic and bounds checks are one per
  // step instead of one per element.
  int64_t channels = out.getDimSize(lead + 2);
  g.windowOuterN = kh * kw > 1 && channels % kTileN == 0;
  bool windowOuterN = g.windowOuterN;
  auto splitColumn = [=](Index &ix, const RowPosition &n) -> WindowIndex {
    if (!windowOuterN)
      return splitWindow(ix, n.index, kh, kw);
    if (!n.tile) {
      Value window = ix.div(n.index, channels);
      return {ix.rem(n.index, channels), ix.div(window, kw),
              ix.rem(window, kw)};
    }
    Value window = ix.div(n.tile, channels);
    Value c =
        ix.addConstant(ix.add(ix.rem(n.tile, channels), n.offset), n.shift);
    return {c, ix.div(window, kw), ix.rem(window, kw)};
  };
  g.output = op.getDpsInits()[0];
  g.kind = "backward-filter reduction";
  // Every buffer's indices start with the chunk, if the batch is split.
  auto lead0 = [=](Index &, Value chunk) {
    SmallVector<Value> indices;
    if (lead)
      indices.push_back(chunk);
    return indices;
  };
  if (recomputeProducers)
    g.producedA = matchProducedOperand(gradient, op);
  std::optional<ProducedOperand> producedA = g.producedA;
  // The gradient, and a 1x1 input at stride 1 (no padding), read in
  // vectors of k (AlongKVectors) where each image's plane holds whole
  // vectors: K needs no tail, and the buffer is read with its plane
  // collapsed (planeLoad()).
  int64_t vector = kVectorBytes / (element->getIntOrFloatBitWidth() / 8);
  bool wholeVectors = g.k % kTileK == 0 && oh * ow % vector == 0;
  bool planeA = !producedA && grad.getLayout().isIdentity();
  if (planeA && wholeVectors)
    g.aSweep = Sweep::AlongKVectors;
  g.loadA = [=](Index &ix, Value chunk, const RowPosition &f,
                KPosition position) {
    SmallVector<Value> at = lead0(ix, chunk);
    if (planeA)
      return planeLoad(ix, gradient, at, {ix.c(0), f.index}, position, oh * ow);
    Value k = position.linear(ix);
    Value r = ix.rem(k, oh * ow);
    at.append(
        {ix.div(k, oh * ow), ix.c(0), f.index, ix.div(r, ow), ix.rem(r, ow)});
    return producedA ? producedA->load(ix, at) : ix.load(gradient, at);
  };
  if (foldPadding)
    g.padded = matchPaddedCopy(input, op);
  std::optional<PaddedCopy> padded = g.padded;
  // Other inputs are swept in vectors of k too where an output row holds
  // whole vectors and N is not ordered window x channels: a thread's
  // vector then lies in one output row, its k split once (the split the
  // gradient's vector shares) and its constant added to the column. Its
  // loads stay one per element, its stores are one per vector. With N
  // ordered window x channels, a thread's elements along the rows share
  // one window position and its bounds checks, which a vector of k would
  // not (swept in vectors, `layer1.0.conv2`'s filter gradient took 173
  // SASS instructions per step instead of 139; `conv1`'s, 3 channels and
  // N ordered channels x window, takes 217 instead of 270).
  bool planeB = kh * kw == 1 && s[0] == 1 && s[1] == 1 && !padded &&
                in.getLayout().isIdentity();
  if (wholeVectors && (planeB || (ow % vector == 0 && !windowOuterN)))
    g.bSweep = Sweep::AlongKVectors;
  g.loadB = [=](Index &ix, Value chunk, const RowPosition &cw,
                KPosition position) {
    if (planeB)
      return planeLoad(ix, input, lead0(ix, chunk), {ix.c(0), cw.index},
                       position, oh * ow);
    Value k = position.at(ix, position.step, /*withShift=*/false);
    Value r = ix.rem(k, oh * ow);
    WindowIndex w = splitColumn(ix, cw);
    SmallVector<Value> at = lead0(ix, chunk);
    at.append({ix.div(k, oh * ow), ix.c(0), w.c,
               ix.window(ix.div(r, ow), s[0], w.kh, d[0]),
               ix.window(ix.addConstant(ix.rem(r, ow), position.shift), s[1],
                         w.kw, d[1])});
    return padded ? padded->load(ix, at) : ix.load(input, at);
  };
  g.outIndices = [=](Index &ix, Value chunk, Value f, Value cw) {
    WindowIndex w = splitColumn(ix, RowPosition{cw, nullptr, nullptr});
    SmallVector<Value> at = lead0(ix, chunk);
    at.append({ix.c(0), f, w.c, w.kh, w.kw});
    return at;
  };
  return g;
}

/// The op just before `op` when it only initializes `op`'s output buffer,
/// which the kernel writes whole: a `linalg.fill` with a constant, or a
/// broadcast (an all-parallel `linalg.generic` yielding its one input, the
/// bias vector of a forward convolution). The kernel's epilogue then writes
/// that value plus the product instead of adding the product to what the
/// buffer holds, which saves a write and a read of the whole output. Sets
/// `g.initialValue` and returns the op to erase.
Operation *foldInitializer(Operation *op, Gemm &g) {
  Operation *init = op->getPrevNode();
  auto dps = dyn_cast_or_null<linalg::LinalgOp>(init);
  if (!dps || !dps.hasPureBufferSemantics() || dps.getNumDpsInits() != 1 ||
      dps.getDpsInits()[0] != g.output)
    return nullptr;
  // Nothing the kernel reads may be the output buffer or a view of it.
  Value root = rootBuffer(g.output);
  for (Value operand : op->getOperands())
    if (operand != g.output && rootBuffer(operand) == root)
      return nullptr;
  Type outType = getElementTypeOrSelf(g.output.getType());
  if (auto fill = dyn_cast<linalg::FillOp>(init)) {
    Attribute value;
    if (fill.value().getType() != outType ||
        !matchPattern(fill.value(), m_Constant(&value)))
      return nullptr;
    if (matchPattern(fill.value(), m_AnyZeroFloat())) {
      g.initialValue = [](Index &, ValueRange) { return Value(); };
    } else {
      auto typed = cast<TypedAttr>(value);
      g.initialValue = [typed](Index &ix, ValueRange) -> Value {
        return arith::ConstantOp::create(ix.b, typed);
      };
    }
    return init;
  }
  auto broadcast = dyn_cast<linalg::GenericOp>(init);
  if (!broadcast || broadcast.getNumDpsInputs() != 1 ||
      broadcast.getNumReductionLoops() != 0)
    return nullptr;
  OpOperand *source = broadcast.getDpsInputOperand(0);
  auto yield = cast<linalg::YieldOp>(broadcast.getBody()->getTerminator());
  AffineMap sourceMap = broadcast.getMatchingIndexingMap(source);
  if (yield.getValues().size() != 1 ||
      yield.getValues()[0] != broadcast.getMatchingBlockArgument(source) ||
      !isa<MemRefType>(source->get().getType()) ||
      getElementTypeOrSelf(source->get().getType()) != outType ||
      !broadcast.getMatchingIndexingMap(broadcast.getDpsInitOperand(0))
           .isIdentity() ||
      !sourceMap.isProjectedPermutation() || rootBuffer(source->get()) == root)
    return nullptr;
  Value vector = source->get();
  SmallVector<unsigned> dims;
  for (AffineExpr e : sourceMap.getResults())
    dims.push_back(cast<AffineDimExpr>(e).getPosition());
  g.initialValue = [vector, dims](Index &ix, ValueRange at) -> Value {
    SmallVector<Value> indices;
    for (unsigned d : dims)
      indices.push_back(at[d]);
    return ix.load(vector, indices);
  };
  return init;
}

/// Emits the kernel that computes `g`.
class KernelBuilder {
public:
  /// `prefetch`: two stages of shared tiles, the next K step's gathers
  /// loaded into registers before the warps' products and stored into the
  /// other stage after them (one barrier per K step); otherwise one stage,
  /// gathered and then multiplied (two barriers per K step).
  KernelBuilder(ImplicitLocOpBuilder &b, const Gemm &g, bool prefetch)
      : b(b), ix{b}, g(g), tileType(g.operandType), stages(prefetch ? 2 : 1) {}

  /// The kernel: a gpu.launch with the warps' products on tensor cores.
  LogicalResult build();
  /// The same kernel as host loops, vector.contract for mma.sync: checks
  /// its tiling and index arithmetic on the CPU.
  void buildEmulation();

private:
  struct WarpOffsets {
    /// In the block's tile; `outputRow`: the row in the output tile where
    /// the warp's accumulators of each pass start.
    Value m, n, outputRow;
  };
  Value apply(AffineExpr e, Value v);
  Value offset(Value base, int64_t by);
  /// Where the warp of thread `tid` starts in the block's tile.
  WarpOffsets warpOffsets(Value tid);
  /// The row of the block's tile held by row `row` of the output tile in
  /// pass `pass` (BlockTile::outputPasses()).
  Value outputRow(Value row, int64_t pass);
  /// The stage of the shared tiles that the K step `ahead` steps after the
  /// one at `k0` reads (`ahead` = 1: the stage the step at `k0` fills).
  Value stageOf(Value k0, int64_t ahead = 0);
  /// Where the K step after the one at `k0` starts; the last step's own
  /// start for the last step (whose prefetch is then unused, but reads
  /// inside the operands).
  Value nextStep(Value k0);
  SmallVector<Value> zeroAccumulators();
  /// One step of kTileK: the warp's mma-shaped contractions on `stage`.
  /// `widen`: extend 16-bit operands to f32 first (exact), for CPU
  /// lowerings of vector.contract that take one element type only.
  SmallVector<Value> warpProducts(Value sharedA, Value sharedB, Value stage,
                                  WarpOffsets warp, ValueRange accs,
                                  bool widen = false);
  /// The warp's accumulators of pass `pass` into the output tile.
  void storeAccumulators(Value sharedC, WarpOffsets warp, ValueRange accs,
                         int64_t pass);
  /// Types of the A, B and output tiles in memory space `space`; A and B
  /// have `stages` stages (their leading dimension).
  std::array<MemRefType, 3> sharedTypes(Attribute space);
  /// The row and k, in an operand tile of `rows` rows, of the element that
  /// thread `tid` moves in its `turn`-th turn: the block's threads sweep the
  /// tile by `sweep` (sweepElement(), TensorCoreTiles.h).
  using TileElement = SweepElement<Value>;
  TileElement tileElement(Value tid, int64_t turn, int64_t rows, Sweep sweep);
  /// Thread `tid`'s elements of the block's A and B tiles at (m0, k0) and
  /// (n0, k0), read from global memory (zero outside the GEMM): values, to
  /// be kept in registers until storeTiles().
  SmallVector<Value> gatherTiles(Value tid, Value z, Value m0, Value n0,
                                 Value k0);
  /// Stores what gatherTiles() read into stage `stage` of the shared tiles.
  void storeTiles(ArrayRef<Value> gathered, Value sharedA, Value sharedB,
                  Value stage, Value tid);
  /// Pass `pass` of the block's output tile at (m0, n0), added to the output
  /// buffer.
  void storeOutputTile(Value sharedC, Value tid, Value z, Value m0, Value n0,
                       int64_t pass);

  ImplicitLocOpBuilder &b;
  Index ix;
  const Gemm &g;
  /// Element type of the shared A and B tiles and of the warps'
  /// contractions: the operand type, except while upstream's conversion
  /// runs on a bf16 kernel (see build()).
  Type tileType;
  int64_t tileBytes() const { return tileType.getIntOrFloatBitWidth() / 8; }
  /// Stages of the shared A and B tiles: 2 with prefetch, else 1.
  int64_t stages;
};

KernelBuilder::TileElement
KernelBuilder::tileElement(Value tid, int64_t turn, int64_t rows, Sweep sweep) {
  return sweepElement(ix, tid, turn, rows, sweep, tileBytes());
}

SmallVector<Value> KernelBuilder::gatherTiles(Value tid, Value z, Value m0,
                                              Value n0, Value k0) {
  SmallVector<Value> gathered;
  auto gather =
      [&](int64_t rows, int64_t turns, Value row0, int64_t rowExtent,
          Sweep sweep,
          const std::function<Value(Index &, Value, const RowPosition &,
                                    KPosition)> &load) {
        for (int64_t turn = 0; turn < turns; ++turn) {
          TileElement e = tileElement(tid, turn, rows, sweep);
          KPosition kG{k0, e.k, e.kShift, e.kBound};
          RowPosition rowG{ix.addConstant(ix.add(row0, e.row), e.rowShift),
                           row0, e.row, e.rowShift};
          // Outside the GEMM (only where a tile overhangs its extent), the
          // element is loaded at row 0 or at the step's first k (both
          // inside) and replaced by zero.
          Value ok;
          if (rowExtent % rows != 0) {
            ix.clampTo(ix.lessThan(rowG.index, rowExtent), rowG.index, ok);
            rowG.tile = nullptr;
          }
          if (g.k % kTileK != 0) {
            kG.offset = ix.addConstant(kG.offset, kG.shift);
            kG.shift = 0;
            kG.offsetBound = kTileK;
            ix.clampTo(ix.lessThan(kG.linear(ix), g.k), kG.offset, ok);
          }
          Value value = load(ix, z, rowG, kG);
          // A 16-bit operand of an f32 (TF32) GEMM is widened, exactly.
          if (value.getType() != g.operandType)
            value = arith::ExtFOp::create(b, g.operandType, value);
          gathered.push_back(ok ? ix.orZero(ok, value) : value);
        }
      };
  gather(g.tile.m, g.tile.turnsA(), m0, g.m, g.aSweep, g.loadA);
  gather(kTileN, kTurnsB, n0, g.n, g.bSweep, g.loadB);
  return gathered;
}

void KernelBuilder::storeTiles(ArrayRef<Value> gathered, Value sharedA,
                               Value sharedB, Value stage, Value tid) {
  // Turn by turn, or a vector of consecutive k at a time (storeWidth()),
  // 16-byte aligned: the tiles' rows are, and a thread's part of k under
  // Sweep::Rows is a multiple of the vector.
  int64_t elementBytes = tileBytes();
  auto store = [&](int64_t rows, Sweep sweep, Value shared,
                   ArrayRef<Value> values) {
    int64_t width = storeWidth(rows, sweep, elementBytes);
    for (int64_t turn = 0; turn < static_cast<int64_t>(values.size());
         turn += width) {
      TileElement e = tileElement(tid, turn, rows, sweep);
      SmallVector<Value> at = {stage, ix.addConstant(e.row, e.rowShift),
                               ix.addConstant(e.k, e.kShift)};
      if (width == 1) {
        memref::StoreOp::create(b, values[turn], shared, at);
        continue;
      }
      Value vector = vector::FromElementsOp::create(
          b, VectorType::get({width}, tileType), values.slice(turn, width));
      vector::StoreOp::create(b, vector, shared, at, /*nontemporal=*/false,
                              llvm::MaybeAlign(width * elementBytes));
    }
  };
  store(g.tile.m, g.aSweep, sharedA, gathered.take_front(g.tile.turnsA()));
  store(kTileN, g.bSweep, sharedB, gathered.drop_front(g.tile.turnsA()));
}

void KernelBuilder::storeOutputTile(Value sharedC, Value tid, Value z, Value m0,
                                    Value n0, int64_t pass) {
  Type outType = getElementTypeOrSelf(g.output.getType());
  auto loop = scf::ForOp::create(
      b, ix.c(0), ix.c(kOutputRows * kTileN / kThreads), ix.c(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  // The block's threads sweep the tile along n, neighbours on neighbours.
  Value e = ix.add(tid, ix.mul(loop.getInductionVar(), kThreads));
  Value m = ix.div(e, kTileN), n = ix.rem(e, kTileN);
  Value mG = ix.add(m0, outputRow(m, pass)), nG = ix.add(n0, n);
  Value ok =
      arith::AndIOp::create(b, ix.lessThan(mG, g.m), ix.lessThan(nG, g.n));
  scf::IfOp::create(b, ok, [&](OpBuilder &, Location) {
    SmallVector<Value> at = g.outIndices(ix, z, mG, nG);
    Value tile = memref::LoadOp::create(b, sharedC, ValueRange{m, n});
    if (tile.getType() != outType)
      tile = arith::ExtFOp::create(b, outType, tile);
    Value initial = g.initialValue
                        ? (*g.initialValue)(ix, at)
                        : Value(memref::LoadOp::create(b, g.output, at));
    Value sum = initial ? arith::AddFOp::create(b, initial, tile) : tile;
    memref::StoreOp::create(b, sum, g.output, at);
    scf::YieldOp::create(b);
  });
}

KernelBuilder::WarpOffsets KernelBuilder::warpOffsets(Value tid) {
  AffineExpr t;
  bindDims(b.getContext(), t);
  AffineExpr warp = t.floorDiv(kWarpLanes);
  AffineExpr warpRow = warp.floorDiv(kWarpsN);
  return {apply(warpRow * g.tile.warpM(), tid),
          apply((warp % kWarpsN) * kWarpN, tid),
          apply(warpRow * kOutputRowsPerWarp, tid)};
}

Value KernelBuilder::outputRow(Value row, int64_t pass) {
  AffineExpr r;
  bindDims(b.getContext(), r);
  return apply(r.floorDiv(kOutputRowsPerWarp) * g.tile.warpM() +
                   pass * kOutputRowsPerWarp + r % kOutputRowsPerWarp,
               row);
}

Value KernelBuilder::apply(AffineExpr e, Value v) {
  return affine::AffineApplyOp::create(b, AffineMap::get(1, 0, e),
                                       ValueRange{v});
}

Value KernelBuilder::offset(Value base, int64_t by) {
  AffineExpr t;
  bindDims(b.getContext(), t);
  return apply(t + by, base);
}

Value KernelBuilder::stageOf(Value k0, int64_t ahead) {
  if (stages == 1)
    return ix.c(0);
  AffineExpr k;
  bindDims(b.getContext(), k);
  return apply((k.floorDiv(kTileK) + ahead) % stages, k0);
}

Value KernelBuilder::nextStep(Value k0) {
  return arith::MinUIOp::create(b, offset(k0, kTileK),
                                ix.c((g.k - 1) / kTileK * kTileK));
}

SmallVector<Value> KernelBuilder::zeroAccumulators() {
  auto accType = VectorType::get({kMmaM, kMmaN}, b.getF32Type());
  Value zero = arith::ConstantOp::create(
      b, accType, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0f)));
  return SmallVector<Value>(g.tile.tilesM() * kTilesN, zero);
}

SmallVector<Value> KernelBuilder::warpProducts(Value sharedA, Value sharedB,
                                               Value stage, WarpOffsets warp,
                                               ValueRange accs, bool widen) {
  MLIRContext *ctx = b.getContext();
  int64_t mmaK = g.mmaK();
  auto aType = VectorType::get({kMmaM, mmaK}, tileType);
  auto bType = VectorType::get({kMmaN, mmaK}, tileType);
  AffineExpr i, j, k;
  bindDims(ctx, i, j, k);
  auto maps = b.getAffineMapArrayAttr(AffineMap::inferFromExprList(
      ArrayRef<ArrayRef<AffineExpr>>{{i, k}, {j, k}, {i, j}}, ctx));
  auto iterators = b.getArrayAttr(
      {vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
       vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
       vector::IteratorTypeAttr::get(ctx, vector::IteratorType::reduction)});
  Value padding = ix.zero(tileType);
  SmallVector<bool> inBounds = {true, true};
  SmallVector<Value> next(accs.begin(), accs.end());
  for (int64_t kk = 0; kk < kTileK; kk += mmaK) {
    SmallVector<Value> as, bs;
    for (int64_t ti = 0; ti < g.tile.tilesM(); ++ti)
      as.push_back(vector::TransferReadOp::create(
          b, aType, sharedA,
          ValueRange{stage, offset(warp.m, ti * kMmaM), ix.c(kk)}, padding,
          inBounds));
    for (int64_t tj = 0; tj < kTilesN; ++tj)
      bs.push_back(vector::TransferReadOp::create(
          b, bType, sharedB,
          ValueRange{stage, offset(warp.n, tj * kMmaN), ix.c(kk)}, padding,
          inBounds));
    if (widen && !tileType.isF32()) {
      auto extend = [&](Value v) -> Value {
        auto type = cast<VectorType>(v.getType()).clone(b.getF32Type());
        return arith::ExtFOp::create(b, type, v);
      };
      for (Value &v : as)
        v = extend(v);
      for (Value &v : bs)
        v = extend(v);
    }
    for (int64_t ti = 0; ti < g.tile.tilesM(); ++ti)
      for (int64_t tj = 0; tj < kTilesN; ++tj) {
        Value &acc = next[ti * kTilesN + tj];
        acc = vector::ContractionOp::create(b, as[ti], bs[tj], acc, maps,
                                            iterators);
      }
  }
  return next;
}

void KernelBuilder::storeAccumulators(Value sharedC, WarpOffsets warp,
                                      ValueRange accs, int64_t pass) {
  SmallVector<bool> inBounds = {true, true};
  int64_t perPass = g.tile.tilesM() / g.tile.outputPasses();
  for (int64_t ti = 0; ti < perPass; ++ti)
    for (int64_t tj = 0; tj < kTilesN; ++tj)
      vector::TransferWriteOp::create(
          b, accs[(pass * perPass + ti) * kTilesN + tj], sharedC,
          ValueRange{offset(warp.outputRow, ti * kMmaM),
                     offset(warp.n, tj * kMmaN)},
          inBounds);
}

std::array<MemRefType, 3> KernelBuilder::sharedTypes(Attribute space) {
  auto type = [&](ArrayRef<int64_t> shape, Type element) {
    return MemRefType::get(shape, element, MemRefLayoutAttrInterface(), space);
  };
  int64_t padded = kTileK + rowPad(tileBytes());
  return {type({stages, g.tile.m, padded}, tileType),
          type({stages, kTileN, padded}, tileType),
          type({kOutputRows, kTileN + kAccumulatorRowPad}, b.getF32Type())};
}

int64_t ceilDiv(int64_t x, int64_t y) { return (x + y - 1) / y; }

/// The fewest blocks for which the automatic choice takes 128 rows: about
/// 8 per SM of an H100 or H200 (132 SMs), so that the last wave's
/// imbalance stays small and each SM has several blocks to switch between.
constexpr int64_t kTallTileBlocks = 1024;

/// The block's tile for `g`: `rows` rows where given (pass option
/// `block-m`), else 128 where M is a multiple of 128 and the grid keeps at
/// least kTallTileBlocks blocks, 64 otherwise.
BlockTile chooseBlockTile(const Gemm &g, int64_t rows) {
  if (rows != 0)
    return {rows};
  BlockTile tall{128};
  bool fits = g.m % tall.m == 0 &&
              g.z * (g.m / tall.m) * ceilDiv(g.n, kTileN) >= kTallTileBlocks;
  return fits ? tall : BlockTile();
}

/// Gives the shared tiles `tiles`, converted as f16, their true element
/// type `element`. After upstream's conversion (and the removal of what it
/// left dead) their only readers are `nvgpu.ldmatrix` ops, which only feed
/// `nvgpu.mma.sync`: ldmatrix moves 16-bit elements whatever their type,
/// and the mma takes its types from its operands.
LogicalResult retypeTiles(ArrayRef<BlockArgument> tiles, Type element) {
  for (BlockArgument tile : tiles) {
    tile.setType(MemRefType::Builder(cast<MemRefType>(tile.getType()))
                     .setElementType(element));
    for (Operation *user : tile.getUsers()) {
      auto load = dyn_cast<nvgpu::LdMatrixOp>(user);
      if (!load || !llvm::all_of(load->getUsers(), [](Operation *op) {
            return isa<nvgpu::MmaSyncOp>(op);
          }))
        return failure();
      load.getRes().setType(
          cast<VectorType>(load.getRes().getType()).clone(element));
    }
  }
  return success();
}

LogicalResult KernelBuilder::build() {
  MLIRContext *ctx = b.getContext();
  // Upstream's fragment helpers (MLIR 22) know f16 but not bf16, whose
  // m16n8k16 fragments have f16's layout: a bf16 kernel goes through
  // phases 1 and 2 as f16, and its tiles are retyped before phase 3.
  if (g.operandType.isBF16())
    tileType = b.getF16Type();
  auto [sharedAType, sharedBType, sharedCType] =
      sharedTypes(gpu::AddressSpaceAttr::get(
          ctx, gpu::GPUDialect::getWorkgroupAddressSpace()));
  auto launch = gpu::LaunchOp::create(
      b, ix.c(ceilDiv(g.n, kTileN)), ix.c(ceilDiv(g.m, g.tile.m)), ix.c(g.z),
      ix.c(kThreads), ix.c(1), ix.c(1), /*dynamicSharedMemorySize=*/nullptr,
      /*asyncTokenType=*/nullptr, /*asyncDependencies=*/{},
      TypeRange{sharedAType, sharedBType, sharedCType});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value sharedA = launch.getWorkgroupAttributions()[0];
  Value sharedB = launch.getWorkgroupAttributions()[1];
  Value sharedC = launch.getWorkgroupAttributions()[2];
  ix.assumeAligned = true;
  gpu::KernelDim3 block = launch.getBlockIds();
  Value tid = launch.getThreadIds().x;

  // Phase 1: the warps' part, vector ops only (offsets as affine.apply).
  // The upstream conversion treats every scalar elementwise op it finds
  // (index arithmetic included) as a candidate and fails on it, so it runs
  // on this skeleton before the gathers and the epilogue are added. With
  // one stage, each K step is: gathers, barrier, products, barrier. With
  // two, the first step's gathers go before a barrier ahead of the loop,
  // and each step loads the next step's tile elements, multiplies its own
  // stage, stores what it loaded into the other stage, then waits once.
  WarpOffsets warp = warpOffsets(tid);
  if (stages > 1)
    gpu::BarrierOp::create(b);
  auto kLoop = scf::ForOp::create(
      b, ix.c(0), ix.c(g.k), ix.c(kTileK), zeroAccumulators(),
      [&](OpBuilder &, Location, Value k0, ValueRange accs) {
        if (stages == 1)
          gpu::BarrierOp::create(b);
        SmallVector<Value> next =
            warpProducts(sharedA, sharedB, stageOf(k0), warp, accs);
        gpu::BarrierOp::create(b);
        scf::YieldOp::create(b, next);
      });
  // The epilogue goes after each pass's barrier (phase 3); the next pass
  // overwrites the output tile after another.
  SmallVector<gpu::BarrierOp> epilogueBarriers;
  for (int64_t pass = 0; pass < g.tile.outputPasses(); ++pass) {
    if (pass > 0)
      gpu::BarrierOp::create(b);
    storeAccumulators(sharedC, warp, kLoop.getResults(), pass);
    epilogueBarriers.push_back(gpu::BarrierOp::create(b));
  }
  gpu::TerminatorOp::create(b);

  // Phase 2: upstream's vector -> nvgpu conversion, on this launch only.
  // The preparation patterns run on the contractions and what they create:
  // a greedy run over the whole launch would also fold a one-trip K loop.
  RewritePatternSet prepare(ctx);
  populatePrepareVectorToMMAPatterns(prepare, /*useNvGpu=*/true);
  SmallVector<Operation *> contracts;
  launch.walk([&](vector::ContractionOp op) { contracts.push_back(op); });
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  if (failed(applyOpPatternsGreedily(contracts, std::move(prepare), config)))
    return failure();
  IRRewriter rewriter(ctx);
  if (failed(convertVectorToNVVMCompatibleMMASync(rewriter, launch)))
    return failure();
  // f32 operands are meant as TF32 (the conversion does not say so, and
  // the NVVM lowering refuses f32 mma.sync without it).
  launch.walk([&](nvgpu::MmaSyncOp mma) {
    if (getElementTypeOrSelf(mma.getMatrixA().getType()).isF32())
      mma.setTf32EnabledAttr(UnitAttr::get(mma.getContext()));
  });
  // The conversion rebuilt the K loop with fragment-typed iter_args next to
  // the old, now dead, ones: drop those (and a one-trip loop altogether).
  RewritePatternSet cleanup(ctx);
  scf::ForOp::getCanonicalizationPatterns(cleanup, ctx);
  if (failed(applyPatternsGreedily(launch.getOperation(), std::move(cleanup))))
    return failure();
  if (tileType != g.operandType) {
    if (failed(retypeTiles({launch.getWorkgroupAttributions()[0],
                            launch.getWorkgroupAttributions()[1]},
                           g.operandType)) ||
        failed(verify(launch)))
      return failure();
    tileType = g.operandType;
  }

  // Phase 3: the block's gathers into shared memory before the first
  // barrier (in the K loop with one stage, or ahead of it with two; in the
  // launch where a one-trip loop was folded), the prefetch of the next
  // step around the products of a K loop with two stages, then the
  // epilogue.
  SmallVector<gpu::BarrierOp> barriers;
  launch.walk([&](gpu::BarrierOp barrier) { barriers.push_back(barrier); });
  int64_t passes = g.tile.outputPasses();
  if (static_cast<int64_t>(barriers.size()) != 1 + 2 * passes ||
      barriers.back() != epilogueBarriers.back())
    return failure();
  b.setInsertionPointToStart(&launch.getBody().front());
  Value z = block.z, m0 = ix.mul(block.y, g.tile.m);
  Value n0 = ix.mul(block.x, kTileN);
  auto kLoopNow = dyn_cast<scf::ForOp>(barriers[0]->getParentOp());
  b.setInsertionPoint(barriers[0]);
  Value k0 = kLoopNow ? kLoopNow.getInductionVar() : ix.c(0);
  storeTiles(gatherTiles(tid, z, m0, n0, k0), sharedA, sharedB, ix.c(0), tid);
  if (stages > 1) {
    if (auto loop = dyn_cast<scf::ForOp>(barriers[1]->getParentOp())) {
      b.setInsertionPointToStart(loop.getBody());
      Value k = loop.getInductionVar();
      SmallVector<Value> next = gatherTiles(tid, z, m0, n0, nextStep(k));
      b.setInsertionPoint(barriers[1]);
      storeTiles(next, sharedA, sharedB, stageOf(k, /*ahead=*/1), tid);
    }
  }
  for (auto [pass, barrier] : llvm::enumerate(epilogueBarriers)) {
    b.setInsertionPointAfter(barrier);
    storeOutputTile(sharedC, tid, z, m0, n0, pass);
  }
  return success();
}

void KernelBuilder::buildEmulation() {
  // The same kernel as sequential host loops: each stretch between two
  // barriers becomes a loop over the block's threads (or its warps); the
  // warps' accumulators live in a buffer between K steps.
  Type f32 = b.getF32Type();
  auto [sharedAType, sharedBType, sharedCType] = sharedTypes(Attribute());
  Value sharedA = memref::AllocOp::create(b, sharedAType);
  Value sharedB = memref::AllocOp::create(b, sharedBType);
  Value sharedC = memref::AllocOp::create(b, sharedCType);
  int64_t warps = kWarps, perWarp = g.tile.tilesM() * kTilesN;
  Value accBuffer = memref::AllocOp::create(
      b, MemRefType::get({warps * perWarp, kMmaM, kMmaN}, f32));
  auto loop = [&](int64_t count, function_ref<void(Value)> body) {
    auto forOp = scf::ForOp::create(b, ix.c(0), ix.c(count), ix.c(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    body(forOp.getInductionVar());
  };
  SmallVector<bool> inBounds = {true, true};
  auto accumulatorAt = [&](Value w, int64_t t) {
    AffineExpr e = getAffineDimExpr(0, b.getContext());
    return SmallVector<Value>{apply(e * perWarp + t, w), ix.c(0), ix.c(0)};
  };
  auto accumulatorsOf = [&](Value w) {
    SmallVector<Value> accs;
    Value zero = arith::ConstantOp::create(b, f32, b.getF32FloatAttr(0.0f));
    for (int64_t t = 0; t < perWarp; ++t)
      accs.push_back(vector::TransferReadOp::create(
          b, VectorType::get({kMmaM, kMmaN}, f32), accBuffer,
          accumulatorAt(w, t), zero, inBounds));
    return accs;
  };
  scf::buildLoopNest(
      b, b.getLoc(), {ix.c(0), ix.c(0), ix.c(0)},
      {ix.c(g.z), ix.c(ceilDiv(g.m, g.tile.m)), ix.c(ceilDiv(g.n, kTileN))},
      {ix.c(1), ix.c(1), ix.c(1)}, [&](OpBuilder &, Location, ValueRange ivs) {
        Value z = ivs[0], m0 = ix.mul(ivs[1], g.tile.m);
        Value n0 = ix.mul(ivs[2], kTileN);
        linalg::FillOp::create(b,
                               ValueRange{arith::ConstantOp::create(
                                   b, f32, b.getF32FloatAttr(0.0f))},
                               ValueRange{accBuffer});
        auto gatherInto = [&](Value k0, Value stage) {
          loop(kThreads, [&](Value tid) {
            storeTiles(gatherTiles(tid, z, m0, n0, k0), sharedA, sharedB, stage,
                       tid);
          });
        };
        // With two stages, the first step's tiles are gathered ahead.
        if (stages > 1)
          gatherInto(ix.c(0), ix.c(0));
        scf::ForOp::create(
            b, ix.c(0), ix.c(g.k), ix.c(kTileK), ValueRange{},
            [&](OpBuilder &, Location, Value k0, ValueRange) {
              if (stages == 1)
                gatherInto(k0, ix.c(0));
              loop(warps, [&](Value w) {
                SmallVector<Value> next = warpProducts(
                    sharedA, sharedB, stageOf(k0),
                    warpOffsets(ix.mul(w, kWarpLanes)), accumulatorsOf(w),
                    /*widen=*/true);
                for (auto [t, acc] : llvm::enumerate(next))
                  vector::TransferWriteOp::create(
                      b, acc, accBuffer, accumulatorAt(w, t), inBounds);
              });
              // The next step's tiles, into the stage this one did not read.
              if (stages > 1)
                gatherInto(nextStep(k0), stageOf(k0, /*ahead=*/1));
              scf::YieldOp::create(b);
            });
        for (int64_t pass = 0; pass < g.tile.outputPasses(); ++pass) {
          loop(warps, [&](Value w) {
            storeAccumulators(sharedC, warpOffsets(ix.mul(w, kWarpLanes)),
                              accumulatorsOf(w), pass);
          });
          loop(kThreads, [&](Value tid) {
            storeOutputTile(sharedC, tid, z, m0, n0, pass);
          });
        }
      });
  for (Value buffer : {sharedA, sharedB, sharedC, accBuffer})
    memref::DeallocOp::create(b, buffer);
}

struct ConvBNTensorCoreConvolutionsPass
    : public convbn::impl::ConvBNTensorCoreConvolutionsBase<
          ConvBNTensorCoreConvolutionsPass> {
  using ConvBNTensorCoreConvolutionsBase::ConvBNTensorCoreConvolutionsBase;

  void runOnOperation() override {
    if (!llvm::is_contained(kBlockRows, blockM) && blockM != 0) {
      getOperation()->emitError("convbn-tensor-core-convolutions: block-m is ")
          << static_cast<int64_t>(blockM)
          << "; it must be 0 (chosen per kernel), 64 or 128";
      return signalPassFailure();
    }
    // Each candidate with its GEMM, or the reason it stays a loop nest.
    std::vector<std::pair<Operation *, FailureOr<Gemm>>> candidates;
    SmallVector<std::string> reasons;
    getOperation()->walk([&](Operation *op) {
      if (op->getParentOfType<gpu::LaunchOp>() ||
          op->getParentOfType<gpu::GPUModuleOp>())
        return;
      std::string why;
      if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op)) {
        candidates.emplace_back(
            op, analyzeConvolution(conv, allowTF32, foldOperands,
                                   recomputeProducers, why));
        reasons.push_back(why);
      } else if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
        FailureOr<Gemm> gemm = analyzeBackwardFilter(
            generic, allowTF32, foldOperands, recomputeProducers, why);
        // A generic that is not a backward-filter reduction is not a
        // candidate at all.
        if (succeeded(gemm) || !why.empty()) {
          candidates.emplace_back(op, std::move(gemm));
          reasons.push_back(why);
        }
      }
    });
    for (auto [candidate, why] : llvm::zip(candidates, reasons)) {
      auto &[op, gemm] = candidate;
      if (succeeded(gemm)) {
        gemm->tile = chooseBlockTile(*gemm, blockM);
        // Without vectors, the same operands swept along k one element
        // at a time (their accessors serve both).
        if (!vectorGathers) {
          if (gemm->aSweep == Sweep::AlongKVectors)
            gemm->aSweep = Sweep::AlongK;
          if (gemm->bSweep == Sweep::AlongKVectors)
            gemm->bSweep = Sweep::AlongK;
        }
      }
      // Grid y counts M tiles, grid z images or chunks: 65535 at most.
      if (succeeded(gemm) && (gemm->z > kMaxGridYZ ||
                              ceilDiv(gemm->m, gemm->tile.m) > kMaxGridYZ)) {
        why = "more than 65535 images, chunks or filter tiles for the grid";
        gemm = failure();
      }
      if (failed(gemm)) {
        if (report)
          op->emitRemark("convbn-tensor-core-convolutions: left as a "
                         "loop nest: ")
              << why;
        continue;
      }
      Operation *initializer = nullptr;
      if (foldOperands)
        initializer = foldInitializer(op, *gemm);
      ImplicitLocOpBuilder b(op->getLoc(), op);
      KernelBuilder kernel(b, *gemm, prefetch);
      if (cpuEmulation) {
        kernel.buildEmulation();
      } else if (failed(kernel.build())) {
        op->emitError("convbn-tensor-core-convolutions: the vector to "
                      "nvgpu conversion failed on the kernel built for "
                      "this ")
            << gemm->kind;
        return signalPassFailure();
      }
      if (report) {
        InFlightDiagnostic remark =
            op->emitRemark("convbn-tensor-core-convolutions: ")
            << gemm->kind << " as an implicit GEMM on tensor cores ("
            << gemm->operandType << ", M=" << gemm->m << " N=" << gemm->n
            << " K=" << gemm->k << ", " << gemm->z << " in the grid's z)";
        if (gemm->windowChannels)
          remark << "; K ordered as window x channels";
        if (gemm->windowOuterN)
          remark << "; N ordered as window x channels";
        if (gemm->windowChannels > gemm->channels)
          remark << " (" << gemm->channels << " padded to "
                 << gemm->windowChannels << ")";
        if (initializer)
          remark << "; the output's initialization (" << initializer->getName()
                 << ") folded into the epilogue";
        if (gemm->producedA)
          remark
              << "; computes its first operand in the gather (linalg.generic "
                 "folded)";
        if (gemm->padded)
          remark << "; reads the unpadded input (padding "
                 << gemm->padded->low[0] << ", " << gemm->padded->low[1]
                 << " before)";
        bool vectorsA = gemm->aSweep == Sweep::AlongKVectors,
             vectorsB = gemm->bSweep == Sweep::AlongKVectors;
        if (vectorsA || vectorsB)
          remark << "; " << (vectorsA ? (vectorsB ? "A and B" : "A") : "B")
                 << " gathered in " << kVectorBytes << "-byte vectors along K";
        BankConflicts banks =
            bankConflicts(gemm->operandType.getIntOrFloatBitWidth() / 8,
                          gemm->tile, gemm->aSweep, gemm->bSweep);
        remark << "; shared-memory ways per warp access (1: no bank "
                  "conflict): A stores "
               << banks.storesA << ", B stores " << banks.storesB
               << ", ldmatrix " << banks.ldmatrix << ", accumulators "
               << banks.accumulators << "; blocks of " << gemm->tile.m << " x "
               << kTileN << " (warps of " << gemm->tile.warpM() << " x "
               << kWarpN << ")";
      }
      op->erase();
      if (initializer)
        initializer->erase();
      if (gemm->padded)
        for (Operation *folded : gemm->padded->ops)
          folded->erase();
      if (gemm->producedA)
        for (Operation *folded : gemm->producedA->ops)
          folded->erase();
    }
  }
};
} // namespace
