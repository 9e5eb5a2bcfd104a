//===- Passes.h - Passes of the convbn dialect ------------------*- C++ -*-===//

#ifndef CONVBN_DIALECT_CONVBN_TRANSFORMS_PASSES_H
#define CONVBN_DIALECT_CONVBN_TRANSFORMS_PASSES_H

#include "convbn/Dialect/ConvBN/IR/ConvBNOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace convbn {

#define GEN_PASS_DECL
#include "convbn/Dialect/ConvBN/Transforms/Passes.h.inc"

/// Patterns of -convbn-eval-to-tune.
void populateEvalToTunePatterns(RewritePatternSet &patterns);
/// Patterns of -convbn-deploy-fold.
void populateDeployFoldPatterns(RewritePatternSet &patterns);
/// Patterns of -convbn-decompose-tune.
void populateDecomposeTunePatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "convbn/Dialect/ConvBN/Transforms/Passes.h.inc"

} // namespace convbn
} // namespace mlir

#endif // CONVBN_DIALECT_CONVBN_TRANSFORMS_PASSES_H
