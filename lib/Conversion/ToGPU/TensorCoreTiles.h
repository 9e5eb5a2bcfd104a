//===- TensorCoreTiles.h - Tiles of the tensor-core kernels -----*- C++ -*-===//
//
// The block tile of the implicit-GEMM kernels, the layout of their tiles in
// shared memory, and which thread moves which element of an operand tile.
// The sweep is written once over an arithmetic: the kernel builder applies
// it to index values, and bankConflicts() to integers, to say what a warp's
// shared-memory accesses cost in that layout.
//
//===----------------------------------------------------------------------===//

#ifndef CONVBN_LIB_CONVERSION_TOGPU_TENSORCORETILES_H
#define CONVBN_LIB_CONVERSION_TOGPU_TENSORCORETILES_H

#include <cassert>
#include <cstdint>

namespace mlir::convbn::tensor_cores {

/// The block's tile of the implicit GEMM: BlockTile::m rows (64 or 128) by
/// BlockTile::n columns (64 or 128), a K step (KStep) deep, shared by 4
/// warps in 2 x 2, each owning a (warpM() x warpN()) part made of kMmaM x
/// kMmaN mma tiles.
constexpr int64_t kMmaM = 16, kMmaN = 8;
constexpr int64_t kThreads = 128, kWarpLanes = 32;
constexpr int64_t kWarps = kThreads / kWarpLanes;
constexpr int64_t kWarpsM = 2, kWarpsN = 2;
static_assert(kWarpsM * kWarpsN == kWarps, "warps in 2 x 2");
/// The output tile in shared memory: kOutputRows rows of the block's tile
/// at a time, all its columns (f32 accumulators; a block of 128 rows stores
/// two passes).
constexpr int64_t kOutputRows = 64;
/// Rows of the output tile per row of warps (each pass stores that many of
/// each warp's rows).
constexpr int64_t kOutputRowsPerWarp = kOutputRows / kWarpsM;

/// The widest access a thread makes to global or shared memory, in bytes.
constexpr int64_t kVectorBytes = 16;

/// The K extent of the operand tiles that the block multiplies between two
/// barriers: `k` elements of `elementBytes` bytes per row. 64 bytes by
/// default (kStepBytes): 16 f32, two TF32 mma k-steps of 8, or 32 f16 or
/// bf16, two k-steps of 16, so that 16-bit kernels do as many mma per
/// barrier, per gather and per index computation as f32 ones. Steps of 32
/// bytes (16-bit elements one k-step at a time) and 128 bytes (32 f32 or
/// 64 16-bit elements: twice the mma per barrier, for twice the registers
/// that carry the next step's elements and twice the operand tiles) are
/// the other choices (pass option `k-step-bytes`); a step is at least 16
/// elements.
struct KStep {
  int64_t k = 16;
  int64_t elementBytes = 4;

  /// Elements in kVectorBytes.
  constexpr int64_t vector() const { return kVectorBytes / elementBytes; }
  constexpr int64_t bytes() const { return k * elementBytes; }
};
constexpr int64_t kStepBytes = 64;
/// The K steps' sizes in bytes that the kernels are built for. A step of
/// AlongKVectors takes at most 8 vectors per row (a quarter warp's).
constexpr int64_t kStepBytesChoices[] = {32, 64, 128};
constexpr int64_t kMinStepK = 16;
/// The K step of operands of `elementBytes` bytes: `stepBytes` of them,
/// at least kMinStepK.
constexpr KStep kStepFor(int64_t elementBytes, int64_t stepBytes) {
  int64_t k = stepBytes / elementBytes;
  return {k < kMinStepK ? kMinStepK : k, elementBytes};
}

/// The rows and columns of the block's tile, and what follows from them.
/// 128 rows give each warp 64 rows: a quarter fewer shared-memory accesses
/// per mma than 32 (loads and stores alike), for twice the accumulators per
/// thread and half the blocks; 128 columns give it 64 columns likewise
/// (warps of 64 x 64 with both: half the ldmatrix per mma of 32 x 32, 128
/// accumulator registers per thread).
struct BlockTile {
  int64_t m = 64;
  int64_t n = 64;

  constexpr int64_t warpM() const { return m / kWarpsM; }
  constexpr int64_t warpN() const { return n / kWarpsN; }
  /// mma tiles along M (N) per warp.
  constexpr int64_t tilesM() const { return warpM() / kMmaM; }
  constexpr int64_t tilesN() const { return warpN() / kMmaN; }
  /// Elements of the A (B) tile that each thread moves per K step of `k`.
  constexpr int64_t turnsA(int64_t k) const { return m * k / kThreads; }
  constexpr int64_t turnsB(int64_t k) const { return n * k / kThreads; }
  /// Passes of the accumulators through the output tile: in pass p each
  /// warp stores its mma tiles [p, p + 1) * tilesM() / outputPasses()
  /// along M, and the output tile holds the parts of the kWarpsM rows of
  /// warps one above the other (kOutputRowsPerWarp rows each).
  constexpr int64_t outputPasses() const { return m / kOutputRows; }
};
/// The block rows and columns that the kernels are built for.
constexpr int64_t kBlockRows[] = {64, 128};
constexpr int64_t kBlockColumns[] = {64, 128};
constexpr bool outputsSpreadEvenly() {
  for (int64_t columns : kBlockColumns)
    if (kOutputRows * columns % kThreads != 0)
      return false;
  return true;
}
static_assert(outputsSpreadEvenly(),
              "every thread stores the same number of outputs");

/// `x` / `y` rounded up, for positive `x` and `y`.
constexpr int64_t ceilDiv(int64_t x, int64_t y) { return (x + y - 1) / y; }

/// The A and B tiles' rows are padded by 16 bytes: a row then starts 16-byte
/// aligned (as ldmatrix needs) and an odd number of 16-byte units after the
/// previous one, so the 8 rows of an ldmatrix matrix fall in 8 different
/// quarters of the 32 banks.
constexpr int64_t rowPad(int64_t elementBytes) { return 16 / elementBytes; }
/// The f32 accumulator tile's rows are padded by 8 elements: an mma
/// fragment's 8-byte stores, 4 rows per half-warp, then fill the 32 banks
/// once.
constexpr int64_t kAccumulatorRowPad = 8;

/// The shared memory a block may take statically; more needs dynamic
/// shared memory and an opt-in per kernel (cuFuncSetAttribute), up to
/// kMaxDynamicSharedBytes on sm_90.
constexpr int64_t kMaxStaticSharedBytes = 48 * 1024;
constexpr int64_t kMaxDynamicSharedBytes = 227 * 1024;

/// What one SM of sm_90 (H100, H200) holds of the blocks' shared memory,
/// and what the system reserves of it per block (CUDA's occupancy rules).
constexpr int64_t kSharedBytesPerSM = 228 * 1024;
constexpr int64_t kReservedSharedBytesPerBlock = 1024;
/// The most blocks of kThreads threads an SM runs at once.
constexpr int64_t kMostBlocksPerSM = 2048 / kThreads;
/// The shared memory a block may take for `blocks` of them to fit one SM.
constexpr int64_t sharedShare(int64_t blocks) {
  return kSharedBytesPerSM / blocks - kReservedSharedBytesPerBlock;
}

/// Where a kernel's tiles lie in its one shared buffer: `stages` stages of
/// the A tile from byte 0, then as many of the B tile, then the output
/// tile; or the output tile over the operand tiles from byte 0
/// (`aliased`): where the three take more than a block may take
/// statically, so that a kernel takes dynamic shared memory (up to
/// `budget`, what a pass option allows) only where even that does not fit;
/// and, with a target of `blocksPerSM` blocks per SM (pass option
/// `blocks-per-sm`, for 64 x 64 tiles), where side by side they would keep
/// fewer blocks on an SM. The output tile is written only after the K loop's
/// last barrier, when no warp reads an operand tile any more (and every
/// asynchronous copy has been waited for). Without a target only the first case
/// aliases them because ptxas sizes a kernel's registers by the occupancy its
/// shared memory allows: the same kernel (the one-block example's backward-data
/// with the operand copies) gets 56 registers and spills with 20 KiB, 92
/// registers with 38 KiB. A target states that occupancy instead
/// (`nvvm.minctasm`, -convbn-cap-kernel-registers{min-blocks-per-sm}).
struct SharedLayout {
  int64_t aBytes = 0, bBytes = 0, outputBytes = 0;
  int64_t budget = kMaxStaticSharedBytes;
  int64_t blocksPerSM = 0;

  constexpr bool aliased() const {
    int64_t sideBySide = aBytes + bBytes + outputBytes;
    return sideBySide > kMaxStaticSharedBytes ||
           (blocksPerSM > 0 && sideBySide > sharedShare(blocksPerSM));
  }
  constexpr int64_t bOffset() const { return aBytes; }
  constexpr int64_t outputOffset() const {
    return aliased() ? 0 : aBytes + bBytes;
  }
  constexpr int64_t bytes() const {
    int64_t operands = aBytes + bBytes;
    if (!aliased())
      return operands + outputBytes;
    return operands > outputBytes ? operands : outputBytes;
  }
  constexpr bool fits() const { return bytes() <= budget; }
  /// Whether the kernel needs dynamic shared memory (more than a block
  /// may take statically).
  constexpr bool dynamic() const { return bytes() > kMaxStaticSharedBytes; }
};
constexpr SharedLayout sharedLayout(BlockTile tile, KStep step, int64_t stages,
                                    int64_t budget = kMaxStaticSharedBytes,
                                    int64_t blocksPerSM = 0) {
  int64_t rowBytes = (step.k + rowPad(step.elementBytes)) * step.elementBytes;
  // The target is for the smallest tiles, whose warps hold 32 x 32
  // accumulators; larger ones keep their layout (and registers).
  bool smallest = tile.m == kBlockRows[0] && tile.n == kBlockColumns[0];
  return {stages * tile.m * rowBytes, stages * tile.n * rowBytes,
          kOutputRows * (tile.n + kAccumulatorRowPad) * 4, budget,
          smallest ? blocksPerSM : 0};
}

/// How the block's threads sweep an operand tile, neighbours on
/// neighbours so that a warp's global loads are coalesced.
enum class Sweep {
  /// Along k, for an operand contiguous along k: a warp takes
  /// neighbouring rows (two of 16 k, one of 32), each thread keeps its k,
  /// and a turn moves it by kThreads / k rows.
  AlongK,
  /// Along k, 16 bytes of consecutive k per thread (kVectorBytes), for an
  /// operand contiguous along k whose rows start at multiples of 16 bytes
  /// (and whose steps stay in one contiguous run): a row's k are split
  /// among k / vector threads, neighbours on neighbours, and a thread's
  /// turns, a vector at a time, move it by whole rows. Its global loads and
  /// its shared stores are then one 16-byte access per vector.
  AlongKVectors,
  /// Along the rows, for an operand contiguous along them: each thread
  /// keeps its row and takes consecutive k, one per turn, which it stores
  /// into shared memory in vectors of 16 bytes (storeWidth()).
  Rows,
  /// Along the rows, each thread taking every second 4-byte word of k: for
  /// K steps that hold several window offsets (few channels), where a
  /// thread's k that crossed offsets would split each per thread rather
  /// than per step. A warp's first 16 rows take one word and its other 16
  /// the next (a whole warp at one word puts 8 f32 rows, or 4 rows of
  /// 16-bit elements, in one bank).
  RowsSpread,
};

/// The row and k, in an operand tile of `rows` rows, of the element that
/// a thread moves in one turn: its part (`row`, `k`, below `kBound`) plus a
/// constant of the turn (`rowShift`, `kShift`), so that a thread's elements
/// lie at constant offsets from its first.
template <typename V> struct SweepElement {
  V row;
  int64_t rowShift;
  V k;
  int64_t kShift, kBound;
};

/// The element that thread `tid` moves in its `turn`-th turn of `sweep`,
/// in K steps of `step`, with `a`'s add(V, V), mul(V, int64_t),
/// div(V, int64_t) and rem(V, int64_t).
template <typename Arith, typename V>
SweepElement<V> sweepElement(Arith &a, V tid, int64_t turn, int64_t rows,
                             Sweep sweep, KStep step) {
  int64_t k = step.k;
  assert(kThreads % k == 0 && rows * k % kThreads == 0 &&
         "a turn moves a thread by whole rows, the same turns for each");
  assert(kThreads % rows == 0 && "a row's threads share its k");
  if (sweep == Sweep::AlongK)
    return {a.div(tid, k), turn * (kThreads / k), a.rem(tid, k), 0, k};
  if (sweep == Sweep::AlongKVectors) {
    // A row's `parts` threads are neighbours. The hardware serves 16-byte
    // accesses a quarter warp (8 lanes) at a time: neighbouring rows (k +
    // rowPad() elements long: rows of 64 bytes are 5 16-byte units apart,
    // of 32 bytes 3) would put two of a quarter's vectors in one bank, so
    // each quarter takes rows `parts` apart instead, which fill the 32
    // banks once.
    int64_t vector = step.vector(), parts = k / vector;
    int64_t quarter = kWarpLanes / 4, perQuarter = quarter / parts;
    V slot = a.div(tid, parts), inGroup = a.rem(slot, quarter);
    V row = a.add(a.mul(a.div(slot, quarter), quarter),
                  a.add(a.mul(a.rem(slot, perQuarter), parts),
                        a.div(inGroup, perQuarter)));
    return {row, turn / vector * (kThreads / parts),
            a.mul(a.rem(tid, parts), vector), turn % vector, k - vector + 1};
  }
  // The kParts threads of a row (tid % rows).
  int64_t kParts = kThreads / rows;
  if (sweep == Sweep::Rows) {
    int64_t perThread = k / kParts;
    return {a.rem(tid, rows), 0, a.mul(a.div(tid, rows), perThread), turn,
            k - perThread + 1};
  }
  // Words of `perWord` elements; the thread at word (tid / run + tid /
  // rows) % kParts takes every kParts-th word from there, and each run of
  // `run` lanes starts a word further.
  int64_t run = kWarpLanes / kParts;
  int64_t perWord = step.elementBytes < 4 ? 4 / step.elementBytes : 1;
  V word = a.rem(a.add(a.div(tid, run), a.div(tid, rows)), kParts);
  return {a.rem(tid, rows), 0, a.mul(word, perWord),
          turn / perWord * kParts * perWord + turn % perWord,
          (kParts - 1) * perWord + 1};
}

/// The elements that a thread stores into a tile at once: its consecutive
/// k, up to 16 bytes of them, where `sweep` is Rows or AlongKVectors; else
/// one.
constexpr int64_t storeWidth(int64_t rows, Sweep sweep, KStep step) {
  int64_t vector = step.vector();
  if (sweep == Sweep::AlongKVectors)
    return vector;
  int64_t perThread = step.k / (kThreads / rows);
  if (sweep != Sweep::Rows)
    return 1;
  return perThread < vector ? perThread : vector;
}

/// Integers, for sweepElement().
struct IntArith {
  int64_t add(int64_t x, int64_t y) { return x + y; }
  int64_t mul(int64_t x, int64_t y) { return x * y; }
  int64_t div(int64_t x, int64_t y) { return x / y; }
  int64_t rem(int64_t x, int64_t y) { return x % y; }
};

/// Bank conflicts of a kernel's shared-memory accesses: the most distinct
/// 4-byte words that one warp access puts in one bank, among the lanes that
/// the hardware serves together (a warp for accesses of 4 bytes or less,
/// half a warp for 8, a quarter for 16): 1 is none, else the hardware
/// needs that many passes.
struct BankConflicts {
  int64_t storesA, storesB, ldmatrix, accumulators;
};

/// The conflicts of the tiles' layout for K steps of `step`, the block's
/// tile `tile`, A and B swept by `aSweep` and `bSweep`.
BankConflicts bankConflicts(KStep step, BlockTile tile, Sweep aSweep,
                            Sweep bSweep);

} // namespace mlir::convbn::tensor_cores

#endif // CONVBN_LIB_CONVERSION_TOGPU_TENSORCORETILES_H
