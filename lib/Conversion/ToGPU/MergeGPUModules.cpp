//===- MergeGPUModules.cpp - One gpu.module for the outlined kernels ------===//
//
// gpu-kernel-outlining gives every kernel its own gpu.module, and
// gpu-module-to-binary then runs the NVPTX back end and one ptxas process
// per module: thousands for a network, each paying ptxas's start-up. This
// pass moves the kernels of every group of modules with the same attributes
// into one new module; each kernel takes its old module's name (unique, and
// what profilers then show), and every reference into the old modules
// (gpu.launch_func) is rewritten.
//
//===----------------------------------------------------------------------===//

#include "convbn/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"

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

struct ConvBNMergeGPUModulesPass
    : public convbn::impl::ConvBNMergeGPUModulesBase<
          ConvBNMergeGPUModulesPass> {
  using ConvBNMergeGPUModulesBase::ConvBNMergeGPUModulesBase;

  void runOnOperation() override {
    ModuleOp top = getOperation();
    llvm::MapVector<DictionaryAttr, SmallVector<gpu::GPUModuleOp>> groups;
    for (auto module : top.getOps<gpu::GPUModuleOp>())
      groups[groupKey(module)].push_back(module);

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
        if (failed(moveSymbols(module, merged, mergedTable, moved)))
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

  /// Moves every op of `module` into `merged`: a kernel renamed after
  /// `module` (the only kernel outlining puts there), any other symbol
  /// kept or, where `merged` has it already, made unique. Every renaming
  /// is done before anything moves, so that the uses inside `module`
  /// follow it. Records the new reference of each moved symbol in `moved`.
  LogicalResult moveSymbols(gpu::GPUModuleOp module, gpu::GPUModuleOp merged,
                            SymbolTable &mergedTable,
                            DenseMap<Attribute, Attribute> &moved) {
    SymbolTable table(module);
    StringAttr moduleName = module.getNameAttr();
    auto kernels = llvm::to_vector(
        llvm::make_filter_range(module.getOps<gpu::GPUFuncOp>(),
                                [](gpu::GPUFuncOp f) { return f.isKernel(); }));
    SmallVector<std::pair<Operation *, StringAttr>> symbols; // op, old name
    for (auto symbol : module.getOps<SymbolOpInterface>())
      symbols.push_back({symbol, symbol.getNameAttr()});
    for (auto [op, oldName] : symbols) {
      if (kernels.size() == 1 && op == kernels.front() &&
          oldName != moduleName && !table.lookup(moduleName) &&
          failed(table.rename(op, moduleName)))
        return op->emitError("convbn-merge-gpu-modules: cannot rename '")
               << oldName.getValue() << "' to '" << moduleName.getValue()
               << "'";
      if (mergedTable.lookup(SymbolTable::getSymbolName(op)) &&
          failed(table.renameToUnique(op, {&mergedTable})))
        return op->emitError("convbn-merge-gpu-modules: cannot give '")
               << SymbolTable::getSymbolName(op).getValue()
               << "' a unique name";
    }
    for (Operation &op :
         llvm::make_early_inc_range(module.getBody()->getOperations()))
      op.moveBefore(merged.getBody(), merged.getBody()->end());
    for (auto [op, oldName] : symbols) {
      StringAttr name = SymbolTable::getSymbolName(op);
      mergedTable.insert(op);
      moved[SymbolRefAttr::get(moduleName, {FlatSymbolRefAttr::get(oldName)})] =
          SymbolRefAttr::get(merged.getNameAttr(),
                             {FlatSymbolRefAttr::get(name)});
    }
    return success();
  }
};
} // namespace
