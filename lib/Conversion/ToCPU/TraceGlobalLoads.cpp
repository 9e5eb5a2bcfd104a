//===- TraceGlobalLoads.cpp - Count emulated kernels' global sectors ------===//
//
// Instruments the CPU emulation of the tensor-core kernels: each load from
// global memory in a block's gathers calls the CPU runtime's tracer with the
// thread that issues it and the bytes it reads, so that the runtime can count
// what the GPU's memory system would see (requests, 32-byte sectors). See
// the pass's description in Passes.td and CpuRuntime.h's tracer.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"
#include "convbn/Conversion/TensorCoreEmulation.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNTRACEGLOBALLOADS
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;
using namespace mlir::convbn;

namespace {

constexpr llvm::StringLiteral kTraceKernel = "convbn_trace_kernel";
constexpr llvm::StringLiteral kTraceStep = "convbn_trace_step";
constexpr llvm::StringLiteral kTraceLoad = "convbn_trace_load";

/// Whether `memref` is a view of the emulated shared memory.
bool isShared(Value memref) {
  while (Operation *def = memref.getDefiningOp()) {
    if (def->hasAttr(kEmulatedSharedAttr))
      return true;
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return false;
    memref = view.getViewSource();
  }
  return false;
}

/// The address of element `indices` of `memref`, in bytes, as an i64.
Value byteAddress(OpBuilder &b, Location loc, Value memref,
                  ValueRange indices) {
  auto type = cast<MemRefType>(memref.getType());
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, memref);
  Value linear = metadata.getOffset();
  for (auto [index, stride] : llvm::zip(indices, metadata.getStrides()))
    linear = arith::AddIOp::create(
        b, loc, linear, arith::MulIOp::create(b, loc, index, stride));
  Value bytes =
      arith::MulIOp::create(b, loc, linear,
                            arith::ConstantIndexOp::create(
                                b, loc, type.getElementTypeBitWidth() / 8));
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  return arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                    arith::AddIOp::create(b, loc, base, bytes));
}

struct TraceGlobalLoads
    : public convbn::impl::ConvBNTraceGlobalLoadsBase<TraceGlobalLoads> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<scf::ForOp> kernels;
    module.walk([&](scf::ForOp loop) {
      if (loop->hasAttr(kEmulatedKernelAttr))
        kernels.push_back(loop);
    });
    if (kernels.empty())
      return;
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto declare = [&](StringRef name, TypeRange arguments) {
      if (module.lookupSymbol(name))
        return;
      b.setInsertionPointToStart(module.getBody());
      auto fn = func::FuncOp::create(b, module.getLoc(), name,
                                     b.getFunctionType(arguments, {}));
      fn.setPrivate();
    };
    declare(kTraceKernel, {ptr});
    declare(kTraceStep, {});
    declare(kTraceLoad, {i32, i64, i64, i32});

    int64_t site = 0;
    for (auto [index, kernel] : llvm::enumerate(kernels)) {
      Location loc = kernel.getLoc();
      // The kernel's name: its function's, then what the emulation wrote.
      std::string name;
      if (auto fn = kernel->getParentOfType<func::FuncOp>())
        name = (fn.getSymName() + ": ").str();
      name += cast<StringAttr>(kernel->getAttr(kEmulatedKernelAttr)).str();
      name.push_back('\0');
      b.setInsertionPoint(kernel);
      Value text = LLVM::createGlobalString(
          loc, b, "convbn_trace_kernel_" + std::to_string(index), name,
          LLVM::Linkage::Internal);
      func::CallOp::create(b, loc, kTraceKernel, TypeRange{}, text);

      kernel.walk([&](scf::ForOp threads) {
        if (!threads->hasAttr(kEmulatedThreadsAttr))
          return;
        b.setInsertionPoint(threads);
        func::CallOp::create(b, threads.getLoc(), kTraceStep, TypeRange{},
                             ValueRange{});
        Value tid = threads.getInductionVar();
        // The loads of one vector on the GPU share a number.
        DenseMap<Attribute, int64_t> vectors;
        threads.walk([&](Operation *op) {
          Value memref;
          ValueRange indices;
          int64_t bytes = 0;
          if (auto load = dyn_cast<memref::LoadOp>(op)) {
            memref = load.getMemRef();
            indices = load.getIndices();
            bytes = load.getMemRefType().getElementTypeBitWidth() / 8;
          } else if (auto load = dyn_cast<vector::LoadOp>(op)) {
            memref = load.getBase();
            indices = load.getIndices();
            VectorType type = load.getVectorType();
            bytes = type.getNumElements() * type.getElementTypeBitWidth() / 8;
          } else {
            return;
          }
          if (isShared(memref))
            return;
          b.setInsertionPoint(op);
          Location at = op->getLoc();
          auto constant = [&](int64_t value) -> Value {
            return arith::ConstantIntOp::create(b, at, value, 32);
          };
          int64_t number = site;
          if (Attribute vector = op->getAttr(kEmulatedVectorAttr)) {
            auto [it, inserted] = vectors.try_emplace(vector, site);
            number = it->second;
            if (inserted)
              ++site;
          } else {
            ++site;
          }
          Value thread = arith::IndexCastOp::create(b, at, i64, tid);
          func::CallOp::create(b, at, kTraceLoad, TypeRange{},
                               ValueRange{constant(number), thread,
                                          byteAddress(b, at, memref, indices),
                                          constant(bytes)});
        });
      });
    }
  }
};

} // namespace
