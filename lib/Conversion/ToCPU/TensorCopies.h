//===- TensorCopies.h - Copies shared by the CPU rewrites ---*- C++ -*-===//
//
// The CPU passes that turn convolutions into GEMMs build the same pieces:
// shapes, tile sizes that divide them, reassociation groups for reshapes
// and linalg.generic copies that gather (im2col windows, transposes),
// possibly widening the element type, zero-filled accumulators, slices
// along one dimension (chunks of images, blocks of filters), and the
// contraction whose left operand every batch shares.
//
//===----------------------------------------------------------------------===//

#ifndef CONVBN_LIB_CONVERSION_TOCPU_TENSORCOPIES_H
#define CONVBN_LIB_CONVERSION_TOCPU_TENSORCOPIES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::convbn::cpu {

/// The shape of `value`, a ranked tensor.
inline SmallVector<int64_t> shapeOf(Value value) {
  return SmallVector<int64_t>(cast<ShapedType>(value.getType()).getShape());
}

/// The largest divisor of `n` that is at most `limit`: tiles then divide
/// the shape and no vector needs a mask (masked contractions lower to
/// scalar code), nor any loop a remainder.
inline int64_t divisorAtMost(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

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

/// The windows of the (padded) input `x` [n, c, h, w] as GEMM rows, in
/// `type`: [1, (n, oh, ow), (c, kh, kw)] with
///   col[0, n, oh, ow, c, kh, kw] = x[n, c, oh*s0 + kh*d0, ow*s1 + kw*d1].
inline Value im2colRows(OpBuilder &b, Location loc, Value x, int64_t oh,
                        int64_t ow, int64_t kh, int64_t kw,
                        ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                        Type type) {
  MLIRContext *ctx = b.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto shape = cast<ShapedType>(x.getType()).getShape();
  AffineMap window =
      AffineMap::get(7, 0,
                     {d(1), d(4), d(2) * strides[0] + d(5) * dilations[0],
                      d(3) * strides[1] + d(6) * dilations[1]},
                     ctx);
  return tensor::CollapseShapeOp::create(
      b, loc,
      copyAs(b, loc, x, window, {1, shape[0], oh, ow, shape[1], kh, kw}, type),
      groupsOf({1, 3, 3}));
}

/// A new tensor of `shape` and element type `type`, filled with zeros.
inline Value zeros(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                   Type type) {
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
  return linalg::FillOp::create(
             b, loc, zero,
             ValueRange{tensor::EmptyOp::create(b, loc, shape, type)})
      .getResult(0);
}

/// The slice of `value` with `size` elements from `offset` along dimension
/// `dim` and all of every other dimension; with `dropDim` (`size` 1), one
/// of lower rank, without that dimension.
inline tensor::ExtractSliceOp sliceAlong(OpBuilder &b, Location loc,
                                         Value value, unsigned dim,
                                         OpFoldResult offset, int64_t size,
                                         bool dropDim = false) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] = size;
  SmallVector<OpFoldResult> offsets(shape.size(), b.getIndexAttr(0)), sizes,
      strides(shape.size(), b.getIndexAttr(1));
  offsets[dim] = offset;
  for (int64_t extent : shape)
    sizes.push_back(b.getIndexAttr(extent));
  if (!dropDim)
    return tensor::ExtractSliceOp::create(b, loc, value, offsets, sizes,
                                          strides);
  shape.erase(shape.begin() + dim);
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), value,
      offsets, sizes, strides);
}

/// out[b, m, n] += lhs[m, k] * rhs[b, k, n], one operand shared by every b,
/// as a `linalg.contract` (the pointwise convolution, the packed filter
/// gradient); each result sums its k in order, into its initial value.
inline linalg::ContractOp contractSharedLhs(OpBuilder &b, Location loc,
                                            Value lhs, Value rhs, Value out) {
  MLIRContext *ctx = b.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // Loops (b, m, n, k).
  ArrayAttr maps =
      b.getAffineMapArrayAttr({AffineMap::get(4, 0, {d(1), d(3)}, ctx),
                               AffineMap::get(4, 0, {d(0), d(3), d(2)}, ctx),
                               AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx)});
  return linalg::ContractOp::create(b, loc, TypeRange{out.getType()},
                                    ValueRange{lhs, rhs}, ValueRange{out},
                                    maps);
}

} // namespace mlir::convbn::cpu

#endif // CONVBN_LIB_CONVERSION_TOCPU_TENSORCOPIES_H
