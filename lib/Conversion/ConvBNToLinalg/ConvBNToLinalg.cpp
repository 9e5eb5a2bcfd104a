//===- ConvBNToLinalg.cpp - Lower convbn ops to linalg on tensors ---------===//
//
// One pattern per op. The math of each mode (docs/design.md) is written here
// in terms of the building blocks of LinalgBuilders.h; all per-channel and
// accumulation arithmetic is f32.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/ConvBNToLinalg/ConvBNToLinalg.h"
#include "LinalgBuilders.h"
#include "convbn/Conversion/Passes.h"
#include "convbn/Dialect/ConvBN/IR/ConvBNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVERTCONVBNTOLINALG
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;
using namespace mlir::convbn;

namespace {

/// The block operands (null where absent), taken from a conversion adaptor.
struct BlockValues {
  Value input, filter, bias, gamma, beta, mean, var;
};

template <typename AdaptorT> BlockValues getBlockValues(AdaptorT adaptor) {
  return {adaptor.getInput(),     adaptor.getFilter(), adaptor.getBias(),
          adaptor.getGamma(),     adaptor.getBeta(),   adaptor.getRunningMean(),
          adaptor.getRunningVar()};
}

template <typename OpTy> ConvGeometry getGeometry(OpTy op) {
  int64_t rank = cast<RankedTensorType>(op.getInput().getType()).getRank() - 2;
  auto values = [&](std::optional<ArrayRef<int64_t>> attr, int64_t fallback) {
    return attr ? SmallVector<int64_t>(*attr)
                : SmallVector<int64_t>(rank, fallback);
  };
  return {values(op.getStrides(), 1), values(op.getPaddingLow(), 0),
          values(op.getPaddingHigh(), 0), values(op.getDilations(), 1),
          static_cast<int64_t>(op.getGroups())};
}

Type elementTypeOf(Value v) { return getElementTypeOrSelf(v.getType()); }

/// Collects optional per-channel vectors for a generic and remembers where
/// each one landed, so bodies can fall back to a constant when absent.
class ChannelArgs {
public:
  int add(Value v) {
    if (!v)
      return -1;
    values.push_back(v);
    return values.size() - 1;
  }
  /// The f32 scalar of vector `index` among `ins` (after `offset` other
  /// inputs), or `fallback` when the vector is absent.
  static Value get(OpBuilder &b, Location loc, ValueRange ins, int offset,
                   int index, double fallback) {
    if (index >= 0)
      return ins[offset + index];
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(fallback));
  }
  SmallVector<Value> values;
};

/// The arithmetic of one ConvBN block, shared by forward, fold and backward.
class BlockMath {
public:
  BlockMath(OpBuilder &b, Location loc, const ConvBNToLinalgOptions &options,
            ConvGeometry geometry, double epsilon, BlockValues v)
      : bb(b, loc, options), geometry(std::move(geometry)), epsilon(epsilon),
        v(v) {}

  BlockBuilder bb;
  ConvGeometry geometry;
  double epsilon;
  BlockValues v;

  /// rsqrt(var + eps) of the running variance, f32 [O].
  Value runningInvStd() {
    Value eps = bb.constant(epsilon);
    return bb
        .mapChannels(v.var, bb.f32(),
                     [&](OpBuilder &b, Location loc, ValueRange ins,
                         ValueRange) -> SmallVector<Value> {
                       Value sum = arith::AddFOp::create(b, loc, ins[0], eps);
                       return {math::RsqrtOp::create(b, loc, sum)};
                     })
        .front();
  }

  /// k = gamma * rsqrt(var + eps), f32 [O] (gamma absent: 1).
  Value scale(Value invStd) {
    if (!v.gamma)
      return invStd;
    return bb
        .mapChannels({invStd, v.gamma}, bb.f32(),
                     [](OpBuilder &b, Location loc, ValueRange ins,
                        ValueRange) -> SmallVector<Value> {
                       return {arith::MulFOp::create(b, loc, ins[0], ins[1])};
                     })
        .front();
  }

  /// W' = k * W, with the filter's element type.
  Value foldFilter(Value k) {
    return bb
        .mapFilter(v.filter, k, elementTypeOf(v.filter),
                   [](OpBuilder &b, Location loc, ValueRange ins,
                      ValueRange) -> SmallVector<Value> {
                     return {arith::MulFOp::create(b, loc, ins[0], ins[1])};
                   })
        .front();
  }

  /// b' = k * (b - mean) + beta, with element type `type`.
  Value foldBias(Value k, Type type) {
    ChannelArgs args;
    args.add(k);
    args.add(v.mean);
    int bias = args.add(v.bias), beta = args.add(v.beta);
    return bb
        .mapChannels(args.values, type,
                     [&](OpBuilder &b, Location loc, ValueRange ins,
                         ValueRange) -> SmallVector<Value> {
                       Value bv = ChannelArgs::get(b, loc, ins, 0, bias, 0.0);
                       Value bt = ChannelArgs::get(b, loc, ins, 0, beta, 0.0);
                       Value centered =
                           arith::SubFOp::create(b, loc, bv, ins[1]);
                       Value scaled =
                           arith::MulFOp::create(b, loc, ins[0], centered);
                       return {arith::AddFOp::create(b, loc, scaled, bt)};
                     })
        .front();
  }

  /// conv(input, filter) + bias as an f32 N x O x P... tensor of `outShape`.
  Value convolve(Value filter, Value bias, ArrayRef<int64_t> outShape) {
    Value padded = bb.padSpatial(v.input, geometry.padLow, geometry.padHigh);
    Value init = bb.broadcastChannel(bias, outShape, v.input);
    return bb.correlate(padded, filter, init, geometry.groups, geometry.strides,
                        geometry.dilations);
  }

  /// Sum over batch and spatial positions, f32 [O].
  Value sumActivation(Value act) {
    return bb
        .reduceActivation(act, {}, 1,
                          [](OpBuilder &b, Location loc, ValueRange ins,
                             ValueRange outs) -> SmallVector<Value> {
                            return {
                                arith::AddFOp::create(b, loc, outs[0], ins[0])};
                          })
        .front();
  }

  /// Elementwise act * k[channel], f32.
  Value scaleActivation(Value act, Value k) {
    return bb
        .mapActivation(act, k, bb.f32(),
                       [](OpBuilder &b, Location loc, ValueRange ins,
                          ValueRange) -> SmallVector<Value> {
                         return {arith::MulFOp::create(b, loc, ins[0], ins[1])};
                       })
        .front();
  }

  /// vec * k elementwise over channels, with element type `type`.
  Value scaleChannels(Value vec, Value k, Type type) {
    return bb
        .mapChannels({vec, k}, type,
                     [](OpBuilder &b, Location loc, ValueRange ins,
                        ValueRange) -> SmallVector<Value> {
                       return {arith::MulFOp::create(b, loc, ins[0], ins[1])};
                     })
        .front();
  }
};

//===----------------------------------------------------------------------===//
// Forward
//===----------------------------------------------------------------------===//

SmallVector<Value> lowerForward(OpBuilder &b,
                                const ConvBNToLinalgOptions &options,
                                ConvBNOp op, BlockValues v) {
  Location loc = op.getLoc();
  BlockMath m(b, loc, options, getGeometry(op),
              op.getEpsilon().convertToDouble(), v);
  BlockBuilder &bb = m.bb;
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  ArrayRef<int64_t> shape = outType.getShape();
  Type actType = outType.getElementType();

  switch (op.getMode()) {
  case Mode::Deploy:
    return {
        bb.convertElementType(m.convolve(v.filter, v.bias, shape), actType)};

  case Mode::Tune: {
    // Weight-sized fold, then the convolution accumulates into the folded
    // bias: no activation-sized normalization.
    Value k = m.scale(m.runningInvStd());
    Value filter = m.foldFilter(k);
    Value bias = m.foldBias(k, bb.f32());
    return {bb.convertElementType(m.convolve(filter, bias, shape), actType)};
  }

  case Mode::Eval: {
    Value y = m.convolve(v.filter, v.bias, shape);
    Value k = m.scale(m.runningInvStd());
    // z = k*(y - mean) + beta; y (with the conv bias) is kept for backward.
    ChannelArgs args;
    args.add(k);
    args.add(v.mean);
    int beta = args.add(v.beta);
    SmallVector<Value> zy = bb.mapActivation(
        y, args.values, {actType, actType},
        [&](OpBuilder &b, Location loc, ValueRange ins,
            ValueRange) -> SmallVector<Value> {
          Value bt = ChannelArgs::get(b, loc, ins, 1, beta, 0.0);
          Value centered = arith::SubFOp::create(b, loc, ins[0], ins[2]);
          Value z = arith::AddFOp::create(
              b, loc, arith::MulFOp::create(b, loc, ins[1], centered), bt);
          return {z, ins[0]};
        });
    return {zy[0], zy[1]};
  }

  case Mode::Train: {
    Value y = m.convolve(v.filter, v.bias, shape);
    Value count = bb.elementsPerChannel(y);
    Value sum = m.sumActivation(y);
    Value mean =
        bb.mapChannels(sum, bb.f32(),
                       [&](OpBuilder &b, Location loc, ValueRange ins,
                           ValueRange) -> SmallVector<Value> {
                         return {arith::DivFOp::create(b, loc, ins[0], count)};
                       })
            .front();
    // Two passes: the variance is the mean of squared deviations.
    Value sumSq = bb.reduceActivation(
                        y, mean, 1,
                        [](OpBuilder &b, Location loc, ValueRange ins,
                           ValueRange outs) -> SmallVector<Value> {
                          Value dev =
                              arith::SubFOp::create(b, loc, ins[0], ins[1]);
                          Value sq = arith::MulFOp::create(b, loc, dev, dev);
                          return {arith::AddFOp::create(b, loc, outs[0], sq)};
                        })
                      .front();
    Type statType = elementTypeOf(v.mean);
    Value eps = bb.constant(m.epsilon);
    Value momentum = bb.constant(op.getMomentum().convertToDouble());
    Value one = bb.constant(1.0);
    // inv_std (f32, for normalizing), new running mean and variance, batch
    // mean and inv_std (statistics type).
    SmallVector<Value> stats = bb.mapChannels(
        {mean, sumSq, v.mean, v.var},
        {bb.f32(), statType, statType, statType, statType},
        [&](OpBuilder &b, Location loc, ValueRange ins,
            ValueRange) -> SmallVector<Value> {
          Value batchMean = ins[0];
          Value batchVar = arith::DivFOp::create(b, loc, ins[1], count);
          Value invStd = math::RsqrtOp::create(
              b, loc, arith::AddFOp::create(b, loc, batchVar, eps));
          Value keep = arith::SubFOp::create(b, loc, one, momentum);
          Value newMean = arith::AddFOp::create(
              b, loc, arith::MulFOp::create(b, loc, keep, ins[2]),
              arith::MulFOp::create(b, loc, momentum, batchMean));
          Value unbiased = arith::DivFOp::create(
              b, loc, ins[1], arith::SubFOp::create(b, loc, count, one));
          Value newVar = arith::AddFOp::create(
              b, loc, arith::MulFOp::create(b, loc, keep, ins[3]),
              arith::MulFOp::create(b, loc, momentum, unbiased));
          return {invStd, newMean, newVar, batchMean, invStd};
        });
    ChannelArgs args;
    args.add(mean);
    args.add(stats[0]);
    int gamma = args.add(v.gamma), beta = args.add(v.beta);
    SmallVector<Value> zy = bb.mapActivation(
        y, args.values, {actType, actType},
        [&](OpBuilder &b, Location loc, ValueRange ins,
            ValueRange) -> SmallVector<Value> {
          Value g = ChannelArgs::get(b, loc, ins, 1, gamma, 1.0);
          Value bt = ChannelArgs::get(b, loc, ins, 1, beta, 0.0);
          Value yhat = arith::MulFOp::create(
              b, loc, arith::SubFOp::create(b, loc, ins[0], ins[1]), ins[2]);
          Value z = arith::AddFOp::create(
              b, loc, arith::MulFOp::create(b, loc, yhat, g), bt);
          return {z, ins[0]};
        });
    return {zy[0], zy[1], stats[1], stats[2], stats[3], stats[4]};
  }
  }
  llvm_unreachable("unknown mode");
}

//===----------------------------------------------------------------------===//
// Backward
//===----------------------------------------------------------------------===//

/// The gradients requested by a backward op (f32 or the reduction type), or
/// null.
struct Gradients {
  Value input, filter, bias, gamma, beta;
};

Gradients lowerBackward(OpBuilder &b, const ConvBNToLinalgOptions &options,
                        BackwardOp op, BlockValues v, Value grad,
                        Value convOutput, Value batchMean, Value batchInvStd) {
  Location loc = op.getLoc();
  BlockMath m(b, loc, options, getGeometry(op),
              op.getEpsilon().convertToDouble(), v);
  BlockBuilder &bb = m.bb;
  auto inputType = cast<RankedTensorType>(v.input.getType());
  auto filterType = cast<RankedTensorType>(v.filter.getType());
  uint32_t mask = static_cast<uint32_t>(op.getGrads());
  auto wants = [&](GradMask bit) { return mask & static_cast<uint32_t>(bit); };
  bool wantX = wants(GradMask::Input), wantW = wants(GradMask::Filter),
       wantB = wants(GradMask::Bias), wantG = wants(GradMask::Gamma),
       wantBt = wants(GradMask::Beta);
  Gradients out;

  // The convolution part: gradients of input, filter and bias from the
  // gradient `dy` of the convolution output, and the filter dx reads.
  auto convGradients = [&](Value dy, Value filterForData) {
    if (wantX)
      out.input = bb.backwardData(dy, filterForData, inputType, m.geometry);
    if (wantW)
      out.filter = bb.backwardFilter(v.input, dy, filterType, m.geometry);
    if (wantB)
      out.bias = m.sumActivation(dy);
  };

  switch (op.getMode()) {
  case Mode::Deploy:
    convGradients(grad, v.filter);
    break;

  case Mode::Eval: {
    Value invStd = m.runningInvStd();
    if (wantX || wantW || wantB)
      convGradients(m.scaleActivation(grad, m.scale(invStd)), v.filter);
    if (wantG || wantBt) {
      // dbeta = sum G; dgamma = sum G*(Y - mean) * rsqrt(var + eps).
      SmallVector<Value> sums = bb.reduceActivation(
          {grad, convOutput}, v.mean, 2,
          [](OpBuilder &b, Location loc, ValueRange ins,
             ValueRange outs) -> SmallVector<Value> {
            Value centered = arith::SubFOp::create(b, loc, ins[1], ins[2]);
            Value product = arith::MulFOp::create(b, loc, ins[0], centered);
            return {arith::AddFOp::create(b, loc, outs[0], ins[0]),
                    arith::AddFOp::create(b, loc, outs[1], product)};
          });
      out.beta = sums[0];
      if (wantG)
        out.gamma = m.scaleChannels(sums[1], invStd, bb.f32());
    }
    break;
  }

  case Mode::Tune: {
    // Chain rule through the fold; reads the input and weight-sized tensors
    // only, never the conv output.
    Value invStd = m.runningInvStd();
    Value k = m.scale(invStd);
    if (wantX)
      out.input = bb.backwardData(grad, m.foldFilter(k), inputType, m.geometry);
    Value dFolded, dBiasFolded;
    if (wantW || wantG)
      dFolded = bb.backwardFilter(v.input, grad, filterType, m.geometry);
    if (wantB || wantBt || wantG)
      dBiasFolded = m.sumActivation(grad);
    if (wantW)
      out.filter =
          bb.mapFilter(dFolded, k, bb.f32(),
                       [](OpBuilder &b, Location loc, ValueRange ins,
                          ValueRange) -> SmallVector<Value> {
                         return {arith::MulFOp::create(b, loc, ins[0], ins[1])};
                       })
              .front();
    if (wantB)
      out.bias = m.scaleChannels(dBiasFolded, k, bb.f32());
    out.beta = dBiasFolded;
    if (wantG) {
      // dgamma = (sum dW'*W + db'*(b - mean)) * rsqrt(var + eps)
      Value dot =
          bb.reduceFilter({dFolded, v.filter}, {}, 1,
                          [](OpBuilder &b, Location loc, ValueRange ins,
                             ValueRange outs) -> SmallVector<Value> {
                            Value p =
                                arith::MulFOp::create(b, loc, ins[0], ins[1]);
                            return {arith::AddFOp::create(b, loc, outs[0], p)};
                          })
              .front();
      ChannelArgs args;
      args.add(dot);
      args.add(dBiasFolded);
      args.add(v.mean);
      args.add(invStd);
      int bias = args.add(v.bias);
      out.gamma =
          bb.mapChannels(
                args.values, bb.f32(),
                [&](OpBuilder &b, Location loc, ValueRange ins,
                    ValueRange) -> SmallVector<Value> {
                  Value bv = ChannelArgs::get(b, loc, ins, 0, bias, 0.0);
                  Value centered = arith::SubFOp::create(b, loc, bv, ins[2]);
                  Value total = arith::AddFOp::create(
                      b, loc, ins[0],
                      arith::MulFOp::create(b, loc, ins[1], centered));
                  return {arith::MulFOp::create(b, loc, total, ins[3])};
                })
              .front();
    }
    break;
  }

  case Mode::Train: {
    // Yhat = (Y - batch_mean) * batch_inv_std; dbeta = sum G,
    // dgamma = sum G*Yhat; dY = gamma*inv_std*(G - dbeta/M - Yhat*dgamma/M).
    SmallVector<Value> sums = bb.reduceActivation(
        {grad, convOutput}, {batchMean, batchInvStd}, 2,
        [](OpBuilder &b, Location loc, ValueRange ins,
           ValueRange outs) -> SmallVector<Value> {
          Value yhat = arith::MulFOp::create(
              b, loc, arith::SubFOp::create(b, loc, ins[1], ins[2]), ins[3]);
          Value product = arith::MulFOp::create(b, loc, ins[0], yhat);
          return {arith::AddFOp::create(b, loc, outs[0], ins[0]),
                  arith::AddFOp::create(b, loc, outs[1], product)};
        });
    out.beta = sums[0];
    out.gamma = sums[1];
    if (wantX || wantW || wantB) {
      Value count = bb.elementsPerChannel(grad);
      ChannelArgs args;
      args.add(batchMean);
      args.add(batchInvStd);
      args.add(sums[0]);
      args.add(sums[1]);
      int gamma = args.add(v.gamma);
      Value dy =
          bb.mapActivation(
                {grad, convOutput}, args.values, bb.f32(),
                [&](OpBuilder &b, Location loc, ValueRange ins,
                    ValueRange) -> SmallVector<Value> {
                  Value g = ChannelArgs::get(b, loc, ins, 2, gamma, 1.0);
                  Value yhat = arith::MulFOp::create(
                      b, loc, arith::SubFOp::create(b, loc, ins[1], ins[2]),
                      ins[3]);
                  Value meanG = arith::DivFOp::create(b, loc, ins[4], count);
                  Value meanGY = arith::DivFOp::create(b, loc, ins[5], count);
                  Value centered = arith::SubFOp::create(
                      b, loc, arith::SubFOp::create(b, loc, ins[0], meanG),
                      arith::MulFOp::create(b, loc, yhat, meanGY));
                  Value gScale = arith::MulFOp::create(b, loc, g, ins[3]);
                  return {arith::MulFOp::create(b, loc, gScale, centered)};
                })
              .front();
      convGradients(dy, v.filter);
    }
    break;
  }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// Base of the patterns: carries the lowering's options.
template <typename OpTy>
struct LoweringPattern : public OpConversionPattern<OpTy> {
  LoweringPattern(MLIRContext *context, const ConvBNToLinalgOptions &options)
      : OpConversionPattern<OpTy>(context), options(options) {}
  ConvBNToLinalgOptions options;
};

struct ConvBNOpLowering : public LoweringPattern<ConvBNOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(ConvBNOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, lowerForward(rewriter, this->options, op, getBlockValues(adaptor)));
    return success();
  }
};

struct FoldOpLowering : public LoweringPattern<FoldOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(FoldOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    BlockValues v{Value(),
                  adaptor.getFilter(),
                  adaptor.getBias(),
                  adaptor.getGamma(),
                  adaptor.getBeta(),
                  adaptor.getRunningMean(),
                  adaptor.getRunningVar()};
    BlockMath m(rewriter, op.getLoc(), this->options, ConvGeometry(),
                op.getEpsilon().convertToDouble(), v);
    Value k = m.scale(m.runningInvStd());
    rewriter.replaceOp(op, {m.foldFilter(k),
                            m.foldBias(k, elementTypeOf(op.getFoldedBias()))});
    return success();
  }
};

struct BackwardOpLowering : public LoweringPattern<BackwardOp> {
  using LoweringPattern::LoweringPattern;

  LogicalResult
  matchAndRewrite(BackwardOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    BlockValues v = getBlockValues(adaptor);
    Gradients grads =
        lowerBackward(rewriter, this->options, op, v, adaptor.getGradOutput(),
                      adaptor.getConvOutput(), adaptor.getBatchMean(),
                      adaptor.getBatchInvStd());
    BlockBuilder bb(rewriter, op.getLoc());
    // Round once to each gradient's type, in result order.
    std::pair<Value, Value> ordered[] = {{grads.input, op.getGradInput()},
                                         {grads.filter, op.getGradFilter()},
                                         {grads.bias, op.getGradBias()},
                                         {grads.gamma, op.getGradGamma()},
                                         {grads.beta, op.getGradBeta()}};
    SmallVector<Value> results;
    for (auto [value, result] : ordered)
      if (result)
        results.push_back(bb.convertElementType(value, elementTypeOf(result)));
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct ConvertConvBNToLinalgPass
    : public convbn::impl::ConvertConvBNToLinalgBase<
          ConvertConvBNToLinalgPass> {
  using ConvertConvBNToLinalgBase::ConvertConvBNToLinalgBase;
  void runOnOperation() override {
    bool supported = true;
    getOperation()->walk([&](Operation *op) {
      if (isa<ConvBNOp, FoldOp, BackwardOp>(op) &&
          failed(checkLowerableToLinalg(op)))
        supported = false;
    });
    if (!supported)
      return signalPassFailure();

    ConversionTarget target(getContext());
    target.addIllegalDialect<ConvBNDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    ConvBNToLinalgOptions options;
    options.f64Reductions = f64Reductions;
    options.phasesInPlace = phasesInPlace;
    options.stackedPhasesRows = stackedPhasesRows;
    populateConvBNToLinalgPatterns(patterns, options);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

/// Every dimension of `value` must be static, except dim 0 when
/// `batchMayBeDynamic`.
static LogicalResult checkStatic(Operation *op, StringRef what, Value value,
                                 bool batchMayBeDynamic) {
  if (!value)
    return success();
  auto type = cast<RankedTensorType>(value.getType());
  for (auto [i, dim] : llvm::enumerate(type.getShape())) {
    if (!ShapedType::isDynamic(dim) || (i == 0 && batchMayBeDynamic))
      continue;
    return op->emitOpError()
           << "cannot be lowered to linalg: only the batch dimension may be "
              "dynamic, but "
           << what << " has type " << type;
  }
  return success();
}

LogicalResult mlir::convbn::checkLowerableToLinalg(Operation *op) {
  // Activation-shaped values may have a dynamic batch; weights and
  // per-channel vectors must be static.
  SmallVector<std::tuple<std::string, Value, bool>> values;
  for (OpOperand &operand : op->getOpOperands()) {
    Value v = operand.get();
    bool activation =
        isa<ConvBNOp, BackwardOp>(op) &&
        cast<RankedTensorType>(v.getType()).getRank() >= 3 &&
        !(isa<ConvBNOp>(op) ? v == cast<ConvBNOp>(op).getFilter()
                            : v == cast<BackwardOp>(op).getFilter());
    values.push_back({("operand #" + Twine(operand.getOperandNumber())).str(),
                      v, activation});
  }
  for (OpResult result : op->getResults()) {
    bool activation = isa<ConvBNOp>(op) &&
                      cast<RankedTensorType>(result.getType()).getRank() >= 3;
    if (auto backward = dyn_cast<BackwardOp>(op))
      activation = result == backward.getGradInput();
    values.push_back({("result #" + Twine(result.getResultNumber())).str(),
                      result, activation});
  }
  for (auto &[what, value, activation] : values)
    if (failed(checkStatic(op, what, value, activation)))
      return failure();
  return success();
}

void mlir::convbn::populateConvBNToLinalgPatterns(
    RewritePatternSet &patterns, const ConvBNToLinalgOptions &options) {
  patterns.add<ConvBNOpLowering, FoldOpLowering, BackwardOpLowering>(
      patterns.getContext(), options);
}
