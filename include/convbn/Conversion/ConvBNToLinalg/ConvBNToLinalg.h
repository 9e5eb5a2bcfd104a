//===- ConvBNToLinalg.h - Lowering convbn to linalg -------------*- C++ -*-===//

#ifndef CONVBN_CONVERSION_CONVBNTOLINALG_CONVBNTOLINALG_H
#define CONVBN_CONVERSION_CONVBNTOLINALG_CONVBNTOLINALG_H

#include "mlir/Support/LLVM.h"

namespace mlir {
class Operation;
class RewritePatternSet;
namespace convbn {

/// Patterns lowering convbn.conv_bn, convbn.fold and convbn.backward to
/// linalg on tensors. `f64Reductions`: accumulate reductions over batch and
/// spatial positions in f64.
void populateConvBNToLinalgPatterns(RewritePatternSet &patterns,
                                    bool f64Reductions = true);

/// Emits an error on `op` (a convbn op) and fails if the lowering does not
/// support it (today: any dynamic dimension other than the batch).
LogicalResult checkLowerableToLinalg(Operation *op);

} // namespace convbn
} // namespace mlir

#endif // CONVBN_CONVERSION_CONVBNTOLINALG_CONVBNTOLINALG_H
