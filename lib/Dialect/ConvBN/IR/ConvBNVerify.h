//===- ConvBNVerify.h - Shared contract checks of convbn ops ----*- C++ -*-===//
//
// One place states the contract of a ConvBN block: ranks, shapes, element
// types, attribute ranges and which operands each mode has. conv_bn, fold and
// backward all verify through these helpers, so their messages agree.
//
//===----------------------------------------------------------------------===//

#ifndef CONVBN_LIB_DIALECT_CONVBN_IR_CONVBNVERIFY_H
#define CONVBN_LIB_DIALECT_CONVBN_IR_CONVBNVERIFY_H

#include "convbn/Dialect/ConvBN/IR/ConvBNDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include <optional>

namespace mlir::convbn::detail {

/// The operands every op of a block shares (null where absent).
struct BlockOperands {
  Value input, filter, bias, gamma, beta, mean, var;
};

/// Convolution attributes as stored on an op (absent arrays use defaults).
struct ConvAttrs {
  std::optional<ArrayRef<int64_t>> strides, paddingLow, paddingHigh, dilations;
  int64_t groups;
};

/// What verification learned about a well-formed block.
struct BlockSignature {
  /// Element type T of input, filter and activation results.
  Type activationType;
  /// Element type S of per-channel vectors; null if the block has none.
  Type channelType;
  /// Output channels O (may be dynamic).
  int64_t outChannels = ShapedType::kDynamic;
  /// Shape of the block's output (N x O x spatial...), dynamic where unknown.
  SmallVector<int64_t> outputShape;

  RankedTensorType getOutputType() const {
    return RankedTensorType::get(outputShape, activationType);
  }
  RankedTensorType getChannelVectorType() const {
    return RankedTensorType::get({outChannels}, channelType);
  }
};

/// Verifies the filter and the per-channel vectors of a block: the filter is
/// O x C/groups x kernel... of a float type T, every present vector is a 1-D
/// tensor of O elements of one type S (T or f32), and epsilon is > 0. Fills
/// activationType, channelType and outChannels of `sig`.
LogicalResult verifyParameters(Operation *op, const BlockOperands &operands,
                               double epsilon, BlockSignature &sig);

/// Verifies a whole block (input, filter, vectors, convolution attributes)
/// for `mode`, including which operands the mode needs, and computes the
/// output shape.
FailureOr<BlockSignature> verifyBlock(Operation *op, Mode mode,
                                      const BlockOperands &operands,
                                      const ConvAttrs &attrs, double epsilon);

/// Verifies that momentum is in [0, 1].
LogicalResult verifyMomentum(Operation *op, double momentum);

/// Verifies that a value of the op has `expected` type, up to dynamic
/// dimensions on either side. `kind` is "result" or "operand", `why` says
/// where the expected type comes from.
LogicalResult verifyTypeMatches(Operation *op, StringRef kind, StringRef name,
                                Type actual, RankedTensorType expected,
                                StringRef why);

} // namespace mlir::convbn::detail

#endif // CONVBN_LIB_DIALECT_CONVBN_IR_CONVBNVERIFY_H
