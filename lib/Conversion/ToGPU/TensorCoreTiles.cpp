//===- TensorCoreTiles.cpp - Bank conflicts of the kernels' tiles ---------===//
//
// Evaluates the tiles' layout and the threads' sweep (TensorCoreTiles.h) on
// integers: which 4-byte words of shared memory each access of a warp
// touches, and how many of them share a bank.
//
//===----------------------------------------------------------------------===//

#include "TensorCoreTiles.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <algorithm>
#include <vector>

using namespace mlir::convbn::tensor_cores;

namespace {
constexpr int64_t kBanks = 32, kBankBytes = 4;

/// The most distinct words in one bank among the accesses of a warp, of
/// `width` bytes from `bytes` (in lane order), served 128 bytes of lanes
/// at a time: accesses to the same word share it.
int64_t ways(llvm::ArrayRef<int64_t> bytes, int64_t width) {
  int64_t together = kWarpLanes;
  if (width > kBankBytes)
    together = kBanks * kBankBytes / width;
  int64_t most = 1;
  for (size_t first = 0; first < bytes.size(); first += together) {
    llvm::DenseMap<int64_t, llvm::DenseSet<int64_t>> wordsOfBank;
    for (int64_t byte :
         bytes.slice(first, std::min<size_t>(together, bytes.size() - first)))
      for (int64_t at = byte; at < byte + std::max(width, kBankBytes);
           at += kBankBytes)
        wordsOfBank[(at / kBankBytes) % kBanks].insert(at / kBankBytes);
    for (auto &entry : wordsOfBank)
      most = std::max<int64_t>(most, entry.second.size());
  }
  return most;
}

/// A warp's stores of its gathered elements into an operand tile of `rows`
/// rows, `storeWidth` elements at a time: the worst store.
int64_t storeWays(int64_t rows, Sweep sweep, KStep step) {
  IntArith a;
  int64_t elementBytes = step.elementBytes;
  int64_t stride = step.k + rowPad(elementBytes);
  int64_t turns = rows * step.k / kThreads;
  int64_t width = storeWidth(rows, sweep, step);
  int64_t worst = 1;
  for (int64_t warp = 0; warp < kWarps; ++warp)
    for (int64_t turn = 0; turn < turns; turn += width) {
      std::vector<int64_t> bytes;
      for (int64_t lane = 0; lane < kWarpLanes; ++lane) {
        SweepElement<int64_t> e =
            sweepElement(a, warp * kWarpLanes + lane, turn, rows, sweep, step);
        int64_t row = e.row + e.rowShift, k = e.k + e.kShift;
        bytes.push_back((row * stride + k) * elementBytes);
      }
      worst = std::max(worst, ways(bytes, width * elementBytes));
    }
  return worst;
}

/// An ldmatrix matrix: 8 rows of 16 bytes at one column of a tile (the
/// rows of a warp's mma tile start at a multiple of 8), read together.
int64_t ldmatrixWays(KStep step) {
  int64_t stride = (step.k + rowPad(step.elementBytes)) * step.elementBytes;
  std::vector<int64_t> bytes;
  for (int64_t row = 0; row < 8; ++row)
    bytes.push_back(row * stride);
  return ways(bytes, 16);
}

/// The warps' accumulator fragments stored into the f32 output tile of
/// `columns` columns: lane l writes 2 elements at row l / 4, column
/// 2 * (l % 4) of a 16 x 8 tile (and again 8 rows lower).
int64_t accumulatorWays(int64_t columns) {
  int64_t stride = (columns + kAccumulatorRowPad) * 4;
  std::vector<int64_t> bytes;
  for (int64_t lane = 0; lane < kWarpLanes; ++lane)
    bytes.push_back(lane / 4 * stride + 2 * (lane % 4) * 4);
  return ways(bytes, 8);
}
} // namespace

BankConflicts mlir::convbn::tensor_cores::bankConflicts(KStep step,
                                                        BlockTile tile,
                                                        Sweep aSweep,
                                                        Sweep bSweep) {
  return {storeWays(tile.m, aSweep, step), storeWays(tile.n, bSweep, step),
          ldmatrixWays(step), accumulatorWays(tile.n)};
}
