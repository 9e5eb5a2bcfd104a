//===- BackwardFilterForm.h - The backward-filter generic ----*- C++ -*-===//
//-*-===//
//
// The linalg lowering writes the filter gradient of a convolution as one
// `linalg.generic` (LinalgBuilders.cpp, `backwardFilter`). Passes that give
// it a faster form (GPU tensor-core kernels, CPU GEMM) recognize it here,
// from its indexing maps and body, on tensors or on buffers alike.
//
//===----------------------------------------------------------------------===//

#ifndef CONVBN_CONVERSION_CONVBNTOLINALG_BACKWARDFILTERFORM_H
#define CONVBN_CONVERSION_CONVBNTOLINALG_BACKWARDFILTERFORM_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace mlir::convbn {

/// The 2-D backward-filter reduction:
///   dW[p, g, f, c, kh, kw] += X[p, n, g, c, oh*s0 + kh*d0, ow*s1 + kw*d1]
///                             * G[p, n, g, f, oh, ow]
/// with loops [p] g f c kh kw | n oh ow, X padded, the batch chunk p absent
/// when the batch is not split, and a body `out + a * b` (operands possibly
/// extended to the accumulator's type first).
struct BackwardFilterForm {
  /// Whether the leading batch-chunk dimension p is present.
  bool chunked = false;
  int64_t strides[2] = {1, 1};
  int64_t dilations[2] = {1, 1};
  /// The number of leading dimensions before n (X, G) or g (dW): 1 when
  /// chunked, else 0.
  int64_t lead() const { return chunked ? 1 : 0; }
};

/// `op`'s form if it is the lowering's 2-D backward-filter reduction.
std::optional<BackwardFilterForm> matchBackwardFilter(linalg::GenericOp op);

} // namespace mlir::convbn

#endif // CONVBN_CONVERSION_CONVBNTOLINALG_BACKWARDFILTERFORM_H
