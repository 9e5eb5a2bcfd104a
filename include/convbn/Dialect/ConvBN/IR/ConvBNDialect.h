//===- ConvBNDialect.h - The convbn dialect ---------------------*- C++ -*-===//

#ifndef CONVBN_DIALECT_CONVBN_IR_CONVBNDIALECT_H
#define CONVBN_DIALECT_CONVBN_IR_CONVBNDIALECT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include "convbn/Dialect/ConvBN/IR/ConvBNDialect.h.inc"
#include "convbn/Dialect/ConvBN/IR/ConvBNEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "convbn/Dialect/ConvBN/IR/ConvBNAttrs.h.inc"

#endif // CONVBN_DIALECT_CONVBN_IR_CONVBNDIALECT_H
