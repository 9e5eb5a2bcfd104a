//===- TensorCoreKernel.cpp - The implicit-GEMM kernel --------------------===//

#include "TensorCoreKernel.h"

#include "convbn/Conversion/TensorCoreEmulation.h"

#include "mlir/Conversion/VectorToGPU/VectorToGPU.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace mlir::convbn;
using namespace mlir::convbn::tensor_cores;

namespace {

/// Emits the kernel that computes `g`.
class KernelBuilder {
public:
  KernelBuilder(ImplicitLocOpBuilder &b, const Gemm &g, KernelOptions options)
      : b(b), ix(b), g(g), tileType(g.operandType), stages(options.stages),
        copiesA(g.copiesA(options.asyncCopies)),
        copiesB(g.copiesB(options.asyncCopies)) {
    assert((stages <= 2 || (copiesA && copiesB)) &&
           "more than two stages only for copied operands (stagesFor())");
  }

  /// The kernel: a gpu.launch with the warps' products on tensor cores.
  LogicalResult build();
  /// The same kernel as host loops, vector.contract for mma.sync: checks
  /// its tiling and index arithmetic on the CPU.
  void buildEmulation();

private:
  struct WarpOffsets {
    /// In the block's tile; `outputRow`: the row in the output tile where
    /// the warp's accumulators of each pass start.
    Value m, n, outputRow;
  };
  Value apply(AffineExpr e, Value v);
  Value offset(Value base, int64_t by);
  /// Where the warp of thread `tid` starts in the block's tile.
  WarpOffsets warpOffsets(Value tid);
  /// The row of the block's tile held by row `row` of the output tile in
  /// pass `pass` (BlockTile::outputPasses()).
  Value outputRow(Value row, int64_t pass);
  /// The stage of the shared tiles that the K step `ahead` steps after the
  /// one at `k0` reads (`ahead` = 1: the stage the step at `k0` fills).
  Value stageOf(Value k0, int64_t ahead = 0);
  /// Where the K step `ahead` steps after the one at `k0` starts, clamped
  /// to the block's last step's start (in the block's range of K,
  /// Gemm::blockK()). Past the last step, what is gathered there (the last
  /// step again, inside the operands) goes into a stage that no step reads
  /// any more: for the copies, a predicate per step and per copy less than
  /// zero-filling them.
  Value stepAhead(Value k0, int64_t ahead);
  /// More than two stages: copies of several K steps in flight.
  bool multistage() const { return stages > 2; }
  /// Makes the stage that each step of the K loop `loop` reads a value the
  /// loop carries (0, 1, ..., stages - 1, 0, ...) instead of stageOf() of
  /// its induction variable, which takes a division and a remainder per
  /// step for 3 stages (the vector-to-nvgpu conversion takes no scalar
  /// arithmetic, so the loop gets it after). Updates `loop`; returns the
  /// stage, or fails if no read took stageOf().
  FailureOr<Value> carryStage(scf::ForOp &loop);
  /// The grid's z (`zSplit`: an image or chunk, times the K ranges with
  /// split-K) as the GEMM's z and where the block's K range starts (null
  /// without split-K).
  std::pair<Value, Value> splitZ(Value zSplit);
  /// The K position of the loop's `k` in a block whose range starts at
  /// `kBase` (splitZ()).
  Value inRange(Value kBase, Value k) { return kBase ? ix.add(kBase, k) : k; }
  SmallVector<Value> zeroAccumulators();
  /// One K step: the warp's mma-shaped contractions on `stage`.
  /// `widen`: extend 16-bit operands to f32 first (exact), for CPU
  /// lowerings of vector.contract that take one element type only.
  SmallVector<Value> warpProducts(Value sharedA, Value sharedB, Value stage,
                                  WarpOffsets warp, ValueRange accs,
                                  bool widen = false);
  /// The warp's accumulators of pass `pass` into the output tile.
  void storeAccumulators(Value sharedC, WarpOffsets warp, ValueRange accs,
                         int64_t pass);
  /// Where the tiles lie in the block's one shared buffer.
  SharedLayout layout() const {
    return sharedLayout(g.tile, g.step, stages, g.sharedBudget, g.blocksPerSM);
  }
  /// The block's one shared buffer (bytes, layout()) in memory space
  /// `space`.
  MemRefType sharedBufferType(Attribute space);
  /// The A, B and output tiles, views of `buffer` (sharedBufferType()): A
  /// and B have `stages` stages (their leading dimension), and the output
  /// tile follows them or lies over them (SharedLayout::aliased()).
  std::array<Value, 3> sharedTiles(Value buffer);
  /// The row and k, in an operand tile of `rows` rows, of the element that
  /// thread `tid` moves in its `turn`-th turn: the block's threads sweep the
  /// tile by `sweep` (sweepElement(), TensorCoreTiles.h).
  using TileElement = SweepElement<Value>;
  TileElement tileElement(Value tid, int64_t turn, int64_t rows, Sweep sweep);
  /// The shared A and B tiles and the stage of them that a K step fills.
  struct Stage {
    Value sharedA, sharedB, index;
  };
  /// What gatherTiles() read of a K step: values of A and B to be kept in
  /// registers until storeTiles(), and the group of the copies that it
  /// started instead (null if none).
  struct Gathered {
    SmallVector<Value> a, b;
    Value copies;
  };
  /// Thread `tid`'s elements of the block's A and B tiles at (m0, k0) and
  /// (n0, k0), read from global memory (zero outside the GEMM) for `into`:
  /// an operand copied without registers (copiesA, copiesB) is copied
  /// there now, a vector per copy (asynchronously on the GPU), the other
  /// read into registers.
  Gathered gatherTiles(Value tid, Value z, Value m0, Value n0, Value k0,
                       Stage into);
  /// Stores what gatherTiles() read into registers into `into`, then waits
  /// for its copies.
  void storeTiles(const Gathered &gathered, Stage into, Value tid);
  /// Copies the vector of `width` elements at `from` into `shared` at `at`,
  /// zero where `ok` (if given) or `from.inside` (if set) is false: an
  /// asynchronous copy on the GPU (`nvgpu.device_async_copy`, cp.async;
  /// its token), a vector load and store in the emulation (null).
  Value copyVector(const Address &from, Value ok, int64_t width, Value shared,
                   ArrayRef<Value> at);
  /// Pass `pass` of the block's output tile at (m0, n0), added to the output
  /// buffer.
  void storeOutputTile(Value sharedC, Value tid, Value z, Value m0, Value n0,
                       int64_t pass);

  ImplicitLocOpBuilder &b;
  Index ix;
  const Gemm &g;
  /// Element type of the shared A and B tiles and of the warps'
  /// contractions: the operand type, except while upstream's conversion
  /// runs on a bf16 kernel (see build()).
  Type tileType;
  int64_t tileBytes() const { return tileType.getIntOrFloatBitWidth() / 8; }
  /// Stages of the shared A and B tiles (KernelOptions::stages).
  int64_t stages;
  /// Whether A (B) goes from global to shared memory without registers
  /// (KernelOptions::asyncCopies).
  bool copiesA, copiesB;
  /// Set by buildEmulation(): copies are then plain vector loads and stores.
  bool emulation = false;
  /// The emulation's count of vector loads (kEmulatedVectorAttr).
  int64_t vectorGroup = 0;
};

KernelBuilder::TileElement
KernelBuilder::tileElement(Value tid, int64_t turn, int64_t rows, Sweep sweep) {
  return sweepElement(ix, tid, turn, rows, sweep, g.step);
}

KernelBuilder::Gathered KernelBuilder::gatherTiles(Value tid, Value z, Value m0,
                                                   Value n0, Value k0,
                                                   Stage into) {
  Gathered gathered;
  SmallVector<Value> copies;
  auto gather =
      [&](int64_t rows, int64_t turns, Value row0, int64_t rowExtent,
          Sweep sweep,
          const std::function<Value(Index &, Value, const RowPosition &,
                                    KPosition)> &load,
          const std::function<Address(Index &, Value, const RowPosition &,
                                      KPosition)> *address,
          Value shared, SmallVector<Value> &values) {
        // Copies move a vector (whole vectors of k, K without a tail).
        int64_t width = address ? storeWidth(rows, sweep, g.step) : 1;
        assert((!address || g.k % g.step.k == 0) && "copies need whole steps");
        for (int64_t turn = 0; turn < turns; turn += width) {
          TileElement e = tileElement(tid, turn, rows, sweep);
          KPosition kG{k0, e.k, e.kShift, e.kBound};
          RowPosition rowG{ix.addConstant(ix.add(row0, e.row), e.rowShift),
                           row0, e.row, e.rowShift};
          // Outside the GEMM (only where a tile overhangs its extent), the
          // element is loaded at row 0 or at the step's first k (both
          // inside) and replaced by zero.
          Value ok;
          if (rowExtent % rows != 0) {
            ix.clampTo(ix.lessThan(rowG.index, rowExtent), rowG.index, ok);
            rowG.tile = nullptr;
          }
          if (address) {
            copies.push_back(
                copyVector((*address)(ix, z, rowG, kG), ok, width, shared,
                           {into.index, ix.addConstant(e.row, e.rowShift),
                            ix.addConstant(e.k, e.kShift)}));
            continue;
          }
          if (g.k % g.step.k != 0) {
            kG.offset = ix.addConstant(kG.offset, kG.shift);
            kG.shift = 0;
            kG.offsetBound = g.step.k;
            ix.clampTo(ix.lessThan(kG.linear(ix), g.k), kG.offset, ok);
          }
          // The emulation marks the loads of the turns that the GPU's
          // compiler merges into one vector load (consecutive k, contiguous
          // in memory under Sweep::AlongKVectors; under Sweep::Rows only in
          // shared memory): -convbn-trace-global-loads counts them as one.
          Block *block = b.getInsertionBlock();
          Block::iterator end = b.getInsertionPoint();
          Operation *before =
              end == block->begin() ? nullptr : &*std::prev(end);
          Value value = load(ix, z, rowG, kG);
          int64_t vector = storeWidth(rows, sweep, g.step);
          if (emulation && sweep == Sweep::AlongKVectors && vector > 1) {
            if (turn % vector == 0)
              ++vectorGroup;
            int64_t lane = 0;
            for (Operation &op : llvm::make_range(
                     before ? std::next(before->getIterator()) : block->begin(),
                     b.getInsertionPoint()))
              op.walk([&](memref::LoadOp load) {
                load->setAttr(kEmulatedVectorAttr,
                              b.getI64ArrayAttr({vectorGroup, lane++}));
              });
          }
          // A 16-bit operand of an f32 (TF32) GEMM is widened, exactly.
          if (value.getType() != g.operandType)
            value = arith::ExtFOp::create(b, g.operandType, value);
          values.push_back(ok ? ix.orZero(ok, value) : value);
        }
      };
  gather(g.tile.m, g.tile.turnsA(g.step.k), m0, g.m, g.aSweep, g.loadA,
         copiesA ? &g.addressA : nullptr, into.sharedA, gathered.a);
  gather(g.tile.n, g.tile.turnsB(g.step.k), n0, g.n, g.bSweep, g.loadB,
         copiesB ? &g.addressB : nullptr, into.sharedB, gathered.b);
  if (!emulation && !copies.empty())
    gathered.copies = nvgpu::DeviceAsyncCreateGroupOp::create(
        b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), copies);
  return gathered;
}

Value KernelBuilder::copyVector(const Address &from, Value ok, int64_t width,
                                Value shared, ArrayRef<Value> at) {
  // A vector in the input's padding is zero too.
  if (from.inside)
    ok = ok ? Value(arith::AndIOp::create(b, ok, from.inside)) : from.inside;
  if (emulation) {
    // Read only where the copy reads on the GPU (a zero-filled copy reads
    // nothing): what -convbn-trace-global-loads counts.
    auto type = VectorType::get({width}, tileType);
    auto load = [&] {
      return vector::LoadOp::create(b, type, from.buffer, from.indices);
    };
    Value vector;
    if (ok) {
      auto read = scf::IfOp::create(
          b, ok,
          [&](OpBuilder &, Location) { scf::YieldOp::create(b, {load()}); },
          [&](OpBuilder &, Location) {
            scf::YieldOp::create(
                b, {arith::ConstantOp::create(
                       b, type, cast<TypedAttr>(b.getZeroAttr(type)))});
          });
      vector = read.getResult(0);
    } else {
      vector = load();
    }
    vector::StoreOp::create(b, vector, shared, at, /*nontemporal=*/false,
                            llvm::MaybeAlign(width * tileBytes()));
    return Value();
  }
  // Outside the GEMM, nothing is read and the vector is zero-filled: one
  // select on one predicate, which ptxas turns into the copy's predicate.
  Value elements = ok ? ix.select(ok, ix.c(width), ix.c(0)) : Value();
  return nvgpu::DeviceAsyncCopyOp::create(
      b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), shared, at,
      from.buffer, from.indices, b.getIndexAttr(width), elements,
      /*bypassL1=*/b.getUnitAttr());
}

void KernelBuilder::storeTiles(const Gathered &gathered, Stage into,
                               Value tid) {
  // Turn by turn, or a vector of consecutive k at a time (storeWidth()),
  // 16-byte aligned: the tiles' rows are, and a thread's part of k under
  // Sweep::Rows is a multiple of the vector.
  int64_t elementBytes = tileBytes();
  auto store = [&](int64_t rows, Sweep sweep, Value shared,
                   ArrayRef<Value> values) {
    int64_t width = storeWidth(rows, sweep, g.step);
    for (int64_t turn = 0; turn < static_cast<int64_t>(values.size());
         turn += width) {
      TileElement e = tileElement(tid, turn, rows, sweep);
      SmallVector<Value> at = {into.index, ix.addConstant(e.row, e.rowShift),
                               ix.addConstant(e.k, e.kShift)};
      if (width == 1) {
        memref::StoreOp::create(b, values[turn], shared, at);
        continue;
      }
      Value vector = vector::FromElementsOp::create(
          b, VectorType::get({width}, tileType), values.slice(turn, width));
      vector::StoreOp::create(b, vector, shared, at, /*nontemporal=*/false,
                              llvm::MaybeAlign(width * elementBytes));
    }
  };
  store(g.tile.m, g.aSweep, into.sharedA, gathered.a);
  store(g.tile.n, g.bSweep, into.sharedB, gathered.b);
  // Each thread waits for its own copies; the barrier after makes every
  // thread's visible to the block.
  if (gathered.copies)
    nvgpu::DeviceAsyncWaitOp::create(b, gathered.copies,
                                     /*numGroups=*/IntegerAttr());
}

void KernelBuilder::storeOutputTile(Value sharedC, Value tid, Value z, Value m0,
                                    Value n0, int64_t pass) {
  Type outType = getElementTypeOrSelf(g.output.getType());
  auto loop = scf::ForOp::create(
      b, ix.c(0), ix.c(kOutputRows * g.tile.n / kThreads), ix.c(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  // The block's threads sweep the tile along n, neighbours on neighbours.
  Value e = ix.add(tid, ix.mul(loop.getInductionVar(), kThreads));
  Value m = ix.div(e, g.tile.n), n = ix.rem(e, g.tile.n);
  Value mG = ix.add(m0, outputRow(m, pass)), nG = ix.add(n0, n);
  Value ok =
      arith::AndIOp::create(b, ix.lessThan(mG, g.m), ix.lessThan(nG, g.n));
  scf::IfOp::create(b, ok, [&](OpBuilder &, Location) {
    SmallVector<Value> at = g.outIndices(ix, z, mG, nG);
    Value tile = memref::LoadOp::create(b, sharedC, ValueRange{m, n});
    if (tile.getType() != outType)
      tile = arith::ExtFOp::create(b, outType, tile);
    // With split-K, the blocks of one output tile add to it atomically
    // (the output holds its initial value; the pass folds no initializer).
    if (g.splitK > 1) {
      assert(!g.initialValue && "split-K adds to the output's contents");
      memref::AtomicRMWOp::create(b, arith::AtomicRMWKind::addf, tile, g.output,
                                  at);
      scf::YieldOp::create(b);
      return;
    }
    Value initial = g.initialValue
                        ? (*g.initialValue)(ix, at)
                        : Value(memref::LoadOp::create(b, g.output, at));
    Value sum = initial ? arith::AddFOp::create(b, initial, tile) : tile;
    memref::StoreOp::create(b, sum, g.output, at);
    scf::YieldOp::create(b);
  });
}

KernelBuilder::WarpOffsets KernelBuilder::warpOffsets(Value tid) {
  AffineExpr t;
  bindDims(b.getContext(), t);
  AffineExpr warp = t.floorDiv(kWarpLanes);
  AffineExpr warpRow = warp.floorDiv(kWarpsN);
  return {apply(warpRow * g.tile.warpM(), tid),
          apply((warp % kWarpsN) * g.tile.warpN(), tid),
          apply(warpRow * kOutputRowsPerWarp, tid)};
}

Value KernelBuilder::outputRow(Value row, int64_t pass) {
  AffineExpr r;
  bindDims(b.getContext(), r);
  return apply(r.floorDiv(kOutputRowsPerWarp) * g.tile.warpM() +
                   pass * kOutputRowsPerWarp + r % kOutputRowsPerWarp,
               row);
}

Value KernelBuilder::apply(AffineExpr e, Value v) {
  return affine::AffineApplyOp::create(b, AffineMap::get(1, 0, e),
                                       ValueRange{v});
}

Value KernelBuilder::offset(Value base, int64_t by) {
  AffineExpr t;
  bindDims(b.getContext(), t);
  return apply(t + by, base);
}

Value KernelBuilder::stageOf(Value k0, int64_t ahead) {
  if (stages == 1)
    return ix.c(0);
  AffineExpr k;
  bindDims(b.getContext(), k);
  return apply((k.floorDiv(g.step.k) + ahead) % stages, k0);
}

FailureOr<Value> KernelBuilder::carryStage(scf::ForOp &loop) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop);
  IRRewriter rewriter(b);
  // Carried in 32 bits (integer range analysis, which narrows index
  // arithmetic, does not bound a loop-carried value): the stage's
  // increment, comparison and select are one instruction each on a GPU.
  auto i32 = [&](int64_t value) -> Value {
    return arith::ConstantOp::create(b, b.getI32IntegerAttr(value));
  };
  FailureOr<LoopLikeOpInterface> carried = loop.replaceWithAdditionalYields(
      rewriter, ValueRange{i32(0)}, /*replaceInitOperandUsesInLoop=*/false,
      [&](OpBuilder &atYield, Location, ArrayRef<BlockArgument> stage) {
        b.restoreInsertionPoint(atYield.saveInsertionPoint());
        Value wraps = arith::CmpIOp::create(b, arith::CmpIPredicate::eq,
                                            stage[0], i32(stages - 1));
        Value next = arith::AddIOp::create(b, stage[0], i32(1));
        return SmallVector<Value>{ix.select(wraps, i32(0), next)};
      });
  if (failed(carried))
    return failure();
  loop = cast<scf::ForOp>(carried->getOperation());
  b.setInsertionPointToStart(loop.getBody());
  Value stage = arith::IndexCastUIOp::create(b, b.getIndexType(),
                                             loop.getRegionIterArgs().back());
  // The reads' stageOf() of the induction variable.
  AffineExpr k;
  bindDims(b.getContext(), k);
  AffineMap read = AffineMap::get(1, 0, k.floorDiv(g.step.k) % stages);
  SmallVector<affine::AffineApplyOp> reads;
  loop.walk([&](affine::AffineApplyOp apply) {
    if (apply.getAffineMap() == read &&
        apply.getMapOperands()[0] == loop.getInductionVar())
      reads.push_back(apply);
  });
  if (reads.empty())
    return failure();
  for (affine::AffineApplyOp apply : reads) {
    apply.replaceAllUsesWith(stage);
    apply.erase();
  }
  return stage;
}

Value KernelBuilder::stepAhead(Value k0, int64_t ahead) {
  int64_t k = g.step.k;
  return arith::MinUIOp::create(b, offset(k0, ahead * k),
                                ix.c((g.blockK() - 1) / k * k));
}

std::pair<Value, Value> KernelBuilder::splitZ(Value zSplit) {
  if (g.splitK == 1)
    return {zSplit, Value()};
  return {ix.div(zSplit, g.splitK),
          ix.mul(ix.rem(zSplit, g.splitK), g.blockK())};
}

SmallVector<Value> KernelBuilder::zeroAccumulators() {
  auto accType = VectorType::get({kMmaM, kMmaN}, b.getF32Type());
  Value zero = arith::ConstantOp::create(
      b, accType, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0f)));
  return SmallVector<Value>(g.tile.tilesM() * g.tile.tilesN(), zero);
}

SmallVector<Value> KernelBuilder::warpProducts(Value sharedA, Value sharedB,
                                               Value stage, WarpOffsets warp,
                                               ValueRange accs, bool widen) {
  MLIRContext *ctx = b.getContext();
  int64_t mmaK = g.mmaK();
  auto aType = VectorType::get({kMmaM, mmaK}, tileType);
  auto bType = VectorType::get({kMmaN, mmaK}, tileType);
  AffineExpr i, j, k;
  bindDims(ctx, i, j, k);
  auto maps = b.getAffineMapArrayAttr(AffineMap::inferFromExprList(
      ArrayRef<ArrayRef<AffineExpr>>{{i, k}, {j, k}, {i, j}}, ctx));
  auto iterators = b.getArrayAttr(
      {vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
       vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
       vector::IteratorTypeAttr::get(ctx, vector::IteratorType::reduction)});
  Value padding = ix.zero(tileType);
  SmallVector<bool> inBounds = {true, true};
  SmallVector<Value> next(accs.begin(), accs.end());
  for (int64_t kk = 0; kk < g.step.k; kk += mmaK) {
    SmallVector<Value> as, bs;
    for (int64_t ti = 0; ti < g.tile.tilesM(); ++ti)
      as.push_back(vector::TransferReadOp::create(
          b, aType, sharedA,
          ValueRange{stage, offset(warp.m, ti * kMmaM), ix.c(kk)}, padding,
          inBounds));
    for (int64_t tj = 0; tj < g.tile.tilesN(); ++tj)
      bs.push_back(vector::TransferReadOp::create(
          b, bType, sharedB,
          ValueRange{stage, offset(warp.n, tj * kMmaN), ix.c(kk)}, padding,
          inBounds));
    if (widen && !tileType.isF32()) {
      auto extend = [&](Value v) -> Value {
        auto type = cast<VectorType>(v.getType()).clone(b.getF32Type());
        return arith::ExtFOp::create(b, type, v);
      };
      for (Value &v : as)
        v = extend(v);
      for (Value &v : bs)
        v = extend(v);
    }
    for (int64_t ti = 0; ti < g.tile.tilesM(); ++ti)
      for (int64_t tj = 0; tj < g.tile.tilesN(); ++tj) {
        Value &acc = next[ti * g.tile.tilesN() + tj];
        acc = vector::ContractionOp::create(b, as[ti], bs[tj], acc, maps,
                                            iterators);
      }
  }
  return next;
}

void KernelBuilder::storeAccumulators(Value sharedC, WarpOffsets warp,
                                      ValueRange accs, int64_t pass) {
  SmallVector<bool> inBounds = {true, true};
  int64_t perPass = g.tile.tilesM() / g.tile.outputPasses();
  for (int64_t ti = 0; ti < perPass; ++ti)
    for (int64_t tj = 0; tj < g.tile.tilesN(); ++tj)
      vector::TransferWriteOp::create(
          b, accs[(pass * perPass + ti) * g.tile.tilesN() + tj], sharedC,
          ValueRange{offset(warp.outputRow, ti * kMmaM),
                     offset(warp.n, tj * kMmaN)},
          inBounds);
}

MemRefType KernelBuilder::sharedBufferType(Attribute space) {
  return MemRefType::get({layout().bytes()}, b.getI8Type(),
                         MemRefLayoutAttrInterface(), space);
}

std::array<Value, 3> KernelBuilder::sharedTiles(Value buffer) {
  Attribute space = cast<MemRefType>(buffer.getType()).getMemorySpace();
  auto view = [&](int64_t byte, ArrayRef<int64_t> shape,
                  Type element) -> Value {
    auto type =
        MemRefType::get(shape, element, MemRefLayoutAttrInterface(), space);
    return memref::ViewOp::create(b, type, buffer, ix.c(byte), ValueRange{});
  };
  int64_t padded = g.step.k + rowPad(tileBytes());
  return {view(0, {stages, g.tile.m, padded}, tileType),
          view(layout().bOffset(), {stages, g.tile.n, padded}, tileType),
          view(layout().outputOffset(),
               {kOutputRows, g.tile.n + kAccumulatorRowPad}, b.getF32Type())};
}

/// Gives the shared tiles `tiles` (views), converted as f16, their true
/// element type `element`. After upstream's conversion (and the removal of
/// what it left dead) their only readers are `nvgpu.ldmatrix` ops, which
/// only feed `nvgpu.mma.sync`: ldmatrix moves 16-bit elements whatever
/// their type, and the mma takes its types from its operands.
LogicalResult retypeTiles(ArrayRef<Value> tiles, Type element) {
  for (Value tile : tiles) {
    tile.setType(MemRefType::Builder(cast<MemRefType>(tile.getType()))
                     .setElementType(element));
    for (Operation *user : tile.getUsers()) {
      auto load = dyn_cast<nvgpu::LdMatrixOp>(user);
      if (!load || !llvm::all_of(load->getUsers(), [](Operation *op) {
            return isa<nvgpu::MmaSyncOp>(op);
          }))
        return failure();
      load.getRes().setType(
          cast<VectorType>(load.getRes().getType()).clone(element));
    }
  }
  return success();
}

LogicalResult KernelBuilder::build() {
  MLIRContext *ctx = b.getContext();
  // Upstream's fragment helpers (MLIR 22) know f16 but not bf16, whose
  // m16n8k16 fragments have f16's layout: a bf16 kernel goes through
  // phases 1 and 2 as f16, and its tiles are retyped before phase 3.
  if (g.operandType.isBF16())
    tileType = b.getF16Type();
  // The shared buffer: a workgroup attribution, or where it takes more
  // than a block may take statically, the dynamic shared memory, whose
  // size the launch gives (and the runtime opts the kernel into).
  auto workgroup = gpu::AddressSpaceAttr::get(
      ctx, gpu::GPUDialect::getWorkgroupAddressSpace());
  bool dynamic = layout().dynamic();
  auto launch = gpu::LaunchOp::create(
      b, ix.c(ceilDiv(g.n, g.tile.n)), ix.c(ceilDiv(g.m, g.tile.m)),
      ix.c(g.z * g.splitK), ix.c(kThreads), ix.c(1), ix.c(1),
      /*dynamicSharedMemorySize=*/
      dynamic ? Value(arith::ConstantIntOp::create(b, layout().bytes(), 32))
              : Value(),
      /*asyncTokenType=*/nullptr, /*asyncDependencies=*/{},
      dynamic ? TypeRange{} : TypeRange{sharedBufferType(workgroup)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value buffer =
      dynamic ? Value(gpu::DynamicSharedMemoryOp::create(
                    b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                                       MemRefLayoutAttrInterface(), workgroup)))
              : Value(launch.getWorkgroupAttributions()[0]);
  std::array<Value, 3> tiles = sharedTiles(buffer);
  Value sharedA = tiles[0], sharedB = tiles[1], sharedC = tiles[2];
  gpu::KernelDim3 block = launch.getBlockIds();
  Value tid = launch.getThreadIds().x;

  // Phase 1: the warps' part, vector ops only (offsets as affine.apply).
  // The upstream conversion treats every scalar elementwise op it finds
  // (index arithmetic included) as a candidate and fails on it, so it runs
  // on this skeleton before the gathers and the epilogue are added. With
  // one stage, each K step is: gathers, barrier, products, barrier. With
  // two, the first step's gathers go before a barrier ahead of the loop,
  // and each step loads the next step's tile elements, multiplies its own
  // stage, stores what it loaded into the other stage, then waits once.
  // With more (multistage()), the first steps' copies go ahead of the
  // loop, and each step waits for its own copies, then at its barrier
  // (after which no warp reads the stage the step before read) starts
  // those of the step `stages` - 1 ahead into that stage, then multiplies
  // its own; a barrier after the loop, once every copy has landed, frees
  // the operand tiles for the output tile.
  WarpOffsets warp = warpOffsets(tid);
  if (stages == 2)
    gpu::BarrierOp::create(b);
  auto kLoop = scf::ForOp::create(
      b, ix.c(0), ix.c(g.blockK()), ix.c(g.step.k), zeroAccumulators(),
      [&](OpBuilder &, Location, Value k0, ValueRange accs) {
        if (stages != 2)
          gpu::BarrierOp::create(b);
        SmallVector<Value> next =
            warpProducts(sharedA, sharedB, stageOf(k0), warp, accs);
        if (!multistage())
          gpu::BarrierOp::create(b);
        scf::YieldOp::create(b, next);
      });
  if (multistage())
    gpu::BarrierOp::create(b);
  // The epilogue goes after each pass's barrier (phase 3); the next pass
  // overwrites the output tile after another.
  SmallVector<gpu::BarrierOp> epilogueBarriers;
  for (int64_t pass = 0; pass < g.tile.outputPasses(); ++pass) {
    if (pass > 0)
      gpu::BarrierOp::create(b);
    storeAccumulators(sharedC, warp, kLoop.getResults(), pass);
    epilogueBarriers.push_back(gpu::BarrierOp::create(b));
  }
  gpu::TerminatorOp::create(b);

  // Phase 2: upstream's vector -> nvgpu conversion, on this launch only.
  // The preparation patterns run on the contractions and what they create:
  // a greedy run over the whole launch would also fold a one-trip K loop.
  RewritePatternSet prepare(ctx);
  populatePrepareVectorToMMAPatterns(prepare, /*useNvGpu=*/true);
  SmallVector<Operation *> contracts;
  launch.walk([&](vector::ContractionOp op) { contracts.push_back(op); });
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  if (failed(applyOpPatternsGreedily(contracts, std::move(prepare), config)))
    return failure();
  IRRewriter rewriter(ctx);
  if (failed(convertVectorToNVVMCompatibleMMASync(rewriter, launch)))
    return failure();
  // f32 operands are meant as TF32 (the conversion does not say so, and
  // the NVVM lowering refuses f32 mma.sync without it).
  launch.walk([&](nvgpu::MmaSyncOp mma) {
    if (getElementTypeOrSelf(mma.getMatrixA().getType()).isF32())
      mma.setTf32EnabledAttr(UnitAttr::get(mma.getContext()));
  });
  // The conversion rebuilt the K loop with fragment-typed iter_args next to
  // the old, now dead, ones: drop those (and a one-trip loop altogether).
  RewritePatternSet cleanup(ctx);
  scf::ForOp::getCanonicalizationPatterns(cleanup, ctx);
  if (failed(applyPatternsGreedily(launch.getOperation(), std::move(cleanup))))
    return failure();
  if (tileType != g.operandType) {
    if (failed(retypeTiles({sharedA, sharedB}, g.operandType)) ||
        failed(verify(launch)))
      return failure();
    tileType = g.operandType;
  }

  // Phase 3: the block's gathers into shared memory before the first
  // barrier (in the K loop with one stage, or ahead of it with two; in the
  // launch where a one-trip loop was folded), the prefetch of the next
  // step around the products of a K loop with two stages (or the copies
  // ahead of the K loop and of each step with more), then the epilogue.
  SmallVector<gpu::BarrierOp> barriers;
  launch.walk([&](gpu::BarrierOp barrier) { barriers.push_back(barrier); });
  int64_t passes = g.tile.outputPasses();
  if (static_cast<int64_t>(barriers.size()) != 1 + 2 * passes ||
      barriers.back() != epilogueBarriers.back())
    return failure();
  ix.kernelBody = &launch.getBody().front();
  b.setInsertionPointToStart(ix.kernelBody);
  auto [z, kBase] = splitZ(block.z);
  Value m0 = ix.mul(block.y, g.tile.m);
  Value n0 = ix.mul(block.x, g.tile.n);
  auto kLoopNow = dyn_cast<scf::ForOp>(barriers[0]->getParentOp());
  if (multistage()) {
    // stagesFor() gives a one-step K loop, which canonicalization folds,
    // two stages at most.
    if (!kLoopNow)
      return failure();
    b.setInsertionPoint(kLoopNow);
    Value group;
    for (int64_t s = 0; s + 1 < stages; ++s) {
      Stage into{sharedA, sharedB, ix.c(s)};
      group =
          gatherTiles(tid, z, m0, n0, inRange(kBase, ix.c(s * g.step.k)), into)
              .copies;
    }
    // cp.async.wait_group counts the thread's groups, not their tokens:
    // the prologue's last one stands for all.
    auto waitFor = [&](int64_t pending) {
      nvgpu::DeviceAsyncWaitOp::create(b, group, b.getI32IntegerAttr(pending));
    };
    b.setInsertionPoint(barriers[0]);
    waitFor(stages - 2);
    FailureOr<Value> read = carryStage(kLoopNow);
    if (failed(read))
      return failure();
    b.setInsertionPointAfter(barriers[0]);
    Value k = kLoopNow.getInductionVar();
    Value ahead = stepAhead(k, stages - 1);
    // The stage the step before read, which the step `stages` - 1 ahead
    // fills.
    Value first =
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq, *read, ix.c(0));
    Value previous =
        ix.select(first, ix.c(stages - 1), ix.addConstant(*read, -1));
    gatherTiles(tid, z, m0, n0, inRange(kBase, ahead),
                Stage{sharedA, sharedB, previous});
    b.setInsertionPoint(barriers[1]);
    waitFor(0);
  } else {
    b.setInsertionPoint(barriers[0]);
    Value k0 = kLoopNow ? kLoopNow.getInductionVar() : ix.c(0);
    Stage first{sharedA, sharedB, ix.c(0)};
    storeTiles(gatherTiles(tid, z, m0, n0, inRange(kBase, k0), first), first,
               tid);
  }
  if (stages == 2) {
    if (auto loop = dyn_cast<scf::ForOp>(barriers[1]->getParentOp())) {
      b.setInsertionPointToStart(loop.getBody());
      Value k = loop.getInductionVar();
      Stage other{sharedA, sharedB, stageOf(k, /*ahead=*/1)};
      Gathered next =
          gatherTiles(tid, z, m0, n0, inRange(kBase, stepAhead(k, 1)), other);
      b.setInsertionPoint(barriers[1]);
      storeTiles(next, other, tid);
    }
  }
  for (auto [pass, barrier] : llvm::enumerate(epilogueBarriers)) {
    b.setInsertionPointAfter(barrier);
    storeOutputTile(sharedC, tid, z, m0, n0, pass);
  }
  return success();
}

void KernelBuilder::buildEmulation() {
  emulation = true;
  // The same kernel as sequential host loops: each stretch between two
  // barriers becomes a loop over the block's threads (or its warps); the
  // warps' accumulators live in a buffer between K steps.
  Type f32 = b.getF32Type();
  Value shared = memref::AllocOp::create(b, sharedBufferType(Attribute()));
  shared.getDefiningOp()->setAttr(kEmulatedSharedAttr, b.getUnitAttr());
  std::array<Value, 3> tiles = sharedTiles(shared);
  Value sharedA = tiles[0], sharedB = tiles[1], sharedC = tiles[2];
  int64_t warps = kWarps, perWarp = g.tile.tilesM() * g.tile.tilesN();
  Value accBuffer = memref::AllocOp::create(
      b, MemRefType::get({warps * perWarp, kMmaM, kMmaN}, f32));
  auto loop = [&](int64_t count, function_ref<void(Value)> body) {
    auto forOp = scf::ForOp::create(b, ix.c(0), ix.c(count), ix.c(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    body(forOp.getInductionVar());
    return forOp;
  };
  SmallVector<bool> inBounds = {true, true};
  auto accumulatorAt = [&](Value w, int64_t t) {
    AffineExpr e = getAffineDimExpr(0, b.getContext());
    return SmallVector<Value>{apply(e * perWarp + t, w), ix.c(0), ix.c(0)};
  };
  auto accumulatorsOf = [&](Value w) {
    SmallVector<Value> accs;
    Value zero = arith::ConstantOp::create(b, f32, b.getF32FloatAttr(0.0f));
    for (int64_t t = 0; t < perWarp; ++t)
      accs.push_back(vector::TransferReadOp::create(
          b, VectorType::get({kMmaM, kMmaN}, f32), accBuffer,
          accumulatorAt(w, t), zero, inBounds));
    return accs;
  };
  scf::LoopNest blocks = scf::buildLoopNest(
      b, b.getLoc(), {ix.c(0), ix.c(0), ix.c(0)},
      {ix.c(g.z * g.splitK), ix.c(ceilDiv(g.m, g.tile.m)),
       ix.c(ceilDiv(g.n, g.tile.n))},
      {ix.c(1), ix.c(1), ix.c(1)}, [&](OpBuilder &, Location, ValueRange ivs) {
        Value z, kBase;
        std::tie(z, kBase) = splitZ(ivs[0]);
        Value m0 = ix.mul(ivs[1], g.tile.m);
        Value n0 = ix.mul(ivs[2], g.tile.n);
        linalg::FillOp::create(b,
                               ValueRange{arith::ConstantOp::create(
                                   b, f32, b.getF32FloatAttr(0.0f))},
                               ValueRange{accBuffer});
        auto gatherInto = [&](Value k0, Value stage) {
          loop(kThreads, [&](Value tid) {
            Stage into{sharedA, sharedB, stage};
            storeTiles(gatherTiles(tid, z, m0, n0, inRange(kBase, k0), into),
                       into, tid);
          })->setAttr(kEmulatedThreadsAttr, b.getUnitAttr());
        };
        // With two stages or more, the first steps' tiles are gathered
        // ahead (all but the last stage's).
        for (int64_t s = 0; s + 1 < stages; ++s)
          gatherInto(ix.c(s * g.step.k), ix.c(s));
        scf::ForOp::create(
            b, ix.c(0), ix.c(g.blockK()), ix.c(g.step.k), ValueRange{},
            [&](OpBuilder &, Location, Value k0, ValueRange) {
              if (stages == 1)
                gatherInto(k0, ix.c(0));
              // With more than two, the step `stages` - 1 ahead is copied
              // before the products, as on the GPU, into the stage that
              // the step before read.
              if (multistage()) {
                gatherInto(stepAhead(k0, stages - 1), stageOf(k0, stages - 1));
              }
              loop(warps, [&](Value w) {
                SmallVector<Value> next = warpProducts(
                    sharedA, sharedB, stageOf(k0),
                    warpOffsets(ix.mul(w, kWarpLanes)), accumulatorsOf(w),
                    /*widen=*/true);
                for (auto [t, acc] : llvm::enumerate(next))
                  vector::TransferWriteOp::create(
                      b, acc, accBuffer, accumulatorAt(w, t), inBounds);
              });
              // The next step's tiles, into the stage this one did not read.
              if (stages == 2)
                gatherInto(stepAhead(k0, 1), stageOf(k0, /*ahead=*/1));
              scf::YieldOp::create(b);
            });
        for (int64_t pass = 0; pass < g.tile.outputPasses(); ++pass) {
          loop(warps, [&](Value w) {
            storeAccumulators(sharedC, warpOffsets(ix.mul(w, kWarpLanes)),
                              accumulatorsOf(w), pass);
          });
          loop(kThreads, [&](Value tid) {
            storeOutputTile(sharedC, tid, z, m0, n0, pass);
          });
        }
      });
  std::string kernel;
  llvm::raw_string_ostream(kernel)
      << g.kind << " (M=" << g.m << " N=" << g.n << " K=" << g.k << " z=" << g.z
      << (g.splitK > 1 ? " split-K=" + std::to_string(g.splitK) : "")
      << ", blocks of " << g.tile.m << " x " << g.tile.n << ")";
  blocks.loops.front()->setAttr(kEmulatedKernelAttr, b.getStringAttr(kernel));
  for (Value buffer : {shared, accBuffer})
    memref::DeallocOp::create(b, buffer);
}

} // namespace

int64_t convbn::tensor_cores::stagesFor(const Gemm &g, bool prefetch,
                                        int64_t stages, bool asyncCopies) {
  if (!prefetch)
    return 1;
  int64_t steps = ceilDiv(g.blockK(), g.step.k);
  if (stages > 2 && g.copiesA(asyncCopies) && g.copiesB(asyncCopies) &&
      steps >= stages &&
      sharedLayout(g.tile, g.step, stages, g.sharedBudget, g.blocksPerSM)
          .fits())
    return stages;
  return 2;
}

LogicalResult convbn::tensor_cores::buildKernel(ImplicitLocOpBuilder &b,
                                                const Gemm &g,
                                                KernelOptions options) {
  return KernelBuilder(b, g, options).build();
}

void convbn::tensor_cores::buildKernelEmulation(ImplicitLocOpBuilder &b,
                                                const Gemm &g,
                                                KernelOptions options) {
  KernelBuilder(b, g, options).buildEmulation();
}
