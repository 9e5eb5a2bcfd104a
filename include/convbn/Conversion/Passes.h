//===- Passes.h - Conversions out of the convbn dialect ---------*- C++ -*-===//

#ifndef CONVBN_CONVERSION_PASSES_H
#define CONVBN_CONVERSION_PASSES_H

#include "convbn/Conversion/ConvBNToLinalg/ConvBNToLinalg.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::convbn {

#define GEN_PASS_DECL
#include "convbn/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "convbn/Conversion/Passes.h.inc"

} // namespace mlir::convbn

#endif // CONVBN_CONVERSION_PASSES_H
