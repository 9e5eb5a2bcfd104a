//===- LinalgBuilders.h - Building blocks of the convbn lowering -*- C++
//-*-===//
//
// Convolution building blocks on tensors: padding, the forward correlation
// (named linalg convolutions where upstream has them), backward-data,
// backward-filter, and linalg.generic helpers over activation-, filter- and
// channel-shaped iteration spaces. Every helper computes in f32: inputs are
// extended on load and results rounded once to their element type.
//
//===----------------------------------------------------------------------===//

#ifndef CONVBN_LIB_CONVERSION_CONVBNTOLINALG_LINALGBUILDERS_H
#define CONVBN_LIB_CONVERSION_CONVBNTOLINALG_LINALGBUILDERS_H

#include "convbn/Conversion/ConvBNToLinalg/ConvBNToLinalg.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::convbn {

/// Convolution attributes of a block with the defaults filled in.
struct ConvGeometry {
  SmallVector<int64_t> strides, padLow, padHigh, dilations;
  int64_t groups = 1;
  int64_t spatialRank() const { return strides.size(); }
};

/// Body of a generic: gets the inputs and the outputs (accumulators) as
/// scalars of the compute type (f32, or f64 when an output is f64) and
/// returns the new output values in that type.
using BodyFn = function_ref<SmallVector<Value>(
    OpBuilder &, Location, ValueRange ins, ValueRange outs)>;

class BlockBuilder {
public:
  /// `options.f64Reductions`: accumulate the long reductions (over batch
  /// and spatial positions: reduceActivation and backwardFilter) in f64, so
  /// a sum of M terms is rounded once instead of losing up to M * 2^-24.
  /// `options.phasesInPlace`: see backwardData.
  BlockBuilder(OpBuilder &b, Location loc,
               const ConvBNToLinalgOptions &options = {})
      : b(b), loc(loc), f64Reductions(options.f64Reductions),
        phasesInPlace(options.phasesInPlace),
        stackedPhasesRows(options.stackedPhasesRows) {}

  /// One phase of backward-data along one spatial dimension: the input
  /// positions i = m*s + r (m < count) receive the filter taps
  /// k = firstTap + t*tapStep (t < taps) from the gradient positions
  /// j = m + gradOffset + t'*dilation, t' = taps - 1 - t (zero outside the
  /// gradient). That is a stride-1 correlation of the gradient, shifted by
  /// gradOffset, with the flipped taps.
  struct Phase {
    int64_t r, count, firstTap, tapStep, taps, gradOffset, dilation;
    /// The gradient positions read, as offsets into the shifted gradient:
    /// [lo, hi] lie in the gradient, the rest of [0, span()) is zero.
    int64_t lo, hi;
    int64_t span() const { return count + (taps - 1) * dilation; }
  };

  Type f32() { return b.getF32Type(); }
  /// Accumulator type of the long reductions.
  Type reductionType() { return f64Reductions ? b.getF64Type() : f32(); }
  /// An f32 constant.
  Value constant(double value);
  /// The number of elements of `tensor` per channel (dim 1 excluded), as f32;
  /// computed at run time when the batch is dynamic.
  Value elementsPerChannel(Value tensor);

  /// tensor.empty of `shape` and `elementType`; a dynamic dim 0 (batch) is
  /// taken from dim 0 of `batchSource`.
  Value empty(ArrayRef<int64_t> shape, Type elementType, Value batchSource);
  /// Like `empty`, filled with zeros.
  Value zeros(ArrayRef<int64_t> shape, Type elementType, Value batchSource);

  /// A linalg.generic computing in f32, or f64 if an output is f64 (see
  /// BodyFn). Outputs are the `inits`.
  SmallVector<Value> generic(ValueRange ins, ArrayRef<AffineMap> inMaps,
                             ValueRange inits, ArrayRef<AffineMap> outMaps,
                             ArrayRef<utils::IteratorType> iterators,
                             BodyFn body);

  /// Elementwise over activation-shaped tensors `acts` (N x C x spatial...),
  /// with per-channel vectors `channels` broadcast along dim 1. Produces one
  /// activation-shaped tensor per entry of `outTypes` (element types).
  SmallVector<Value> mapActivation(ValueRange acts, ValueRange channels,
                                   TypeRange outTypes, BodyFn body) {
    return mapOver(acts, channels, outTypes, /*channelDim=*/1, body);
  }
  /// Reduces activation-shaped tensors over batch and spatial positions into
  /// `numOutputs` per-channel vectors of reductionType() (starting at zero).
  SmallVector<Value> reduceActivation(ValueRange acts, ValueRange channels,
                                      unsigned numOutputs, BodyFn body) {
    return reduceOver(acts, channels, numOutputs, /*channelDim=*/1, body);
  }
  /// Elementwise over filter-shaped tensors (O x C/groups x kernel...), with
  /// per-output-channel vectors broadcast along dim 0.
  SmallVector<Value> mapFilter(ValueRange filters, ValueRange channels,
                               TypeRange outTypes, BodyFn body) {
    return mapOver(filters, channels, outTypes, /*channelDim=*/0, body);
  }
  /// Reduces filter-shaped tensors to `numOutputs` vectors over O, of
  /// reductionType().
  SmallVector<Value> reduceFilter(ValueRange filters, ValueRange channels,
                                  unsigned numOutputs, BodyFn body) {
    return reduceOver(filters, channels, numOutputs, /*channelDim=*/0, body);
  }
  /// Elementwise over 1-D per-channel vectors of one length.
  SmallVector<Value> mapChannels(ValueRange channels, TypeRange outTypes,
                                 BodyFn body);

  /// An f32 tensor of `shape` (N x O x P...) whose element [n, o, ...] is
  /// `channel[o]` (zeros when `channel` is null); dynamic batch from
  /// `batchSource`.
  Value broadcastChannel(Value channel, ArrayRef<int64_t> shape,
                         Value batchSource);
  /// `tensor` with its elements converted to `elementType` (itself if equal).
  Value convertElementType(Value tensor, Type elementType);

  /// Zero-pads the spatial dimensions (2...) of `x`.
  Value padSpatial(Value x, ArrayRef<int64_t> low, ArrayRef<int64_t> high);

  /// out[n, o, p] = init[n, o, p] + sum in[n, c, p*stride + k*dilation] *
  /// filter[o, c, k] per group: the forward convolution (cross-correlation)
  /// of an already padded `in` (N x C x S...) with `filter` (O x C/groups x
  /// K...), accumulated into the f32 `init` (N x O x P...).
  Value correlate(Value in, Value filter, Value init, int64_t groups,
                  ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations);

  /// Gradient of the convolution's input: f32 N x C x S... for `inputType`,
  /// from the output gradient `grad` (N x O x P...) and `filter`. With a
  /// stride, one stride-1 correlation per phase of the input positions
  /// modulo the stride, accumulated in its strided positions of the result
  /// (`phasesInPlace`) or in a tensor of its own then inserted there; or,
  /// where the channels times the phases are at most `stackedPhasesRows`,
  /// one correlation of every phase (stackedPhases).
  Value backwardData(Value grad, Value filter, RankedTensorType inputType,
                     const ConvGeometry &geometry);

  /// Gradient of the convolution's filter: O x C/groups x K... of
  /// reductionType(), from the unpadded `input` and the output gradient.
  Value backwardFilter(Value input, Value grad, RankedTensorType filterType,
                       const ConvGeometry &geometry);

private:
  /// Elementwise over same-shaped `full` tensors with per-channel vectors
  /// broadcast along `channelDim`.
  SmallVector<Value> mapOver(ValueRange full, ValueRange channels,
                             TypeRange outTypes, int64_t channelDim,
                             BodyFn body);
  /// Reduces same-shaped `full` tensors over every dim but `channelDim`.
  SmallVector<Value> reduceOver(ValueRange full, ValueRange channels,
                                unsigned numOutputs, int64_t channelDim,
                                BodyFn body);
  /// Splits dim `dim` of `tensor` into (groups, dim / groups).
  Value expandGroups(Value tensor, int64_t dim, int64_t groups);
  /// Merges dims `dim` and `dim + 1` of `tensor`.
  Value collapseGroups(Value tensor, int64_t dim);
  /// backwardData with few channels: the phases (`perDim`, every one in
  /// each dimension) stacked along the output channels of one stride-1
  /// correlation over the union of their windows (their taps zero-extended
  /// to it), then spread into dX (depth to space: one transpose). Null
  /// where it does not apply: a dilation, groups, a missing phase, or more
  /// rows than `stackedPhasesRows`.
  Value stackedPhases(ArrayRef<SmallVector<Phase>> perDim,
                      function_ref<Value(ArrayRef<Phase>)> shiftedGradient,
                      function_ref<Value(ArrayRef<Phase>)> phaseTaps,
                      Value grad, RankedTensorType inputType,
                      const ConvGeometry &g);

  OpBuilder &b;
  Location loc;
  bool f64Reductions;
  bool phasesInPlace;
  int64_t stackedPhasesRows;
};

} // namespace mlir::convbn

#endif // CONVBN_LIB_CONVERSION_CONVBNTOLINALG_LINALGBUILDERS_H
