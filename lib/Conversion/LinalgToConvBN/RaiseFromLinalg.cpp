//===- RaiseFromLinalg.cpp - linalg conv + eval batch norm -> convbn ------===//
//
// For every supported linalg convolution:
//  1. the convolution itself gives the block's input (a zero tensor.pad is
//     the padding), filter, strides, dilations and bias (the accumulator);
//  2. the chain: the run of single-use, all-parallel elementwise
//     linalg.generics that consume the convolution result;
//  3. each prefix of the chain, longest first, is evaluated as a symbolic
//     expression of one output element and matched against eval-mode batch
//     normalization. The first match is replaced by convbn.conv_bn eval.
// What cannot be raised is reported with its reason and left unchanged.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"
#include "convbn/Dialect/ConvBN/IR/ConvBNDialect.h"
#include "convbn/Dialect/ConvBN/IR/ConvBNOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"

#include <deque>
#include <optional>

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNRAISEFROMLINALG
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;
using namespace mlir::convbn;

namespace {

//===----------------------------------------------------------------------===//
// Step 1: the convolution
//===----------------------------------------------------------------------===//

struct ConvMatch {
  Value input, filter, bias;
  SmallVector<int64_t> strides, dilations, padLow, padHigh;
  int64_t groups = 1;
};

bool isSupportedConv(Operation *op) {
  return isa<linalg::Conv1DNcwFcwOp, linalg::Conv2DNchwFchwOp,
             linalg::Conv3DNcdhwFcdhwOp, linalg::Conv2DNgchwGfchwOp,
             linalg::DepthwiseConv2DNchwChwOp>(op);
}

/// The source of `v` if it is a tensor.expand_shape (collapse_shape when
/// `collapse`) with exactly `reassociation`, else null.
template <typename ReshapeOp>
Value reshapeSource(Value v, ArrayRef<ReassociationIndices> reassociation) {
  auto reshape = v.getDefiningOp<ReshapeOp>();
  if (!reshape || reshape.getReassociationIndices() !=
                      SmallVector<ReassociationIndices>(reassociation))
    return Value();
  return reshape.getSrc();
}

/// The block's input, filter and accumulator in the 2-D/1-D/3-D NC... form
/// convbn.conv_bn takes, undoing the reshapes torch-mlir wraps around
/// grouped (conv_2d_ngchw_gfchw: input and accumulator [N, G, C/G, H, W],
/// filter [G, F/G, C/G, kh, kw]) and depthwise (filter [C, kh, kw])
/// convolutions.
LogicalResult unwrapGroups(linalg::LinalgOp conv, ConvMatch &m, Value &init,
                           std::string &why) {
  m.input = conv.getDpsInputs()[0];
  m.filter = conv.getDpsInputs()[1];
  init = conv.getDpsInits()[0];
  if (isa<linalg::Conv2DNgchwGfchwOp>(conv)) {
    SmallVector<ReassociationIndices> act{{0}, {1, 2}, {3}, {4}};
    SmallVector<ReassociationIndices> filter{{0, 1}, {2}, {3}, {4}};
    m.groups = cast<ShapedType>(m.input.getType()).getDimSize(1);
    m.input = reshapeSource<tensor::ExpandShapeOp>(m.input, act);
    m.filter = reshapeSource<tensor::ExpandShapeOp>(m.filter, filter);
    // A bias is broadcast before the reshape; a zero fill may come after it
    // (matchAccumulator accepts a zero fill of any shape).
    if (Value source = reshapeSource<tensor::ExpandShapeOp>(init, act))
      init = source;
    if (!m.input || !m.filter) {
      why = "the grouped convolution's operands are not reshaped from "
            "ungrouped tensors";
      return failure();
    }
  } else if (isa<linalg::DepthwiseConv2DNchwChwOp>(conv)) {
    SmallVector<ReassociationIndices> filter{{0, 1}, {2}, {3}};
    m.groups = cast<ShapedType>(m.input.getType()).getDimSize(1);
    m.filter = reshapeSource<tensor::CollapseShapeOp>(m.filter, filter);
    if (!m.filter) {
      why = "the depthwise filter is not collapsed from a [C, 1, kh, kw] "
            "filter";
      return failure();
    }
  }
  return success();
}

/// Any linalg convolution (pooling ops, which share the interface, are not).
/// A linalg convolution on tensors (one on buffers has no result for a
/// batch norm to consume: it is left as it is).
bool isConvolution(Operation *op) {
  StringRef name = op->getName().getStringRef();
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.hasPureTensorSemantics() &&
         op->getNumResults() == 1 &&
         (name.starts_with("linalg.conv_") ||
          name.starts_with("linalg.depthwise_conv_"));
}

SmallVector<int64_t> intsOr(Operation *op, StringRef name, int64_t rank,
                            int64_t fallback) {
  SmallVector<int64_t> values;
  if (auto attr = op->getAttrOfType<DenseIntElementsAttr>(name))
    for (const APInt &v : attr.getValues<APInt>())
      values.push_back(v.getSExtValue());
  if (static_cast<int64_t>(values.size()) != rank)
    values.assign(rank, fallback);
  return values;
}

/// The 1-D bias that `init` broadcasts along every dimension but the channel,
/// a null Value for a zero accumulator, or failure.
FailureOr<Value> matchAccumulator(Value init) {
  if (auto fill = init.getDefiningOp<linalg::FillOp>()) {
    if (matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
      return Value();
    return failure();
  }
  if (matchPattern(init, m_AnyZeroFloat()))
    return Value();
  if (auto bcast = init.getDefiningOp<linalg::BroadcastOp>()) {
    auto inType = cast<ShapedType>(bcast.getInput().getType());
    ArrayRef<int64_t> dims = bcast.getDimensions();
    int64_t rank = cast<ShapedType>(init.getType()).getRank();
    if (inType.getRank() == 1 &&
        static_cast<int64_t>(dims.size()) == rank - 1 &&
        !llvm::is_contained(dims, 1))
      return bcast.getInput();
    return failure();
  }
  if (auto generic = init.getDefiningOp<linalg::GenericOp>()) {
    if (generic.getNumDpsInputs() != 1 ||
        generic.getNumParallelLoops() != generic.getNumLoops())
      return failure();
    auto *yield = generic.getBody()->getTerminator();
    auto arg = dyn_cast<BlockArgument>(yield->getOperand(0));
    if (!arg || arg.getOwner() != generic.getBody() || arg.getArgNumber() != 0)
      return failure();
    OpOperand *in = generic.getDpsInputOperand(0);
    AffineMap map = generic.getMatchingIndexingMap(in);
    auto inType = dyn_cast<ShapedType>(in->get().getType());
    if (!inType || inType.getRank() != 1 || map.getNumResults() != 1 ||
        map.getResult(0) != getAffineDimExpr(1, map.getContext()) ||
        !generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
             .isIdentity())
      return failure();
    return in->get();
  }
  return failure();
}

FailureOr<ConvMatch> matchConv(linalg::LinalgOp conv, std::string &why) {
  ConvMatch m;
  Value init;
  if (failed(unwrapGroups(conv, m, init, why)))
    return failure();
  int64_t spatial = cast<ShapedType>(m.filter.getType()).getRank() - 2;
  m.strides = intsOr(conv, "strides", spatial, 1);
  m.dilations = intsOr(conv, "dilations", spatial, 1);
  m.padLow.assign(spatial, 0);
  m.padHigh.assign(spatial, 0);
  if (auto pad = m.input.getDefiningOp<tensor::PadOp>()) {
    Value padValue = pad.getConstantPaddingValue();
    if (!padValue || !matchPattern(padValue, m_AnyZeroFloat())) {
      why = "the convolution input is padded with a non-zero value";
      return failure();
    }
    if (!pad.getLow().empty() || !pad.getHigh().empty()) {
      why = "the convolution input has dynamic padding";
      return failure();
    }
    ArrayRef<int64_t> low = pad.getStaticLow(), high = pad.getStaticHigh();
    if (low[0] || low[1] || high[0] || high[1]) {
      why = "the convolution input is padded along batch or channels";
      return failure();
    }
    m.padLow.assign(low.begin() + 2, low.end());
    m.padHigh.assign(high.begin() + 2, high.end());
    m.input = pad.getSource();
  }
  FailureOr<Value> bias = matchAccumulator(init);
  if (failed(bias)) {
    why = "the convolution accumulator is neither zero nor a broadcast "
          "per-channel bias";
    return failure();
  }
  m.bias = *bias;
  return m;
}

//===----------------------------------------------------------------------===//
// Step 3: one output element as a symbolic expression
//===----------------------------------------------------------------------===//

struct Expr {
  enum Kind { Act, Channel, Const, Add, Sub, Mul, Div, Neg, Rsqrt, Sqrt };
  Kind kind;
  Value leaf;       // Channel: the 1-D per-channel tensor.
  double value = 0; // Const.
  const Expr *lhs = nullptr, *rhs = nullptr;
};

/// Builds the expression of one element of a tensor computed elementwise
/// from the convolution result `act` and per-channel tensors.
class ExprBuilder {
public:
  ExprBuilder(Value act) : act(act) {
    channels = cast<ShapedType>(act.getType()).getDimSize(1);
  }

  /// The element of activation-shaped `t` at the same position.
  const Expr *activation(Value t) {
    if (t == act)
      return make(Expr::Act);
    auto generic = t.getDefiningOp<linalg::GenericOp>();
    if (!generic || !isElementwise(generic) ||
        !generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
             .isIdentity())
      return fail("a value in the chain is not elementwise");
    return body(generic, /*channelDim=*/1, /*activationShaped=*/true);
  }

  /// The element of `t` (all sizes 1 except `dim`, which has the channels)
  /// for one channel.
  const Expr *channel(Value t, int64_t dim) {
    auto type = dyn_cast<RankedTensorType>(t.getType());
    if (!type)
      return fail("a per-channel operand is not a ranked tensor");
    DenseElementsAttr dense;
    if (matchPattern(t, m_Constant(&dense)) && dense.isSplat() &&
        isa<FloatType>(dense.getElementType()))
      return constant(dense.getSplatValue<APFloat>().convertToDouble());
    if (auto expand = t.getDefiningOp<tensor::ExpandShapeOp>()) {
      for (auto [srcDim, group] :
           llvm::enumerate(expand.getReassociationIndices()))
        if (llvm::is_contained(group, dim))
          return channel(expand.getSrc(), srcDim);
    }
    if (auto bcast = t.getDefiningOp<linalg::BroadcastOp>()) {
      ArrayRef<int64_t> dims = bcast.getDimensions();
      if (llvm::is_contained(dims, dim))
        return fail("a per-channel operand is broadcast along the channels");
      return channel(
          bcast.getInput(),
          dim - llvm::count_if(dims, [&](int64_t d) { return d < dim; }));
    }
    if (auto generic = t.getDefiningOp<linalg::GenericOp>()) {
      if (!isElementwise(generic))
        return fail("a per-channel value is not computed elementwise");
      AffineMap outMap =
          generic.getMatchingIndexingMap(generic.getDpsInitOperand(0));
      auto d = dyn_cast<AffineDimExpr>(outMap.getResult(dim));
      if (!outMap.isProjectedPermutation() || !d)
        return fail("a per-channel value has an unsupported indexing map");
      return body(generic, d.getPosition(), /*activationShaped=*/false);
    }
    if (type.getRank() != 1 || type.getDimSize(0) != channels)
      return fail("a per-channel operand is not a 1-D tensor of the channels");
    Expr *e = make(Expr::Channel);
    e->leaf = t;
    return e;
  }

  StringRef failure() const { return failureReason; }

private:
  static bool isElementwise(linalg::GenericOp g) {
    return g.getNumDpsInits() == 1 && g->getNumResults() == 1 &&
           g.getNumParallelLoops() == g.getNumLoops();
  }

  /// The yielded value of `g`, whose loop `channelDim` runs over channels.
  const Expr *body(linalg::GenericOp g, unsigned channelDim,
                   bool activationShaped) {
    Value yielded = g.getBody()->getTerminator()->getOperand(0);
    return scalar(yielded, g, channelDim, activationShaped);
  }

  const Expr *scalar(Value v, linalg::GenericOp g, unsigned channelDim,
                     bool activationShaped) {
    // Values in a body are shared freely (a fused generic reuses them): one
    // expression per value keeps the walk linear.
    auto cached = scalars.find(v);
    if (cached != scalars.end())
      return cached->second;
    if (++depth > kMaxDepth)
      return fail("the elementwise computation is too deep to analyze");
    const Expr *e = scalarUncached(v, g, channelDim, activationShaped);
    --depth;
    if (e)
      scalars[v] = e;
    return e;
  }

  const Expr *scalarUncached(Value v, linalg::GenericOp g, unsigned channelDim,
                             bool activationShaped) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() != g.getBody())
        return fail("the body reads a block argument of another region");
      if (arg.getArgNumber() >= g.getNumDpsInputs())
        return fail("the body reads its output");
      return operand(g.getDpsInputOperand(arg.getArgNumber()), g, channelDim,
                     activationShaped);
    }
    Operation *op = v.getDefiningOp();
    auto recurse = [&](Value x) {
      return scalar(x, g, channelDim, activationShaped);
    };
    FloatAttr floatAttr;
    if (matchPattern(v, m_Constant(&floatAttr)))
      return constant(floatAttr.getValueAsDouble());
    if (isa<arith::TruncFOp, arith::ExtFOp>(op)) {
      const Expr *in = recurse(op->getOperand(0));
      if (!in || in->kind != Expr::Const)
        return fail("the body converts a non-constant value");
      APFloat f(in->value);
      bool lost;
      f.convert(cast<FloatType>(v.getType()).getFloatSemantics(),
                APFloat::rmNearestTiesToEven, &lost);
      return constant(f.convertToDouble());
    }
    auto binary = [&](Expr::Kind kind) -> const Expr * {
      const Expr *l = recurse(op->getOperand(0));
      const Expr *r = l ? recurse(op->getOperand(1)) : nullptr;
      if (!r)
        return nullptr;
      Expr *e = make(kind);
      e->lhs = l;
      e->rhs = r;
      return e;
    };
    auto unary = [&](Expr::Kind kind) -> const Expr * {
      const Expr *in = recurse(op->getOperand(0));
      if (!in)
        return nullptr;
      Expr *e = make(kind);
      e->lhs = in;
      return e;
    };
    if (isa<arith::AddFOp>(op))
      return binary(Expr::Add);
    if (isa<arith::SubFOp>(op))
      return binary(Expr::Sub);
    if (isa<arith::MulFOp>(op))
      return binary(Expr::Mul);
    if (isa<arith::DivFOp>(op))
      return binary(Expr::Div);
    if (isa<arith::NegFOp>(op))
      return unary(Expr::Neg);
    if (isa<math::RsqrtOp>(op))
      return unary(Expr::Rsqrt);
    if (isa<math::SqrtOp>(op))
      return unary(Expr::Sqrt);
    return fail("the body computes something other than batch normalization");
  }

  const Expr *operand(OpOperand *in, linalg::GenericOp g, unsigned channelDim,
                      bool activationShaped) {
    AffineMap map = g.getMatchingIndexingMap(in);
    auto type = dyn_cast<ShapedType>(in->get().getType());
    if (!type)
      return fail("an operand is not a tensor");
    if (activationShaped && map.isIdentity() && type == act.getType())
      return activation(in->get());
    // Per channel: one result is the channel loop, every other result
    // addresses a dimension of size 1.
    std::optional<int64_t> dim;
    for (auto [k, expr] : llvm::enumerate(map.getResults())) {
      auto d = dyn_cast<AffineDimExpr>(expr);
      if (d && d.getPosition() == channelDim && type.getDimSize(k) == channels)
        dim = k;
      else if (type.getDimSize(k) != 1)
        return fail("an operand varies along a dimension other than the "
                    "channels");
    }
    if (!dim) {
      DenseElementsAttr dense;
      if (matchPattern(in->get(), m_Constant(&dense)) && dense.isSplat() &&
          isa<FloatType>(dense.getElementType()))
        return constant(dense.getSplatValue<APFloat>().convertToDouble());
      return fail("an operand is neither per-channel nor constant");
    }
    return channel(in->get(), *dim);
  }

  Expr *make(Expr::Kind kind) {
    arena.push_back(Expr{kind, Value()});
    return &arena.back();
  }
  const Expr *constant(double value) {
    Expr *e = make(Expr::Const);
    e->value = value;
    return e;
  }
  const Expr *fail(StringRef reason) {
    if (failureReason.empty())
      failureReason = reason.str();
    return nullptr;
  }

  /// Bounds the recursion (one level per op or generic walked through).
  static constexpr unsigned kMaxDepth = 512;

  Value act;
  int64_t channels;
  std::deque<Expr> arena;
  DenseMap<Value, const Expr *> scalars;
  unsigned depth = 0;
  std::string failureReason;
};

//===----------------------------------------------------------------------===//
// Matching the expression against batch normalization
//===----------------------------------------------------------------------===//

struct BatchNormMatch {
  Value mean, var, gamma, beta;
  double epsilon = 0;
};

bool isChannel(const Expr *e) { return e->kind == Expr::Channel; }

/// var + eps, either order.
bool matchVarPlusEps(const Expr *e, BatchNormMatch &m) {
  if (e->kind != Expr::Add)
    return false;
  for (auto [a, b] : {std::pair(e->lhs, e->rhs), std::pair(e->rhs, e->lhs)})
    if (isChannel(a) && b->kind == Expr::Const) {
      m.var = a->leaf;
      m.epsilon = b->value;
      return true;
    }
  return false;
}

/// rsqrt(var + eps) or 1 / sqrt(var + eps).
bool matchInvStd(const Expr *e, BatchNormMatch &m) {
  if (e->kind == Expr::Rsqrt)
    return matchVarPlusEps(e->lhs, m);
  return e->kind == Expr::Div && e->lhs->kind == Expr::Const &&
         e->lhs->value == 1.0 && e->rhs->kind == Expr::Sqrt &&
         matchVarPlusEps(e->rhs->lhs, m);
}

/// y - mean.
bool matchCentered(const Expr *e, BatchNormMatch &m) {
  if (e->kind != Expr::Sub || e->lhs->kind != Expr::Act || !isChannel(e->rhs))
    return false;
  m.mean = e->rhs->leaf;
  return true;
}

/// The factors of a product (nested multiplications flattened); a division
/// by sqrt(var + eps) counts as a factor rsqrt(var + eps).
void collectFactors(const Expr *e, SmallVectorImpl<const Expr *> &factors,
                    SmallVectorImpl<const Expr *> &divisors) {
  if (e->kind == Expr::Mul) {
    collectFactors(e->lhs, factors, divisors);
    collectFactors(e->rhs, factors, divisors);
    return;
  }
  if (e->kind == Expr::Div && e->rhs->kind == Expr::Sqrt) {
    collectFactors(e->lhs, factors, divisors);
    divisors.push_back(e->rhs);
    return;
  }
  factors.push_back(e);
}

/// (y - mean) * rsqrt(var + eps) [* gamma], factors in any order and
/// grouping.
bool matchScaled(const Expr *e, BatchNormMatch &m) {
  SmallVector<const Expr *> factors, divisors;
  collectFactors(e, factors, divisors);
  bool centered = false, invStd = false;
  if (divisors.size() > 1)
    return false;
  if (divisors.size() == 1) {
    if (!matchVarPlusEps(divisors[0]->lhs, m))
      return false;
    invStd = true;
  }
  for (const Expr *f : factors) {
    if (!centered && matchCentered(f, m)) {
      centered = true;
    } else if (!invStd && matchInvStd(f, m)) {
      invStd = true;
    } else if (!m.gamma && isChannel(f)) {
      m.gamma = f->leaf;
    } else {
      return false;
    }
  }
  return centered && invStd;
}

/// ((y - mean) * rsqrt(var + eps) [* gamma]) [+ beta].
bool matchBatchNorm(const Expr *e, BatchNormMatch &m) {
  if (e->kind == Expr::Add)
    for (auto [a, b] : {std::pair(e->lhs, e->rhs), std::pair(e->rhs, e->lhs)})
      if (isChannel(b)) {
        BatchNormMatch attempt;
        if (matchScaled(a, attempt)) {
          m = attempt;
          m.beta = b->leaf;
          return true;
        }
      }
  return matchScaled(e, m);
}

//===----------------------------------------------------------------------===//
// Step 2 and the rewrite
//===----------------------------------------------------------------------===//

bool isElementwiseUser(Operation *user, Value v) {
  auto g = dyn_cast<linalg::GenericOp>(user);
  if (!g || g.getNumDpsInits() != 1 || g->getNumResults() != 1 ||
      g.getNumParallelLoops() != g.getNumLoops() ||
      g->getResult(0).getType() != v.getType())
    return false;
  for (OpOperand *in : g.getDpsInputOperands())
    if (in->get() == v && !g.getMatchingIndexingMap(in).isIdentity())
      return false;
  return llvm::is_contained(g.getDpsInputs(), v);
}

/// Batch norm takes at most 6 elementwise ops (torch-mlir's chain); longer
/// runs are followed this far only.
constexpr size_t kMaxChainLength = 32;

struct ChainEnd {
  Value value;
  /// Some value before it in the chain has users outside the chain.
  bool shared;
};

/// The ends of the chain that starts at `start` (a user of the conv
/// result): each generic consumes the previous value elementwise. A value
/// with other users does not stop the chain (so that a batch norm whose
/// intermediates are used elsewhere is recognized and reported), but marks
/// the ends after it as shared. Longest last.
SmallVector<ChainEnd> chainEnds(Operation *start, Value convResult) {
  SmallVector<ChainEnd> ends;
  if (!isElementwiseUser(start, convResult))
    return ends;
  Value current = start->getResult(0);
  bool shared = false;
  ends.push_back({current, shared});
  while (ends.size() < kMaxChainLength) {
    SmallVector<Operation *> next;
    for (Operation *user : current.getUsers())
      if (isElementwiseUser(user, current) && !llvm::is_contained(next, user))
        next.push_back(user);
    if (next.size() != 1)
      break;
    shared |= !current.hasOneUse();
    current = next.front()->getResult(0);
    ends.push_back({current, shared});
  }
  return ends;
}

/// The batch norm that the chain from `start` computes, and its end.
std::optional<std::pair<ChainEnd, BatchNormMatch>>
findBatchNorm(Operation *start, Value convResult) {
  // A named vector: llvm::reverse of a temporary would dangle.
  SmallVector<ChainEnd> ends = chainEnds(start, convResult);
  for (ChainEnd end : llvm::reverse(ends)) {
    ExprBuilder builder(convResult);
    const Expr *e = builder.activation(end.value);
    BatchNormMatch m;
    if (e && matchBatchNorm(e, m))
      return std::pair(end, m);
  }
  return std::nullopt;
}

bool isStatistic(Operation *op) {
  if (isa<linalg::ReduceOp>(op))
    return true;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  return generic && generic.getNumReductionLoops() > 0;
}

DenseI64ArrayAttr arrayOrNull(OpBuilder &b, ArrayRef<int64_t> values,
                              int64_t neutral) {
  if (llvm::all_of(values, [&](int64_t v) { return v == neutral; }))
    return nullptr;
  return b.getDenseI64ArrayAttr(values);
}

struct ConvBNRaiseFromLinalgPass
    : public convbn::impl::ConvBNRaiseFromLinalgBase<
          ConvBNRaiseFromLinalgPass> {
  using ConvBNRaiseFromLinalgBase::ConvBNRaiseFromLinalgBase;

  void runOnOperation() override {
    erased.clear();
    SmallVector<Operation *> convs;
    getOperation()->walk([&](Operation *op) {
      if (isConvolution(op))
        convs.push_back(op);
    });
    unsigned raised = 0, leftAlone = 0;
    for (Operation *conv : convs) {
      // Erasing a raised chain may take another convolution with it (one
      // whose result only the chain read, without using it).
      if (erased.contains(conv))
        continue;
      std::string why;
      if (raise(conv, why)) {
        ++raised;
      } else if (!why.empty()) {
        ++leftAlone;
        emitWarning(conv->getLoc(), "convolution + batch norm left alone: ")
            << why;
      } else if (report) {
        emitRemark(conv->getLoc(),
                   "convolution not raised: no batch normalization "
                   "follows it");
      }
    }
    if (report)
      emitRemark(getOperation()->getLoc())
          << "raised " << raised << " convolution + batch norm pair"
          << (raised == 1 ? "" : "s") << "; left alone " << leftAlone;
  }

  /// Raises `conv` and its batch norm. Returns false with `why` set when a
  /// batch norm follows that cannot be raised, and with `why` empty when
  /// none follows.
  bool raise(Operation *conv, std::string &why) {
    Value result = conv->getResult(0);
    // A grouped convolution's result is collapsed from [N, G, F/G, ...] to
    // [N, F, ...] before the batch norm: look for the chain after that.
    if (result.hasOneUse())
      if (auto collapse =
              dyn_cast<tensor::CollapseShapeOp>(*result.getUsers().begin()))
        result = collapse.getResult();
    SmallVector<Operation *> users(result.getUsers());
    if (llvm::any_of(users, isStatistic)) {
      why = "batch normalization in training mode (batch statistics are "
            "computed from the convolution result); only eval-mode batch norm "
            "is raised";
      return false;
    }
    std::optional<std::pair<ChainEnd, BatchNormMatch>> bn;
    for (Operation *user : users)
      if ((bn = findBatchNorm(user, result)))
        break;
    if (!bn)
      return false; // No batch norm follows: nothing to report but a remark.
    if (users.size() > 1) {
      why = "the convolution result has " + std::to_string(users.size()) +
            " users; the batch norm can only be fused when it is the only one";
      return false;
    }
    if (bn->first.shared) {
      why = "an intermediate value of the batch norm has users outside it";
      return false;
    }
    if (!isSupportedConv(conv)) {
      why = "'" + conv->getName().getStringRef().str() +
            "' is not supported (linalg.conv_{1d_ncw_fcw, 2d_nchw_fchw, "
            "3d_ncdhw_fcdhw, 2d_ngchw_gfchw} and "
            "linalg.depthwise_conv_2d_nchw_chw are)";
      return false;
    }
    FailureOr<ConvMatch> cm = matchConv(cast<linalg::LinalgOp>(conv), why);
    if (failed(cm))
      return false;
    Value end = bn->first.value;
    BatchNormMatch m = bn->second;
    if (!m.mean || !m.var) {
      why = "the normalization has no running mean or variance";
      return false;
    }

    Operation *endOp = end.getDefiningOp();
    OpBuilder b(endOp);
    Location loc = b.getFusedLoc({conv->getLoc(), endOp->getLoc()});
    auto op = ConvBNOp::create(
        b, loc, TypeRange{end.getType(), result.getType()}, Mode::Eval,
        cm->input, cm->filter, cm->bias, m.gamma, m.beta, m.mean, m.var,
        arrayOrNull(b, cm->strides, 1), arrayOrNull(b, cm->padLow, 0),
        arrayOrNull(b, cm->padHigh, 0), arrayOrNull(b, cm->dilations, 1),
        cm->groups, APFloat(m.epsilon), APFloat(0.1));
    // The raised op must verify; if it does not (say, mixed element types),
    // report the verifier's message and keep the original IR.
    std::string verifyMessage;
    {
      ScopedDiagnosticHandler capture(&getContext(), [&](Diagnostic &d) {
        if (verifyMessage.empty())
          verifyMessage = d.str();
        return success();
      });
      if (failed(verify(op))) {
        op->erase();
        why = "the raised op would not verify: " + verifyMessage;
        return false;
      }
    }
    end.replaceAllUsesWith(op.getOutput());
    eraseDeadChain(endOp);
    if (report)
      emitRemark(op->getLoc(),
                 "raised convolution + batch norm into convbn.conv_bn "
                 "eval");
    return true;
  }

  /// Operations erased by eraseDeadChain during this run.
  DenseSet<Operation *> erased;

  /// Erases `op` and, transitively, the operations that fed only it.
  void eraseDeadChain(Operation *op) {
    SmallVector<Operation *> worklist{op};
    while (!worklist.empty()) {
      Operation *dead = worklist.pop_back_val();
      if (!dead->use_empty() || !isMemoryEffectFree(dead))
        continue;
      SmallVector<Operation *> producers;
      for (Value operand : dead->getOperands())
        if (Operation *def = operand.getDefiningOp())
          producers.push_back(def);
      erased.insert(dead);
      dead->erase();
      for (Operation *p : producers)
        if (p->use_empty() && !llvm::is_contained(worklist, p))
          worklist.push_back(p);
    }
  }
};
} // namespace
