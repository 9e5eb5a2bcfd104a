//===- VectorizeConvolutions.cpp - im2col + tiling + vectorization (CPU) --===//
//
// The schedule is transform-dialect IR, built as text from the options,
// parsed into a module of its own and applied with the transform
// interpreter: what runs is exactly what a user could write in a transform
// script.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "TensorCopies.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNVECTORIZECONVOLUTIONS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;
using mlir::convbn::cpu::contractSharedLhs;
using mlir::convbn::cpu::copyAs;
using mlir::convbn::cpu::divisorAtMost;
using mlir::convbn::cpu::groupsOf;
using mlir::convbn::cpu::im2colRows;
using mlir::convbn::cpu::shapeOf;
using mlir::convbn::cpu::sliceAlong;
using mlir::convbn::cpu::zeros;

namespace {

using TileSizes = SmallVector<int64_t, 4>;

constexpr StringLiteral kMarker = "convbn.vectorize";

std::string sizeList(ArrayRef<int64_t> sizes) {
  return llvm::join(
      llvm::map_range(sizes, [](int64_t s) { return std::to_string(s); }),
      ", ");
}

/// How the schedule takes an op: an NCHW convolution through im2col, a
/// channels-last convolution tiled and decomposed into 1-D convolutions, a
/// contraction (`linalg.contract`, `linalg.batch_matmul`) tiled into outer
/// products whose accumulators stay in registers across its reduction.
enum class Kind { Im2col, ChannelsLast, Contraction };

/// The ops the schedule takes, with their tile sizes. `block` is the
/// reduction's outer tile (0: none), `sizes` the tile inside it;
/// `positionsOuter`: the tiles sweep positions (N) outside filters (M).
/// A contraction's `order`: its dimensions from the outermost tile loop
/// in; `hoisted`: the positions in that nest, innermost first, of the
/// loops out of which the schedule hoists the accumulator tile (the
/// reduction loops).
struct Target {
  Kind kind;
  int64_t block;
  bool positionsOuter;
  TileSizes sizes;
  SmallVector<int64_t, 4> order = {}, hoisted = {};
  bool operator==(const Target &other) const {
    return kind == other.kind && block == other.block &&
           positionsOuter == other.positionsOuter && sizes == other.sizes &&
           order == other.order && hoisted == other.hoisted;
  }
  /// The marker's value: the tile sizes, the block, the sweep order, the
  /// loop order and the hoisting loops.
  SmallVector<int64_t> marker() const {
    SmallVector<int64_t> values(sizes.begin(), sizes.end());
    values.push_back(block);
    values.push_back(positionsOuter);
    values.append(order.begin(), order.end());
    values.append(hoisted.begin(), hoisted.end());
    return values;
  }
};

/// Operands of a contraction larger than this (bytes of one batch's M x K
/// and K x N) no longer stay in a core's L2 cache while its tiles sweep
/// them.
constexpr int64_t kCachedOperandBytes = 1 << 20;

/// The schedule: for each target, the ops marked with its tile sizes
/// (failures suppressed, so one the transforms cannot handle stays as it
/// is), then the vector lowering patterns on every function.
std::string schedule(ArrayRef<Target> targets) {
  std::string text = R"(module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
)";
  for (auto [index, target] : llvm::enumerate(targets)) {
    std::string list = sizeList(target.sizes);
    std::string marker = sizeList(target.marker());
    std::string handle = "%ops_" + std::to_string(index);
    bool im2col = target.kind == Kind::Im2col;
    std::string opName = im2col ? "linalg.conv_2d_nchw_fchw"
                         : target.kind == Kind::Contraction
                             ? R"(linalg.contract", "linalg.batch_matmul)"
                             : "linalg.conv_2d_nhwc_hwcf";
    std::string gemm =
        im2col
            ? R"(%col, %result = transform.structured.convert_conv2d_to_img2col %c
            : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
        %gemm = transform.get_producer_of_operand %result[0]
            : (!transform.any_op) -> !transform.any_op
)"
            : "";
    // Tiles of one output row and one kernel row, decomposed into 1-D
    // convolutions, which upstream vectorizes with the filters in the
    // lanes: no im2col.
    std::string tileAndVectorize =
        target.kind == Kind::ChannelsLast
            ? "        %tiled, %loops:7 = transform.structured.tile_using_for "
              "%c tile_sizes [" +
                  list + R"(]
            : (!transform.any_op) -> (!transform.any_op, !transform.any_op,
               !transform.any_op, !transform.any_op, !transform.any_op,
               !transform.any_op, !transform.any_op, !transform.any_op)
        %rows = transform.structured.decompose %tiled
            : (!transform.any_op) -> !transform.any_op
        transform.structured.vectorize %rows : !transform.any_op
)"
            : "";
    std::string gemmHandle = "%gemm";
    // Blocking the reduction first keeps the blocks of both operands in
    // cache while the tiles inside sweep them; the order in which each
    // result sums its terms is unchanged.
    if (target.block) {
      gemm += "        %block, %blocks = transform.structured.tile_using_for " +
              gemmHandle + " tile_sizes [0, 0, 0, " +
              std::to_string(target.block) + R"(]
            : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
)";
      gemmHandle = "%block";
    }
    text += "    " + handle + R"( = transform.structured.match ops{[")" +
            opName + R"("]}
        attributes {)" +
            kMarker.str() + " = array<i64: " + marker +
            R"(>} in %root : (!transform.any_op) -> !transform.any_op
    transform.foreach )" +
            handle + R"( : !transform.any_op {
    ^bb0(%op: !transform.any_op):
      transform.sequence %op : !transform.any_op failures(suppress) {
      ^bb1(%c: !transform.any_op):
)";
    if (target.kind == Kind::ChannelsLast) {
      text += tileAndVectorize + "      }\n    }\n";
      continue;
    }
    // Every loop tiled; the tile, as a generic, loses its unit dimensions
    // (upstream's vector patterns lower a contraction with unit reduction
    // dimensions to dot products, one per accumulator element) and is
    // vectorized; then, innermost first, each reduction loop's invariant
    // operations and the accumulator tile are hoisted out of it, which
    // carries the accumulator in vector registers through the reduction.
    if (target.kind == Kind::Contraction) {
      std::string loopTypes;
      for (size_t i = 0; i < target.sizes.size(); ++i)
        loopTypes += ", !transform.any_op";
      std::string inner = "%loops#" + std::to_string(target.sizes.size() - 1);
      text += "        %tiled, %loops:" + std::to_string(target.sizes.size()) +
              " = transform.structured.tile_using_for %c tile_sizes [" + list +
              "] interchange = [" + sizeList(target.order) +
              "]\n            : (!transform.any_op) -> (!transform.any_op" +
              loopTypes + R"()
        %generic = transform.structured.generalize %tiled
            : (!transform.any_op) -> !transform.any_op
        transform.apply_patterns to )" +
              inner + R"( {
          transform.apply_patterns.linalg.fold_unit_extent_dims_via_slices
        } : !transform.any_op
        %tile = transform.structured.match ops{["linalg.generic"]} in )" +
              inner + R"(
            : (!transform.any_op) -> !transform.any_op
        transform.structured.vectorize %tile : !transform.any_op
)";
      for (int64_t loop : target.hoisted) {
        std::string handle = "%loops#" + std::to_string(loop);
        text += "        transform.apply_licm to " + handle +
                " : !transform.any_op\n"
                "        transform.loop.hoist_loop_invariant_subsets " +
                handle + " : !transform.any_op\n";
      }
      text += "      }\n    }\n";
      continue;
    }
    text += "        " + gemm +
            "        %tiled, %loops:4 = transform.structured.tile_using_for " +
            gemmHandle + " tile_sizes [" + list + "]" +
            // Positions (the B tile's columns) outside filters: a B tile is
            // reused by every filter tile while it is in cache.
            (target.positionsOuter ? " interchange = [0, 2, 1, 3]" : "") +
            R"(
            : (!transform.any_op) -> (!transform.any_op, !transform.any_op,
               !transform.any_op, !transform.any_op, !transform.any_op)
        transform.structured.vectorize %tiled vector_sizes [)" +
            list + R"(] : !transform.any_op
      }
    }
)";
  }
  text += R"(    %funcs = transform.structured.match ops{["func.func"]} in %root
        : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %funcs {
      transform.apply_patterns.vector.reduction_to_contract
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.apply_patterns to %funcs {
      transform.apply_patterns.vector.cast_away_vector_leading_one_dim
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.apply_patterns to %funcs {
      transform.apply_patterns.vector.lower_contraction lowering_strategy = "outerproduct"
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.vector.lower_multi_reduction lowering_strategy = "innerparallel"
      transform.apply_patterns.vector.lower_outerproduct
      transform.apply_patterns.vector.lower_transpose
      transform.apply_patterns.vector.lower_shape_cast
      transform.apply_patterns.vector.lower_broadcast
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.yield
  }
})";
  return text;
}

/// The tiling of an im2col (batch x M x N x K) contraction of `bytes`-wide
/// elements: each tile size the largest divisor of its dimension at most
/// its limit. When the operands do not stay in cache and there is more than
/// one tile of positions to reuse them for, the tiles sweep positions
/// outside filters and the reduction is blocked by the largest divisor of K
/// at most `block` (unless 0, or no divisor comes near it), the K tile then
/// dividing the block. Otherwise the operands are streamed once in long
/// rows, which blocking would cut into short strided pieces.
Target tilesFor(ArrayRef<int64_t> dims, ArrayRef<int64_t> limits, int64_t block,
                int64_t bytes) {
  int64_t m = dims[1], n = dims[2], k = dims[3];
  bool large = (m * k + k * n) * bytes > kCachedOperandBytes &&
               divisorAtMost(n, limits[2]) < n;
  int64_t blocked = large && block > 0 ? divisorAtMost(k, block) : k;
  if (2 * blocked <= block) // no divisor near the limit: blocks too small
    blocked = k;
  Target target{Kind::Im2col, blocked < k ? blocked : 0, large, {}};
  SmallVector<int64_t, 4> tiled(dims);
  tiled[3] = blocked;
  for (auto [dim, limit] : llvm::zip(tiled, limits))
    target.sizes.push_back(divisorAtMost(dim, limit));
  return target;
}

/// The width in bytes of `op`'s accumulator elements.
int64_t elementBytes(linalg::LinalgOp op) {
  return getElementTypeOrSelf(op.getDpsInits()[0].getType())
             .getIntOrFloatBitWidth() /
         8;
}

/// Whether every operand of `op` has a static shape and the element type
/// of its accumulator.
bool uniformStaticOperands(linalg::LinalgOp op) {
  Type element = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  return llvm::all_of(op->getOperandTypes(), [&](Type t) {
    auto shaped = dyn_cast<ShapedType>(t);
    return shaped && shaped.hasStaticShape() &&
           shaped.getElementType() == element;
  });
}

/// The tile sizes of `conv`'s im2col contraction (batch x filters x
/// positions x channels*kernel), or nothing if the schedule must not take
/// it: one element type throughout (upstream's im2col rewrite builds an
/// invalid reshape when the accumulator's type differs, as with f16
/// operands and an f32 accumulator) and static shapes.
std::optional<Target> targetFor(linalg::Conv2DNchwFchwOp conv,
                                ArrayRef<int64_t> limits, int64_t block) {
  if (!uniformStaticOperands(conv))
    return std::nullopt;
  auto filter = cast<ShapedType>(conv.getDpsInputs()[1].getType());
  auto out = cast<ShapedType>(conv.getDpsInits()[0].getType());
  int64_t dims[4] = {out.getDimSize(0), out.getDimSize(1),
                     out.getDimSize(2) * out.getDimSize(3),
                     filter.getDimSize(1) * filter.getDimSize(2) *
                         filter.getDimSize(3)};
  return tilesFor(dims, limits, block, elementBytes(conv));
}

/// Whether `conv` has fewer filters (output channels) than `tile`.
bool fewFilters(linalg::Conv2DNchwFchwOp conv, int64_t tile) {
  return cast<ShapedType>(conv.getDpsInits()[0].getType()).getDimSize(1) < tile;
}

/// `conv` as a generic whose innermost loop is the output width, a parallel
/// loop with unit stride in the output (and in the input at stride 1): a
/// direct convolution that LLVM's loop vectorizer takes. Each output still
/// sums over (channel, kh, kw) in the same order.
void widthInnermost(RewriterBase &rewriter, linalg::Conv2DNchwFchwOp conv) {
  rewriter.setInsertionPoint(conv);
  FailureOr<linalg::GenericOp> generic =
      linalg::generalizeNamedOp(rewriter, conv);
  if (failed(generic))
    return;
  // Loops: n, f, oh, ow, c, kh, kw -> n, f, oh, c, kh, kw, ow.
  (void)linalg::interchangeGenericOp(rewriter, *generic,
                                     ArrayRef<unsigned>{0, 1, 2, 4, 5, 6, 3});
}

/// Time to copy one element transposed, in multiply-adds of the vector
/// loop: about 0.4 ns against 0.01 ns on one core, with the copies tiled
/// (`convbn-tile-transposes`) and no gathers (1024 x 512 filter: 0.22 ms).
/// At 100, measured with the gathered, untiled copies (about 1 ns), the 1x1
/// layers at 7x7 stayed on 7-lane tiles: 256 -> 1024 forward 3.7-5.8 ms
/// against 2.7-3.1 ms with the filters in the lanes.
constexpr int64_t kCopyCostInMultiplyAdds = 40;

/// Whether `conv` gains from `filtersInLanes`: the vector lanes of its
/// im2col contraction are a tile of positions, the largest divisor of oh*ow
/// at most `lanes` (7 of 16 at 7x7, 4 at 2x2), where with the filters in
/// the lanes they are the same for the output channels. The multiply-adds
/// that the fuller lanes save (per filter, positions x window x the lanes'
/// gain) must outweigh copying the filters transposed and adding the result
/// to the output transposed (per filter, window + 2 x positions elements).
bool filtersInLanesPays(linalg::Conv2DNchwFchwOp conv, int64_t lanes) {
  auto out = cast<ShapedType>(conv.getDpsInits()[0].getType());
  auto filter = cast<ShapedType>(conv.getDpsInputs()[1].getType());
  int64_t perImage = out.getDimSize(2) * out.getDimSize(3);
  int64_t positionLanes = divisorAtMost(perImage, lanes),
          filterLanes = divisorAtMost(out.getDimSize(1), lanes);
  if (filterLanes <= positionLanes)
    return false;
  int64_t rows = out.getDimSize(0) * perImage;
  int64_t window =
      filter.getDimSize(1) * filter.getDimSize(2) * filter.getDimSize(3);
  return rows * window * (filterLanes - positionLanes) >
         kCopyCostInMultiplyAdds * filterLanes * (window + 2 * rows);
}

/// Whether filters [F, ...] go in blocks of `block` (0: none): one
/// divides F into more than one block.
bool inBlocks(int64_t filters, int64_t block) {
  return block > 0 && block < filters && filters % block == 0;
}

/// `filter` [F, c, kh, kw] copied in blocks of B filters, each block
/// contiguous, its filters innermost:
///   wb[b, m0, m1, m2, j] = W[b * B + j, c, kh, kw]
/// where (m0, m1, m2) are (c, kh, kw) in the order `layout` gives as
/// dimensions of W (1: c, 2: kh, 3: kw). The copy is a reshape of the
/// filters to [F / B, B, c, kh, kw] and one transposing generic, which
/// `convbn-fuse-elementwise` can fuse Tune's fold into and
/// `convbn-tile-transposes` tiles.
Value blockedFilters(OpBuilder &b, Location loc, Value filter, int64_t block,
                     ArrayRef<unsigned> layout, Type element) {
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> w = shapeOf(filter);
  int64_t blocks = w[0] / block;
  auto blocked = tensor::ExpandShapeOp::create(
      b, loc,
      RankedTensorType::get({blocks, block, w[1], w[2], w[3]},
                            getElementTypeOrSelf(filter.getType())),
      filter, SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
  // Loops (b, m0, m1, m2, j) read the view at (b, j, c, kh, kw).
  SmallVector<AffineExpr> read(5);
  read[0] = getAffineDimExpr(0, ctx);
  read[1] = getAffineDimExpr(4, ctx);
  SmallVector<int64_t> shape = {blocks};
  for (auto [i, dim] : llvm::enumerate(layout)) {
    read[dim + 1] = getAffineDimExpr(i + 1, ctx);
    shape.push_back(w[dim]);
  }
  shape.push_back(block);
  return copyAs(b, loc, blocked, AffineMap::get(5, 0, read, ctx), shape,
                element);
}

/// An `scf.for` over the blocks of B filters of `into`, whose last
/// dimension holds the filters: `body` computes block `b`'s slice (the
/// filters b * B to (b + 1) * B - 1, all of the other dimensions), given
/// its current contents, with the builder at its place in the loop; the
/// slice is inserted back. Returns the loop's result.
Value forEachFilterBlock(
    OpBuilder &builder, Location loc, Value into, int64_t block,
    function_ref<Value(OpBuilder &, Location, Value, Value)> body) {
  SmallVector<int64_t> shape = shapeOf(into);
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(builder, loc, v).getResult();
  };
  Value blockSize = index(block);
  auto loop = scf::ForOp::create(
      builder, loc, index(0), index(shape.back() / block), index(1),
      ValueRange{into},
      [&](OpBuilder &b, Location l, Value blockIndex, ValueRange iterArgs) {
        Value first = arith::MulIOp::create(b, l, blockIndex, blockSize);
        tensor::ExtractSliceOp slice =
            sliceAlong(b, l, iterArgs[0], shape.size() - 1, first, block);
        Value updated = tensor::InsertSliceOp::create(
            b, l, body(b, l, blockIndex, slice), iterArgs[0],
            slice.getMixedOffsets(), slice.getMixedSizes(),
            slice.getMixedStrides());
        scf::YieldOp::create(b, l, updated);
      });
  return loop.getResult(0);
}

/// `init` [n, f, oh, ow] plus `nhwc` [n, oh, ow, f], in a new tensor.
Value addTransposed(OpBuilder &b, Location loc, Value nhwc, Value init) {
  MLIRContext *ctx = b.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  return linalg::GenericOp::create(
             b, loc, init.getType(), nhwc, init,
             {AffineMap::get(4, 0, {d(0), d(2), d(3), d(1)}, ctx),
              b.getMultiDimIdentityMap(4)},
             SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
             [](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   nb, l,
                   arith::AddFOp::create(nb, l, args[1], args[0]).getResult());
             })
      .getResult(0);
}

/// `conv` as one GEMM with the filters in the vector lanes and the batch
/// folded into the positions:
///   col[0, (n, oh, ow), (c, kh, kw)] = X[n, c, oh*s0 + kh*d0, ow*s1 + kw*d1]
///   wt[0, (c, kh, kw), f] = W[f, c, kh, kw]
///   out[n, f, oh, ow] += (col * wt)[0, (n, oh, ow), f]
/// a `linalg.batch_matmul` of batch 1 (positions x filters x window) that
/// the schedule then tiles like the others. Each output still sums its
/// terms in the same order, into zero, and is then added to the output's
/// contents.
///
/// With `filterBlock` (B) dividing the F filters into more than one block,
/// the filters are copied in blocks of B, each contiguous, and one GEMM per
/// block runs in an `scf.for` over the blocks, writing its filters' columns:
///   wb[b, (c, kh, kw), j] = W[b * B + j, c, kh, kw]
///   for b: product[0, p, b * B + j] = (col * wb[b])[0, p, j]
/// A tile's filters are then one stream. In rows of F, F a power of two,
/// a tile read them 4 KiB or more apart, every row in the same cache sets
/// (512 -> 1024 1x1 at 7x7: 7.3 ms, against 4.0 for 1056 filters). Returns
/// the GEMM the schedule tiles.
linalg::BatchMatmulOp filtersInLanes(RewriterBase &rewriter,
                                     linalg::Conv2DNchwFchwOp conv,
                                     int64_t filterBlock) {
  Location loc = conv.getLoc();
  rewriter.setInsertionPoint(conv);
  MLIRContext *ctx = conv.getContext();
  Value input = conv.getDpsInputs()[0], filter = conv.getDpsInputs()[1],
        init = conv.getDpsInits()[0];
  SmallVector<int64_t> w = shapeOf(filter), out = shapeOf(init);
  int64_t n = out[0], f = out[1], oh = out[2], ow = out[3], c = w[1], kh = w[2],
          kw = w[3];
  SmallVector<int64_t> s(conv.getStrides().getValues<int64_t>()),
      dil(conv.getDilations().getValues<int64_t>());
  Type element = getElementTypeOrSelf(init.getType());
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  Value col = im2colRows(rewriter, loc, input, oh, ow, kh, kw, s, dil, element);
  auto productType = RankedTensorType::get({1, n * oh * ow, f}, element);
  Value product = zeros(rewriter, loc, productType.getShape(), element);
  auto multiply = [&](OpBuilder &b, Value filters, Value into) {
    return linalg::BatchMatmulOp::create(b, loc, TypeRange{into.getType()},
                                         ValueRange{col, filters},
                                         ValueRange{into});
  };
  linalg::BatchMatmulOp matmul;
  Value result;
  if (!inBlocks(f, filterBlock)) {
    AffineMap transpose = AffineMap::get(5, 0, {d(4), d(1), d(2), d(3)}, ctx);
    Value wt = tensor::CollapseShapeOp::create(
        rewriter, loc,
        copyAs(rewriter, loc, filter, transpose, {1, c, kh, kw, f}, element),
        groupsOf({1, 3, 1}));
    matmul = multiply(rewriter, wt, product);
    result = matmul.getResult(0);
  } else {
    // [F / B, c, kh, kw, B] viewed as [F / B, (c, kh, kw), B].
    Value wb = tensor::CollapseShapeOp::create(
        rewriter, loc,
        blockedFilters(rewriter, loc, filter, filterBlock, {1, 2, 3}, element),
        groupsOf({1, 3, 1}));
    result = forEachFilterBlock(
        rewriter, loc, product, filterBlock,
        [&](OpBuilder &b, Location l, Value block, Value slice) {
          matmul = multiply(b, sliceAlong(b, l, wb, 0, block, 1), slice);
          return matmul.getResult(0);
        });
  }
  // [1, (n, oh, ow), f] -> [n, oh, ow, f], added to out[n, f, oh, ow].
  Value rows =
      tensor::CollapseShapeOp::create(rewriter, loc, result, groupsOf({2, 1}));
  Value nhwc = tensor::ExpandShapeOp::create(
      rewriter, loc, RankedTensorType::get({n, oh, ow, f}, element), rows,
      groupsOf({3, 1}));
  rewriter.replaceOp(conv, addTransposed(rewriter, loc, nhwc, init));
  return matmul;
}

/// Whether `conv` is a pointwise convolution: a 1x1 kernel at stride 1,
/// whose input positions are its output positions.
bool isPointwise(linalg::Conv2DNchwFchwOp conv) {
  auto filter = cast<ShapedType>(conv.getDpsInputs()[1].getType());
  return filter.getDimSize(2) == 1 && filter.getDimSize(3) == 1 &&
         llvm::all_of(conv.getStrides().getValues<int64_t>(),
                      [](int64_t s) { return s == 1; });
}

/// Pointwise `conv` as a contraction on reshaped views, no copies:
///   out[n, f, p] += W[f, c] * X[n, c, p]
/// Each output sums its terms in the same order (channels), into its
/// initial value, as the convolution does.
linalg::ContractOp pointwiseContraction(RewriterBase &rewriter,
                                        linalg::Conv2DNchwFchwOp conv) {
  Location loc = conv.getLoc();
  rewriter.setInsertionPoint(conv);
  Value input = conv.getDpsInputs()[0], filter = conv.getDpsInputs()[1],
        init = conv.getDpsInits()[0];
  Value x = tensor::CollapseShapeOp::create(rewriter, loc, input,
                                            groupsOf({1, 1, 2}));
  Value w =
      tensor::CollapseShapeOp::create(rewriter, loc, filter, groupsOf({1, 3}));
  Value out =
      tensor::CollapseShapeOp::create(rewriter, loc, init, groupsOf({1, 1, 2}));
  linalg::ContractOp contract = contractSharedLhs(rewriter, loc, w, x, out);
  rewriter.replaceOp(conv, tensor::ExpandShapeOp::create(
                               rewriter, loc, init.getType(),
                               contract.getResult(0), groupsOf({1, 1, 2})));
  return contract;
}

/// Whether `conv` gains from `channelsLast`: its transposed copies (the
/// input, the filters and the result) must have no more elements than the
/// copies of the form it would take otherwise: the im2col matrix (kernel
/// window x positions, per image), and with `filtersInLanes` the filters
/// and the result too, which that GEMM also copies transposed. With many
/// filters over few positions and no filters-in-lanes GEMM (512 -> 512
/// 3x3 at 4x4: copying 2.4M filter elements cost more than the faster
/// multiply-adds saved), im2col stays. A 1x1 kernel never takes it: at
/// stride 1 its im2col matrix is the input, which the pointwise
/// contraction and the filters-in-lanes GEMM read as it is.
bool channelsLastPays(linalg::Conv2DNchwFchwOp conv, bool filtersInLanes) {
  auto input = cast<ShapedType>(conv.getDpsInputs()[0].getType());
  auto filter = cast<ShapedType>(conv.getDpsInputs()[1].getType());
  auto out = cast<ShapedType>(conv.getDpsInits()[0].getType());
  if (filter.getDimSize(2) == 1 && filter.getDimSize(3) == 1)
    return false;
  int64_t window =
      filter.getDimSize(1) * filter.getDimSize(2) * filter.getDimSize(3);
  int64_t im2col =
      out.getDimSize(0) * window * out.getDimSize(2) * out.getDimSize(3);
  int64_t transposed = filter.getNumElements() + out.getNumElements();
  return input.getNumElements() + transposed <=
         im2col + (filtersInLanes ? transposed : 0);
}

/// The filters of one tile of a channels-last convolution with `filters`
/// filters and output rows `width` wide, under `limits` (width, filters,
/// channels): the largest divisor of the filters at most limits[1], or
/// more when a narrow row tile leaves its lanes to more filters (width x
/// filters up to limits[0] x limits[1]), so that the accumulators still
/// fill the registers.
int64_t channelsLastFilters(int64_t width, int64_t filters,
                            ArrayRef<int64_t> limits) {
  int64_t tileWidth = divisorAtMost(width, limits[0]);
  return divisorAtMost(filters,
                       limits[1] * std::max<int64_t>(1, limits[0] / tileWidth));
}

/// `conv` as a direct convolution on channels-last copies:
///   xt[n, h, w, c] = X[n, c, h, w],  wt[kh, kw, c, f] = W[f, c, kh, kw]
///   out[n, f, oh, ow] += linalg.conv_2d_nhwc_hwcf(xt, wt)[n, oh, ow, f]
/// The channels are then contiguous: a tile of one output row becomes 1-D
/// convolutions whose vector lanes are filters and whose reads of the
/// input are whole rows of channels, with no im2col copy (kernel window
/// times the input). The convolution sums into zero, in the order (kh, kw,
/// c); its result is then added to the output's contents.
///
/// With `filterBlock` (B) below the number of filters F, the filters are
/// copied in blocks of B, each contiguous, and one convolution per block
/// runs in an `scf.for` over the blocks, writing its B filters' slice:
///   wb[b, kh, kw, c, j] = W[b * B + j, c, kh, kw]
///   for b: nhwc[n, oh, ow, b * B + j] = conv(xt, wb[b])[n, oh, ow, j]
/// A tile then reads its filters as one stream, B at a time, instead of B
/// from each row of F, and a block's filters stay in cache across all the
/// rows of the batch. Returns the convolution the schedule tiles.
linalg::Conv2DNhwcHwcfOp channelsLast(RewriterBase &rewriter,
                                      linalg::Conv2DNchwFchwOp conv,
                                      int64_t filterBlock) {
  Location loc = conv.getLoc();
  rewriter.setInsertionPoint(conv);
  MLIRContext *ctx = conv.getContext();
  Value input = conv.getDpsInputs()[0], filter = conv.getDpsInputs()[1],
        init = conv.getDpsInits()[0];
  SmallVector<int64_t> x = shapeOf(input), w = shapeOf(filter),
                       out = shapeOf(init);
  Type element = getElementTypeOrSelf(init.getType());
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  Value xt = copyAs(rewriter, loc, input,
                    AffineMap::get(4, 0, {d(0), d(3), d(1), d(2)}, ctx),
                    {x[0], x[2], x[3], x[1]}, element);
  SmallVector<int64_t> nhwcShape = {out[0], out[2], out[3], out[1]};
  Value product = zeros(rewriter, loc, nhwcShape, element);
  auto convolve = [&](OpBuilder &b, Value filters, Value into) {
    return linalg::Conv2DNhwcHwcfOp::create(
        b, loc, TypeRange{into.getType()}, ValueRange{xt, filters},
        ValueRange{into},
        ArrayRef<NamedAttribute>{
            b.getNamedAttr("strides", conv.getStrides()),
            b.getNamedAttr("dilations", conv.getDilations())});
  };
  linalg::Conv2DNhwcHwcfOp tiled;
  Value result;
  if (!inBlocks(w[0], filterBlock)) {
    Value wt = copyAs(rewriter, loc, filter,
                      AffineMap::get(4, 0, {d(3), d(2), d(0), d(1)}, ctx),
                      {w[2], w[3], w[1], w[0]}, element);
    tiled = convolve(rewriter, wt, product);
    result = tiled.getResult(0);
  } else {
    // Blocks [F / B, kh, kw, c, B]; each block's filters [kh, kw, c, B]
    // write its slice of the result [n, oh, ow, B].
    Value wb =
        blockedFilters(rewriter, loc, filter, filterBlock, {2, 3, 1}, element);
    result = forEachFilterBlock(
        rewriter, loc, product, filterBlock,
        [&](OpBuilder &b, Location l, Value block, Value slice) {
          tiled = convolve(b, sliceAlong(b, l, wb, 0, block, 1, true), slice);
          return tiled.getResult(0);
        });
  }
  rewriter.replaceOp(conv, addTransposed(rewriter, loc, result, init));
  return tiled;
}

/// The tiles of a channels-last convolution [n, oh, ow, f, kh, kw, c]: one
/// image, one output row and one kernel row (the 1-D convolutions), and at
/// most `limits` (width, filters, channels) of the rest, each the largest
/// divisor of its dimension (the filters: `channelsLastFilters`). A tile
/// step reads (width - 1) x stride + 1 input positions of its channels;
/// the channels shrink so that these stay at most width x limits[2]
/// elements (at stride 2, 8 channels instead of 16: with 16, the 13
/// positions' vectors and the filters' spilled registers, and the forward
/// of 256 -> 256 at 14x14 -> 7x7 took 5.5 instead of 3.8 ms).
Target channelsLastTarget(linalg::Conv2DNhwcHwcfOp conv,
                          ArrayRef<int64_t> limits) {
  SmallVector<int64_t> out = shapeOf(conv.getDpsInits()[0]);
  auto filter = cast<ShapedType>(conv.getDpsInputs()[1].getType());
  int64_t width = divisorAtMost(out[2], limits[0]);
  int64_t filters = channelsLastFilters(out[2], out[3], limits);
  int64_t stride = conv.getStrides().getValues<int64_t>()[1];
  int64_t positions = (width - 1) * stride + 1;
  int64_t channels =
      divisorAtMost(filter.getDimSize(2),
                    std::max<int64_t>(1, limits[2] * width / positions));
  return Target{
      Kind::ChannelsLast, 0, false, {1, 1, width, filters, 1, 1, channels}};
}

/// The fewest terms per result for which a contraction's lanes loop runs
/// outside its rows loop (batch 1, 512 -> 512 3x3 at 2x2: the f64 filter
/// gradient sums 4 terms into 2.4M results, whose column strips, 36 KiB
/// apart, took 11.1 ms against 8.8 ms row by row).
constexpr int64_t kLanesOuterMinTerms = 64;

/// The most bytes of the lanes' operand a contraction's lanes tile reads
/// over its whole reduction for the row tiles to sweep it in the L1 cache
/// (48 KiB on the cores measured). Beyond, the outermost of several
/// reduction loops runs outside the row tiles: the filter gradients of the
/// 3x3 layers at 28x28 and 14x14 summed each lanes tile's 1,568 positions
/// (200 KiB of their input) per row tile, reading it back from L2;
/// image by image (25 KiB) their backward-filter went from 4.8 to 3.9 ms
/// (64 -> 64 at 28x28, batch 8) and 6.1-6.8 to 5.2 ms (128 -> 128 at
/// stride 2).
constexpr int64_t kLanesStripBytes = 32 * 1024;

/// The lanes of a contraction's tile over a dimension of `extent`
/// `bytes`-wide elements under `limits` (rows, lanes in f32 elements,
/// reduction): the largest divisor of the extent at most limits[1] f32
/// elements' width (half as many f64).
int64_t contractionLanes(int64_t extent, ArrayRef<int64_t> limits,
                         int64_t bytes) {
  return divisorAtMost(extent, std::max<int64_t>(1, limits[1] * 4 / bytes));
}

/// The tiles of a contraction with static shapes, one element type and
/// projected-permutation maps, or nothing: the result's last two
/// dimensions at most `limits` (rows, lanes, the lanes counted in f32
/// elements: half as many f64), the innermost reduction loop at most
/// limits[2], every other loop 1, each the largest divisor of its
/// dimension. Each tile is then rows x lanes outer products, one per
/// reduction step. The tile loops run the other parallel dimensions, then
/// the lanes, then the rows, then the reductions: a tile's slice of the
/// lanes' operand (the wider one) stays in cache while the row tiles
/// sweep it, and the accumulator is hoisted out of every reduction loop,
/// staying in registers for the whole reduction. Where that slice would
/// outgrow kLanesStripBytes, the outermost reduction loop (the images of a
/// filter gradient) runs outside the rows, if the loops inside it still
/// sum kLanesOuterMinTerms terms: the accumulator stays in registers
/// through each of its iterations. With fewer than
/// kLanesOuterMinTerms terms per result the result outweighs the
/// operands, and the rows run outside the lanes: each row tile then
/// writes its rows of the result in order.
std::optional<Target> contractionTarget(linalg::LinalgOp op,
                                        ArrayRef<int64_t> limits) {
  if (!uniformStaticOperands(op) ||
      !llvm::all_of(op.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isProjectedPermutation(); }))
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  AffineMap result = op.getIndexingMapsArray().back();
  if (result.getNumResults() < 2)
    return std::nullopt;
  Target target{Kind::Contraction, 0, false, TileSizes(ranges.size(), 1)};
  int64_t rows = result.getDimPosition(result.getNumResults() - 2),
          lanes = result.getDimPosition(result.getNumResults() - 1);
  target.sizes[rows] = divisorAtMost(ranges[rows], limits[0]);
  target.sizes[lanes] =
      contractionLanes(ranges[lanes], limits, elementBytes(op));
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  auto isReduction = [&](int64_t i) {
    return iterators[i] == utils::IteratorType::reduction;
  };
  for (int64_t i = 0, e = ranges.size(); i < e; ++i)
    if (!isReduction(i) && i != rows && i != lanes)
      target.order.push_back(i);
  int64_t terms = 1;
  SmallVector<int64_t> reductions;
  for (int64_t i = 0, e = ranges.size(); i < e; ++i) {
    if (!isReduction(i))
      continue;
    terms *= ranges[i];
    reductions.push_back(i);
  }
  int64_t outerReduction = -1;
  if (reductions.size() > 1 && ranges[reductions.front()] > 1 &&
      terms * target.sizes[lanes] * elementBytes(op) > kLanesStripBytes &&
      terms / ranges[reductions.front()] >= kLanesOuterMinTerms)
    outerReduction = reductions.front();
  if (terms >= kLanesOuterMinTerms) {
    target.order.push_back(lanes);
    if (outerReduction >= 0)
      target.order.push_back(outerReduction);
    target.order.push_back(rows);
  } else {
    target.order.push_back(rows);
    target.order.push_back(lanes);
  }
  for (int64_t i : reductions)
    if (i != outerReduction)
      target.order.push_back(i);
  // The innermost loop of the nest: the innermost reduction, if any.
  if (isReduction(target.order.back()))
    target.sizes[target.order.back()] =
        divisorAtMost(ranges[target.order.back()], limits[2]);
  for (int64_t position = ranges.size() - 1;
       position >= 0 && isReduction(target.order[position]); --position)
    target.hoisted.push_back(position);
  return target;
}

/// The vector width, in f32 elements, that the pointwise tiles fill: an
/// AVX-512 register (on narrower targets, whole multiples of theirs).
constexpr int64_t kVectorF32 = 16;

/// The tiles of a pointwise contraction [n, f, p] += [f, c] x [n, c, p], as
/// a contraction whose `limits` (rows, lanes in f32 elements, reduction)
/// set a budget of accumulator vectors, rows x the vectors of a row: the
/// lanes are the largest divisor of the positions at most limits[1] that
/// is a whole number of vectors, else the largest at most one vector (a
/// tile of 28 lanes, one and three quarters of a vector, ran 784 positions
/// at a fifth of the speed of 16), and the rows take what is left of the
/// budget (8 x 32 lanes, 16 x 16 or 16 x 14: 16 vectors).
std::optional<Target> pointwiseTarget(linalg::ContractOp op,
                                      ArrayRef<int64_t> limits) {
  int64_t positions =
      cast<ShapedType>(op.getDpsInits()[0].getType()).getShape().back();
  int64_t lanes = 0;
  for (int64_t d = kVectorF32; d <= limits[1]; d += kVectorF32)
    if (positions % d == 0)
      lanes = d;
  if (lanes == 0)
    lanes = divisorAtMost(positions, std::min(limits[1], kVectorF32));
  auto vectors = [](int64_t n) { return llvm::divideCeil(n, kVectorF32); };
  int64_t rows = limits[0] * vectors(limits[1]) / vectors(lanes);
  return contractionTarget(op, {std::max<int64_t>(1, rows), lanes, limits[2]});
}

/// The tiles of a batch matmul, as a contraction, or nothing unless it has
/// the default indexing maps (with operand extensions upstream's patterns
/// form no outer products, and folding the extensions into the contraction
/// made them recurse without end on some tilings).
std::optional<Target> matmulTarget(linalg::BatchMatmulOp matmul,
                                   ArrayRef<int64_t> limits) {
  if (matmul.hasUserDefinedMaps())
    return std::nullopt;
  return contractionTarget(matmul, limits);
}

struct ConvBNVectorizeConvolutionsPass
    : public convbn::impl::ConvBNVectorizeConvolutionsBase<
          ConvBNVectorizeConvolutionsPass> {
  using ConvBNVectorizeConvolutionsBase::ConvBNVectorizeConvolutionsBase;

  /// The sizes of list option `option` (`given`), or `defaults` when it
  /// is not given; an error unless there are as many as the defaults, all
  /// positive (`meaning` names them).
  std::optional<SmallVector<int64_t>> sizesOf(ArrayRef<int64_t> given,
                                              ArrayRef<int64_t> defaults,
                                              StringRef option,
                                              StringRef meaning) {
    SmallVector<int64_t> sizes(given.empty() ? defaults : given);
    if (sizes.size() == defaults.size() &&
        llvm::all_of(sizes, [](int64_t s) { return s >= 1; }))
      return sizes;
    getOperation().emitError()
        << "convbn-vectorize-convolutions: " << option << " must be "
        << defaults.size() << " positive sizes (" << meaning << ")";
    return std::nullopt;
  }

  void runOnOperation() override {
    std::optional<SmallVector<int64_t>> tiles = sizesOf(
        SmallVector<int64_t>(tileSizes.begin(), tileSizes.end()),
        {1, 8, 16, 16}, "tile-sizes", "batch, filters, positions, reduction");
    std::optional<SmallVector<int64_t>> lastTiles = sizesOf(
        SmallVector<int64_t>(channelsLastTileSizes.begin(),
                             channelsLastTileSizes.end()),
        {8, 32, 16}, "channels-last-tile-sizes", "width, filters, channels");
    std::optional<SmallVector<int64_t>> contractTiles =
        sizesOf(SmallVector<int64_t>(contractionTileSizes.begin(),
                                     contractionTileSizes.end()),
                {8, 32, 8}, "contraction-tile-sizes", "rows, lanes, reduction");
    if (!tiles || !lastTiles || !contractTiles)
      return signalPassFailure();
    ArrayRef<int64_t> limits = *tiles, lastLimits = *lastTiles,
                      contractLimits = *contractTiles;
    if (reductionBlock < 0) {
      getOperation().emitError("convbn-vectorize-convolutions: "
                               "reduction-block must be 0 (no blocking) or "
                               "positive");
      return signalPassFailure();
    }

    // Mark each op the schedule takes with its tile sizes.
    SmallVector<Target> targets;
    auto mark = [&](Operation *op, std::optional<Target> target) {
      if (!target)
        return;
      if (!llvm::is_contained(targets, *target))
        targets.push_back(*target);
      op->setAttr(kMarker,
                  DenseI64ArrayAttr::get(&getContext(), target->marker()));
    };
    SmallVector<linalg::Conv2DNchwFchwOp> direct, transposed, last, pointwise;
    getOperation().walk([&](Operation *op) {
      if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op)) {
        std::optional<Target> target = targetFor(conv, limits, reductionBlock);
        bool lanes = filterLanes && filtersInLanesPays(conv, limits[2]);
        // Fewer filters than a tile: the im2col copy (kernel window times
        // the positions) would cost more than the GEMM it feeds.
        if (target && fewFilters(conv, limits[1]))
          direct.push_back(conv);
        else if (target && channelsLastConvolutions &&
                 channelsLastPays(conv, lanes))
          last.push_back(conv);
        else if (target && lanes)
          transposed.push_back(conv);
        else if (target && pointwiseContractions && isPointwise(conv))
          pointwise.push_back(conv);
        else
          mark(op, target);
      } else if (auto matmul = dyn_cast<linalg::BatchMatmulOp>(op)) {
        mark(op, matmulTarget(matmul, contractLimits));
      } else if (auto contract = dyn_cast<linalg::ContractOp>(op)) {
        mark(op, contractionTarget(contract, contractLimits));
      }
    });
    IRRewriter rewriter(&getContext());
    for (linalg::Conv2DNchwFchwOp conv : direct)
      widthInnermost(rewriter, conv);
    for (linalg::Conv2DNchwFchwOp conv : last) {
      SmallVector<int64_t> out = shapeOf(conv.getDpsInits()[0]);
      int64_t block =
          filterBlocks ? channelsLastFilters(out[3], out[1], lastLimits) : 0;
      linalg::Conv2DNhwcHwcfOp nhwc = channelsLast(rewriter, conv, block);
      mark(nhwc, channelsLastTarget(nhwc, lastLimits));
    }
    for (linalg::Conv2DNchwFchwOp conv : pointwise) {
      linalg::ContractOp contract = pointwiseContraction(rewriter, conv);
      mark(contract, pointwiseTarget(contract, contractLimits));
    }
    for (linalg::Conv2DNchwFchwOp conv : transposed) {
      int64_t filters = shapeOf(conv.getDpsInits()[0])[1];
      int64_t block = filterBlocks ? contractionLanes(filters, contractLimits,
                                                      elementBytes(conv))
                                   : 0;
      linalg::BatchMatmulOp matmul = filtersInLanes(rewriter, conv, block);
      mark(matmul, matmulTarget(matmul, contractLimits));
    }
    if (targets.empty())
      return;

    OwningOpRef<ModuleOp> script =
        parseSourceString<ModuleOp>(schedule(targets), &getContext());
    Operation *entry = script ? transform::detail::findTransformEntryPoint(
                                    getOperation(), *script)
                              : nullptr;
    if (!entry) {
      getOperation().emitError(
          "convbn-vectorize-convolutions: the schedule does not parse (the "
          "tool must register the transform dialect extensions)");
      return signalPassFailure();
    }
    LogicalResult applied = transform::applyTransformNamedSequence(
        getOperation(), entry, *script, transform::TransformOptions());
    // Ops the schedule left alone keep no trace of it.
    getOperation().walk([&](Operation *op) { op->removeAttr(kMarker); });
    if (failed(applied))
      return signalPassFailure();
  }
};
} // namespace
