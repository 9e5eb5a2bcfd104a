//===- TensorCoreGemm.h - A convolution as a GEMM ---------------*- C++ -*-===//
//
// The GEMM view of a convolution on buffers that the tensor-core kernels
// compute: its extents, operand type, how the gathers sweep and load each
// operand, where the output goes and what initializes it. Built from a
// `linalg.conv_2d_nchw_fchw` (forward and backward-data) or from the linalg
// lowering's backward-filter reduction.
//
//===----------------------------------------------------------------------===//

#ifndef CONVBN_LIB_CONVERSION_TOGPU_TENSORCOREGEMM_H
#define CONVBN_LIB_CONVERSION_TOGPU_TENSORCOREGEMM_H

#include "TensorCoreOperands.h"
#include "TensorCoreTiles.h"

#include <functional>
#include <optional>
#include <string>

namespace mlir::convbn::tensor_cores {

/// A position along K: `step`, the start of its K step (a multiple of the
/// step's k, the same for the block's threads), plus `offset` + `shift`
/// (below the step's k): the thread's own part and its turn's constant. Kept
/// apart so that an accessor can split the step's part once per step, and add
/// the constant last: a thread's elements then differ by a constant in their
/// indices, even where an index is narrowed to 32 bits and extended back.
struct KPosition {
  Value step, offset;
  int64_t shift = 0;
  /// `offset` is below this.
  int64_t offsetBound = 0;
  /// `base` + offset + shift, in that order (without the shift where
  /// `withShift` is false).
  Value at(Index &ix, Value base, bool withShift = true) const {
    return ix.addConstant(ix.add(base, offset), withShift ? shift : 0);
  }
  Value linear(Index &ix) const { return at(ix, step); }
};

/// A row of an operand tile in the GEMM (along M for A, N for B): `index`,
/// and, unless it was clamped at a tail (`tile` null), how it is made:
/// `tile` (the block's first row, a multiple of the tile's rows) +
/// `offset` (the thread's part) + `shift` (a constant of its turn).
struct RowPosition {
  Value index;
  Value tile, offset;
  int64_t shift = 0;
};

/// Where a plain load of an operand's element reads. Where `inside` is set,
/// the element is zero unless it holds (a position in the padding of a
/// convolution's input), and `indices` are in range either way.
struct Address {
  Value buffer;
  SmallVector<Value> indices;
  Value inside = nullptr;
};

/// An implicit GEMM per grid z: out(z, m, n) += sum_k A(z, m, k) * B(z, n, k).
/// The accessors get in-range indices (the kernel pads with zeros) and
/// load unconditionally.
struct Gemm {
  int64_t z = 1, m = 0, n = 0, k = 0;
  Type operandType; // f32 (as TF32), f16 or bf16
  /// The K extent of the block's operand tiles (kStepFor()).
  KStep step;
  /// How the gathers walk A and B (TensorCoreTiles.h): along k where the
  /// operand is contiguous along k in memory, else along its rows (Rows, or
  /// RowsSpread where a K step holds several window offsets), so that
  /// neighbouring threads read neighbouring addresses. A filter whose K is
  /// ordered window x channels is contiguous along neither (its k are kh x
  /// kw apart): Rows, for the 16-byte stores (unless it has fewer rows than
  /// a tile). Out is written along n.
  Sweep aSweep = Sweep::AlongK, bSweep = Sweep::Rows;
  /// The block's tile, chosen by the pass (chooseBlockTile()).
  BlockTile tile;
  /// The most columns a block's tile may have: fewer than the widest
  /// (kBlockColumns) where the accessors split a block's columns once
  /// (windowOuterN).
  int64_t widestTileN = kBlockColumns[1];
  /// The shared memory the kernel may take (AnalysisOptions::maxSharedBytes).
  int64_t sharedBudget = kMaxStaticSharedBytes;
  /// The blocks per SM its shared tiles leave room for, 0 for no target
  /// (AnalysisOptions::blocksPerSM, SharedLayout).
  int64_t blocksPerSM = 0;
  /// Whether K may be split among blocks (splitK): where the output is a
  /// backward-filter reduction's partial sums, whose few filter tiles
  /// leave most of the GPU idle (AnalysisOptions::splitK), or a
  /// convolution's output (AnalysisOptions::splitKConvolutions).
  bool splittableK = false;
  /// K split into this many ranges of whole steps, one block each along
  /// the grid's z (z x splitK blocks), each adding its part of the sums to
  /// the output atomically (chooseSplitK()); 1: one block does all of K.
  int64_t splitK = 1;
  /// The K steps of each of those ranges.
  int64_t stepsPerSplit() const { return ceilDiv(k, step.k) / splitK; }
  /// The extent of K that one block reduces: all of it, or with split-K
  /// its range's whole steps, the block's K positions then being where
  /// its range starts plus those of its K loop.
  int64_t blockK() const { return splitK == 1 ? k : stepsPerSplit() * step.k; }
  /// Whether z counts a convolution's images, whose output positions are
  /// N (spreadImagesAlongN()).
  bool imagesInZ = false;
  std::function<Value(Index &, Value z, const RowPosition &row, KPosition k)>
      loadA, loadB;
  /// For an operand gathered in vectors (Sweep::AlongKVectors) that is a
  /// plain load of a buffer of the operand type whose start is 16-byte
  /// aligned (alignedStart()): where its element at (row, k) is, as
  /// loadA/loadB read it. The kernel may then copy each vector into shared
  /// memory without passing it through registers (`async-copies`). Unset
  /// for other operands.
  std::function<Address(Index &, Value z, const RowPosition &row, KPosition k)>
      addressA, addressB;
  /// Whether a kernel built with `async-copies` copies A (B) into shared
  /// memory by cp.async: gathered in vectors, each from an address.
  bool copiesA(bool asyncCopies) const {
    return asyncCopies && aSweep == Sweep::AlongKVectors && addressA;
  }
  bool copiesB(bool asyncCopies) const {
    return asyncCopies && bSweep == Sweep::AlongKVectors && addressB;
  }
  /// A convolution whose K is ordered (kh, kw, c) over all its channels
  /// (a multiple of the step's k) and whose filter is a plain buffer of the
  /// operand type, (f, c, kh, kw) in memory: its A elements of one K step
  /// are kh * kw elements apart, each load in its own sector. A copy in
  /// (f, kh, kw, c) order (readFilterCopy) is contiguous along K instead.
  bool filterCopyable = false;
  /// A convolution whose K is ordered (kh, kw, c) over all its channels
  /// (a multiple of the step's k) and whose input (or the source of its padded
  /// copy) has the operand type: its B elements of one K step are a
  /// plane apart, each load in its own sector unless neighbouring output
  /// positions share it. A channels-last copy (readInputCopy) is
  /// contiguous along K instead: of this buffer (the input, or its padded
  /// copy's source), null where there can be none. Likewise a
  /// backward-filter reduction with N ordered (kh, kw, c) whose input is
  /// not read in vectors: B's rows of one step are a plane apart, and
  /// consecutive in the copy (readBackwardFilterInputCopy).
  Value inputCopySource;
  /// K of a convolution ordered (kh, kw, c) rather than (c, kh, kw), with
  /// this many channels per window offset (the channels padded with zeros
  /// to a divisor of the step's k, or all of them); 0 when not.
  int64_t windowChannels = 0;
  /// A convolution's input channels (the report names their padding).
  int64_t channels = 0;
  /// N of a backward-filter reduction ordered (kh, kw, c) rather than
  /// (c, kh, kw).
  bool windowOuterN = false;
  /// Indices of out(z, m, n) in `output` (f32 or f64 elements).
  std::function<SmallVector<Value>(Index &, Value z, Value m, Value n)>
      outIndices;
  Value output;
  /// Where the op that initialized `output` was folded into the kernel: the
  /// initial value of out(z, m, n), given its indices in `output` (null for
  /// zero). Unset: the epilogue reads the output buffer and adds to it.
  std::optional<std::function<Value(Index &, ValueRange at)>> initialValue;
  /// B read from the unpadded buffer, when it is a padded copy.
  std::optional<PaddedCopy> padded;
  /// A computed in the gather, when an elementwise generic produces it.
  std::optional<ProducedOperand> producedA;
  /// What the report calls it.
  std::string kind;
  /// k extent of one mma instruction: 8 for TF32, 16 for f16 and bf16.
  int64_t mmaK() const { return operandType.isF32() ? 8 : 16; }
};

/// What the analyses may do.
struct AnalysisOptions {
  /// Multiply f32 operands as TF32.
  bool allowTF32 = true;
  /// Read a zero-padded input copy's source (PaddedCopy).
  bool foldPadding = true;
  /// Compute elementwise-made weights in the gather (ProducedOperand).
  bool recomputeProducers = false;
  /// The K steps' bytes (kStepFor(), kStepBytesChoices).
  int64_t stepBytes = kStepBytes;
  /// The shared memory a kernel may take: kMaxStaticSharedBytes, or up to
  /// kMaxDynamicSharedBytes in dynamic shared memory (Gemm::sharedBudget).
  int64_t maxSharedBytes = kMaxStaticSharedBytes;
  /// Lay the shared tiles out for this many blocks per SM, 0 for no target
  /// (Gemm::blocksPerSM).
  int64_t blocksPerSM = 0;
  /// Let backward-filter reductions split K (Gemm::splittableK).
  bool splitK = true;
  /// Let convolutions split K (Gemm::splittableK).
  bool splitKConvolutions = false;
  /// Let backward-filter reductions read a channels-last copy of their input
  /// (Gemm::inputCopySource, readBackwardFilterInputCopy()).
  bool filterGradientInputCopies = false;
};

/// The forward (and backward-data) convolution, one GEMM per image:
/// M = filters, N = output positions (oh, ow), K = (c, kh, kw), or
/// (kh, kw, c) when the channels are a multiple of the step's k: a K step then
/// lies within one window offset (kh, kw), which each thread splits from
/// the step once, and its elements differ only in the channel, so the
/// gather's window arithmetic and bounds checks are one per step instead
/// of one per element. Fewer channels (the stem's 3) are padded with zeros
/// to a power of two, which a K step holds whole, when that adds at most a
/// third to K: an element's window offset is then the step's plus a
/// constant of its turn, and its channel a mask, instead of a division of
/// its K index by kh x kw and by kw.
/// Failure with the reason in `why` if the convolution cannot take the
/// tensor-core path.
FailureOr<Gemm> analyzeConvolution(linalg::Conv2DNchwFchwOp conv,
                                   const AnalysisOptions &options,
                                   std::string &why);

/// The backward-filter reduction of the linalg lowering
/// (LinalgBuilders.cpp, `backwardFilter`), 2-D, one group:
///   dW[p, 0, f, c, kh, kw] += X[p, n, 0, c, oh*s + kh*d, ow*s + kw*d]
///                             * G[p, n, 0, f, oh, ow]
/// with the batch chunk p absent when the batch is not split. One GEMM per
/// chunk: M = filters, N = (c, kh, kw), K = (n, oh, ow).
///
/// Failure with an empty `why` if `op` is not such a reduction, with the
/// reason in `why` if it cannot take the tensor-core path.
FailureOr<Gemm> analyzeBackwardFilter(linalg::GenericOp op,
                                      const AnalysisOptions &options,
                                      std::string &why);

/// The op just before `op` when it only initializes `op`'s output buffer,
/// which the kernel writes whole: a `linalg.fill` with a constant, or a
/// broadcast (an all-parallel `linalg.generic` yielding its one input, the
/// bias vector of a forward convolution). The kernel's epilogue then writes
/// that value plus the product instead of adding the product to what the
/// buffer holds, which saves a write and a read of the whole output. Sets
/// `g.initialValue` and returns the op to erase.
Operation *foldInitializer(Operation *op, Gemm &g);

/// Makes `g` read the filter of `conv` (`g.filterCopyable`) from a buffer
/// in (f, kh, kw, c) order, in vectors along K: a step's channels
/// of one window offset are then consecutive. Where one linalg.generic
/// writes the filter for `conv` alone (the Tune fold's W * k, the flipped
/// filter of backward-data), that generic writes the new order instead,
/// and the buffer it wrote before is returned, to be erased with `conv`;
/// else a linalg.transpose copies the filter before `conv` (one more
/// kernel). The new buffer is freed after `conv`. Pass option
/// `filter-copies`.
Value readFilterCopy(linalg::Conv2DNchwFchwOp conv, Gemm &g);

/// Makes `g` read the input of `conv` from a copy of `g.inputCopySource`
/// in (n, h, w, c) order, in vectors along K: a step's channels of
/// one window position are then consecutive. That source is the input, or
/// the source of its padded copy (`g.padded`), whose padding the gather
/// then keeps as a bounds check per vector. `shared`: a copy made for an
/// earlier convolution, which the source still matches; else a
/// linalg.transpose writes a new one before `conv` (one more kernel, one
/// pass over the input), freed after `conv`. Returns the copy. Pass option
/// `input-copies`.
Value readInputCopy(linalg::Conv2DNchwFchwOp conv, Gemm &g, Value shared);

/// Makes the backward-filter reduction `op` (N ordered window x channels,
/// `g.windowOuterN`) read its input from a copy of `g.inputCopySource` in
/// (n, h, w, c) order, swept along B's rows (Sweep::Rows): a warp's lanes
/// take consecutive channels of one window offset and position, one run of
/// the copy, where the (n, c, h, w) input holds them a plane apart and a
/// warp swept along K reads runs of an output row's positions. A thread's
/// turns take consecutive positions: it splits the first once per step and
/// steps from it into the next output row (or image) where a turn passes
/// the row's end. The padding (`g.padded`) is a bounds check per element.
/// `shared`: a copy made for an earlier reader (the forward convolution's,
/// readInputCopy()), which the source still matches; else a
/// linalg.transpose writes a new one before `op`, freed after it. Returns
/// the copy. Pass option `filter-gradient-input-copies`.
Value readBackwardFilterInputCopy(linalg::GenericOp op, Gemm &g, Value shared);

/// Whether one GEMM over all the images of `g` (`g.imagesInZ`, its tile
/// chosen) takes fewer block tiles along N than one per image: where an
/// image's output positions leave its last tile partly empty (49 or 196 of
/// a tile's 64 columns), tiles spanning images leave only the last one so.
bool imagesAlongNPays(const Gemm &g);

/// Makes `g` one GEMM over all its images: N = images x positions (an
/// element's image and position split from its column), one grid z. Its
/// accessors must already be final (readInputCopy() before). Pass option
/// `images-along-n`.
void spreadImagesAlongN(Gemm &g);

/// The extents and tile of `g` once spread (spreadImagesAlongN()), its
/// tile chosen for `rows` and `columns` (chooseBlockTile()): the grid it
/// will have, known before the operand copies that the spread follows.
Gemm spreadShape(const Gemm &g, int64_t rows, int64_t columns);

/// How many ranges K of `g` (`g.splittableK`, its tile chosen) is split
/// into: 1 where the grid has kFewBlocks blocks or more, else the fewest
/// that give it that many (or the most there can be), each a divisor of
/// its K steps that leaves every range kMinSplitSteps steps or more.
int64_t chooseSplitK(const Gemm &g);

/// The block's tile for `g`. Columns: 128 where `columns` asks for them
/// (pass option `block-n`), `g` allows them (Gemm::widestTileN) and two
/// stages of the tiles fit its shared memory (sharedLayout(),
/// Gemm::sharedBudget) with the rows given or 64; else 64. Rows: 64 where M
/// is 64 or less; else `rows` where given (pass option `block-m`), else 128
/// where M is a multiple of 128, the grid keeps at least kTallTileBlocks
/// blocks and two stages of the tiles fit, 64 otherwise.
BlockTile chooseBlockTile(const Gemm &g, int64_t rows, int64_t columns);

} // namespace mlir::convbn::tensor_cores

#endif // CONVBN_LIB_CONVERSION_TOGPU_TENSORCOREGEMM_H
