//===- TensorCopies.h - Copies shared by the CPU rewrites ---*- C++ -*-===//
//
// The CPU passes that turn convolutions into GEMMs build the same pieces:
// reassociation groups for reshapes and linalg.generic copies that gather
// (im2col windows, transposes), possibly widening the element type.
//
//===----------------------------------------------------------------------===//

#ifndef CONVBN_LIB_CONVERSION_TOCPU_TENSORCOPIES_H
#define CONVBN_LIB_CONVERSION_TOCPU_TENSORCOPIES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::convbn::cpu {

/// Reassociation groups of `sizes` consecutive dimensions each.
inline SmallVector<ReassociationIndices> groupsOf(ArrayRef<int64_t> sizes) {
  SmallVector<ReassociationIndices> groups;
  int64_t next = 0;
  for (int64_t size : sizes) {
    ReassociationIndices group;
    for (int64_t i = 0; i < size; ++i)
      group.push_back(next++);
    groups.push_back(group);
  }
  return groups;
}

/// `from` copied into a new tensor of `shape` and element type `type`,
/// element i read at `read(i)` (and extended to `type` if narrower).
inline Value copyAs(OpBuilder &b, Location loc, Value from, AffineMap read,
                    ArrayRef<int64_t> shape, Type type) {
  unsigned rank = shape.size();
  Value empty = tensor::EmptyOp::create(b, loc, shape, type);
  return linalg::GenericOp::create(
             b, loc, empty.getType(), from, empty,
             {read, b.getMultiDimIdentityMap(rank)},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value v = args[0];
               if (v.getType() != type)
                 v = arith::ExtFOp::create(nb, l, type, v);
               linalg::YieldOp::create(nb, l, v);
             })
      .getResult(0);
}

} // namespace mlir::convbn::cpu

#endif // CONVBN_LIB_CONVERSION_TOCPU_TENSORCOPIES_H
