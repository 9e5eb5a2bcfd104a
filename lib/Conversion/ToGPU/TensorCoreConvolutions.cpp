//===- TensorCoreConvolutions.cpp - Implicit-GEMM convolution kernels -----===//
//
// Each eligible `linalg.conv_2d_nchw_fchw` on buffers becomes one
// `gpu.launch`: an implicit GEMM (filters x output positions, reducing over
// channels x kernel window, one batch image per grid z) whose operand tiles
// are gathered from global memory into shared memory by the whole block and
// multiplied by warps with `vector.contract` on mma-sized vectors. The
// upstream `convert-vector-to-gpu{use-nvgpu=true}` then turns the shared
// memory reads into `nvgpu.ldmatrix` (or lane loads) and the contractions
// into `nvgpu.mma.sync`: tensor-core instructions, with the accumulators in
// registers across the reduction loop.
//
// The output buffer's contents (zero or bias from the linalg lowering) are
// accumulated into, like the linalg op does.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Conversion/VectorToGPU/VectorToGPU.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNTENSORCORECONVOLUTIONS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {

/// The block's tile of the implicit GEMM and how its 4 warps share it: each
/// warp owns a (kWarpM x kWarpN) quarter, made of 16 x 8 mma tiles.
constexpr int64_t kTileM = 64, kTileN = 64, kTileK = 16;
constexpr int64_t kWarpM = 32, kWarpN = 32, kMmaM = 16, kMmaN = 8;
constexpr int64_t kThreads = 128, kWarpSize = 32;
/// Shared-memory rows are padded so that consecutive rows start in
/// different banks (and stay 16-byte aligned for ldmatrix).
constexpr int64_t kRowPad = 8;
static_assert((kTileM / kWarpM) * (kTileN / kWarpN) * kWarpSize == kThreads,
              "one warp per quarter of the block's tile");
static_assert(kTileM * kTileK % kThreads == 0 &&
                  kTileN * kTileK % kThreads == 0 &&
                  kTileM * kTileN % kThreads == 0,
              "every thread moves the same number of elements");

/// The GEMM view of a convolution: out[n, f, p] += sum_k W[f, k] * X^[n, k, p]
/// with p = (oh, ow) and k = (c, kh, kw).
struct ConvGemm {
  int64_t batch, filters, channels, kh, kw, oh, ow;
  int64_t strideH, strideW, dilationH, dilationW;
  Type operandType; // f32 (as TF32) or f16
  int64_t positions() const { return oh * ow; }
  int64_t reduction() const { return channels * kh * kw; }
  /// k extent of one mma instruction: 8 for TF32, 16 for 16-bit types.
  int64_t mmaK() const { return operandType.isF32() ? 8 : 16; }
};

/// Why `conv` cannot take the tensor-core path, or the GEMM view if it can.
FailureOr<ConvGemm> analyze(linalg::Conv2DNchwFchwOp conv, bool allowTF32,
                            std::string &why) {
  if (!conv.hasPureBufferSemantics()) {
    why = "not on buffers";
    return failure();
  }
  auto in = cast<MemRefType>(conv.getDpsInputs()[0].getType());
  auto filter = cast<MemRefType>(conv.getDpsInputs()[1].getType());
  auto out = cast<MemRefType>(conv.getDpsInits()[0].getType());
  if (!in.hasStaticShape() || !filter.hasStaticShape() ||
      !out.hasStaticShape()) {
    why = "dynamic shape";
    return failure();
  }
  Type element = in.getElementType();
  if (filter.getElementType() != element || !out.getElementType().isF32()) {
    why = "operands of different types or a non-f32 accumulator";
    return failure();
  }
  if (element.isF32() && !allowTF32) {
    why = "f32 operands and allow-tf32=false";
    return failure();
  }
  if (element.isBF16()) {
    // nvgpu.mma.sync has no bf16 form that MLIR 22's vector-to-nvgpu
    // conversion produces (its operand loads reject bf16).
    why = "bf16 operands (no bf16 mma.sync from upstream's vector-to-nvgpu "
          "conversion)";
    return failure();
  }
  if (!element.isF32() && !element.isF16()) {
    why = "operand type is not f32 or f16";
    return failure();
  }
  auto strides = llvm::to_vector(conv.getStrides().getValues<int64_t>());
  auto dilations = llvm::to_vector(conv.getDilations().getValues<int64_t>());
  ConvGemm g{out.getDimSize(0),    out.getDimSize(1),    in.getDimSize(1),
             filter.getDimSize(2), filter.getDimSize(3), out.getDimSize(2),
             out.getDimSize(3),    strides[0],           strides[1],
             dilations[0],         dilations[1],         element};
  // Index arithmetic is done in `index`; keep every linear index in i32
  // range so that the 32-bit NVVM index lowering cannot overflow.
  constexpr int64_t kLimit = int64_t(1) << 31;
  if (in.getNumElements() >= kLimit || out.getNumElements() >= kLimit ||
      filter.getNumElements() >= kLimit) {
    why = "a buffer with 2^31 elements or more";
    return failure();
  }
  return g;
}

/// Emits the kernel that replaces `conv`.
class KernelBuilder {
public:
  KernelBuilder(ImplicitLocOpBuilder &b, const ConvGemm &g, Value input,
                Value filter, Value output)
      : b(b), g(g), input(input), filter(filter), output(output) {}

  /// The kernel: a gpu.launch with the warps' products on tensor cores.
  LogicalResult build();
  /// The same kernel as host loops, vector.contract for mma.sync: checks
  /// its index arithmetic on the CPU.
  void buildEmulation();

private:
  struct WarpOffsets {
    Value m, n;
  };
  static constexpr int64_t kTilesM = kWarpM / kMmaM, kTilesN = kWarpN / kMmaN;
  Value apply(AffineExpr e, Value v);
  Value offset(Value base, int64_t by);
  /// Where the warp of thread `tid` starts in the block's tile.
  WarpOffsets warpOffsets(Value tid);
  SmallVector<Value> zeroAccumulators();
  /// One step of kTileK: the warp's mma-shaped contractions.
  /// `widen`: extend 16-bit operands to f32 first (exact), for CPU
  /// lowerings of vector.contract that take one element type only.
  SmallVector<Value> warpProducts(Value sharedA, Value sharedB,
                                  WarpOffsets warp, ValueRange accs,
                                  bool widen = false);
  void storeAccumulators(Value sharedC, WarpOffsets warp, ValueRange accs);
  /// Types of the filter, input and output tiles in memory space `space`.
  std::array<MemRefType, 3> sharedTypes(Attribute space);
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value mul(Value x, int64_t y) {
    return y == 1 ? x : Value(arith::MulIOp::create(b, x, idx(y)));
  }
  Value div(Value x, int64_t y) {
    return y == 1 ? x : Value(arith::DivUIOp::create(b, x, idx(y)));
  }
  Value rem(Value x, int64_t y) {
    return y == 1 ? idx(0) : Value(arith::RemUIOp::create(b, x, idx(y)));
  }
  Value lessThan(Value x, int64_t bound) {
    return arith::CmpIOp::create(b, arith::CmpIPredicate::ult, x, idx(bound));
  }
  /// for (i = 0; i < count; ++i) body(tid + i * kThreads): the block's
  /// threads sweep `count * kThreads` elements, neighbours on neighbours.
  void forEachElement(int64_t count, Value tid, function_ref<void(Value)> body);
  /// `load()` where `inBounds`, zero elsewhere.
  Value guardedLoad(Value inBounds, function_ref<Value()> load);
  void loadFilterTile(Value sharedA, Value tid, Value m0, Value k0);
  void loadInputTile(Value sharedB, Value tid, Value n, Value p0, Value k0);
  void storeOutputTile(Value sharedC, Value tid, Value n, Value m0, Value p0);

  ImplicitLocOpBuilder &b;
  const ConvGemm &g;
  Value input, filter, output;
};

void KernelBuilder::forEachElement(int64_t count, Value tid,
                                   function_ref<void(Value)> body) {
  auto loop = scf::ForOp::create(b, idx(0), idx(count), idx(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  body(add(tid, mul(loop.getInductionVar(), kThreads)));
}

Value KernelBuilder::guardedLoad(Value inBounds, function_ref<Value()> load) {
  Type type = g.operandType;
  auto ifOp = scf::IfOp::create(
      b, inBounds,
      [&](OpBuilder &, Location) { scf::YieldOp::create(b, load()); },
      [&](OpBuilder &, Location) {
        scf::YieldOp::create(b, ValueRange{arith::ConstantOp::create(
                                    b, type, b.getFloatAttr(type, 0.0))});
      });
  return ifOp.getResult(0);
}

void KernelBuilder::loadFilterTile(Value sharedA, Value tid, Value m0,
                                   Value k0) {
  // k fastest: the filter is contiguous along (c, kh, kw).
  forEachElement(kTileM * kTileK / kThreads, tid, [&](Value e) {
    Value m = div(e, kTileK), k = rem(e, kTileK);
    Value f = add(m0, m), kg = add(k0, k);
    Value ok = arith::AndIOp::create(b, lessThan(f, g.filters),
                                     lessThan(kg, g.reduction()));
    Value v = guardedLoad(ok, [&] {
      int64_t window = g.kh * g.kw;
      Value c = div(kg, window), r = rem(kg, window);
      return memref::LoadOp::create(
          b, filter, ValueRange{f, c, div(r, g.kw), rem(r, g.kw)});
    });
    memref::StoreOp::create(b, v, sharedA, ValueRange{m, k});
  });
}

void KernelBuilder::loadInputTile(Value sharedB, Value tid, Value n, Value p0,
                                  Value k0) {
  // p fastest: neighbouring output positions read neighbouring columns.
  forEachElement(kTileN * kTileK / kThreads, tid, [&](Value e) {
    Value p = rem(e, kTileN), k = div(e, kTileN);
    Value pg = add(p0, p), kg = add(k0, k);
    Value ok = arith::AndIOp::create(b, lessThan(pg, g.positions()),
                                     lessThan(kg, g.reduction()));
    Value v = guardedLoad(ok, [&] {
      int64_t window = g.kh * g.kw;
      Value c = div(kg, window), r = rem(kg, window);
      Value ih =
          add(mul(div(pg, g.ow), g.strideH), mul(div(r, g.kw), g.dilationH));
      Value iw =
          add(mul(rem(pg, g.ow), g.strideW), mul(rem(r, g.kw), g.dilationW));
      return memref::LoadOp::create(b, input, ValueRange{n, c, ih, iw});
    });
    memref::StoreOp::create(b, v, sharedB, ValueRange{p, k});
  });
}

void KernelBuilder::storeOutputTile(Value sharedC, Value tid, Value n, Value m0,
                                    Value p0) {
  forEachElement(kTileM * kTileN / kThreads, tid, [&](Value e) {
    Value m = div(e, kTileN), p = rem(e, kTileN);
    Value f = add(m0, m), pg = add(p0, p);
    Value ok = arith::AndIOp::create(b, lessThan(f, g.filters),
                                     lessThan(pg, g.positions()));
    scf::IfOp::create(b, ok, [&](OpBuilder &, Location) {
      SmallVector<Value> at{n, f, div(pg, g.ow), rem(pg, g.ow)};
      Value sum = arith::AddFOp::create(
          b, memref::LoadOp::create(b, output, at),
          memref::LoadOp::create(b, sharedC, ValueRange{m, p}));
      memref::StoreOp::create(b, sum, output, at);
      scf::YieldOp::create(b);
    });
  });
}

KernelBuilder::WarpOffsets KernelBuilder::warpOffsets(Value tid) {
  AffineExpr t;
  bindDims(b.getContext(), t);
  constexpr int64_t warpsN = kTileN / kWarpN;
  AffineExpr warp = t.floorDiv(kWarpSize);
  return {apply(warp.floorDiv(warpsN) * kWarpM, tid),
          apply((warp % warpsN) * kWarpN, tid)};
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

SmallVector<Value> KernelBuilder::zeroAccumulators() {
  auto accType = VectorType::get({kMmaM, kMmaN}, b.getF32Type());
  Value zero = arith::ConstantOp::create(
      b, accType, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0f)));
  return SmallVector<Value>(kTilesM * kTilesN, zero);
}

SmallVector<Value> KernelBuilder::warpProducts(Value sharedA, Value sharedB,
                                               WarpOffsets warp,
                                               ValueRange accs, bool widen) {
  MLIRContext *ctx = b.getContext();
  int64_t mmaK = g.mmaK();
  auto aType = VectorType::get({kMmaM, mmaK}, g.operandType);
  auto bType = VectorType::get({kMmaN, mmaK}, g.operandType);
  AffineExpr i, j, k;
  bindDims(ctx, i, j, k);
  auto maps = b.getAffineMapArrayAttr(AffineMap::inferFromExprList(
      ArrayRef<ArrayRef<AffineExpr>>{{i, k}, {j, k}, {i, j}}, ctx));
  auto iterators = b.getArrayAttr(
      {vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
       vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
       vector::IteratorTypeAttr::get(ctx, vector::IteratorType::reduction)});
  Value padding = arith::ConstantOp::create(b, g.operandType,
                                            b.getFloatAttr(g.operandType, 0.0));
  SmallVector<bool> inBounds = {true, true};
  SmallVector<Value> next(accs.begin(), accs.end());
  for (int64_t kk = 0; kk < kTileK; kk += mmaK) {
    SmallVector<Value> as, bs;
    for (int64_t ti = 0; ti < kTilesM; ++ti)
      as.push_back(vector::TransferReadOp::create(
          b, aType, sharedA, ValueRange{offset(warp.m, ti * kMmaM), idx(kk)},
          padding, inBounds));
    for (int64_t tj = 0; tj < kTilesN; ++tj)
      bs.push_back(vector::TransferReadOp::create(
          b, bType, sharedB, ValueRange{offset(warp.n, tj * kMmaN), idx(kk)},
          padding, inBounds));
    if (widen && !g.operandType.isF32()) {
      auto extend = [&](Value v) -> Value {
        auto type = cast<VectorType>(v.getType()).clone(b.getF32Type());
        return arith::ExtFOp::create(b, type, v);
      };
      for (Value &v : as)
        v = extend(v);
      for (Value &v : bs)
        v = extend(v);
    }
    for (int64_t ti = 0; ti < kTilesM; ++ti)
      for (int64_t tj = 0; tj < kTilesN; ++tj) {
        Value &acc = next[ti * kTilesN + tj];
        acc = vector::ContractionOp::create(b, as[ti], bs[tj], acc, maps,
                                            iterators);
      }
  }
  return next;
}

void KernelBuilder::storeAccumulators(Value sharedC, WarpOffsets warp,
                                      ValueRange accs) {
  SmallVector<bool> inBounds = {true, true};
  for (int64_t ti = 0; ti < kTilesM; ++ti)
    for (int64_t tj = 0; tj < kTilesN; ++tj)
      vector::TransferWriteOp::create(
          b, accs[ti * kTilesN + tj], sharedC,
          ValueRange{offset(warp.m, ti * kMmaM), offset(warp.n, tj * kMmaN)},
          inBounds);
}

std::array<MemRefType, 3> KernelBuilder::sharedTypes(Attribute space) {
  auto type = [&](int64_t rows, int64_t cols, Type element) {
    return MemRefType::get({rows, cols}, element, MemRefLayoutAttrInterface(),
                           space);
  };
  return {type(kTileM, kTileK + kRowPad, g.operandType),
          type(kTileN, kTileK + kRowPad, g.operandType),
          type(kTileM, kTileN, b.getF32Type())};
}

static int64_t ceilDiv(int64_t x, int64_t y) { return (x + y - 1) / y; }

LogicalResult KernelBuilder::build() {
  MLIRContext *ctx = b.getContext();
  auto [sharedAType, sharedBType, sharedCType] =
      sharedTypes(gpu::AddressSpaceAttr::get(
          ctx, gpu::GPUDialect::getWorkgroupAddressSpace()));
  auto launch = gpu::LaunchOp::create(
      b, idx(ceilDiv(g.positions(), kTileN)), idx(ceilDiv(g.filters, kTileM)),
      idx(g.batch), idx(kThreads), idx(1), idx(1), /*dynamicSharedMemorySize=*/
      nullptr, /*asyncTokenType=*/nullptr, /*asyncDependencies=*/{},
      TypeRange{sharedAType, sharedBType, sharedCType});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value sharedA = launch.getWorkgroupAttributions()[0];
  Value sharedB = launch.getWorkgroupAttributions()[1];
  Value sharedC = launch.getWorkgroupAttributions()[2];
  gpu::KernelDim3 block = launch.getBlockIds();
  Value tid = launch.getThreadIds().x;

  // Phase 1: the warps' part, vector ops only (offsets as affine.apply).
  // The upstream conversion treats every scalar elementwise op it finds
  // (index arithmetic included) as a candidate and fails on it, so it runs
  // on this skeleton before the gathers and the epilogue are added.
  WarpOffsets warp = warpOffsets(tid);
  auto kLoop = scf::ForOp::create(
      b, idx(0), idx(g.reduction()), idx(kTileK), zeroAccumulators(),
      [&](OpBuilder &, Location, Value, ValueRange accs) {
        // The gathers go before this barrier (phase 3).
        gpu::BarrierOp::create(b);
        SmallVector<Value> next = warpProducts(sharedA, sharedB, warp, accs);
        gpu::BarrierOp::create(b);
        scf::YieldOp::create(b, next);
      });
  storeAccumulators(sharedC, warp, kLoop.getResults());
  // The epilogue goes after this barrier (phase 3).
  auto epilogueBarrier = gpu::BarrierOp::create(b);
  gpu::TerminatorOp::create(b);

  // Phase 2: upstream's vector -> nvgpu conversion, on this launch only.
  // Only on the contractions and what the patterns create: a greedy run
  // over the whole launch would also fold a one-trip K loop away.
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
  // The conversion replaced the K loop (its iter_args changed type).
  scf::ForOp newLoop;
  for (Operation &op : launch.getBody().front())
    if (auto loop = dyn_cast<scf::ForOp>(op))
      newLoop = loop;
  if (!newLoop)
    return failure();

  // Phase 3: the block's gathers into shared memory, then the epilogue.
  b.setInsertionPoint(*newLoop.getBody()->getOps<gpu::BarrierOp>().begin());
  Value m0 = mul(block.y, kTileM), p0 = mul(block.x, kTileN), n = block.z;
  Value k0 = newLoop.getInductionVar();
  loadFilterTile(sharedA, tid, m0, k0);
  loadInputTile(sharedB, tid, n, p0, k0);
  b.setInsertionPointAfter(epilogueBarrier);
  storeOutputTile(sharedC, tid, n, mul(block.y, kTileM), mul(block.x, kTileN));

  // The conversion rebuilt the K loop with fragment-typed iter_args next to
  // the old, now dead, ones: drop those (and a one-trip loop altogether).
  RewritePatternSet cleanup(ctx);
  scf::ForOp::getCanonicalizationPatterns(cleanup, ctx);
  return applyPatternsGreedily(launch.getOperation(), std::move(cleanup));
}

void KernelBuilder::buildEmulation() {
  // The same kernel as sequential host loops: each stretch between two
  // barriers becomes a loop over the block's threads (or its warps); the
  // warps' accumulators live in a buffer between K steps.
  Type f32 = b.getF32Type();
  auto [sharedAType, sharedBType, sharedCType] = sharedTypes(Attribute());
  Value sharedA = memref::AllocOp::create(b, sharedAType);
  Value sharedB = memref::AllocOp::create(b, sharedBType);
  Value sharedC = memref::AllocOp::create(b, sharedCType);
  constexpr int64_t warps = kThreads / kWarpSize, perWarp = kTilesM * kTilesN;
  Value accBuffer = memref::AllocOp::create(
      b, MemRefType::get({warps * perWarp, kMmaM, kMmaN}, f32));
  auto loop = [&](int64_t count, function_ref<void(Value)> body) {
    auto forOp = scf::ForOp::create(b, idx(0), idx(count), idx(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    body(forOp.getInductionVar());
  };
  SmallVector<bool> inBounds = {true, true};
  auto accumulatorsOf = [&](Value w) {
    SmallVector<Value> accs;
    Value zero = arith::ConstantOp::create(b, f32, b.getF32FloatAttr(0.0f));
    for (int64_t t = 0; t < perWarp; ++t)
      accs.push_back(vector::TransferReadOp::create(
          b, VectorType::get({kMmaM, kMmaN}, f32), accBuffer,
          ValueRange{
              apply(getAffineDimExpr(0, b.getContext()) * perWarp + t, w),
              idx(0), idx(0)},
          zero, inBounds));
    return accs;
  };
  scf::buildLoopNest(
      b, b.getLoc(), {idx(0), idx(0), idx(0)},
      {idx(g.batch), idx(ceilDiv(g.filters, kTileM)),
       idx(ceilDiv(g.positions(), kTileN))},
      {idx(1), idx(1), idx(1)}, [&](OpBuilder &, Location, ValueRange ivs) {
        Value n = ivs[0], m0 = mul(ivs[1], kTileM), p0 = mul(ivs[2], kTileN);
        linalg::FillOp::create(b,
                               ValueRange{arith::ConstantOp::create(
                                   b, f32, b.getF32FloatAttr(0.0f))},
                               ValueRange{accBuffer});
        scf::ForOp::create(
            b, idx(0), idx(g.reduction()), idx(kTileK), ValueRange{},
            [&](OpBuilder &, Location, Value k0, ValueRange) {
              loop(kThreads, [&](Value tid) {
                loadFilterTile(sharedA, tid, m0, k0);
                loadInputTile(sharedB, tid, n, p0, k0);
              });
              loop(warps, [&](Value w) {
                SmallVector<Value> next = warpProducts(
                    sharedA, sharedB, warpOffsets(mul(w, kWarpSize)),
                    accumulatorsOf(w), /*widen=*/true);
                for (auto [t, acc] : llvm::enumerate(next))
                  vector::TransferWriteOp::create(
                      b, acc, accBuffer,
                      ValueRange{
                          apply(getAffineDimExpr(0, b.getContext()) * perWarp +
                                    t,
                                w),
                          idx(0), idx(0)},
                      inBounds);
              });
              scf::YieldOp::create(b);
            });
        loop(warps, [&](Value w) {
          storeAccumulators(sharedC, warpOffsets(mul(w, kWarpSize)),
                            accumulatorsOf(w));
        });
        loop(kThreads,
             [&](Value tid) { storeOutputTile(sharedC, tid, n, m0, p0); });
      });
  for (Value buffer : {sharedA, sharedB, sharedC, accBuffer})
    memref::DeallocOp::create(b, buffer);
}

struct ConvBNTensorCoreConvolutionsPass
    : public convbn::impl::ConvBNTensorCoreConvolutionsBase<
          ConvBNTensorCoreConvolutionsPass> {
  using ConvBNTensorCoreConvolutionsBase::ConvBNTensorCoreConvolutionsBase;

  void runOnOperation() override {
    SmallVector<linalg::Conv2DNchwFchwOp> convs;
    getOperation()->walk([&](linalg::Conv2DNchwFchwOp conv) {
      if (!conv->getParentOfType<gpu::LaunchOp>() &&
          !conv->getParentOfType<gpu::GPUModuleOp>())
        convs.push_back(conv);
    });
    for (linalg::Conv2DNchwFchwOp conv : convs) {
      std::string why;
      FailureOr<ConvGemm> gemm = analyze(conv, allowTF32, why);
      if (failed(gemm)) {
        if (report)
          conv->emitRemark("convbn-tensor-core-convolutions: left as a "
                           "loop nest: ")
              << why;
        continue;
      }
      ImplicitLocOpBuilder b(conv.getLoc(), conv);
      KernelBuilder kernel(b, *gemm, conv.getDpsInputs()[0],
                           conv.getDpsInputs()[1], conv.getDpsInits()[0]);
      if (cpuEmulation) {
        kernel.buildEmulation();
      } else if (failed(kernel.build())) {
        conv->emitError("convbn-tensor-core-convolutions: the vector to "
                        "nvgpu conversion failed on the kernel built for "
                        "this convolution");
        return signalPassFailure();
      }
      if (report)
        conv->emitRemark("convbn-tensor-core-convolutions: implicit GEMM "
                         "on tensor cores (")
            << gemm->operandType << ", M=" << gemm->filters
            << " N=" << gemm->positions() << " K=" << gemm->reduction()
            << " per image)";
      conv->erase();
    }
  }
};
} // namespace
