//===- NarrowLoopCounters.cpp - 32-bit counters of small loops ------------===//
//
// Index arithmetic is 64-bit. -arith-int-range-narrowing narrows the ops
// whose ranges fit in 32 bits, but not a loop's induction variable (a block
// argument) nor the loop's own increment and comparison. This pass gives a
// loop with small constant bounds an i32 induction variable and casts it
// back to index for its users.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <algorithm>
#include <limits>

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNNARROWLOOPCOUNTERS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {
/// Whether `loop` counts over index from a constant at least zero to one
/// that, with the step added, stays below 2^31, in at least `minTrips`
/// trips.
bool fitsInI32(scf::ForOp loop, int64_t minTrips) {
  if (!loop.getInductionVar().getType().isIndex())
    return false;
  std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> upper = getConstantIntValue(loop.getUpperBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  constexpr int64_t kMost = std::numeric_limits<int32_t>::max();
  return lower && upper && step && *lower >= 0 && *step > 0 &&
         *upper <= kMost - *step &&
         int64_t(llvm::divideCeil(std::max<int64_t>(*upper - *lower, 0),
                                  *step)) >= minTrips;
}

struct ConvBNNarrowLoopCountersPass
    : public convbn::impl::ConvBNNarrowLoopCountersBase<
          ConvBNNarrowLoopCountersPass> {
  using ConvBNNarrowLoopCountersBase::ConvBNNarrowLoopCountersBase;

  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) {
      if (fitsInI32(loop, minTrips))
        loops.push_back(loop);
    });
    for (scf::ForOp loop : loops) {
      OpBuilder b(loop);
      Type i32 = b.getI32Type();
      auto narrow = [&](Value bound) -> Value {
        return arith::ConstantOp::create(
            b, loop.getLoc(), b.getI32IntegerAttr(*getConstantIntValue(bound)));
      };
      Value lower = narrow(loop.getLowerBound());
      Value upper = narrow(loop.getUpperBound());
      Value step = narrow(loop.getStep());
      loop.getLowerBoundMutable().set(lower);
      loop.getUpperBoundMutable().set(upper);
      loop.getStepMutable().set(step);
      Value counter = loop.getInductionVar();
      counter.setType(i32);
      b.setInsertionPointToStart(loop.getBody());
      auto index = arith::IndexCastUIOp::create(b, loop.getLoc(),
                                                b.getIndexType(), counter);
      counter.replaceAllUsesExcept(index, index);
    }
  }
};
} // namespace
