//===- ConvBNEnums.td - Enums of the convbn dialect --------*- tablegen -*-===//

#ifndef CONVBN_DIALECT_CONVBN_IR_CONVBNENUMS_TD
#define CONVBN_DIALECT_CONVBN_IR_CONVBNENUMS_TD

include "convbn/Dialect/ConvBN/IR/ConvBNDialect.td"
include "mlir/IR/EnumAttr.td"

def ConvBN_ModeTrain  : I32EnumAttrCase<"Train", 0, "train">;
def ConvBN_ModeEval   : I32EnumAttrCase<"Eval", 1, "eval">;
def ConvBN_ModeDeploy : I32EnumAttrCase<"Deploy", 2, "deploy">;
def ConvBN_ModeTune   : I32EnumAttrCase<"Tune", 3, "tune">;

def ConvBN_ModeEnum : I32EnumAttr<"Mode", "how a ConvBN block is executed",
    [ConvBN_ModeTrain, ConvBN_ModeEval, ConvBN_ModeDeploy, ConvBN_ModeTune]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::convbn";
}

// Standalone `#convbn<mode tune>`; in op syntax a bare keyword
// (`convbn.conv_bn tune ...`), printed by the custom<Mode> directive.
def ConvBN_ModeAttr : EnumAttr<ConvBN_Dialect, ConvBN_ModeEnum, "mode">;

def ConvBN_GradInput  : I32BitEnumAttrCaseBit<"Input", 0, "input">;
def ConvBN_GradFilter : I32BitEnumAttrCaseBit<"Filter", 1, "filter">;
def ConvBN_GradBias   : I32BitEnumAttrCaseBit<"Bias", 2, "bias">;
def ConvBN_GradGamma  : I32BitEnumAttrCaseBit<"Gamma", 3, "gamma">;
def ConvBN_GradBeta   : I32BitEnumAttrCaseBit<"Beta", 4, "beta">;

def ConvBN_GradMaskEnum : I32BitEnumAttr<"GradMask",
    "which gradients a convbn.backward produces",
    [ConvBN_GradInput, ConvBN_GradFilter, ConvBN_GradBias, ConvBN_GradGamma,
     ConvBN_GradBeta]> {
  let genSpecializedAttr = 0;
  let separator = "|";
  let cppNamespace = "::mlir::convbn";
}

def ConvBN_GradMaskAttr : EnumAttr<ConvBN_Dialect, ConvBN_GradMaskEnum,
                                   "grad_mask"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // CONVBN_DIALECT_CONVBN_IR_CONVBNENUMS_TD
