//===- ConvBNOps.h - Operations of the convbn dialect -----------*- C++ -*-===//

#ifndef CONVBN_DIALECT_CONVBN_IR_CONVBNOPS_H
#define CONVBN_DIALECT_CONVBN_IR_CONVBNOPS_H

#include "convbn/Dialect/ConvBN/IR/ConvBNDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "convbn/Dialect/ConvBN/IR/ConvBNOps.h.inc"

namespace mlir {
class RewriterBase;
namespace convbn {

/// Creates a copy of `op` (operands, properties, attributes) with other
/// result types, for rewrites that drop results a mode no longer has.
Operation *cloneWithResultTypes(RewriterBase &rewriter, Operation *op,
                                TypeRange resultTypes);

/// Type of the folded bias of a non-deploy block: one value per output
/// channel, of the statistics' element type.
RankedTensorType getFoldedBiasType(ConvBNOp op);

/// Turns `op` (tune mode) in place into a deploy-mode block over the given
/// folded filter and bias; the BN operands go away and the BN attributes are
/// reset to their defaults.
void convertToDeploy(RewriterBase &rewriter, ConvBNOp op, Value foldedFilter,
                     Value foldedBias);

/// The folded weights of a block whose parameters are all constants.
struct FoldedConstants {
  DenseElementsAttr filter;
  DenseElementsAttr bias;
};

/// Computes W' = k*W and b' = k*(b - mean) + beta, k = gamma/sqrt(var + eps),
/// in double precision, rounding once to each result's element type. `bias`,
/// `gamma` and `beta` may be null (0, 1 and 0). `biasType` is the type of the
/// folded bias. Fails if an operand is not a floating-point constant, if
/// var + eps is not positive, or if the filter has more than 2^24 elements.
FailureOr<FoldedConstants>
foldConstantParameters(DenseElementsAttr filter, DenseElementsAttr bias,
                       DenseElementsAttr gamma, DenseElementsAttr beta,
                       DenseElementsAttr mean, DenseElementsAttr var,
                       double epsilon, RankedTensorType biasType);

} // namespace convbn
} // namespace mlir

#endif // CONVBN_DIALECT_CONVBN_IR_CONVBNOPS_H
