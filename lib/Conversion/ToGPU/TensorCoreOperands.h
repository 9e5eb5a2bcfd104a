//===- TensorCoreOperands.h - What the gathers read -------------*- C++ -*-===//
//
// What the tensor-core kernels' gathers load from global memory: index
// arithmetic and loads (Index), and two kinds of operand that the kernel
// reads from what they were made of rather than from a buffer of their own:
// a zero-padded copy of an input, and a weight an elementwise generic
// computes only for the convolution.
//
//===----------------------------------------------------------------------===//

#ifndef CONVBN_LIB_CONVERSION_TOGPU_TENSORCOREOPERANDS_H
#define CONVBN_LIB_CONVERSION_TOGPU_TENSORCOREOPERANDS_H

#include "TensorCoreTiles.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <optional>

namespace mlir::convbn::tensor_cores {

/// Whether `buffer` starts where the buffer it is a view of starts (its
/// layout is the identity, and so is every view's between them), and that
/// is an allocation or an argument of the function: the runtime's device
/// allocations are 256-byte aligned, and the callers' buffers must be
/// kVectorBytes-aligned (the Python binding passes aligned copies of
/// others).
bool alignedStart(Value buffer);

/// Index arithmetic on `index` values with constant operands, and the
/// gathers' loads.
struct Index {
  explicit Index(ImplicitLocOpBuilder &b) : b(b) {}
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
  /// Sum and product of indices that may be below zero (an offset into the
  /// padding): they never wrap as signed numbers, which is all their flags
  /// claim.
  arith::IntegerOverflowFlagsAttr noSignedWrap() {
    return arith::IntegerOverflowFlagsAttr::get(
        b.getContext(), arith::IntegerOverflowFlags::nsw);
  }
  Value addSigned(Value x, Value y) {
    return arith::AddIOp::create(b, x, y, noSignedWrap());
  }
  Value mulSigned(Value x, int64_t y) {
    return y == 1 ? x
                  : Value(arith::MulIOp::create(b, x, c(y), noSignedWrap()));
  }
  /// `x - y`, which may wrap around (below zero: a huge unsigned value,
  /// which one unsigned comparison then finds out of range).
  Value subConstant(Value x, int64_t y) {
    return y == 0 ? x : Value(arith::SubIOp::create(b, x, c(y)));
  }
  Value div(Value x, int64_t y) {
    return y == 1 ? x : Value(arith::DivUIOp::create(b, x, c(y)));
  }
  Value rem(Value x, int64_t y) {
    return y == 1 ? c(0) : Value(arith::RemUIOp::create(b, x, c(y)));
  }
  /// `x / y` and `x % y` for `x` from 0 to `below` - 1. Where `y` is not a
  /// power of two, the quotient is a multiplication and a shift (by the
  /// smallest exact `m` = ceil(2^s / y) for that range) and the remainder
  /// `x - q * y`. LLVM's own division by a constant narrows a dividend
  /// that it knows is small to 16 or 8 bits, which the GPU then does in
  /// twice the instructions (masks and sign extensions); this stays in the
  /// width the index arithmetic is narrowed to.
  std::pair<Value, Value> divRemBelow(Value x, int64_t y, int64_t below) {
    if (llvm::isPowerOf2_64(y))
      return {div(x, y), rem(x, y)};
    constexpr int64_t kFits = int64_t(1) << 31;
    for (int64_t s = 1; s < 31; ++s) {
      int64_t scale = int64_t(1) << s;
      int64_t m = (scale + y - 1) / y;
      if ((m * y - scale) * (below - 1) >= scale || m * (below - 1) >= kFits)
        continue;
      Value q = arith::ShRUIOp::create(b, mul(x, m), c(s));
      Value r = arith::SubIOp::create(b, x, mul(q, y), noWrap());
      return {q, r};
    }
    return {div(x, y), rem(x, y)};
  }
  Value lessThan(Value x, int64_t bound) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::ult, x, c(bound));
  }
  /// `x * s + y * d`: a window position.
  Value window(Value x, int64_t s, Value y, int64_t d) {
    return add(mul(x, s), mul(y, d));
  }
  /// The kernel's body, where it is a gpu.launch (null in the CPU
  /// emulation). Its loads then assume that a buffer allocated by the code
  /// or given to it starts at a multiple of kVectorBytes (alignedStart():
  /// the runtime's allocations do, and the callers' buffers must), so that
  /// LLVM can join a thread's neighbouring loads into one; that assumption,
  /// and the views that the gathers read through, are made once per kernel
  /// at the body's start rather than at each load.
  Block *kernelBody = nullptr;
  Value load(Value buffer, ArrayRef<Value> indices) {
    if (kernelBody && alignedStart(buffer))
      buffer = once(alignedViews, buffer, [&] {
        return memref::AssumeAlignmentOp::create(b, buffer, kVectorBytes);
      });
    return memref::LoadOp::create(b, buffer, indices);
  }
  /// `buffer` with its last `count` dimensions collapsed into one (an
  /// image's plane, a filter's channels x window).
  Value collapseTrailing(Value buffer, int64_t count) {
    return once(collapsedViews, std::make_pair(buffer, count), [&]() -> Value {
      int64_t rank = cast<MemRefType>(buffer.getType()).getRank();
      SmallVector<ReassociationIndices> dims;
      for (int64_t i = 0; i < rank - count; ++i)
        dims.push_back({i});
      dims.emplace_back();
      for (int64_t i = rank - count; i < rank; ++i)
        dims.back().push_back(i);
      return memref::CollapseShapeOp::create(b, buffer, dims);
    });
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

private:
  /// What `make` makes of `of` (a buffer defined outside the kernel, or a
  /// view made here): in a kernel, made once, at the body's start after
  /// what was made there before, and then reused; elsewhere, made here each
  /// time.
  template <typename Key>
  Value once(DenseMap<Key, Value> &made, Key of, function_ref<Value()> make) {
    if (!kernelBody)
      return make();
    auto [it, inserted] = made.try_emplace(of);
    if (inserted) {
      OpBuilder::InsertionGuard guard(b);
      if (lastMade)
        b.setInsertionPointAfter(lastMade);
      else
        b.setInsertionPointToStart(kernelBody);
      it->second = make();
      lastMade = it->second.getDefiningOp();
    }
    return it->second;
  }
  DenseMap<Value, Value> alignedViews;
  DenseMap<std::pair<Value, int64_t>, Value> collapsedViews;
  Operation *lastMade = nullptr;
};

/// The buffer a view (subview, reshape, cast) was taken of.
Value rootBuffer(Value buffer);

/// Whether destination-style `op` writes the buffer `buffer` belongs to (an
/// output is a view of it).
bool writesBuffer(Operation *op, Value buffer);

/// Whether the buffer `buffer` belongs to may change after `from` and
/// while the kernel that replaces `to` (same block) reads it: some op
/// strictly between them may write it, or `to` writes it.
bool mayChangeBefore(Operation *from, Operation *to, Value buffer);

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
  /// Moves `h` and `w`, spatial indices in the padded buffer, into
  /// `source`'s coordinates, or to 0 (the source's first row and column)
  /// where they lie in the padding; returns whether they do not.
  Value intoSource(Index &ix, Value &h, Value &w) const;
};

/// The padded copy that `operand` of `op` is, if it is one.
std::optional<PaddedCopy> matchPaddedCopy(Value operand, Operation *op);

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

/// The elementwise producer of `operand` of `op`, if it may be folded.
std::optional<ProducedOperand> matchProducedOperand(Value operand,
                                                    Operation *op);

} // namespace mlir::convbn::tensor_cores

#endif // CONVBN_LIB_CONVERSION_TOGPU_TENSORCOREOPERANDS_H
