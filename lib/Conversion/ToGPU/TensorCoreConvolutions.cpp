//===- TensorCoreConvolutions.cpp - Implicit-GEMM convolution kernels -----===//
//
// Each eligible convolution on buffers becomes one `gpu.launch` doing an
// implicit GEMM: the forward and backward-data convolutions
// (`linalg.conv_2d_nchw_fchw`: filters x output positions, reducing over
// channels x kernel window, one image per grid z) and the backward-filter
// reduction of the linalg lowering (filters x channels x kernel window,
// reducing over images x output positions, one batch chunk per grid z).
// The operand tiles are gathered from global memory into shared memory by
// the whole block (the im2col matrix never exists in global memory) and
// multiplied by warps with `vector.contract`s of mma shape, which upstream's
// vector-to-nvgpu conversion turns into `nvgpu.ldmatrix` and
// `nvgpu.mma.sync`: tensor-core instructions, with the accumulators in
// registers across the reduction loop. Operands are f16, bf16 or f32 (as
// TF32); bf16 kernels go through that conversion as f16 (see build()).
//
// The output buffer's contents (zero, or the bias) are accumulated into,
// like the linalg op does.
//
// This file is the pass: which ops become kernels, and its report. The
// GEMM view of each op is TensorCoreGemm.h, what its gathers read
// TensorCoreOperands.h, the block's tiles and sweeps TensorCoreTiles.h, and
// the kernel itself TensorCoreKernel.h.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "TensorCoreKernel.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNTENSORCORECONVOLUTIONS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {

using namespace mlir::convbn::tensor_cores;

/// CUDA's limit on the grid's y and z dimensions.
constexpr int64_t kMaxGridYZ = 65535;

struct ConvBNTensorCoreConvolutionsPass
    : public convbn::impl::ConvBNTensorCoreConvolutionsBase<
          ConvBNTensorCoreConvolutionsPass> {
  using ConvBNTensorCoreConvolutionsBase::ConvBNTensorCoreConvolutionsBase;

  void runOnOperation() override {
    if (!llvm::is_contained(kBlockRows, blockM) && blockM != 0) {
      getOperation()->emitError("convbn-tensor-core-convolutions: block-m is ")
          << static_cast<int64_t>(blockM)
          << "; it must be 0 (chosen per kernel), 64 or 128";
      return signalPassFailure();
    }
    if (!llvm::is_contained(kBlockColumns, blockN)) {
      getOperation()->emitError("convbn-tensor-core-convolutions: block-n is ")
          << static_cast<int64_t>(blockN) << "; it must be 64 or 128";
      return signalPassFailure();
    }
    if (!llvm::is_contained(kStepBytesChoices, kStepBytes)) {
      getOperation()->emitError(
          "convbn-tensor-core-convolutions: k-step-bytes is ")
          << static_cast<int64_t>(kStepBytes) << "; it must be 32, 64 or 128";
      return signalPassFailure();
    }
    if (stages < 2 || stages > 4) {
      getOperation()->emitError("convbn-tensor-core-convolutions: stages is ")
          << static_cast<int64_t>(stages) << "; it must be 2, 3 or 4";
      return signalPassFailure();
    }
    if (stages > 2 && !prefetch) {
      getOperation()->emitError("convbn-tensor-core-convolutions: stages=")
          << static_cast<int64_t>(stages)
          << " needs prefetch (prefetch=false is one stage)";
      return signalPassFailure();
    }
    if (maxSharedBytes < kMaxStaticSharedBytes ||
        maxSharedBytes > kMaxDynamicSharedBytes) {
      getOperation()->emitError(
          "convbn-tensor-core-convolutions: max-shared-bytes is ")
          << static_cast<int64_t>(maxSharedBytes) << "; it must be from "
          << kMaxStaticSharedBytes << " (what a block may take statically) to "
          << kMaxDynamicSharedBytes << " (sm_90's most per block)";
      return signalPassFailure();
    }
    if (blocksPerSM < 0 || blocksPerSM > kMostBlocksPerSM) {
      getOperation()->emitError(
          "convbn-tensor-core-convolutions: blocks-per-sm is ")
          << static_cast<int64_t>(blocksPerSM) << "; it must be 0 (no target) "
          << "to " << kMostBlocksPerSM << " (blocks of " << kThreads
          << " threads that fill an SM)";
      return signalPassFailure();
    }
    // Each candidate with its GEMM, or the reason it stays a loop nest.
    std::vector<std::pair<Operation *, FailureOr<Gemm>>> candidates;
    SmallVector<std::string> reasons;
    AnalysisOptions analysis;
    analysis.allowTF32 = allowTF32;
    analysis.foldPadding = foldOperands;
    analysis.recomputeProducers = recomputeProducers;
    analysis.stepBytes = kStepBytes;
    analysis.maxSharedBytes = maxSharedBytes;
    analysis.blocksPerSM = blocksPerSM;
    analysis.splitK = splitK;
    analysis.splitKConvolutions = splitKConvolutions;
    analysis.filterGradientInputCopies = filterGradientInputCopies;
    getOperation()->walk([&](Operation *op) {
      if (op->getParentOfType<gpu::LaunchOp>() ||
          op->getParentOfType<gpu::GPUModuleOp>())
        return;
      std::string why;
      if (auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op)) {
        candidates.emplace_back(op, analyzeConvolution(conv, analysis, why));
        reasons.push_back(why);
      } else if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
        FailureOr<Gemm> gemm = analyzeBackwardFilter(generic, analysis, why);
        // A generic that is not a backward-filter reduction is not a
        // candidate at all.
        if (succeeded(gemm) || !why.empty()) {
          candidates.emplace_back(op, std::move(gemm));
          reasons.push_back(why);
        }
      }
    });
    // Convolutions that read the same input, unchanged since an earlier
    // one read it (backward-data's stride phases; a backward-filter
    // reduction, the forward convolution's input), share its channels-last
    // copy: each such candidate's earlier reader (which made none where
    // input-copies is off: the reader then makes its own).
    DenseMap<Operation *, Operation *> sharesInputCopyOf;
    if (inputCopies || filterGradientInputCopies) {
      DenseMap<Value, Operation *> lastReader;
      for (auto &[op, gemm] : candidates) {
        if (failed(gemm) || !gemm->inputCopySource)
          continue;
        Value source = gemm->inputCopySource;
        Operation *&last = lastReader[source];
        if (last && last->getBlock() == op->getBlock() &&
            !writesBuffer(last, source) && !mayChangeBefore(last, op, source))
          sharesInputCopyOf[op] = last;
        last = op;
      }
    }
    // The channels-last copy each rewritten convolution reads.
    DenseMap<Operation *, Value> inputCopyOf;
    for (auto [candidate, why] : llvm::zip(candidates, reasons)) {
      auto &[op, gemm] = candidate;
      if (succeeded(gemm))
        gemm->tile = chooseBlockTile(*gemm, blockM, blockN);
      // One GEMM over all the images (applied after the copies, which set
      // B's accessors), with one grid z and its tile chosen again.
      bool spread = succeeded(gemm) && imagesAlongN && imagesAlongNPays(*gemm);
      if (succeeded(gemm)) {
        // On the spread GEMM's grid, if spread.
        gemm->splitK =
            chooseSplitK(spread ? spreadShape(*gemm, blockM, blockN) : *gemm);
        // Grid z counts images (one where spread) or chunks times the K
        // ranges.
        if ((spread ? 1 : gemm->z) * gemm->splitK > kMaxGridYZ)
          gemm->splitK = 1;
      }
      // Grid y counts M tiles (at most those of the smaller tile), grid z
      // images (unless spread) or chunks: 65535 at most.
      if (succeeded(gemm) && ((!spread && gemm->z > kMaxGridYZ) ||
                              ceilDiv(gemm->m, BlockTile().m) > kMaxGridYZ)) {
        why = "more than 65535 images, chunks or filter tiles for the grid";
        gemm = failure();
      }
      if (failed(gemm)) {
        if (report)
          op->emitRemark("convbn-tensor-core-convolutions: left as a "
                         "loop nest: ")
              << why;
        continue;
      }
      // Before the copies, which go just before `op`; not with split-K,
      // whose blocks add to what the output holds.
      Operation *initializer = nullptr;
      if (foldOperands && gemm->splitK == 1)
        initializer = foldInitializer(op, *gemm);
      bool copiesFilter = filterCopies && gemm->filterCopyable;
      Value unusedFilter;
      if (copiesFilter)
        unusedFilter =
            readFilterCopy(cast<linalg::Conv2DNchwFchwOp>(op), *gemm);
      // A reduction's source is set only with filter-gradient-input-copies.
      bool copiesInput = (inputCopies || !isa<linalg::Conv2DNchwFchwOp>(op)) &&
                         gemm->inputCopySource;
      Value sharedCopy;
      if (copiesInput) {
        // An earlier reader's copy, if it made one; its dealloc then
        // moves after this convolution.
        sharedCopy = inputCopyOf.lookup(sharesInputCopyOf.lookup(op));
        if (sharedCopy)
          for (Operation *user : sharedCopy.getUsers())
            if (isa<memref::DeallocOp>(user))
              user->moveAfter(op);
        auto conv = dyn_cast<linalg::Conv2DNchwFchwOp>(op);
        inputCopyOf[op] =
            conv ? readInputCopy(conv, *gemm, sharedCopy)
                 : readBackwardFilterInputCopy(cast<linalg::GenericOp>(op),
                                               *gemm, sharedCopy);
      }
      if (spread) {
        spreadImagesAlongN(*gemm);
        gemm->tile = chooseBlockTile(*gemm, blockM, blockN);
      }
      // Without vectors, the same operands swept along k one element at a
      // time (their accessors serve both).
      if (!vectorGathers) {
        if (gemm->aSweep == Sweep::AlongKVectors)
          gemm->aSweep = Sweep::AlongK;
        if (gemm->bSweep == Sweep::AlongKVectors)
          gemm->bSweep = Sweep::AlongK;
      }
      KernelOptions kernelOptions{
          stagesFor(*gemm, prefetch, stages, asyncCopies), asyncCopies};
      // Only a tile height the option forces can fail this
      // (chooseBlockTile() chooses one that fits, stagesFor() 2 stages
      // where more do not).
      SharedLayout shared =
          sharedLayout(gemm->tile, gemm->step, kernelOptions.stages,
                       gemm->sharedBudget, gemm->blocksPerSM);
      if (!shared.fits()) {
        op->emitError("convbn-tensor-core-convolutions: blocks of ")
            << gemm->tile.m << " rows with K steps of " << gemm->step.k
            << " elements (" << gemm->step.bytes() << " bytes) need "
            << shared.bytes() << " bytes of shared memory, more than the "
            << shared.budget
            << " that max-shared-bytes allows; use block-m=64, a smaller "
               "k-step-bytes or a larger max-shared-bytes";
        return signalPassFailure();
      }
      ImplicitLocOpBuilder b(op->getLoc(), op);
      if (cpuEmulation) {
        buildKernelEmulation(b, *gemm, kernelOptions);
      } else if (failed(buildKernel(b, *gemm, kernelOptions))) {
        op->emitError("convbn-tensor-core-convolutions: the vector to "
                      "nvgpu conversion failed on the kernel built for "
                      "this ")
            << gemm->kind;
        return signalPassFailure();
      }
      if (report) {
        InFlightDiagnostic remark =
            op->emitRemark("convbn-tensor-core-convolutions: ")
            << gemm->kind << " as an implicit GEMM on tensor cores ("
            << gemm->operandType << ", M=" << gemm->m << " N=" << gemm->n
            << " K=" << gemm->k << ", " << gemm->z << " in the grid's z)";
        if (spread)
          remark << "; N spans the images (one GEMM of images x positions)";
        if (gemm->windowChannels)
          remark << "; K ordered as window x channels";
        if (gemm->windowOuterN)
          remark << "; N ordered as window x channels";
        if (gemm->windowChannels > gemm->channels)
          remark << " (" << gemm->channels << " padded to "
                 << gemm->windowChannels << ")";
        if (initializer)
          remark << "; the output's initialization (" << initializer->getName()
                 << ") folded into the epilogue";
        if (gemm->producedA)
          remark
              << "; computes its first operand in the gather (linalg.generic "
                 "folded)";
        if (gemm->splitK > 1)
          remark << "; K split in " << gemm->splitK << " ranges of "
                 << gemm->stepsPerSplit()
                 << " steps, one block each, adding to the output atomically";
        if (gemm->padded)
          remark << "; reads the unpadded input (padding "
                 << gemm->padded->low[0] << ", " << gemm->padded->low[1]
                 << " before)";
        if (copiesFilter)
          remark << "; the filter copied in (f, kh, kw, c) order first";
        if (copiesInput)
          remark << "; the input copied in (n, h, w, c) order first"
                 << (sharedCopy ? " (the copy an earlier convolution read)"
                                : "");
        bool vectorsA = gemm->aSweep == Sweep::AlongKVectors,
             vectorsB = gemm->bSweep == Sweep::AlongKVectors;
        if (vectorsA || vectorsB)
          remark << "; " << (vectorsA ? (vectorsB ? "A and B" : "A") : "B")
                 << " gathered in " << kVectorBytes << "-byte vectors along K";
        bool copiesA = gemm->copiesA(asyncCopies),
             copiesB = gemm->copiesB(asyncCopies);
        if (copiesA || copiesB)
          remark << "; " << (copiesA ? (copiesB ? "A and B" : "A") : "B")
                 << " copied to shared memory asynchronously (cp.async)";
        BankConflicts banks =
            bankConflicts(gemm->step, gemm->tile, gemm->aSweep, gemm->bSweep);
        remark << "; shared-memory ways per warp access (1: no bank "
                  "conflict): A stores "
               << banks.storesA << ", B stores " << banks.storesB
               << ", ldmatrix " << banks.ldmatrix << ", accumulators "
               << banks.accumulators << "; blocks of " << gemm->tile.m << " x "
               << gemm->tile.n << " (warps of " << gemm->tile.warpM() << " x "
               << gemm->tile.warpN() << "), K steps of " << gemm->step.k;
        if (kernelOptions.stages > 2)
          remark << "; " << kernelOptions.stages
                 << " stages of operand tiles, the copies of "
                 << kernelOptions.stages - 1 << " K steps in flight";
        remark << "; " << shared.bytes() << " bytes of shared memory"
               << (shared.dynamic() ? " (dynamic)" : "");
      }
      op->erase();
      if (initializer)
        initializer->erase();
      if (gemm->padded)
        for (Operation *folded : gemm->padded->ops)
          folded->erase();
      if (gemm->producedA)
        for (Operation *folded : gemm->producedA->ops)
          folded->erase();
      // The filter's producer now writes the (f, kh, kw, c) buffer: what
      // it wrote before is only freed now, or viewed by a collapse that
      // nothing reads any more (readFilterCopy's conditions).
      if (unusedFilter) {
        for (Operation *user :
             llvm::make_early_inc_range(unusedFilter.getUsers()))
          user->erase();
        unusedFilter.getDefiningOp()->erase();
      }
    }
  }
};
} // namespace
