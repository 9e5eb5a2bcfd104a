//===- VectorizeConvolutions.cpp - im2col + tiling + vectorization (CPU) --===//
//
// The schedule is transform-dialect IR, built as text from the options,
// parsed into a module of its own and applied with the transform
// interpreter: what runs is exactly what a user could write in a transform
// script.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNVECTORIZECONVOLUTIONS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {

using TileSizes = SmallVector<int64_t, 4>;

constexpr StringLiteral kMarker = "convbn.vectorize";

std::string sizeList(ArrayRef<int64_t> sizes) {
  return llvm::join(
      llvm::map_range(sizes, [](int64_t s) { return std::to_string(s); }),
      ", ");
}

/// The schedule: for each set of tile sizes, the convolutions marked with
/// it (failures suppressed, so one the transforms cannot handle stays a
/// convolution), then the vector lowering patterns on every function.
std::string schedule(ArrayRef<TileSizes> tileSets) {
  std::string text = R"(module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
)";
  for (auto [index, sizes] : llvm::enumerate(tileSets)) {
    std::string list = sizeList(sizes);
    std::string handle = "%convs_" + std::to_string(index);
    text += "    " + handle +
            R"( = transform.structured.match ops{["linalg.conv_2d_nchw_fchw"]}
        attributes {)" +
            kMarker.str() + " = array<i64: " + list +
            R"(>} in %root : (!transform.any_op) -> !transform.any_op
    transform.foreach )" +
            handle + R"( : !transform.any_op {
    ^bb0(%conv: !transform.any_op):
      transform.sequence %conv : !transform.any_op failures(suppress) {
      ^bb1(%c: !transform.any_op):
        %col, %result = transform.structured.convert_conv2d_to_img2col %c
            : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
        %gemm = transform.get_producer_of_operand %result[0]
            : (!transform.any_op) -> !transform.any_op
        %tiled, %loops:4 = transform.structured.tile_using_for %gemm tile_sizes [)" +
            list + R"(]
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

/// The largest divisor of `n` that is at most `limit`: tiles then divide
/// the shape and no vector needs a mask (masked contractions lower to
/// scalar code).
int64_t divisorAtMost(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// The tile sizes of `conv`'s im2col contraction (batch x filters x
/// positions x channels*kernel), or nothing if the schedule must not take
/// it: one element type throughout (upstream's im2col rewrite builds an
/// invalid reshape when the accumulator's type differs, as with f16
/// operands and an f32 accumulator) and static shapes.
std::optional<TileSizes> tilesFor(linalg::Conv2DNchwFchwOp conv,
                                  ArrayRef<int64_t> limits) {
  Type element = getElementTypeOrSelf(conv.getDpsInits()[0].getType());
  bool uniform = llvm::all_of(conv->getOperandTypes(), [&](Type t) {
    auto shaped = dyn_cast<ShapedType>(t);
    return shaped && shaped.hasStaticShape() &&
           shaped.getElementType() == element;
  });
  if (!uniform)
    return std::nullopt;
  auto filter = cast<ShapedType>(conv.getDpsInputs()[1].getType());
  auto out = cast<ShapedType>(conv.getDpsInits()[0].getType());
  int64_t dims[4] = {out.getDimSize(0), out.getDimSize(1),
                     out.getDimSize(2) * out.getDimSize(3),
                     filter.getDimSize(1) * filter.getDimSize(2) *
                         filter.getDimSize(3)};
  TileSizes tiles;
  for (auto [dim, limit] : llvm::zip(dims, limits))
    tiles.push_back(divisorAtMost(dim, limit));
  return tiles;
}

struct ConvBNVectorizeConvolutionsPass
    : public convbn::impl::ConvBNVectorizeConvolutionsBase<
          ConvBNVectorizeConvolutionsPass> {
  using ConvBNVectorizeConvolutionsBase::ConvBNVectorizeConvolutionsBase;

  void runOnOperation() override {
    SmallVector<int64_t> limits(tileSizes.begin(), tileSizes.end());
    if (limits.empty())
      limits = {1, 8, 16, 16};
    if (limits.size() != 4 ||
        llvm::any_of(limits, [](int64_t s) { return s < 1; })) {
      getOperation().emitError("convbn-vectorize-convolutions: tile-sizes "
                               "must be 4 positive sizes (batch, filters, "
                               "positions, reduction)");
      return signalPassFailure();
    }

    // Mark each convolution the schedule takes with its tile sizes.
    SmallVector<TileSizes> tileSets;
    getOperation().walk([&](linalg::Conv2DNchwFchwOp conv) {
      std::optional<TileSizes> tiles = tilesFor(conv, limits);
      if (!tiles)
        return;
      if (!llvm::is_contained(tileSets, *tiles))
        tileSets.push_back(*tiles);
      conv->setAttr(kMarker, DenseI64ArrayAttr::get(&getContext(), *tiles));
    });
    if (tileSets.empty())
      return;

    OwningOpRef<ModuleOp> script =
        parseSourceString<ModuleOp>(schedule(tileSets), &getContext());
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
    // Convolutions the schedule left alone keep no trace of it.
    getOperation().walk(
        [&](linalg::Conv2DNchwFchwOp conv) { conv->removeAttr(kMarker); });
    if (failed(applied))
      return signalPassFailure();
  }
};
} // namespace
