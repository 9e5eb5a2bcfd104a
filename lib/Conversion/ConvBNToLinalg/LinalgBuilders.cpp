//===- LinalgBuilders.cpp - Building blocks of the convbn lowering --------===//

#include "LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineExpr.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <numeric>

using namespace mlir;
using namespace mlir::convbn;
using utils::IteratorType;

/// Converts a float scalar to `type`, rounding once when narrowing.
static Value convertScalar(OpBuilder &b, Location loc, Value v, Type type) {
  unsigned from = v.getType().getIntOrFloatBitWidth();
  unsigned to = type.getIntOrFloatBitWidth();
  if (v.getType() == type)
    return v;
  if (from < to)
    return arith::ExtFOp::create(b, loc, type, v);
  return arith::TruncFOp::create(b, loc, type, v);
}

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

static DenseIntElementsAttr i64Vector(OpBuilder &b, ArrayRef<int64_t> values) {
  return b.getI64TensorAttr(values);
}

Value BlockBuilder::constant(double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

Value BlockBuilder::elementsPerChannel(Value tensor) {
  RankedTensorType type = tensorType(tensor);
  double staticCount = 1;
  for (auto [i, dim] : llvm::enumerate(type.getShape()))
    if (i != 1 && !ShapedType::isDynamic(dim))
      staticCount *= dim;
  if (!type.isDynamicDim(0))
    return constant(staticCount);
  Value batch = tensor::DimOp::create(b, loc, tensor, 0);
  Value batch64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), batch);
  Value batchF = arith::SIToFPOp::create(b, loc, f32(), batch64);
  return arith::MulFOp::create(b, loc, batchF, constant(staticCount));
}

Value BlockBuilder::empty(ArrayRef<int64_t> shape, Type elementType,
                          Value batchSource) {
  SmallVector<OpFoldResult> sizes;
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (!ShapedType::isDynamic(dim)) {
      sizes.push_back(b.getIndexAttr(dim));
      continue;
    }
    assert(i == 0 && batchSource && "only the batch dimension is dynamic");
    sizes.push_back(tensor::DimOp::create(b, loc, batchSource, 0).getResult());
  }
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

Value BlockBuilder::zeros(ArrayRef<int64_t> shape, Type elementType,
                          Value batchSource) {
  Value init = empty(shape, elementType, batchSource);
  Value zero = arith::ConstantOp::create(
      b, loc, cast<TypedAttr>(b.getZeroAttr(elementType)));
  return linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{init})
      .getResult(0);
}

SmallVector<Value>
BlockBuilder::generic(ValueRange ins, ArrayRef<AffineMap> inMaps,
                      ValueRange inits, ArrayRef<AffineMap> outMaps,
                      ArrayRef<IteratorType> iterators, BodyFn body) {
  SmallVector<AffineMap> maps(inMaps);
  maps.append(outMaps.begin(), outMaps.end());
  SmallVector<Type> resultTypes(inits.getTypes());
  Type compute = f32();
  for (Type t : resultTypes)
    if (getElementTypeOrSelf(t).isF64())
      compute = b.getF64Type();
  auto op = linalg::GenericOp::create(
      b, loc, resultTypes, ins, inits, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> inArgs, outArgs;
        for (Value arg : args.take_front(ins.size()))
          inArgs.push_back(convertScalar(nb, nloc, arg, compute));
        for (Value arg : args.drop_front(ins.size()))
          outArgs.push_back(convertScalar(nb, nloc, arg, compute));
        SmallVector<Value> results = body(nb, nloc, inArgs, outArgs);
        assert(results.size() == inits.size() && "one value per output");
        SmallVector<Value> yields;
        for (auto [result, init] : llvm::zip(results, inits))
          yields.push_back(convertScalar(nb, nloc, result,
                                         getElementTypeOrSelf(init.getType())));
        linalg::YieldOp::create(nb, nloc, yields);
      });
  return SmallVector<Value>(op.getResults());
}

/// Maps for an iteration space of `rank` dims: identity for the full-shaped
/// operands and (d`channelDim`) for the per-channel vectors.
static SmallVector<AffineMap> fullAndChannelMaps(OpBuilder &b, int64_t rank,
                                                 size_t numFull,
                                                 size_t numChannels,
                                                 int64_t channelDim) {
  SmallVector<AffineMap> maps(numFull, b.getMultiDimIdentityMap(rank));
  maps.append(numChannels,
              AffineMap::get(rank, 0, b.getAffineDimExpr(channelDim)));
  return maps;
}

/// Iterators that keep `channelDim` parallel and reduce every other dim.
static SmallVector<IteratorType> reduceAllBut(int64_t rank,
                                              int64_t channelDim) {
  SmallVector<IteratorType> iterators(rank, IteratorType::reduction);
  iterators[channelDim] = IteratorType::parallel;
  return iterators;
}

SmallVector<Value> BlockBuilder::mapOver(ValueRange full, ValueRange channels,
                                         TypeRange outTypes, int64_t channelDim,
                                         BodyFn body) {
  RankedTensorType type = tensorType(full.front());
  int64_t rank = type.getRank();
  SmallVector<Value> ins(full);
  ins.append(channels.begin(), channels.end());
  SmallVector<Value> inits;
  for (Type t : outTypes)
    inits.push_back(empty(type.getShape(), t, full.front()));
  return generic(
      ins,
      fullAndChannelMaps(b, rank, full.size(), channels.size(), channelDim),
      inits,
      SmallVector<AffineMap>(inits.size(), b.getMultiDimIdentityMap(rank)),
      SmallVector<IteratorType>(rank, IteratorType::parallel), body);
}

/// Adds `partials` over their dim `dim` into `result` (the other dims). The
/// kept dims are the outer loops and the reduced one the innermost, so the
/// nest is one parallel loop (one GPU kernel).
static Value sumOverDim(BlockBuilder &bb, OpBuilder &b, Value partials,
                        int64_t dim, Value result) {
  auto type = cast<RankedTensorType>(partials.getType());
  int64_t rank = type.getRank();
  SmallVector<AffineExpr> inExprs, outExprs;
  for (int64_t i = 0, next = 0; i < rank; ++i) {
    if (i == dim) {
      inExprs.push_back(b.getAffineDimExpr(rank - 1));
      continue;
    }
    outExprs.push_back(b.getAffineDimExpr(next));
    inExprs.push_back(b.getAffineDimExpr(next++));
  }
  SmallVector<IteratorType> iterators(rank - 1, IteratorType::parallel);
  iterators.push_back(IteratorType::reduction);
  return bb
      .generic(partials, AffineMap::get(rank, 0, inExprs, b.getContext()),
               result, AffineMap::get(rank, 0, outExprs, b.getContext()),
               iterators,
               [](OpBuilder &nb, Location nloc, ValueRange ins,
                  ValueRange outs) -> SmallVector<Value> {
                 return {arith::AddFOp::create(nb, nloc, outs[0], ins[0])};
               })
      .front();
}

SmallVector<Value> BlockBuilder::reduceOver(ValueRange full,
                                            ValueRange channels,
                                            unsigned numOutputs,
                                            int64_t channelDim, BodyFn body) {
  RankedTensorType type = tensorType(full.front());
  int64_t rank = type.getRank();
  SmallVector<Value> ins(full);
  ins.append(channels.begin(), channels.end());
  int64_t length = type.getDimSize(channelDim);
  // Activations (channel dim 1) reduce in two stages so that no loop
  // iteration sums a whole batch: per-sample partials [N, C] (parallel over
  // N and C), then their sum over N. Loop order: channel, then batch, then
  // the rest, so each stage is one parallel loop nest (one GPU kernel).
  bool perSample = channelDim == 1;
  SmallVector<AffineExpr> fullExprs(rank);
  fullExprs[channelDim] = b.getAffineDimExpr(0);
  for (int64_t dim = 0, next = 1; dim < rank; ++dim)
    if (dim != channelDim)
      fullExprs[dim] = b.getAffineDimExpr(next++);
  AffineMap fullMap = AffineMap::get(rank, 0, fullExprs, b.getContext());
  AffineMap channelMap = AffineMap::get(rank, 0, b.getAffineDimExpr(0));
  SmallVector<AffineMap> inMaps(full.size(), fullMap);
  inMaps.append(channels.size(), channelMap);
  SmallVector<IteratorType> iterators = reduceAllBut(rank, 0);
  AffineMap outMap = channelMap;
  SmallVector<Value> inits;
  for (unsigned i = 0; i < numOutputs; ++i) {
    if (perSample)
      inits.push_back(
          zeros({type.getDimSize(0), length}, reductionType(), full.front()));
    else
      inits.push_back(zeros({length}, reductionType(), Value()));
  }
  if (perSample) {
    iterators[1] = IteratorType::parallel; // the batch
    outMap =
        AffineMap::get(rank, 0, {b.getAffineDimExpr(1), b.getAffineDimExpr(0)},
                       b.getContext());
  }
  SmallVector<Value> results =
      generic(ins, inMaps, inits, SmallVector<AffineMap>(numOutputs, outMap),
              iterators, body);
  if (!perSample)
    return results;
  for (Value &partial : results)
    partial = sumOverDim(*this, b, partial, 0,
                         zeros({length}, reductionType(), Value()));
  return results;
}

SmallVector<Value> BlockBuilder::mapChannels(ValueRange channels,
                                             TypeRange outTypes, BodyFn body) {
  int64_t length = tensorType(channels.front()).getDimSize(0);
  SmallVector<Value> inits;
  for (Type t : outTypes)
    inits.push_back(empty({length}, t, Value()));
  AffineMap id = b.getMultiDimIdentityMap(1);
  return generic(channels, SmallVector<AffineMap>(channels.size(), id), inits,
                 SmallVector<AffineMap>(inits.size(), id),
                 {IteratorType::parallel}, body);
}

Value BlockBuilder::broadcastChannel(Value channel, ArrayRef<int64_t> shape,
                                     Value batchSource) {
  if (!channel)
    return zeros(shape, f32(), batchSource);
  int64_t rank = shape.size();
  return generic(channel, AffineMap::get(rank, 0, b.getAffineDimExpr(1)),
                 empty(shape, f32(), batchSource),
                 b.getMultiDimIdentityMap(rank),
                 SmallVector<IteratorType>(rank, IteratorType::parallel),
                 [](OpBuilder &, Location, ValueRange ins,
                    ValueRange) -> SmallVector<Value> { return {ins[0]}; })
      .front();
}

Value BlockBuilder::convertElementType(Value tensor, Type elementType) {
  RankedTensorType type = tensorType(tensor);
  if (type.getElementType() == elementType)
    return tensor;
  int64_t rank = type.getRank();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  return generic(tensor, id, empty(type.getShape(), elementType, tensor), id,
                 SmallVector<IteratorType>(rank, IteratorType::parallel),
                 [](OpBuilder &, Location, ValueRange ins,
                    ValueRange) -> SmallVector<Value> { return {ins[0]}; })
      .front();
}

Value BlockBuilder::padSpatial(Value x, ArrayRef<int64_t> low,
                               ArrayRef<int64_t> high) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return x;
  SmallVector<OpFoldResult> lo(2, b.getIndexAttr(0)), hi(2, b.getIndexAttr(0));
  for (auto [l, h] : llvm::zip(low, high)) {
    lo.push_back(b.getIndexAttr(l));
    hi.push_back(b.getIndexAttr(h));
  }
  Type elementType = tensorType(x).getElementType();
  Value zero = arith::ConstantOp::create(
      b, loc, cast<TypedAttr>(b.getZeroAttr(elementType)));
  return tensor::PadOp::create(b, loc, Type(), x, lo, hi, zero);
}

Value BlockBuilder::expandGroups(Value tensor, int64_t dim, int64_t groups) {
  RankedTensorType type = tensorType(tensor);
  SmallVector<int64_t> shape;
  SmallVector<ReassociationIndices> reassociation;
  int64_t next = 0;
  for (auto [i, size] : llvm::enumerate(type.getShape())) {
    if (static_cast<int64_t>(i) != dim) {
      reassociation.push_back({next++});
      shape.push_back(size);
      continue;
    }
    reassociation.push_back({next, next + 1});
    next += 2;
    shape.push_back(groups);
    shape.push_back(size / groups);
  }
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), tensor,
      reassociation);
}

Value BlockBuilder::collapseGroups(Value tensor, int64_t dim) {
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t i = 0, e = tensorType(tensor).getRank(); i < e; ++i) {
    if (i == dim) {
      reassociation.push_back({i, i + 1});
      ++i;
      continue;
    }
    reassociation.push_back({i});
  }
  return tensor::CollapseShapeOp::create(b, loc, tensor, reassociation);
}

namespace {
/// Which family of named linalg convolutions applies.
enum class ConvKind { Plain, Depthwise, Grouped };
} // namespace

/// Creates named convolution OpTy over {input, filter, init}.
template <typename OpTy>
static Operation *createConv(OpBuilder &b, Location loc, ArrayRef<Value> args,
                             DenseIntElementsAttr strides,
                             DenseIntElementsAttr dilations) {
  // Ranges are views: keep what they point to alive for the whole call.
  Type resultType = args[2].getType();
  return OpTy::create(b, loc, TypeRange(resultType), args.take_front(2),
                      args.drop_front(2), strides, dilations);
}

/// The named linalg convolution of `kind` for a spatial rank, or null when
/// upstream has none (grouped 1-D and 3-D in the N G C layout).
static Operation *createNamedConv(OpBuilder &b, Location loc, int64_t rank,
                                  ConvKind kind, Value in, Value filter,
                                  Value init, DenseIntElementsAttr strides,
                                  DenseIntElementsAttr dilations) {
  Value args[] = {in, filter, init};
  auto make = [&](auto create) {
    return create(b, loc, args, strides, dilations);
  };
  switch (kind) {
  case ConvKind::Plain:
    if (rank == 1)
      return make(createConv<linalg::Conv1DNcwFcwOp>);
    if (rank == 2)
      return make(createConv<linalg::Conv2DNchwFchwOp>);
    return make(createConv<linalg::Conv3DNcdhwFcdhwOp>);
  case ConvKind::Depthwise:
    if (rank == 1)
      return make(createConv<linalg::DepthwiseConv1DNcwCwOp>);
    if (rank == 2)
      return make(createConv<linalg::DepthwiseConv2DNchwChwOp>);
    return make(createConv<linalg::DepthwiseConv3DNcdhwCdhwOp>);
  case ConvKind::Grouped:
    return rank == 2 ? make(createConv<linalg::Conv2DNgchwGfchwOp>) : nullptr;
  }
  llvm_unreachable("unknown convolution kind");
}

Value BlockBuilder::correlate(Value in, Value filter, Value init,
                              int64_t groups, ArrayRef<int64_t> strides,
                              ArrayRef<int64_t> dilations) {
  int64_t rank = strides.size();
  RankedTensorType filterType = tensorType(filter);
  int64_t outPerGroup = filterType.getDimSize(0) / groups;
  int64_t inPerGroup = filterType.getDimSize(1);
  DenseIntElementsAttr stridesAttr = i64Vector(b, strides);
  DenseIntElementsAttr dilationsAttr = i64Vector(b, dilations);

  if (groups == 1)
    return createNamedConv(b, loc, rank, ConvKind::Plain, in, filter, init,
                           stridesAttr, dilationsAttr)
        ->getResult(0);

  if (inPerGroup == 1 && outPerGroup == 1) {
    // Depthwise: O x 1 x K... becomes the O x K... filter of depthwise_conv.
    SmallVector<ReassociationIndices> reassociation{{0, 1}};
    for (int64_t i = 0; i < rank; ++i)
      reassociation.push_back({i + 2});
    Value depthwise =
        tensor::CollapseShapeOp::create(b, loc, filter, reassociation);
    return createNamedConv(b, loc, rank, ConvKind::Depthwise, in, depthwise,
                           init, stridesAttr, dilationsAttr)
        ->getResult(0);
  }

  Value inG = expandGroups(in, 1, groups);         // N G C/g S...
  Value filterG = expandGroups(filter, 0, groups); // G O/g C/g K...
  Value initG = expandGroups(init, 1, groups);     // N G O/g P...
  if (Operation *named =
          createNamedConv(b, loc, rank, ConvKind::Grouped, inG, filterG, initG,
                          stridesAttr, dilationsAttr))
    return collapseGroups(named->getResult(0), 1);

  // No named grouped convolution for this rank: the same contraction as a
  // generic. Loops: n g f p... c k...
  int64_t numLoops = 4 + 2 * rank;
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineExpr> inExprs{d(0), d(1), d(3 + rank)};
  SmallVector<AffineExpr> filterExprs{d(1), d(2), d(3 + rank)};
  SmallVector<AffineExpr> outExprs{d(0), d(1), d(2)};
  for (int64_t i = 0; i < rank; ++i) {
    AffineExpr p = d(3 + i), k = d(4 + rank + i);
    inExprs.push_back(p * strides[i] + k * dilations[i]);
    filterExprs.push_back(k);
    outExprs.push_back(p);
  }
  SmallVector<IteratorType> iterators(3 + rank, IteratorType::parallel);
  iterators.append(1 + rank, IteratorType::reduction);
  MLIRContext *ctx = b.getContext();
  Value result =
      generic({inG, filterG},
              {AffineMap::get(numLoops, 0, inExprs, ctx),
               AffineMap::get(numLoops, 0, filterExprs, ctx)},
              initG, AffineMap::get(numLoops, 0, outExprs, ctx), iterators,
              [](OpBuilder &nb, Location nloc, ValueRange ins,
                 ValueRange outs) -> SmallVector<Value> {
                Value product = arith::MulFOp::create(nb, nloc, ins[0], ins[1]);
                return {arith::AddFOp::create(nb, nloc, outs[0], product)};
              })
          .front();
  return collapseGroups(result, 1);
}

namespace {
using Phase = BlockBuilder::Phase;

/// The phases of one spatial dimension (input length `in`, gradient length
/// `out`, `k` taps, stride `s`, dilation `d`, low padding `low`): i = j*s +
/// k*d - low. Taps k with k*d = r + low (mod s) feed phase r; they step by
/// s/gcd(d, s), and consecutive taps read gradient positions d/gcd(d, s)
/// apart. Phases that receive no tap, or only padding, are left out: their
/// input gradient is zero. Stride 1 has one phase, the whole correlation.
SmallVector<Phase> phasesOf(int64_t in, int64_t out, int64_t k, int64_t s,
                            int64_t d, int64_t low) {
  SmallVector<Phase> phases;
  int64_t g = std::gcd(d, s);
  for (int64_t r = 0; r < std::min(s, in); ++r) {
    Phase p;
    p.r = r;
    p.count = llvm::divideCeil(in - r, s);
    p.tapStep = s / g;
    p.dilation = d / g;
    p.firstTap = -1;
    for (int64_t t = 0; t < p.tapStep && t < k; ++t)
      if (llvm::mod(t * d - r - low, s) == 0) {
        p.firstTap = t;
        break;
      }
    if (p.firstTap < 0)
      continue;
    p.taps = llvm::divideCeil(k - p.firstTap, p.tapStep);
    // j = m + (r + low - firstTap*d)/s - t*dilation, exactly divisible.
    int64_t shift = (r + low - p.firstTap * d) / s;
    p.gradOffset = shift - (p.taps - 1) * p.dilation;
    p.lo = std::max<int64_t>(0, -p.gradOffset);
    p.hi = std::min(p.span() - 1, out - 1 - p.gradOffset);
    if (p.lo <= p.hi)
      phases.push_back(p);
  }
  return phases;
}

/// Calls `fn` with every combination of one phase per dimension of
/// `perDim`, the last dimension's fastest.
void forEachPhase(ArrayRef<SmallVector<Phase>> perDim,
                  function_ref<void(ArrayRef<Phase>)> fn) {
  SmallVector<size_t> index(perDim.size(), 0);
  while (true) {
    SmallVector<Phase> phase;
    for (auto [i, phases] : llvm::enumerate(perDim))
      phase.push_back(phases[index[i]]);
    fn(phase);
    int64_t i = perDim.size() - 1;
    while (i >= 0 && ++index[i] == perDim[i].size())
      index[i--] = 0;
    if (i < 0)
      return;
  }
}
} // namespace

Value BlockBuilder::stackedPhases(
    ArrayRef<SmallVector<Phase>> perDim,
    function_ref<Value(ArrayRef<Phase>)> shiftedGradient,
    function_ref<Value(ArrayRef<Phase>)> phaseTaps, Value grad,
    RankedTensorType inputType, const ConvGeometry &g) {
  int64_t rank = g.spatialRank();
  int64_t channels = inputType.getDimSize(1);
  int64_t numPhases = 1;
  for (auto [i, phases] : llvm::enumerate(perDim)) {
    // Every phase, so that phase r is perDim[i][r], and unit dilation, so
    // that the phases' windows lie on one grid.
    if (int64_t(phases.size()) != g.strides[i] ||
        llvm::any_of(phases, [](const Phase &p) { return p.dilation != 1; }))
      return Value();
    numPhases *= phases.size();
  }
  if (stackedPhasesRows <= 0 || g.groups != 1 || numPhases < 2 ||
      channels * numPhases > stackedPhasesRows)
    return Value();

  // One window per dimension that covers every phase's: phase p reads the
  // gradient at m + gradOffset_p + t', t' < taps_p, which is u = t' +
  // gradOffset_p - base in the union's window of `taps` offsets from base;
  // every phase computes phase 0's count of positions (the most), and the
  // positions past the input are cut off at the end.
  SmallVector<Phase> window;
  for (ArrayRef<Phase> phases : perDim) {
    Phase u = phases.front();
    int64_t base = phases.front().gradOffset, end = base;
    for (const Phase &p : phases) {
      base = std::min(base, p.gradOffset);
      end = std::max(end, p.gradOffset + p.taps);
    }
    u.gradOffset = base;
    u.taps = end - base;
    u.lo = std::max<int64_t>(0, -base);
    u.hi = std::min(u.span() - 1,
                    tensorType(grad).getDimSize(2 + window.size()) - 1 - base);
    window.push_back(u);
  }

  // The stacked filter, phases... x C x O x window..., zero where a phase
  // has no tap: each phase's flipped taps at their offset in the window.
  int64_t outChannels = tensorType(grad).getDimSize(1);
  SmallVector<int64_t> stackShape(g.strides);
  stackShape.append({channels, outChannels});
  for (const Phase &u : window)
    stackShape.push_back(u.taps);
  SmallVector<OpFoldResult> unitStrides(2 * rank + 2, b.getIndexAttr(1));
  Value stacked;
  forEachPhase(perDim, [&](ArrayRef<Phase> phase) {
    SmallVector<OpFoldResult> offsets, sizes;
    for (const Phase &p : phase) {
      offsets.push_back(b.getIndexAttr(p.r)); // Every phase: r is its index.
      sizes.push_back(b.getIndexAttr(1));
    }
    offsets.append({b.getIndexAttr(0), b.getIndexAttr(0)});
    sizes.append({b.getIndexAttr(channels), b.getIndexAttr(outChannels)});
    for (auto [p, u] : llvm::zip_equal(phase, window)) {
      offsets.push_back(b.getIndexAttr(p.gradOffset - u.gradOffset));
      sizes.push_back(b.getIndexAttr(p.taps));
    }
    Value taps = phaseTaps(phase); // C x O x taps...
    if (!stacked)
      stacked = zeros(stackShape, tensorType(taps).getElementType(), Value());
    stacked = tensor::InsertSliceOp::create(b, loc, taps, stacked, offsets,
                                            sizes, unitStrides);
  });
  // Rows (r..., c): phases... x C collapsed.
  SmallVector<ReassociationIndices> rowsDims(1);
  for (int64_t i = 0; i <= rank; ++i)
    rowsDims.front().push_back(i);
  for (int64_t i = rank + 1; i < 2 * rank + 2; ++i)
    rowsDims.push_back({i});
  Value stackedFilter =
      tensor::CollapseShapeOp::create(b, loc, stacked, rowsDims);

  // One correlation: row (r..., c) at position m... is dX[c][m*s + r]...
  SmallVector<int64_t> rowsShape{inputType.getDimSize(0), numPhases * channels};
  for (const Phase &u : window)
    rowsShape.push_back(u.count);
  Value rows =
      correlate(shiftedGradient(window), stackedFilter,
                zeros(rowsShape, f32(), grad), /*groups=*/1,
                SmallVector<int64_t>(rank, 1), SmallVector<int64_t>(rank, 1));

  // Depth to space: N x (r... x C) x m... -> N x C x (m x r)..., then the
  // positions past the input cut off.
  SmallVector<int64_t> expandedShape{inputType.getDimSize(0)};
  expandedShape.append(g.strides.begin(), g.strides.end());
  expandedShape.push_back(channels);
  SmallVector<ReassociationIndices> expandDims{{0}, {}};
  for (int64_t i = 1; i <= rank + 1; ++i)
    expandDims.back().push_back(i);
  SmallVector<int64_t> permutation{0, rank + 1},
      spreadShape{inputType.getDimSize(0), channels};
  SmallVector<ReassociationIndices> spreadDims{{0}, {1}};
  for (auto [i, u] : llvm::enumerate(window)) {
    expandedShape.push_back(u.count);
    expandDims.push_back({rank + 2 + int64_t(i)});
    permutation.append({rank + 2 + int64_t(i), 1 + int64_t(i)});
    spreadShape.append({u.count, g.strides[i]});
    spreadDims.push_back({2 + 2 * int64_t(i), 3 + 2 * int64_t(i)});
  }
  Value expanded = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(expandedShape, f32()), rows, expandDims);
  Value spread =
      linalg::TransposeOp::create(b, loc, expanded,
                                  empty(spreadShape, f32(), grad), permutation)
          ->getResult(0);
  Value result = tensor::CollapseShapeOp::create(b, loc, spread, spreadDims);
  SmallVector<OpFoldResult> offsets(2 + rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes{tensor::getMixedSize(b, loc, grad, 0),
                                  b.getIndexAttr(channels)};
  bool cut = false;
  for (auto [i, u] : llvm::enumerate(window)) {
    int64_t length = inputType.getDimSize(2 + i);
    sizes.push_back(b.getIndexAttr(length));
    cut |= u.count * g.strides[i] != length;
  }
  if (!cut)
    return result;
  return tensor::ExtractSliceOp::create(
      b, loc, result, offsets, sizes,
      SmallVector<OpFoldResult>(2 + rank, b.getIndexAttr(1)));
}

Value BlockBuilder::backwardData(Value grad, Value filter,
                                 RankedTensorType inputType,
                                 const ConvGeometry &g) {
  int64_t rank = g.spatialRank();
  RankedTensorType gradType = tensorType(grad);
  RankedTensorType filterType = tensorType(filter);
  int64_t outChannels = filterType.getDimSize(0);
  int64_t groups = g.groups;

  // dX[n, c, i] = sum_{o,k} G[n, o, j] W[o, c, k] with i = j*s + k*d - low.
  // Split by the input positions' phase modulo the stride, each phase is a
  // stride-1 correlation of the (shifted, zero-extended) gradient with the
  // transposed, flipped taps that reach it: every multiply-add is needed,
  // where correlating the zero-dilated gradient would do s^rank times as
  // many, and nothing gradient-sized is written but the halo copies.
  SmallVector<SmallVector<Phase>> perDim;
  for (int64_t i = 0; i < rank; ++i) {
    perDim.push_back(phasesOf(inputType.getDimSize(2 + i),
                              gradType.getDimSize(2 + i),
                              filterType.getDimSize(2 + i), g.strides[i],
                              g.dilations[i], g.padLow[i]));
    if (perDim.back().empty()) // Every position saw only padding.
      return zeros(inputType.getShape(), f32(), grad);
  }

  Value filterG = expandGroups(filter, 0, groups); // G O/g C/g K...
  RankedTensorType filterGType = tensorType(filterG);
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  OpFoldResult batch = tensor::getMixedSize(b, loc, grad, 0);

  // The gradient shifted by gradOffset and zero-extended to span(), in
  // every dimension.
  auto shiftedGradient = [&](ArrayRef<Phase> phase) -> Value {
    Value shifted = grad;
    SmallVector<int64_t> shiftedShape{gradType.getDimSize(0), outChannels};
    SmallVector<OpFoldResult> srcOffsets(2, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes{batch, b.getIndexAttr(outChannels)};
    SmallVector<OpFoldResult> dstOffsets(2, b.getIndexAttr(0));
    bool wholeGrad = true, isGrad = true;
    for (auto [i, p] : llvm::enumerate(phase)) {
      int64_t length = gradType.getDimSize(2 + i);
      shiftedShape.push_back(p.span());
      srcOffsets.push_back(b.getIndexAttr(p.lo + p.gradOffset));
      sizes.push_back(b.getIndexAttr(p.hi - p.lo + 1));
      dstOffsets.push_back(b.getIndexAttr(p.lo));
      wholeGrad &=
          p.lo + p.gradOffset == 0 && p.hi + p.gradOffset == length - 1;
      isGrad &= p.gradOffset == 0 && p.span() == length;
    }
    SmallVector<OpFoldResult> unitStrides(2 + rank, b.getIndexAttr(1));
    if (!isGrad) {
      Value source = grad;
      if (!wholeGrad)
        source = tensor::ExtractSliceOp::create(b, loc, grad, srcOffsets, sizes,
                                                unitStrides);
      shifted = zeros(shiftedShape, gradType.getElementType(), grad);
      shifted = tensor::InsertSliceOp::create(b, loc, source, shifted,
                                              dstOffsets, sizes, unitStrides);
    }
    return shifted;
  };

  // The taps of one phase in every dimension, transposed and flipped:
  // Wt[g][c][f][t'] = W[g][f][c][firstTap + (taps-1-t')*tapStep], collapsed
  // to (G*C/g) x O/g x taps...
  auto phaseTaps = [&](ArrayRef<Phase> phase) -> Value {
    SmallVector<int64_t> tapsShape{groups, filterGType.getDimSize(2),
                                   filterGType.getDimSize(1)};
    int64_t numLoops = 3 + rank;
    SmallVector<AffineExpr> readExprs{d(0), d(2), d(1)};
    for (auto [i, p] : llvm::enumerate(phase)) {
      tapsShape.push_back(p.taps);
      readExprs.push_back(p.firstTap + (p.taps - 1) * p.tapStep -
                          p.tapStep * d(3 + i));
    }
    Value taps =
        generic(filterG, AffineMap::get(numLoops, 0, readExprs, b.getContext()),
                empty(tapsShape, filterType.getElementType(), Value()),
                b.getMultiDimIdentityMap(numLoops),
                SmallVector<IteratorType>(numLoops, IteratorType::parallel),
                [](OpBuilder &, Location, ValueRange ins,
                   ValueRange) -> SmallVector<Value> { return {ins[0]}; })
            .front();
    return collapseGroups(taps, 0);
  };

  // The correlation of one phase in every dimension.
  // `dest`: where to accumulate (its positions of dX), or null for a new
  // tensor.
  auto correlatePhase = [&](ArrayRef<Phase> phase, Value dest) -> Value {
    Value shifted = shiftedGradient(phase);
    Value transposed = phaseTaps(phase);
    SmallVector<int64_t> dilations,
        countShape{inputType.getDimSize(0), inputType.getDimSize(1)};
    for (const Phase &p : phase) {
      dilations.push_back(p.dilation);
      countShape.push_back(p.count);
    }
    Value init;
    if (dest) {
      Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(f32()));
      init = linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{dest})
                 .getResult(0);
    } else {
      init = zeros(countShape, f32(), grad);
    }
    return correlate(shifted, transposed, init, groups,
                     SmallVector<int64_t>(rank, 1), dilations);
  };

  if (Value stacked =
          stackedPhases(perDim, shiftedGradient, phaseTaps, grad, inputType, g))
    return stacked;

  // One phase covering the input in every dimension (stride 1): the
  // correlation is dX.
  if (llvm::all_of(llvm::enumerate(perDim), [&](auto dim) {
        return dim.value().size() == 1 &&
               dim.value().front().count ==
                   inputType.getDimSize(2 + dim.index());
      })) {
    SmallVector<Phase> phase;
    for (ArrayRef<Phase> phases : perDim)
      phase.push_back(phases.front());
    return correlatePhase(phase, Value());
  }

  // Each combination of phases written into its strided positions of dX;
  // zeros first only where some phase receives nothing.
  bool everyPhase = llvm::all_of(llvm::enumerate(perDim), [&](auto dim) {
    return int64_t(dim.value().size()) ==
           std::min(g.strides[dim.index()],
                    inputType.getDimSize(2 + dim.index()));
  });
  Value result = everyPhase ? empty(inputType.getShape(), f32(), grad)
                            : zeros(inputType.getShape(), f32(), grad);
  forEachPhase(perDim, [&](ArrayRef<Phase> phase) {
    SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes{batch,
                                    b.getIndexAttr(inputType.getDimSize(1))};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    for (auto [i, p] : llvm::enumerate(phase)) {
      offsets.push_back(b.getIndexAttr(p.r));
      sizes.push_back(b.getIndexAttr(p.count));
      strides.push_back(b.getIndexAttr(g.strides[i]));
    }
    // In place: the phase accumulates in its positions of dX (zeroed
    // first), where bufferization then writes it.
    Value slice;
    if (phasesInPlace)
      slice = tensor::ExtractSliceOp::create(b, loc, result, offsets, sizes,
                                             strides);
    Value part = correlatePhase(phase, slice);
    result = tensor::InsertSliceOp::create(b, loc, part, result, offsets, sizes,
                                           strides);
  });
  return result;
}

Value BlockBuilder::backwardFilter(Value input, Value grad,
                                   RankedTensorType filterType,
                                   const ConvGeometry &g) {
  int64_t rank = g.spatialRank();
  int64_t groups = g.groups;
  Value padded = padSpatial(input, g.padLow, g.padHigh);
  Value inG = expandGroups(padded, 1, groups); // N G C/g S...
  Value gradG = expandGroups(grad, 1, groups); // N G O/g P...
  RankedTensorType gradGType = tensorType(gradG);

  // The batch is split into `chunks` parts reduced in parallel (partials
  // [chunks, G, O/g, C/g, K...]), then summed, so that a small filter's
  // gradient is not left to a few threads that each sum the whole batch:
  // the fewest chunks (dividing the batch, at most 16) whose partials hold
  // at least kPartialElements elements, else as many as possible. A large
  // filter (ResNet-50's 512 x 512 x 3 x 3) is not split: it has the
  // parallelism already, and 16 weight-sized f64 partials would cost more
  // memory traffic than its GEMM. A dynamic batch is not split.
  constexpr int64_t kPartialElements = int64_t(1) << 21;
  int64_t batch = gradGType.getDimSize(0);
  int64_t weights = filterType.hasStaticShape() ? filterType.getNumElements()
                                                : kPartialElements;
  int64_t chunks = 1;
  if (!ShapedType::isDynamic(batch))
    for (int64_t c = 1; c <= std::min<int64_t>(batch, 16); ++c)
      if (batch % c == 0) {
        chunks = c;
        if (c * weights >= kPartialElements)
          break;
      }
  if (chunks > 1) {
    inG = expandGroups(inG, 0, chunks);     // P N/P G C/g S...
    gradG = expandGroups(gradG, 0, chunks); // P N/P G O/g P...
  }
  int64_t lead = chunks > 1 ? 1 : 0; // the chunk loop, if any

  // Loops: [p] g f c k... n j...;
  // dW[p,g,f,c,k] += X[p,n,g,c,j*s + k*d] * G[p,n,g,f,j]
  int64_t numLoops = lead + 4 + 2 * rank;
  auto d = [&](int64_t i) { return b.getAffineDimExpr(i); };
  AffineExpr n = d(lead + 3 + rank);
  SmallVector<AffineExpr> inExprs, gradExprs, outExprs;
  if (lead) {
    inExprs.push_back(d(0));
    gradExprs.push_back(d(0));
    outExprs.push_back(d(0));
  }
  inExprs.append({n, d(lead), d(lead + 2)});
  gradExprs.append({n, d(lead), d(lead + 1)});
  outExprs.append({d(lead), d(lead + 1), d(lead + 2)});
  SmallVector<int64_t> outShape{groups, gradGType.getDimSize(2),
                                filterType.getDimSize(1)};
  for (int64_t i = 0; i < rank; ++i) {
    AffineExpr k = d(lead + 3 + i), j = d(lead + 4 + rank + i);
    inExprs.push_back(j * g.strides[i] + k * g.dilations[i]);
    gradExprs.push_back(j);
    outExprs.push_back(k);
    outShape.push_back(filterType.getDimSize(2 + i));
  }
  SmallVector<int64_t> partialShape(outShape);
  if (lead)
    partialShape.insert(partialShape.begin(), chunks);
  SmallVector<IteratorType> iterators(lead + 3 + rank, IteratorType::parallel);
  iterators.append(1 + rank, IteratorType::reduction);
  MLIRContext *ctx = b.getContext();
  Value result =
      generic({inG, gradG},
              {AffineMap::get(numLoops, 0, inExprs, ctx),
               AffineMap::get(numLoops, 0, gradExprs, ctx)},
              zeros(partialShape, reductionType(), Value()),
              AffineMap::get(numLoops, 0, outExprs, ctx), iterators,
              [](OpBuilder &nb, Location nloc, ValueRange ins,
                 ValueRange outs) -> SmallVector<Value> {
                Value product = arith::MulFOp::create(nb, nloc, ins[0], ins[1]);
                return {arith::AddFOp::create(nb, nloc, outs[0], product)};
              })
          .front();
  if (lead)
    result = sumOverDim(*this, b, result, 0,
                        zeros(outShape, reductionType(), Value()));
  return collapseGroups(result, 0);
}
