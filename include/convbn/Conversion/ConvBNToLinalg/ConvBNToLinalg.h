//===- ConvBNToLinalg.h - Lowering convbn to linalg -------------*- C++ -*-===//

#ifndef CONVBN_CONVERSION_CONVBNTOLINALG_CONVBNTOLINALG_H
#define CONVBN_CONVERSION_CONVBNTOLINALG_CONVBNTOLINALG_H

#include "mlir/Support/LLVM.h"

namespace mlir {
class Operation;
class RewritePatternSet;
namespace convbn {

/// Choices of the lowering (the options of -convert-convbn-to-linalg).
struct ConvBNToLinalgOptions {
  /// Accumulate reductions over batch and spatial positions in f64.
  bool f64Reductions = true;
  /// Strided backward-data: each stride phase accumulates in its strided
  /// positions of the input gradient, in place; false: in a contiguous
  /// tensor, then copied there.
  bool phasesInPlace = true;
  /// Strided backward-data whose input channels times stride phases are at
  /// most this many (0: none): one correlation of the phases stacked along
  /// the channels, then a depth-to-space transpose.
  int64_t stackedPhasesRows = 0;
};

/// Patterns lowering convbn.conv_bn, convbn.fold and convbn.backward to
/// linalg on tensors.
void populateConvBNToLinalgPatterns(RewritePatternSet &patterns,
                                    const ConvBNToLinalgOptions &options = {});

/// Emits an error on `op` (a convbn op) and fails if the lowering does not
/// support it (today: any dynamic dimension other than the batch).
LogicalResult checkLowerableToLinalg(Operation *op);

} // namespace convbn
} // namespace mlir

#endif // CONVBN_CONVERSION_CONVBNTOLINALG_CONVBNTOLINALG_H
