//===- BackwardFilterToMatmul.cpp - Backward-filter as im2col + GEMM ------===//
//
// The lowering's backward-filter generic reads the input at `oh*s + kh*d`,
// which neither the vectorizer nor a GEMM micro-kernel takes. Copying the
// windows once (im2col) turns it into a batched GEMM whose inner dimension
// is contiguous in both the copied windows and the filter gradient. With an
// f64 accumulator the GEMM runs in f32 over chunks of images, each chunk
// added to the accumulator.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/ConvBNToLinalg/BackwardFilterForm.h"
#include "convbn/Conversion/Passes.h"

#include "TensorCopies.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNBACKWARDFILTERTOMATMUL
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;
using namespace mlir::convbn;
using mlir::convbn::cpu::contractSharedLhs;
using mlir::convbn::cpu::copyAs;
using mlir::convbn::cpu::groupsOf;
using mlir::convbn::cpu::im2colRows;
using mlir::convbn::cpu::shapeOf;
using mlir::convbn::cpu::sliceAlong;
using mlir::convbn::cpu::zeros;

namespace {

/// Collapses `value` by `groups`.
Value collapse(OpBuilder &b, Location loc, Value value,
               ArrayRef<int64_t> groups) {
  return tensor::CollapseShapeOp::create(b, loc, value, groupsOf(groups));
}

/// Expands `value` to `shape` by `groups`.
Value expand(OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> shape,
             ArrayRef<int64_t> groups) {
  auto type = RankedTensorType::get(
      shape, cast<RankedTensorType>(value.getType()).getElementType());
  return tensor::ExpandShapeOp::create(b, loc, type, value, groupsOf(groups));
}

/// The op that sums `partials` over its leading (chunk) dimension, as the
/// lowering writes it: out[i...] += partials[p, i...], p the innermost,
/// reduction loop. Null if `partials` has another use or another consumer.
linalg::GenericOp chunkSum(Value partials) {
  if (!partials.hasOneUse())
    return {};
  auto sum = dyn_cast<linalg::GenericOp>(*partials.getUsers().begin());
  if (!sum || sum.getNumDpsInputs() != 1 || sum.getNumDpsInits() != 1 ||
      sum.getDpsInputs()[0] != partials)
    return {};
  unsigned rank = cast<ShapedType>(partials.getType()).getRank();
  MLIRContext *ctx = sum.getContext();
  SmallVector<AffineExpr> in{getAffineDimExpr(rank - 1, ctx)}, out;
  for (unsigned i = 0; i + 1 < rank; ++i) {
    in.push_back(getAffineDimExpr(i, ctx));
    out.push_back(getAffineDimExpr(i, ctx));
  }
  SmallVector<AffineMap> maps = sum.getIndexingMapsArray();
  if (sum.getNumLoops() != rank ||
      maps[0] != AffineMap::get(rank, 0, in, ctx) ||
      maps[1] != AffineMap::get(rank, 0, out, ctx) ||
      sum.getNumReductionLoops() != 1 ||
      sum.getIteratorTypesArray().back() != utils::IteratorType::reduction)
    return {};
  Block &body = sum.getRegion().front();
  auto add = dyn_cast_or_null<arith::AddFOp>(
      body.getTerminator()->getOperand(0).getDefiningOp());
  if (!add || body.getOperations().size() != 2)
    return {};
  Value x = body.getArgument(0), acc = body.getArgument(1);
  if (!((add.getLhs() == acc && add.getRhs() == x) ||
        (add.getLhs() == x && add.getRhs() == acc)))
    return {};
  return sum;
}

/// The fewest output positions, over the whole batch, for which the
/// backward-filter GEMM runs in f32: below, the f32 product's weight-sized
/// fill and its addition to the f64 accumulator cost more than the f64 GEMM
/// they save (one core, 512 x 512 x 3 x 3 at batch 1: 4 positions 1.3 ms
/// in f64, 2.1 ms in f32; 16 even; 49 0.20 -> 0.17 ms).
constexpr int64_t kMinF32Terms = 32;

/// The fewest images dividing `batch` whose output positions number at
/// least `positions` (the whole batch if no fewer do).
int64_t imagesPerChunk(int64_t batch, int64_t perImage, int64_t positions) {
  for (int64_t images = 1; images < batch; ++images)
    if (batch % images == 0 && images * perImage >= positions)
      return images;
  return batch;
}

/// Whether `value` is a view (reshapes) of a `linalg.fill` with zero.
bool isZeros(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto fill = dyn_cast<linalg::FillOp>(def))
      return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
    if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
      return false;
    value = def->getOperand(0);
  }
  return false;
}

/// `acc` plus `part` widened to `acc`'s element type, `part` read at
/// `read(i)` for each element i of `acc`, in a new tensor. Into zeros (the
/// batch in one chunk) a widening copy that does not read `acc`, which
/// later passes can fuse into each of its readers.
Value addWidened(OpBuilder &b, Location loc, Value part, AffineMap read,
                 Value acc) {
  auto accType = cast<ShapedType>(acc.getType());
  if (isZeros(acc))
    return copyAs(b, loc, part, read, accType.getShape(),
                  accType.getElementType());
  unsigned rank = accType.getRank();
  return linalg::GenericOp::create(
             b, loc, acc.getType(), part, acc,
             {read, b.getMultiDimIdentityMap(rank)},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [](OpBuilder &nb, Location l, ValueRange args) {
               Value wide =
                   arith::ExtFOp::create(nb, l, args[1].getType(), args[0]);
               linalg::YieldOp::create(
                   nb, l,
                   arith::AddFOp::create(nb, l, args[1], wide).getResult());
             })
      .getResult(0);
}

/// Whether the chunk's channels-last copies (the input and the output
/// gradient, `inputs` and `grads` elements) and the transposed addition of
/// its filter gradient (`weights` elements) are smaller than its im2col
/// matrix (`windows` elements). With many filters over few positions they
/// are not (512 -> 512 3x3 at 4x4, batch 8: 2.4M weights against 0.6M
/// windows, 13 -> 20 ms on one core), and a 1x1 kernel has no window to
/// save.
bool channelsLastPays(int64_t inputs, int64_t grads, int64_t weights,
                      int64_t windows, int64_t kh, int64_t kw) {
  return kh * kw > 1 && inputs + grads + weights <= windows;
}

/// The chunk's filter gradient as one f32 contraction per kernel offset on
/// channels-last copies, with no im2col copy:
///   xt[n, h, w, c] = x[n, c, h, w],  gt[n, oh, ow, f] = G[n, f, oh, ow]
///   dW[f, c, i, j] = sum over (n, oh, ow) of
///                    xt[n, oh*s0 + i*d0, ow*s1 + j*d1, c] * gt[n, oh, ow, f]
/// each a `linalg.contract` of a strided slice of xt (a view, no copy) and
/// gt, both contiguous in their parallel dimension and indexed by the
/// reduction in their outer ones: its tiles are outer products. The lanes
/// (the result's inner dimension) are the channels, or the filters when
/// there are more of them (the stem's 3 channels): the f32 partials are
/// part[f, i, j, c] (added to dW one small [(i, j), c] transpose per
/// filter) or part[i, j, c, f]. Returns `sum` [1, f, (c, kh, kw)] + part,
/// in f64.
Value addChannelsLastPartials(OpBuilder &b, Location loc, Value x, Value grad,
                              Value sum, const BackwardFilterForm &form,
                              int64_t kh, int64_t kw) {
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> xs = shapeOf(x), gs = shapeOf(grad);
  int64_t images = xs[0], channels = xs[1], filters = gs[1], oh = gs[2],
          ow = gs[3];
  bool channelLanes = channels >= filters;
  Type f32 = b.getF32Type();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto index = [&](int64_t i) -> OpFoldResult { return b.getIndexAttr(i); };
  AffineMap toChannelsLast =
      AffineMap::get(4, 0, {d(0), d(3), d(1), d(2)}, ctx);
  Value xt =
      copyAs(b, loc, x, toChannelsLast, {images, xs[2], xs[3], channels}, f32);
  Value gt =
      copyAs(b, loc, grad, toChannelsLast, {images, oh, ow, filters}, f32);
  SmallVector<int64_t> partShape =
      channelLanes ? SmallVector<int64_t>{filters, kh, kw, channels}
                   : SmallVector<int64_t>{kh, kw, channels, filters};
  Value part = zeros(b, loc, partShape, f32);
  // Loops (rows, lanes, n, oh, ow): rows x lanes tiles of outer products.
  AffineMap rowMap = AffineMap::get(5, 0, {d(2), d(3), d(4), d(0)}, ctx),
            laneMap = AffineMap::get(5, 0, {d(2), d(3), d(4), d(1)}, ctx);
  ArrayAttr maps = b.getAffineMapArrayAttr(
      {rowMap, laneMap, AffineMap::get(5, 0, {d(0), d(1)}, ctx)});
  auto slotType =
      RankedTensorType::get(channelLanes ? ArrayRef<int64_t>{filters, channels}
                                         : ArrayRef<int64_t>{channels, filters},
                            f32);
  for (int64_t i = 0; i < kh; ++i) {
    for (int64_t j = 0; j < kw; ++j) {
      Value window = tensor::ExtractSliceOp::create(
          b, loc, xt,
          ArrayRef<OpFoldResult>{index(0), index(i * form.dilations[0]),
                                 index(j * form.dilations[1]), index(0)},
          ArrayRef<OpFoldResult>{index(images), index(oh), index(ow),
                                 index(channels)},
          ArrayRef<OpFoldResult>{index(1), index(form.strides[0]),
                                 index(form.strides[1]), index(1)});
      SmallVector<OpFoldResult> offsets, sizes, strides(4, index(1));
      if (channelLanes) {
        offsets = {index(0), index(i), index(j), index(0)};
        sizes = {index(filters), index(1), index(1), index(channels)};
      } else {
        offsets = {index(i), index(j), index(0), index(0)};
        sizes = {index(1), index(1), index(channels), index(filters)};
      }
      Value slot = tensor::ExtractSliceOp::create(b, loc, slotType, part,
                                                  offsets, sizes, strides);
      SmallVector<Value, 2> operands{window, gt};
      if (channelLanes)
        std::swap(operands[0], operands[1]);
      Value product =
          linalg::ContractOp::create(b, loc, TypeRange{slotType}, operands,
                                     ValueRange{slot}, maps)
              .getResult(0);
      part = tensor::InsertSliceOp::create(b, loc, product, part, offsets,
                                           sizes, strides);
    }
  }
  // sum[0, f, c, i, j] += part[f, i, j, c] or part[i, j, c, f], in f64.
  Value sum5 = expand(b, loc, sum, {1, filters, channels, kh, kw}, {1, 1, 3});
  AffineMap read = channelLanes
                       ? AffineMap::get(5, 0, {d(1), d(3), d(4), d(2)}, ctx)
                       : AffineMap::get(5, 0, {d(3), d(4), d(2), d(1)}, ctx);
  return collapse(b, loc, addWidened(b, loc, part, read, sum5), {1, 1, 3});
}

/// The chunk's filter gradient as one f32 contraction on the windows
/// copied in panels of `lanes` columns (K = (c, kh, kw), a multiple of
/// `lanes`), each panel contiguous:
///   col[kb, (n, oh, ow), l] = x[n, c, oh*s0 + i*d0, ow*s1 + j*d1]
///       with (c, i, j) the window element kb * lanes + l
///   part[kb, f, l] = sum over (n, oh, ow) of G[f, (n, oh, ow)] * col[kb, ...]
/// so that a lanes tile of the contraction reads its panel's rows one after
/// the other (in [(n, oh, ow), K] they were a whole row of K apart, and
/// their loads the GEMM's hottest instructions). `a` is G as
/// [1, f, (n, oh, ow)]; returns
/// `sum` [1, f, (c, kh, kw)] + part, in f64. The sums' order is the same as
/// the batch matmul's.
Value addPackedPartials(OpBuilder &b, Location loc, Value x, Value a, Value sum,
                        const BackwardFilterForm &form, int64_t oh, int64_t ow,
                        int64_t kh, int64_t kw, int64_t lanes) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  SmallVector<int64_t> xs = shapeOf(x);
  int64_t images = xs[0], filters = shapeOf(a)[1],
          panels = xs[1] * kh * kw / lanes;
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // Loops (kb, n, oh, ow, l): window element q = kb * lanes + l, that is
  // channel q / (kh * kw), kernel row (q mod (kh * kw)) / kw, column q mod kw.
  AffineExpr q = d(0) * lanes + d(4);
  AffineExpr c = q.floorDiv(kh * kw), i = (q % (kh * kw)).floorDiv(kw),
             j = q % kw;
  AffineMap window =
      AffineMap::get(5, 0,
                     {d(1), c, d(2) * form.strides[0] + i * form.dilations[0],
                      d(3) * form.strides[1] + j * form.dilations[1]},
                     ctx);
  Value col = collapse(
      b, loc, copyAs(b, loc, x, window, {panels, images, oh, ow, lanes}, f32),
      {1, 3, 1});
  // Rows f, lanes l, the reduction p innermost.
  Value part = contractSharedLhs(b, loc, collapse(b, loc, a, {2, 1}), col,
                                 zeros(b, loc, {panels, filters, lanes}, f32))
                   .getResult(0);
  // sum[0, f, kb, l] += part[kb, f, l], in f64.
  Value sum4 = expand(b, loc, sum, {1, filters, panels, lanes}, {1, 1, 2});
  return collapse(b, loc,
                  addWidened(b, loc, part,
                             AffineMap::get(4, 0, {d(2), d(1), d(3)}, ctx),
                             sum4),
                  {1, 1, 2});
}

/// dW as f32 GEMMs over chunks of whole images, each chunk's result added
/// to the f64 accumulator `acc` ([1, f, (c, kh, kw)]); `x` is the padded
/// input [n, c, h, w] and `grad` [n, f, oh, ow]. Per chunk of q images:
///   col[0, n, oh, ow, c, kh, kw] = x[n, c, oh*s0 + kh*d0, ow*s1 + kw*d1]
///   part[0, f, (c, kh, kw)] = G[0, f, (n, oh, ow)] * col[0, (n, oh, ow), ...]
///   acc += part
/// so the GEMM reads half the bytes of an f64 one and its vectors hold
/// twice the lanes, while every f32 sum has at most one chunk's terms.
Value chunkedF32Gemm(OpBuilder &b, Location loc, Value x, Value grad, Value acc,
                     const BackwardFilterForm &form, int64_t kh, int64_t kw,
                     int64_t positions, bool channelsLast, int64_t packLanes) {
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> xs = shapeOf(x), gs = shapeOf(grad);
  int64_t batch = xs[0], channels = xs[1], filters = gs[1], oh = gs[2],
          ow = gs[3];
  int64_t images = imagesPerChunk(batch, oh * ow, positions);
  Type f32 = b.getF32Type();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };

  channelsLast =
      channelsLast &&
      channelsLastPays(images * channels * xs[2] * xs[3],
                       images * filters * oh * ow, filters * channels * kh * kw,
                       images * channels * kh * kw * oh * ow, kh, kw);
  auto chunk = [&](OpBuilder &nb, Location l, Value first, Value sum) -> Value {
    auto slice = [&](Value v) -> Value {
      return images == batch ? v : sliceAlong(nb, l, v, 0, first, images);
    };
    Value xc = slice(x), gc = slice(grad);
    if (channelsLast)
      return addChannelsLastPartials(nb, l, xc, gc, sum, form, kh, kw);
    // A = G as [1, f, (n, oh, ow)]: a reshape for one f32 image.
    Value a;
    if (images == 1 && getElementTypeOrSelf(gc.getType()) == f32) {
      a = collapse(nb, l, gc, {1, 1, 2});
    } else {
      AffineMap read = AffineMap::get(5, 0, {d(2), d(1), d(3), d(4)}, ctx);
      a = collapse(nb, l,
                   copyAs(nb, l, gc, read, {1, filters, images, oh, ow}, f32),
                   {1, 1, 3});
    }
    if (packLanes > 0 && (channels * kh * kw) % packLanes == 0)
      return addPackedPartials(nb, l, xc, a, sum, form, oh, ow, kh, kw,
                               packLanes);
    Value col = im2colRows(nb, l, xc, oh, ow, kh, kw, form.strides,
                           form.dilations, f32);
    Value part = zeros(nb, l, {1, filters, channels * kh * kw}, f32);
    part = linalg::BatchMatmulOp::create(nb, l, TypeRange{part.getType()},
                                         ValueRange{a, col}, ValueRange{part})
               .getResult(0);
    return addWidened(nb, l, part, nb.getMultiDimIdentityMap(3), sum);
  };
  if (images == batch)
    return chunk(b, loc, Value(), acc);
  Value lower = arith::ConstantIndexOp::create(b, loc, 0);
  Value upper = arith::ConstantIndexOp::create(b, loc, batch);
  Value step = arith::ConstantIndexOp::create(b, loc, images);
  auto loop = scf::ForOp::create(
      b, loc, lower, upper, step, ValueRange{acc},
      [&](OpBuilder &nb, Location l, Value iv, ValueRange iterArgs) {
        scf::YieldOp::create(nb, l, chunk(nb, l, iv, iterArgs[0]));
      });
  return loop.getResult(0);
}

/// Rewrites `op` (of form `form`) as im2col + linalg.batch_matmul, or fails
/// without changing anything. When the batch is split into chunks and the
/// partials are only summed, the chunks are folded into the GEMM's
/// reduction instead (one GEMM over all images, accumulated in the sum's
/// own accumulator): the parallelism of chunks is the GPU's concern, and on
/// the CPU weight-sized partials per chunk cost more than the GEMM itself
/// at small spatial sizes.
LogicalResult rewrite(RewriterBase &rewriter, linalg::GenericOp op,
                      const BackwardFilterForm &form, int64_t positions,
                      bool channelsLast, int64_t packLanes) {
  if (!op.hasPureTensorSemantics())
    return failure();
  auto staticTensor = [](Value v) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    return type && type.hasStaticShape() ? type : RankedTensorType();
  };
  Value input = op.getDpsInputs()[0], grad = op.getDpsInputs()[1];
  Value init = op.getDpsInits()[0];
  RankedTensorType inType = staticTensor(input), gradType = staticTensor(grad),
                   outType = staticTensor(init);
  int64_t lead = form.lead();
  if (!inType || !gradType || !outType || inType.getDimSize(lead + 1) != 1)
    return failure(); // dynamic, or grouped
  // The copies extend the operands to the accumulator's type.
  unsigned accWidth = outType.getElementTypeBitWidth();
  if (inType.getElementTypeBitWidth() > accWidth ||
      gradType.getElementTypeBitWidth() > accWidth)
    return failure();

  linalg::GenericOp sum = form.chunked ? chunkSum(op.getResult(0)) : nullptr;
  if (sum && getElementTypeOrSelf(sum.getDpsInits()[0].getType()) !=
                 outType.getElementType())
    sum = nullptr;
  Location loc = op.getLoc();
  // With the sum replaced too, after its accumulator is defined.
  rewriter.setInsertionPoint(sum ? sum.getOperation() : op.getOperation());
  // Every operand gets the chunk dimension p: [p] n g c/f spatial...
  auto withChunk = [&](Value v) {
    if (form.chunked)
      return v;
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape{1}, groups{2};
    llvm::append_range(shape, type.getShape());
    groups.append(type.getRank() - 1, 1);
    return expand(rewriter, loc, v, shape, groups);
  };
  input = withChunk(input);
  grad = withChunk(grad);
  SmallVector<int64_t> in = shapeOf(input), g = shapeOf(grad);
  int64_t chunks = in[0], images = in[1], channels = in[3];
  int64_t filters = g[3], oh = g[4], ow = g[5],
          kh = outType.getDimSize(lead + 3), kw = outType.getDimSize(lead + 4);

  // With fewer positions than kMinF32Terms in the whole batch, the f32
  // product's weight-sized fill and addition cost more than the f64 GEMM.
  if (positions > 0 && accWidth == 64 &&
      chunks * images * oh * ow >= kMinF32Terms &&
      inType.getElementTypeBitWidth() <= 32 &&
      gradType.getElementTypeBitWidth() <= 32 && (sum || !form.chunked)) {
    // dW (g f c kh kw, one group) in the sum's accumulator, or the op's.
    Value accInit = sum ? sum.getDpsInits()[0] : init;
    Value acc = collapse(rewriter, loc, accInit, {1, 1, 3});
    Value result = chunkedF32Gemm(
        rewriter, loc, collapse(rewriter, loc, input, {2, 2, 1, 1}),
        collapse(rewriter, loc, grad, {2, 2, 1, 1}), acc, form, kh, kw,
        positions, channelsLast, packLanes);
    result = expand(rewriter, loc, result, shapeOf(accInit), {1, 1, 3});
    if (sum) {
      rewriter.replaceOp(sum, result);
      rewriter.eraseOp(op);
    } else {
      rewriter.replaceOp(op, result);
    }
    return success();
  }

  // Both GEMM operands are copies in the accumulator's type: upstream's
  // vector patterns take a uniform contraction, not one with extensions.
  MLIRContext *ctx = op.getContext();
  Type accType = outType.getElementType();
  auto copy = [&](Value from, AffineMap read, ArrayRef<int64_t> shape) {
    return copyAs(rewriter, loc, from, read, shape, accType);
  };
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };

  // A = G as [chunks, f, K], or [1, f, K] with the chunks folded into K: a
  // reshape when a chunk is one image and G has the accumulator's type.
  Value a;
  if (sum) {
    // a[0, f, p, n, oh, ow] = G[p, n, f, oh, ow]
    Value g5 = collapse(rewriter, loc, grad, {1, 2, 1, 1, 1});
    AffineMap read = AffineMap::get(6, 0, {d(2), d(3), d(1), d(4), d(5)}, ctx);
    a = collapse(rewriter, loc,
                 copy(g5, read, {1, filters, chunks, images, oh, ow}),
                 {1, 1, 4});
  } else if (images == 1 && gradType.getElementType() == accType) {
    a = collapse(rewriter, loc, grad, {1, 3, 2});
  } else {
    // aT[p, f, n, oh, ow] = G[p, n, f, oh, ow]
    Value g5 = collapse(rewriter, loc, grad, {1, 2, 1, 1, 1});
    AffineMap read = AffineMap::get(5, 0, {d(0), d(2), d(1), d(3), d(4)}, ctx);
    a = collapse(rewriter, loc,
                 copy(g5, read, {chunks, filters, images, oh, ow}), {1, 1, 3});
  }

  // B = the windows, [p, (n, oh, ow), (c, kh, kw)]:
  //   col[p, n, oh, ow, c, kh, kw] = X[p, n, c, oh*s0 + kh*d0, ow*s1 + kw*d1]
  Value x = collapse(rewriter, loc, input, {1, 2, 1, 1, 1});
  const int64_t *s = form.strides, *dil = form.dilations;
  AffineMap window =
      AffineMap::get(7, 0,
                     {d(0), d(1), d(4), d(2) * s[0] + d(5) * dil[0],
                      d(3) * s[1] + d(6) * dil[1]},
                     ctx);
  Value col = copy(x, window, {chunks, images, oh, ow, channels, kh, kw});
  Value bMatrix =
      sum ? expand(rewriter, loc, collapse(rewriter, loc, col, {4, 3}),
                   {1, chunks * images * oh * ow, channels * kh * kw}, {2, 1})
          : collapse(rewriter, loc, col, {1, 3, 3});

  // dW[p, f, (c, kh, kw)] += A * B in the accumulator's type, into the
  // partials, or, with the chunks folded, into the sum's accumulator
  // (g f c kh kw), replacing the sum too.
  Value accInit = sum ? sum.getDpsInits()[0] : withChunk(init);
  SmallVector<int64_t> accGroups =
      sum ? SmallVector<int64_t>{1, 1, 3} : SmallVector<int64_t>{1, 2, 3};
  Value acc = collapse(rewriter, loc, accInit, accGroups);
  Value product =
      linalg::BatchMatmulOp::create(rewriter, loc, TypeRange{acc.getType()},
                                    ValueRange{a, bMatrix}, ValueRange{acc})
          .getResult(0);
  Value result = expand(rewriter, loc, product, shapeOf(accInit), accGroups);
  if (sum) {
    rewriter.replaceOp(sum, result);
    rewriter.eraseOp(op);
    return success();
  }
  if (!form.chunked)
    result = collapse(rewriter, loc, result, {2, 1, 1, 1, 1});
  rewriter.replaceOp(op, result);
  return success();
}

struct ConvBNBackwardFilterToMatmulPass
    : public convbn::impl::ConvBNBackwardFilterToMatmulBase<
          ConvBNBackwardFilterToMatmulPass> {
  using ConvBNBackwardFilterToMatmulBase::ConvBNBackwardFilterToMatmulBase;

  void runOnOperation() override {
    if (f32ChunkPositions < 0) {
      getOperation().emitError("convbn-backward-filter-to-matmul: "
                               "f32-chunk-positions must be 0 (one GEMM in "
                               "the accumulator's type) or positive");
      return signalPassFailure();
    }
    if (packLanes < 0) {
      getOperation().emitError("convbn-backward-filter-to-matmul: "
                               "pack-lanes must be 0 (no panels) or positive");
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, BackwardFilterForm>> found;
    getOperation().walk([&](linalg::GenericOp op) {
      if (std::optional<BackwardFilterForm> form = matchBackwardFilter(op))
        found.emplace_back(op, *form);
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, form] : found)
      (void)rewrite(rewriter, op, form, f32ChunkPositions,
                    channelsLastContractions, packLanes);
  }
};

} // namespace
