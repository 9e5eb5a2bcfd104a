//===- ExtractBlocks.cpp - One forward/backward function pair per block ---===//

#include "convbn/Dialect/ConvBN/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::convbn {
#define GEN_PASS_DEF_CONVBNEXTRACTBLOCKS
#include "convbn/Dialect/ConvBN/Transforms/Passes.h.inc"
} // namespace mlir::convbn

using namespace mlir;
using namespace mlir::convbn;

namespace {

/// A block's operands in the functions' order, absent ones null.
SmallVector<Value> blockOperands(ConvBNOp op) {
  return {op.getInput(), op.getFilter(),      op.getBias(),      op.getGamma(),
          op.getBeta(),  op.getRunningMean(), op.getRunningVar()};
}

/// What makes two blocks compile to the same functions: operand and result
/// types (absent optional operands included) and the attributes.
std::string blockKey(ConvBNOp op) {
  std::string key;
  llvm::raw_string_ostream os(key);
  for (Value v : blockOperands(op)) {
    if (v)
      os << v.getType();
    os << ";";
  }
  os << op.getOutput().getType() << ";" << op.getStridesAttr() << ";"
     << op.getPaddingLowAttr() << ";" << op.getPaddingHighAttr() << ";"
     << op.getDilationsAttr() << ";" << op.getGroups() << ";"
     << op.getEpsilonAttr();
  return key;
}

struct ConvBNExtractBlocksPass
    : public convbn::impl::ConvBNExtractBlocksBase<ConvBNExtractBlocksPass> {
  using ConvBNExtractBlocksBase::ConvBNExtractBlocksBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<Mode> target = symbolizeMode(mode);
    if (!target || (*target != Mode::Eval && *target != Mode::Tune)) {
      module.emitError("convbn-extract-blocks: mode must be 'tune' or "
                       "'eval', not '")
          << mode << "'";
      return signalPassFailure();
    }
    SmallVector<ConvBNOp> blocks;
    WalkResult walk = module.walk([&](ConvBNOp op) {
      if (op.getMode() == Mode::Train || op.getMode() == Mode::Deploy) {
        op.emitError("convbn-extract-blocks: a block in ")
            << stringifyMode(op.getMode())
            << " mode cannot be extracted (eval or tune expected)";
        return WalkResult::interrupt();
      }
      blocks.push_back(op);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    llvm::StringMap<int64_t> indexOf;
    SmallVector<ConvBNOp> distinct;
    SmallVector<bool> readsArgument;
    SmallVector<int64_t> blockOf;
    for (ConvBNOp op : blocks) {
      auto [it, inserted] = indexOf.try_emplace(blockKey(op), distinct.size());
      if (inserted) {
        distinct.push_back(op);
        readsArgument.push_back(false);
      }
      blockOf.push_back(it->second);
      readsArgument[it->second] =
          readsArgument[it->second] || isFunctionArgument(op.getInput());
    }

    // Build the functions in a fresh body, then swap it in.
    OpBuilder b(module.getContext());
    auto fresh = ModuleOp::create(module.getLoc());
    b.setInsertionPointToEnd(fresh.getBody());
    for (auto [index, op] : llvm::enumerate(distinct))
      buildBlockFunctions(b, op, *target, index,
                          weightsBackward && readsArgument[index]);
    module.getBody()->clear();
    module.getBody()->getOperations().splice(module.getBody()->end(),
                                             fresh.getBody()->getOperations());
    fresh->erase();
    module->setAttr("convbn.block_of", b.getDenseI64ArrayAttr(blockOf));
  }

  /// Whether `v` is an argument of a function: a network's input.
  static bool isFunctionArgument(Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && arg.getOwner()->isEntryBlock() &&
           isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
  }

  static void buildBlockFunctions(OpBuilder &b, ConvBNOp op, Mode mode,
                                  size_t index, bool withWeightsBackward) {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    SmallVector<Value> params = blockOperands(op);
    SmallVector<Type> paramTypes;
    for (Value v : params)
      if (v)
        paramTypes.push_back(v.getType());
    Type outType = op.getOutput().getType();
    bool eval = mode == Mode::Eval;
    std::string prefix = "block" + std::to_string(index);

    // Forward: the block's operands -> output (+ conv output in eval mode).
    SmallVector<Type> fwdResults{outType};
    if (eval)
      fwdResults.push_back(outType);
    auto fwd =
        func::FuncOp::create(b, loc, prefix + "_forward",
                             FunctionType::get(ctx, paramTypes, fwdResults));
    fwd->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
    {
      OpBuilder::InsertionGuard guard(b);
      Block *body = fwd.addEntryBlock();
      b.setInsertionPointToEnd(body);
      SmallVector<Value> args = remap(params, body->getArguments());
      auto conv =
          ConvBNOp::create(b, loc, TypeRange(fwdResults), mode, args[0],
                           args[1], args[2], args[3], args[4], args[5], args[6],
                           op.getStridesAttr(), op.getPaddingLowAttr(),
                           op.getPaddingHighAttr(), op.getDilationsAttr(),
                           op.getGroups(), op.getEpsilon(), op.getMomentum());
      func::ReturnOp::create(b, loc, conv->getResults());
    }

    buildBackward(b, op, mode, paramTypes, prefix + "_backward",
                  /*withInput=*/true);
    if (withWeightsBackward)
      buildBackward(b, op, mode, paramTypes, prefix + "_backward_weights",
                    /*withInput=*/false);
  }

  /// Backward: dz, the block's operands (of `paramTypes`, the present ones;
  /// + conv output in eval mode) -> the gradients of the input (with
  /// `withInput`) and of the parameters.
  static void buildBackward(OpBuilder &b, ConvBNOp op, Mode mode,
                            ArrayRef<Type> paramTypes, StringRef name,
                            bool withInput) {
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    SmallVector<Value> params = blockOperands(op);
    bool eval = mode == Mode::Eval;
    GradMask grads = GradMask::Filter;
    SmallVector<Type> gradTypes;
    if (withInput) {
      grads = grads | GradMask::Input;
      gradTypes.push_back(params[0].getType());
    }
    gradTypes.push_back(params[1].getType());
    for (auto [value, bit] : {std::pair(params[2], GradMask::Bias),
                              std::pair(params[3], GradMask::Gamma),
                              std::pair(params[4], GradMask::Beta)})
      if (value) {
        grads = grads | bit;
        gradTypes.push_back(value.getType());
      }
    Type outType = op.getOutput().getType();
    SmallVector<Type> bwdArgs{outType};
    llvm::append_range(bwdArgs, paramTypes);
    if (eval)
      bwdArgs.push_back(outType);
    auto bwd = func::FuncOp::create(b, loc, name,
                                    FunctionType::get(ctx, bwdArgs, gradTypes));
    bwd->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
    OpBuilder::InsertionGuard guard(b);
    Block *body = bwd.addEntryBlock();
    b.setInsertionPointToEnd(body);
    SmallVector<Value> args = remap(params, body->getArguments().drop_front());
    Value convOutput = eval ? body->getArguments().back() : Value();
    auto back = BackwardOp::create(
        b, loc, gradTypes, mode, grads, body->getArgument(0), args[0], args[1],
        args[2], args[3], args[4], args[5], args[6], convOutput,
        /*batch_mean=*/Value(), /*batch_inv_std=*/Value(), op.getStridesAttr(),
        op.getPaddingLowAttr(), op.getPaddingHighAttr(), op.getDilationsAttr(),
        op.getGroups(), op.getEpsilon());
    func::ReturnOp::create(b, loc, back->getResults());
  }

  /// `params` with each present value replaced by the next argument.
  static SmallVector<Value> remap(ArrayRef<Value> params,
                                  ValueRange arguments) {
    SmallVector<Value> out;
    auto next = arguments.begin();
    for (Value v : params)
      out.push_back(v ? *next++ : Value());
    return out;
  }
};
} // namespace
