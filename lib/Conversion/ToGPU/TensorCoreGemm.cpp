//===- TensorCoreGemm.cpp - A convolution as a GEMM -----------------------===//

#include "TensorCoreGemm.h"

#include "convbn/Conversion/ConvBNToLinalg/BackwardFilterForm.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::convbn::tensor_cores;

namespace {

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

/// The K step of operands of type `element` (kStepFor()) of `stepBytes`,
/// or the widest narrower one that divides `whole` (the channels that K
/// steps ordered window x channels lie within, or K) where that one does
/// not: a 16-bit convolution of 16 or 48 channels then keeps its K ordered
/// window x channels and its whole steps, which vectors and copies need.
KStep chooseStep(Type element, int64_t stepBytes, int64_t whole) {
  int64_t bytes = element.getIntOrFloatBitWidth() / 8;
  KStep step = kStepFor(bytes, stepBytes);
  for (KStep narrower = step;
       whole % narrower.k != 0 && narrower.k > kMinStepK;) {
    narrower = kStepFor(bytes, narrower.bytes() / 2);
    if (whole % narrower.k == 0)
      return narrower;
  }
  return step;
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

/// The image, output row and output column of `k`, a K position (n, oh,
/// ow) of a backward-filter reduction below `extent`, with `oh` x `ow`
/// positions an image: divisions by multiplication (Index::divRemBelow).
struct OutputPosition {
  Value image, y, x;
};
OutputPosition splitPosition(Index &ix, Value k, int64_t oh, int64_t ow,
                             int64_t extent) {
  auto [image, r] = ix.divRemBelow(k, oh * ow, extent);
  auto [y, x] = ix.divRemBelow(r, ow, oh * ow);
  return {image, y, x};
}

/// The channel and window offset of column `n` of a backward-filter
/// reduction whose N is ordered (kh, kw, c), `channels` per window offset:
/// within a block's tile, one window offset, split from the tile's first
/// column once.
WindowIndex splitWindowOuterColumn(Index &ix, const RowPosition &n,
                                   int64_t channels, int64_t kw) {
  if (!n.tile) {
    Value window = ix.div(n.index, channels);
    return {ix.rem(n.index, channels), ix.div(window, kw), ix.rem(window, kw)};
  }
  Value window = ix.div(n.tile, channels);
  Value c = ix.addConstant(ix.add(ix.rem(n.tile, channels), n.offset), n.shift);
  return {c, ix.div(window, kw), ix.rem(window, kw)};
}

/// The window offset and channel of `k` where K is ordered window x
/// `channels` and every K step lies in one window offset (`channels` a
/// multiple of the step's k): the offset is the step's, split once per step,
/// and the channel the step's remainder plus the thread's part (and its
/// turn's constant, unless `withShift` is false). K is `extent` long.
std::pair<Value, Value> splitWholeStep(Index &ix, KPosition k, int64_t channels,
                                       int64_t extent, bool withShift = true) {
  auto [window, c] = ix.divRemBelow(k.step, channels, extent);
  return {window, k.at(ix, c, withShift)};
}

/// Where `buffer` (leading indices, then an image, `middle`, then a plane
/// of `plane` elements in its last two dimensions) is read at `lead`, the
/// image and position in the plane of `k`, and `middle`: through a view
/// with the plane collapsed into one dimension, so that the position needs
/// no division. `k`'s constant is added to the position in the plane,
/// after the split: a thread's vector of k (Sweep::AlongKVectors, which
/// this needs `plane` to be a multiple of) then differs only by it, and
/// the loads by neighbouring addresses, which LLVM joins. `k` less its
/// constant is below `extent`.
Address planeAddress(Index &ix, Value buffer, SmallVector<Value> lead,
                     ArrayRef<Value> middle, KPosition k, int64_t plane,
                     int64_t extent) {
  auto [image, position] =
      ix.divRemBelow(k.at(ix, k.step, /*withShift=*/false), plane, extent);
  lead.push_back(image);
  lead.append(middle.begin(), middle.end());
  lead.push_back(ix.addConstant(position, k.shift));
  return {ix.collapseTrailing(buffer, 2), lead};
}

/// The grids that split-K fills: about 4 blocks per SM of an H100 or H200
/// (132 SMs), each SM then switching between warps of several blocks while
/// others wait on memory; and the fewest K steps a block keeps.
constexpr int64_t kFewBlocks = 4 * 132, kMinSplitSteps = 8;

/// The fewest blocks for which the automatic choice takes 128 rows: about
/// 8 per SM of an H100 or H200 (132 SMs), so that the last wave's
/// imbalance stays small and each SM has several blocks to switch between.
constexpr int64_t kTallTileBlocks = 1024;

} // namespace

FailureOr<Gemm>
convbn::tensor_cores::analyzeConvolution(linalg::Conv2DNchwFchwOp conv,
                                         const AnalysisOptions &options,
                                         std::string &why) {
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
      in.getElementType(), filter.getElementType(), options.allowTF32, why);
  if (failed(element))
    return failure();
  auto s = llvm::to_vector(conv.getStrides().getValues<int64_t>());
  auto d = llvm::to_vector(conv.getDilations().getValues<int64_t>());
  int64_t kh = filter.getDimSize(2), kw = filter.getDimSize(3);
  int64_t ow = out.getDimSize(3);
  Value input = conv.getDpsInputs()[0], weights = conv.getDpsInputs()[1];
  Gemm g;
  g.operandType = *element;
  int64_t channels = in.getDimSize(1);
  g.channels = channels;
  g.step = chooseStep(*element, options.stepBytes, channels);
  g.sharedBudget = options.maxSharedBytes;
  g.blocksPerSM = options.blocksPerSM;
  int64_t tileK = g.step.k;
  g.z = out.getDimSize(0);
  g.m = out.getDimSize(1);
  g.n = out.getDimSize(2) * ow;
  int64_t padded = static_cast<int64_t>(llvm::PowerOf2Ceil(channels));
  if (kh * kw > 1 && channels % tileK == 0)
    g.windowChannels = channels;
  else if (kh * kw > 1 && channels < tileK && 3 * padded <= 4 * channels)
    g.windowChannels = padded;
  int64_t windowChannels = g.windowChannels;
  int64_t windows = kh * kw;
  g.k = (windowChannels ? windowChannels : channels) * windows;
  // With several window offsets per K step, K is padded to whole steps
  // (zero terms past the last offset): no step needs a tail check. B is
  // swept RowsSpread: a thread's consecutive k (Rows) would cross window
  // offsets.
  if (windowChannels && windowChannels < tileK) {
    g.k = llvm::alignTo(g.k, tileK);
    g.bSweep = Sweep::RowsSpread;
  }
  bool paddedWindows = windowChannels && g.k > windows * windowChannels;
  // Fewer filters than a tile's rows: along k, the turns past them are
  // known to be outside (no loads), along the rows every thread's row is
  // tested.
  if (windowChannels && windowChannels % tileK == 0 && g.m >= BlockTile().m)
    g.aSweep = Sweep::Rows;
  g.output = conv.getDpsInits()[0];
  g.kind = "convolution";
  g.imagesInZ = true;
  g.splittableK = options.splitKConvolutions;
  int64_t extent = g.k;
  auto split = [=](Index &ix, KPosition k) -> WindowIndex {
    if (!windowChannels)
      return splitWindow(ix, k.linear(ix), kh, kw);
    Value window, c;
    if (windowChannels % tileK == 0) {
      std::tie(window, c) = splitWholeStep(ix, k, windowChannels, extent);
    } else {
      // The step holds tileK / windowChannels window offsets whole. Where
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
    auto [row, column] = ix.divRemBelow(window, kw, windows);
    return {c, row, column, inside};
  };
  if (options.recomputeProducers)
    g.producedA = matchProducedOperand(weights, conv);
  std::optional<ProducedOperand> producedA = g.producedA;
  g.filterCopyable = windows > 1 && windowChannels == channels &&
                     channels % tileK == 0 && !producedA &&
                     filter.getLayout().isIdentity() &&
                     filter.getElementType() == *element;
  // A 1x1 filter's rows are its channels, contiguous: read in vectors of
  // k where K needs no tail (k is then the channel, its constant last).
  if (windows == 1 && g.k % tileK == 0 &&
      (producedA || filter.getLayout().isIdentity()))
    g.aSweep = Sweep::AlongKVectors;
  if (g.aSweep == Sweep::AlongKVectors && !producedA &&
      filter.getElementType() == *element && alignedStart(weights))
    g.addressA = [=](Index &ix, Value, const RowPosition &f, KPosition k) {
      // Its channels (and 1x1 window) as one dimension, along which the
      // copies' vectors lie.
      return Address{ix.collapseTrailing(weights, 3), {f.index, k.linear(ix)}};
    };
  g.loadA = [=](Index &ix, Value, const RowPosition &f, KPosition k) {
    WindowIndex w = split(ix, k);
    SmallVector<Value> at = {f.index, w.c, w.kh, w.kw};
    Value value = producedA ? producedA->load(ix, at) : ix.load(weights, at);
    return w.inside ? ix.orZero(w.inside, value) : value;
  };
  if (options.foldPadding)
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
  Value source = paddedCopy ? paddedCopy->source : input;
  if (windows > 1 && windowChannels == channels && channels % tileK == 0 &&
      cast<MemRefType>(source.getType()).getRank() == 4 &&
      getElementTypeOrSelf(source.getType()) == *element)
    g.inputCopySource = source;
  g.outIndices = [=](Index &ix, Value image, Value f, Value p) {
    return SmallVector<Value>{image, f, ix.div(p, ow), ix.rem(p, ow)};
  };
  return g;
}

FailureOr<Gemm> convbn::tensor_cores::analyzeBackwardFilter(
    linalg::GenericOp op, const AnalysisOptions &options, std::string &why) {
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
      in.getElementType(), grad.getElementType(), options.allowTF32, why);
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
  g.step = chooseStep(*element, options.stepBytes, g.k);
  g.sharedBudget = options.maxSharedBytes;
  g.blocksPerSM = options.blocksPerSM;
  g.bSweep = Sweep::AlongK;
  // N ordered (kh, kw, c) when the channels are a multiple of a block
  // tile's columns: a block's tile of N then lies in one window offset,
  // split once per block, and a thread's elements differ only in the
  // channel, by constants, so their window arithmetic and bounds checks are
  // one per step instead of one per element. Blocks of 128 columns only
  // where that holds for them too.
  int64_t channels = out.getDimSize(lead + 2);
  g.windowOuterN = kh * kw > 1 && channels % BlockTile().n == 0;
  if (g.windowOuterN && channels % kBlockColumns[1] != 0)
    g.widestTileN = BlockTile().n;
  bool windowOuterN = g.windowOuterN;
  // The accessors' K positions (n, oh, ow) are below it.
  int64_t kExtent = g.k;
  auto splitColumn = [=](Index &ix, const RowPosition &n) -> WindowIndex {
    return windowOuterN ? splitWindowOuterColumn(ix, n, channels, kw)
                        : splitWindow(ix, n.index, kh, kw);
  };
  g.output = op.getDpsInits()[0];
  g.kind = "backward-filter reduction";
  g.splittableK = options.splitK;
  // Every buffer's indices start with the chunk, if the batch is split.
  auto lead0 = [=](Index &, Value chunk) {
    SmallVector<Value> indices;
    if (lead)
      indices.push_back(chunk);
    return indices;
  };
  if (options.recomputeProducers)
    g.producedA = matchProducedOperand(gradient, op);
  std::optional<ProducedOperand> producedA = g.producedA;
  // The gradient, and a 1x1 input at stride 1 (no padding), read in
  // vectors of k (AlongKVectors) where each image's plane holds whole
  // vectors: K needs no tail, and the buffer is read with its plane
  // collapsed (planeAddress()).
  int64_t vector = g.step.vector();
  bool wholeVectors = g.k % g.step.k == 0 && oh * ow % vector == 0;
  bool planeA = !producedA && grad.getLayout().isIdentity();
  if (planeA && wholeVectors)
    g.aSweep = Sweep::AlongKVectors;
  auto planeOfA = [=](Index &ix, Value chunk, const RowPosition &f,
                      KPosition position) {
    return planeAddress(ix, gradient, lead0(ix, chunk), {ix.c(0), f.index},
                        position, oh * ow, kExtent);
  };
  if (g.aSweep == Sweep::AlongKVectors && grad.getElementType() == *element &&
      alignedStart(gradient))
    g.addressA = planeOfA;
  g.loadA = [=](Index &ix, Value chunk, const RowPosition &f,
                KPosition position) {
    if (planeA) {
      Address at = planeOfA(ix, chunk, f, position);
      return ix.load(at.buffer, at.indices);
    }
    SmallVector<Value> at = lead0(ix, chunk);
    auto [image, y, x] =
        splitPosition(ix, position.linear(ix), oh, ow, kExtent);
    at.append({image, ix.c(0), f.index, y, x});
    return producedA ? producedA->load(ix, at) : ix.load(gradient, at);
  };
  if (options.foldPadding)
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
  auto planeOfB = [=](Index &ix, Value chunk, const RowPosition &cw,
                      KPosition position) {
    return planeAddress(ix, input, lead0(ix, chunk), {ix.c(0), cw.index},
                        position, oh * ow, kExtent);
  };
  if (g.bSweep == Sweep::AlongKVectors && planeB &&
      in.getElementType() == *element && alignedStart(input))
    g.addressB = planeOfB;
  g.loadB = [=](Index &ix, Value chunk, const RowPosition &cw,
                KPosition position) {
    if (planeB) {
      Address at = planeOfB(ix, chunk, cw, position);
      return ix.load(at.buffer, at.indices);
    }
    Value k = position.at(ix, position.step, /*withShift=*/false);
    auto [image, y, x] = splitPosition(ix, k, oh, ow, kExtent);
    WindowIndex w = splitColumn(ix, cw);
    SmallVector<Value> at = lead0(ix, chunk);
    at.append({image, ix.c(0), w.c, ix.window(y, s[0], w.kh, d[0]),
               ix.window(ix.addConstant(x, position.shift), s[1], w.kw, d[1])});
    return padded ? padded->load(ix, at) : ix.load(input, at);
  };
  // With N ordered window x channels, a channels-last copy of the input
  // (or of its padded copy's source) holds a K step's rows of B, the
  // channels of one window offset at one position, next to each other
  // (readBackwardFilterInputCopy()): of the whole batch, which the chunks'
  // view only regroups.
  Value source = padded ? padded->source : input;
  if (!padded)
    if (auto expand = source.getDefiningOp<memref::ExpandShapeOp>())
      source = expand.getSrc();
  auto sourceType = cast<MemRefType>(source.getType());
  if (options.filterGradientInputCopies && windowOuterN &&
      g.bSweep != Sweep::AlongKVectors && sourceType.getRank() == 4 &&
      sourceType.getLayout().isIdentity() &&
      sourceType.getElementType() == *element &&
      sourceType.getDimSize(0) == g.z * in.getDimSize(lead) &&
      sourceType.getDimSize(1) == channels)
    g.inputCopySource = source;
  g.outIndices = [=](Index &ix, Value chunk, Value f, Value cw) {
    WindowIndex w = splitColumn(ix, RowPosition{cw, nullptr, nullptr});
    SmallVector<Value> at = lead0(ix, chunk);
    at.append({ix.c(0), f, w.c, w.kh, w.kw});
    return at;
  };
  return g;
}

Operation *convbn::tensor_cores::foldInitializer(Operation *op, Gemm &g) {
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

namespace {

/// The linalg.generic that writes `filter` for `conv` alone: `filter` is a
/// buffer of the function (or a view of one that only drops a unit
/// leading dimension, as the grouped linalg lowering leaves it) that the
/// generic writes whole, as its one output, without reading it, and that
/// nothing but `conv` reads (and a dealloc frees). Null where not.
linalg::GenericOp soleProducer(Value filter, linalg::Conv2DNchwFchwOp conv) {
  Value buffer = filter;
  auto collapse = filter.getDefiningOp<memref::CollapseShapeOp>();
  if (collapse) {
    auto source = cast<MemRefType>(collapse.getSrc().getType());
    if (source.getRank() != 5 || source.getDimSize(0) != 1 ||
        collapse.getReassociationIndices().front().size() != 2 ||
        !collapse->hasOneUse())
      return nullptr;
    buffer = collapse.getSrc();
  }
  if (!buffer.getDefiningOp<memref::AllocOp>() ||
      !cast<MemRefType>(buffer.getType()).getLayout().isIdentity())
    return nullptr;
  linalg::GenericOp producer;
  for (Operation *user : buffer.getUsers()) {
    if (isa<memref::DeallocOp>(user) || user == collapse.getOperation() ||
        user == conv.getOperation())
      continue;
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (producer || !generic || generic.getNumDpsInits() != 1 ||
        generic.getDpsInits()[0] != buffer ||
        llvm::is_contained(generic.getDpsInputs(), buffer) ||
        generic.getNumReductionLoops() != 0 ||
        generic.payloadUsesValueFromOperand(generic.getDpsInitOperand(0)) ||
        generic->getBlock() != conv->getBlock() ||
        !generic->isBeforeInBlock(conv))
      return nullptr;
    producer = generic;
  }
  return producer;
}

/// The 4-D `buffer`, (a, b, c, d), copied into a new buffer in (a, c, d, b)
/// order (a filter's channels, or an input's, last) by a linalg.transpose
/// just before `reader`; the copy is freed just after `reader`.
Value channelsLastCopy(Operation *reader, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  ArrayRef<int64_t> shape = type.getShape();
  Location loc = reader->getLoc();
  OpBuilder b(reader);
  Value copy = memref::AllocOp::create(
      b, loc,
      MemRefType::get({shape[0], shape[2], shape[3], shape[1]},
                      type.getElementType()));
  linalg::TransposeOp::create(b, loc, buffer, copy,
                              ArrayRef<int64_t>{0, 2, 3, 1});
  b.setInsertionPointAfter(reader);
  memref::DeallocOp::create(b, loc, copy);
  return copy;
}

} // namespace

Value convbn::tensor_cores::readFilterCopy(linalg::Conv2DNchwFchwOp conv,
                                           Gemm &g) {
  assert(g.filterCopyable && "a filter that needs no copy or cannot have one");
  Value filter = conv.getDpsInputs()[1];
  auto type = cast<MemRefType>(filter.getType());
  ArrayRef<int64_t> fchw = type.getShape();
  auto copyType = MemRefType::get({fchw[0], fchw[2], fchw[3], fchw[1]},
                                  type.getElementType());
  Location loc = conv.getLoc();
  Value copy, replaced;
  if (linalg::GenericOp producer = soleProducer(filter, conv)) {
    // The producer writes the copy's order itself: its output map's
    // channel result moves last, and no copy kernel is needed. The new
    // buffer lives where the old one did (allocated and freed at the same
    // places, which -convbn-merge-kernels's moves depend on).
    AffineMap map =
        producer.getMatchingIndexingMap(producer.getDpsInitOperand(0));
    replaced = producer.getDpsInits()[0];
    auto oldAlloc = replaced.getDefiningOp<memref::AllocOp>();
    OpBuilder b(oldAlloc);
    int64_t lead = map.getNumResults() - 4;
    SmallVector<AffineExpr> results(map.getResults().take_front(lead));
    for (int64_t i : {0, 2, 3, 1})
      results.push_back(map.getResult(lead + i));
    SmallVector<int64_t> shape(lead, 1);
    shape.append(copyType.getShape().begin(), copyType.getShape().end());
    Value written = memref::AllocOp::create(
        b, loc, MemRefType::get(shape, copyType.getElementType()),
        oldAlloc.getAlignmentAttr());
    SmallVector<AffineMap> maps = producer.getIndexingMapsArray();
    maps.back() = AffineMap::get(map.getNumDims(), map.getNumSymbols(), results,
                                 map.getContext());
    producer.getDpsInitsMutable()[0].set(written);
    producer.setIndexingMapsAttr(b.getAffineMapArrayAttr(maps));
    copy = lead ? memref::CollapseShapeOp::create(
                      b, loc, written,
                      SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}, {4}})
                      .getResult()
                : written;
    auto deallocs =
        llvm::make_filter_range(replaced.getUsers(), [](Operation *op) {
          return isa<memref::DeallocOp>(op);
        });
    if (deallocs.empty())
      b.setInsertionPointAfter(conv);
    else
      b.setInsertionPoint(*deallocs.begin());
    memref::DeallocOp::create(b, loc, written);
  } else {
    copy = channelsLastCopy(conv, filter);
  }
  g.aSweep = Sweep::AlongKVectors;
  // Element (f, k) of A is at [f, k] of the copy with its window and
  // channels collapsed into one dimension.
  auto address = [=](Index &ix, Value, const RowPosition &f, KPosition k) {
    return Address{ix.collapseTrailing(copy, 3), {f.index, k.linear(ix)}};
  };
  g.addressA = address;
  g.loadA = [=](Index &ix, Value z, const RowPosition &f, KPosition k) {
    Address at = address(ix, z, f, k);
    return ix.load(at.buffer, at.indices);
  };
  return replaced;
}

Value convbn::tensor_cores::readInputCopy(linalg::Conv2DNchwFchwOp conv,
                                          Gemm &g, Value shared) {
  Value source = g.inputCopySource;
  assert(source && "an input that cannot have a channels-last copy");
  int64_t channels = cast<MemRefType>(source.getType()).getDimSize(1);
  Value copy = shared ? shared : channelsLastCopy(conv, source);

  auto s = llvm::to_vector(conv.getStrides().getValues<int64_t>());
  auto d = llvm::to_vector(conv.getDilations().getValues<int64_t>());
  auto filterType = cast<MemRefType>(conv.getDpsInputs()[1].getType());
  int64_t kw = filterType.getDimSize(3);
  int64_t windows = filterType.getDimSize(2) * kw, extent = g.k;
  int64_t ow = cast<MemRefType>(conv.getDpsInits()[0].getType()).getDimSize(3);
  auto copyType = cast<MemRefType>(copy.getType());
  int64_t height = copyType.getDimSize(1), width = copyType.getDimSize(2);
  int64_t row = width * channels, plane = height * row;
  // Where the kernel folds the padding, the gather checks the bounds.
  std::optional<PaddedCopy> padded = g.padded;
  int64_t lowH = padded ? padded->low[0] : 0;
  int64_t lowW = padded ? padded->low[1] : 0;
  g.bSweep = Sweep::AlongKVectors;
  // Element (p, k) of B is at [image, oh * s + kh * d, ow * s + kw * d, c]
  // of the copy (less the padding), read as one offset into the copy: that
  // of the position's window origin, the same at every K step, plus the
  // step's tap and channel, the same for every position. A thread's
  // vector of k differs only in the channel, and shares its window
  // position and bounds check.
  auto address = [=](Index &ix, Value image, const RowPosition &p,
                     KPosition k) {
    // The origin's row and column, below zero in the padding.
    Value h0 = ix.subConstant(ix.mul(ix.div(p.index, ow), s[0]), lowH);
    Value w0 = ix.subConstant(ix.mul(ix.rem(p.index, ow), s[1]), lowW);
    Value origin = ix.addSigned(
        ix.mul(image, plane),
        ix.addSigned(ix.mulSigned(h0, row), ix.mulSigned(w0, channels)));
    auto [window, c] =
        splitWholeStep(ix, k, channels, extent, /*withShift=*/false);
    auto [tapRow, tapColumn] = ix.divRemBelow(window, kw, windows);
    Value dh = ix.mul(tapRow, d[0]);
    Value dw = ix.mul(tapColumn, d[1]);
    // The first channel of the tap's position.
    Value pixel =
        ix.addSigned(origin, ix.add(ix.mul(dh, row), ix.mul(dw, channels)));
    Value inside;
    if (padded) {
      // A position in the padding wraps around to a huge unsigned value:
      // one unsigned comparison per dimension. There the position is
      // clamped to one in the copy, whose channels are read and not used.
      // Clamped, the offset is known not to be below zero, which spares
      // its extension to 64 bits an instruction (a select would not).
      Value h = ix.addSigned(h0, dh), w = ix.addSigned(w0, dw);
      // On a square plane, one comparison of the larger (unsigned) one:
      // a single predicate, which a copy then takes as its own.
      inside = height == width
                   ? ix.lessThan(arith::MaxUIOp::create(ix.b, h, w), height)
                   : arith::AndIOp::create(ix.b, ix.lessThan(h, height),
                                           ix.lessThan(w, width));
      pixel = arith::MinSIOp::create(
          ix.b, arith::MaxSIOp::create(ix.b, pixel, ix.c(0)),
          ix.c((copyType.getDimSize(0) * height * width - 1) * channels));
    }
    // The thread's channel, then its turn's constant.
    return Address{ix.collapseTrailing(copy, 4),
                   {ix.addConstant(ix.add(pixel, c), k.shift)},
                   inside};
  };
  g.addressB = address;
  g.loadB = [=](Index &ix, Value image, const RowPosition &p, KPosition k) {
    Address at = address(ix, image, p, k);
    Value value = ix.load(at.buffer, at.indices);
    return at.inside ? ix.orZero(at.inside, value) : value;
  };
  return copy;
}

Value convbn::tensor_cores::readBackwardFilterInputCopy(linalg::GenericOp op,
                                                        Gemm &g, Value shared) {
  Value source = g.inputCopySource;
  assert(source && g.windowOuterN &&
         "a reduction whose input cannot have a channels-last copy");
  std::optional<convbn::BackwardFilterForm> form =
      convbn::matchBackwardFilter(op);
  assert(form && "not a backward-filter reduction");
  int64_t lead = form->lead();
  int64_t s[2] = {form->strides[0], form->strides[1]};
  int64_t d[2] = {form->dilations[0], form->dilations[1]};
  auto grad = cast<MemRefType>(op.getDpsInputs()[1].getType());
  auto out = cast<MemRefType>(op.getDpsInits()[0].getType());
  int64_t perChunk = grad.getDimSize(lead);
  int64_t oh = grad.getDimSize(lead + 3), ow = grad.getDimSize(lead + 4);
  int64_t kw = out.getDimSize(lead + 4);
  int64_t channels = out.getDimSize(lead + 2);
  // K positions (n, oh, ow) of the chunk's images, below g.k.
  int64_t extent = g.k;
  Value copy = shared ? shared : channelsLastCopy(op, source);
  auto copyType = cast<MemRefType>(copy.getType());
  int64_t height = copyType.getDimSize(1), width = copyType.getDimSize(2);
  std::optional<PaddedCopy> padded = g.padded;
  int64_t lowH = padded ? padded->low[0] : 0;
  int64_t lowW = padded ? padded->low[1] : 0;
  // A warp's lanes take neighbouring rows, consecutive channels of one
  // window offset and position: one run of the copy (128 bytes in f32).
  g.bSweep = Sweep::Rows;
  g.addressB = nullptr;
  int64_t row = width * channels, plane = height * row;
  int64_t last = copyType.getNumElements() - 1;
  // Element (cw, k) of B is at [image, oy * s + kh * d, ox * s + kw * d, c]
  // of the copy (less the padding), where k is (image, oy, ox). A thread's
  // turns take consecutive k from one position, split once per step: turn
  // t is t columns further, in the same output row or, past its end, in
  // the next (the next image's first where the row was the image's last).
  // Both rows' offsets and bounds checks are the thread's, once per step;
  // each turn then picks one by a comparison, and adds its constant to the
  // column. A turn more than `ow` positions after the first, which may
  // cross two rows or more, splits its own position instead.
  g.loadB = [=](Index &ix, Value chunk, const RowPosition &cw,
                KPosition position) {
    WindowIndex w = splitWindowOuterColumn(ix, cw, channels, kw);
    int64_t t = position.shift;
    bool oneRow = t <= ow;
    Value first = oneRow ? position.at(ix, position.step, /*withShift=*/false)
                         : position.linear(ix);
    if (!oneRow)
      t = 0;
    auto [image, y, x] = splitPosition(ix, first, oh, ow, extent);
    if (lead)
      image = ix.add(ix.mul(chunk, perChunk), image);
    // Where a row of the copy starts (signed: in the padding above the
    // image, before it), and whether it is inside the image, for output row
    // `y` of `image`.
    auto rowOf = [&](Value image, Value y) -> std::pair<Value, Value> {
      Value h = ix.subConstant(ix.window(y, s[0], w.kh, d[0]), lowH);
      Value start = ix.addSigned(ix.mul(image, plane), ix.mulSigned(h, row));
      return {start, padded ? ix.lessThan(h, height) : Value()};
    };
    auto [start, insideH] = rowOf(image, y);
    // The column of the thread's first position, less the padding, then
    // the turn's.
    Value column = ix.subConstant(ix.window(x, s[1], w.kw, d[1]), lowW);
    Value shift = ix.c(t * s[1]);
    if (t != 0) {
      // Past the row's end: the next row's start, and the column less a
      // row's positions.
      Value crosses = arith::CmpIOp::create(ix.b, arith::CmpIPredicate::uge, x,
                                            ix.c(ow - t));
      Value lastRow = arith::CmpIOp::create(ix.b, arith::CmpIPredicate::eq, y,
                                            ix.c(oh - 1));
      Value nextImage = ix.select(lastRow, ix.addConstant(image, 1), image);
      Value nextY = ix.select(lastRow, ix.c(0), ix.addConstant(y, 1));
      auto [nextStart, nextInsideH] = rowOf(nextImage, nextY);
      start = ix.select(crosses, nextStart, start);
      if (padded)
        insideH = ix.select(crosses, nextInsideH, insideH);
      shift = ix.select(crosses, ix.c((t - ow) * s[1]), shift);
    }
    column = ix.addSigned(column, shift);
    Value at =
        ix.addSigned(start, ix.addSigned(ix.mulSigned(column, channels), w.c));
    // In the padding, the element is read at its offset clamped into the
    // copy (below zero, a huge unsigned value, becomes the last element's)
    // and replaced by zero.
    Value inside;
    if (padded) {
      inside = arith::AndIOp::create(ix.b, insideH, ix.lessThan(column, width));
      at = arith::MinUIOp::create(ix.b, at, ix.c(last));
    }
    Value value = ix.load(ix.collapseTrailing(copy, 4), {at});
    return inside ? ix.orZero(inside, value) : value;
  };
  return copy;
}

bool convbn::tensor_cores::imagesAlongNPays(const Gemm &g) {
  return g.imagesInZ && g.z > 1 &&
         ceilDiv(g.z * g.n, g.tile.n) < g.z * ceilDiv(g.n, g.tile.n);
}

namespace {
/// `g`'s extents as one GEMM over all its images: N = images x positions,
/// one z.
void spreadExtents(Gemm &g) {
  g.n *= g.z;
  g.z = 1;
  g.imagesInZ = false;
}
} // namespace

void convbn::tensor_cores::spreadImagesAlongN(Gemm &g) {
  assert(g.imagesInZ && "z does not count images");
  int64_t positions = g.n;
  // Column n of the spread GEMM is position n % positions of image
  // n / positions. The position loses its tile's structure (its tile is
  // not a multiple of the positions): the accessors get it as an index.
  auto split = [=](Index &ix, const RowPosition &n) {
    return std::make_pair(
        ix.div(n.index, positions),
        RowPosition{ix.rem(n.index, positions), nullptr, nullptr});
  };
  auto spread = [=](auto accessor) {
    return [=](Index &ix, Value, const RowPosition &n, KPosition k) {
      auto [image, position] = split(ix, n);
      return accessor(ix, image, position, k);
    };
  };
  g.loadB = spread(g.loadB);
  if (g.addressB)
    g.addressB = spread(g.addressB);
  auto outIndices = g.outIndices;
  g.outIndices = [=](Index &ix, Value, Value m, Value n) {
    return outIndices(ix, ix.div(n, positions), m, ix.rem(n, positions));
  };
  spreadExtents(g);
}

Gemm convbn::tensor_cores::spreadShape(const Gemm &g, int64_t rows,
                                       int64_t columns) {
  Gemm shape = g;
  spreadExtents(shape);
  shape.tile = chooseBlockTile(shape, rows, columns);
  return shape;
}

int64_t convbn::tensor_cores::chooseSplitK(const Gemm &g) {
  int64_t blocks = g.z * ceilDiv(g.m, g.tile.m) * ceilDiv(g.n, g.tile.n);
  int64_t steps = ceilDiv(g.k, g.step.k);
  int64_t split = 1;
  if (!g.splittableK || blocks >= kFewBlocks)
    return split;
  for (int64_t s = 2; s <= steps / kMinSplitSteps; ++s) {
    if (steps % s != 0)
      continue;
    split = s;
    if (blocks * s >= kFewBlocks)
      break;
  }
  return split;
}

BlockTile convbn::tensor_cores::chooseBlockTile(const Gemm &g, int64_t rows,
                                                int64_t columns) {
  auto fits = [&](BlockTile tile) {
    return sharedLayout(tile, g.step, /*stages=*/2, g.sharedBudget,
                        g.blocksPerSM)
        .fits();
  };
  BlockTile tile;
  // Rows asked for, except where M fits the narrower block: rows past M
  // would only multiply zeros, with twice the accumulators.
  if (g.m <= tile.m)
    rows = tile.m;
  // Wide columns where asked for, allowed and they fit beside the rows
  // (those asked for, else the narrower ones).
  BlockTile wide{rows ? rows : tile.m, kBlockColumns[1]};
  if (columns == wide.n && g.widestTileN >= wide.n && fits(wide))
    tile.n = wide.n;
  if (rows != 0) {
    tile.m = rows;
    return tile;
  }
  BlockTile tall{128, tile.n};
  if (g.m % tall.m == 0 &&
      g.z * (g.m / tall.m) * ceilDiv(g.n, tall.n) >= kTallTileBlocks &&
      fits(tall))
    tile.m = tall.m;
  return tile;
}
