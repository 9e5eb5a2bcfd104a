//===- MergeGPUModules.cpp - One gpu.module for all the kernels -----------===//
//
// gpu-kernel-outlining gives every kernel its own gpu.module, and
// gpu-module-to-binary then runs the NVPTX back end and one ptxas process
// per module: thousands for a network, each paying ptxas's start-up. This
// pass moves the contents of every group of modules with the same
// attributes into one new module; a module's only launched kernel takes the
// module's name (unique, and what profilers then show), other symbols keep
// theirs unless taken (identical external declarations are kept once), and
// every reference into the old modules (gpu.launch_func) is rewritten.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNMERGEGPUMODULES
#include "convbn/Conversion/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;

namespace {
/// The attributes that must agree for two modules to share one (targets,
/// offloading handler, data layout...): all but the symbol name.
DictionaryAttr groupKey(gpu::GPUModuleOp module) {
  NamedAttrList attrs(module->getAttrDictionary());
  attrs.erase(SymbolTable::getSymbolAttrName());
  return attrs.getDictionary(module.getContext());
}

/// A declaration of something defined elsewhere (a function without a
/// body, such as libdevice's; a global of external linkage without an
/// initializer, such as the dynamic shared memory): its name is what links
/// it, so it must keep it.
bool isExternalDeclaration(Operation *op) {
  if (auto function = dyn_cast<FunctionOpInterface>(op))
    return function.isExternal();
  if (auto global = dyn_cast<LLVM::GlobalOp>(op))
    return global.getLinkage() == LLVM::Linkage::External &&
           !global.getValueOrNull() && global.getInitializerRegion().empty();
  return false;
}

struct ConvBNMergeGPUModulesPass
    : public convbn::impl::ConvBNMergeGPUModulesBase<
          ConvBNMergeGPUModulesPass> {
  using ConvBNMergeGPUModulesBase::ConvBNMergeGPUModulesBase;

  void runOnOperation() override {
    ModuleOp top = getOperation();
    llvm::MapVector<DictionaryAttr, SmallVector<gpu::GPUModuleOp>> groups;
    for (auto module : top.getOps<gpu::GPUModuleOp>())
      groups[groupKey(module)].push_back(module);
    DenseMap<StringAttr, llvm::SetVector<StringAttr>> launched;
    top.walk([&](gpu::LaunchFuncOp launch) {
      launched[launch.getKernelModuleName()].insert(launch.getKernelName());
    });

    SymbolTable topTable(top);
    DenseMap<Attribute, Attribute> moved; // @module::@symbol -> new reference
    for (auto &[key, modules] : groups) {
      if (modules.size() < 2)
        continue;
      OpBuilder b(modules.front());
      auto merged = gpu::GPUModuleOp::create(b, modules.front().getLoc(),
                                             moduleName.getValue());
      merged->setAttrs(key);
      merged.setName(moduleName.getValue());
      topTable.insert(merged); // unique among the top-level symbols
      SymbolTable mergedTable(merged);
      for (gpu::GPUModuleOp module : modules) {
        const auto &kernels = launched[module.getNameAttr()];
        StringAttr kernel = kernels.size() == 1 ? kernels.front() : nullptr;
        if (failed(moveSymbols(module, kernel, merged, mergedTable, moved)))
          return signalPassFailure();
        topTable.erase(module);
      }
    }
    if (moved.empty())
      return;
    AttrTypeReplacer replacer;
    replacer.addReplacement([&](SymbolRefAttr ref) -> std::optional<Attribute> {
      auto it = moved.find(ref);
      return it == moved.end() ? std::nullopt
                               : std::optional<Attribute>(it->second);
    });
    top.walk([&](Operation *op) { replacer.replaceElementsIn(op); });
  }

  /// Moves every op of `module` into `merged`: `kernel` (the module's only
  /// launched kernel, if it has one) renamed after `module`, an external
  /// declaration that `merged` holds already dropped (the same op; else an
  /// error), any other symbol kept or, where `merged` has it already, made
  /// unique. Every renaming is done before anything moves, so that the uses
  /// inside `module` follow it. Records the new reference of each symbol in
  /// `moved`.
  LogicalResult moveSymbols(gpu::GPUModuleOp module, StringAttr kernel,
                            gpu::GPUModuleOp merged, SymbolTable &mergedTable,
                            DenseMap<Attribute, Attribute> &moved) {
    SymbolTable table(module);
    StringAttr moduleName = module.getNameAttr();
    Operation *kernelOp = kernel ? table.lookup(kernel) : nullptr;
    if (kernelOp && kernel != moduleName && !table.lookup(moduleName) &&
        failed(table.rename(kernelOp, moduleName)))
      return kernelOp->emitError("convbn-merge-gpu-modules: cannot rename '")
             << kernel.getValue() << "' to '" << moduleName.getValue() << "'";
    SmallVector<Operation *> dropped;
    // Where each symbol of `module` goes: the op that `merged` will hold
    // under it, its old name, and whether the op is new to `merged`.
    SmallVector<std::tuple<Operation *, StringAttr, bool>> kept;
    for (auto symbol : module.getOps<SymbolOpInterface>()) {
      Operation *op = symbol;
      StringAttr name = symbol.getNameAttr();
      StringAttr oldName = op == kernelOp ? kernel : name;
      Operation *existing = mergedTable.lookup(name);
      if (existing && isExternalDeclaration(op)) {
        if (!isExternalDeclaration(existing) ||
            !OperationEquivalence::isEquivalentTo(
                existing, op, OperationEquivalence::IgnoreLocations))
          return op->emitError("convbn-merge-gpu-modules: '")
                 << name.getValue()
                 << "' is declared here and defined or declared differently "
                    "in another module";
        dropped.push_back(op);
        kept.push_back({existing, oldName, false});
        continue;
      }
      if (existing && failed(table.renameToUnique(op, {&mergedTable})))
        return op->emitError("convbn-merge-gpu-modules: cannot give '")
               << name.getValue() << "' a unique name";
      kept.push_back({op, oldName, true});
    }
    for (Operation *op : dropped)
      op->erase();
    for (Operation &op :
         llvm::make_early_inc_range(module.getBody()->getOperations()))
      op.moveBefore(merged.getBody(), merged.getBody()->end());
    for (auto [op, oldName, isNew] : kept) {
      if (isNew)
        mergedTable.insert(op);
      moved[SymbolRefAttr::get(moduleName, {FlatSymbolRefAttr::get(oldName)})] =
          SymbolRefAttr::get(
              merged.getNameAttr(),
              {FlatSymbolRefAttr::get(SymbolTable::getSymbolName(op))});
    }
    return success();
  }
};
} // namespace
