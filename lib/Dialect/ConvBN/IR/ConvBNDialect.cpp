//===- ConvBNDialect.cpp - The convbn dialect -----------------------------===//

#include "convbn/Dialect/ConvBN/IR/ConvBNDialect.h"
#include "convbn/Dialect/ConvBN/IR/ConvBNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::convbn;

#include "convbn/Dialect/ConvBN/IR/ConvBNDialect.cpp.inc"
#include "convbn/Dialect/ConvBN/IR/ConvBNEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "convbn/Dialect/ConvBN/IR/ConvBNAttrs.cpp.inc"

void ConvBNDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "convbn/Dialect/ConvBN/IR/ConvBNAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "convbn/Dialect/ConvBN/IR/ConvBNOps.cpp.inc"
      >();
}

Operation *ConvBNDialect::materializeConstant(OpBuilder &builder,
                                              Attribute value, Type type,
                                              Location loc) {
  auto typed = dyn_cast<TypedAttr>(value);
  if (!typed || typed.getType() != type)
    return nullptr;
  return arith::ConstantOp::create(builder, loc, type, typed);
}
