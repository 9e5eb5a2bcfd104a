//===- ConvBNOps.td - Operations of the convbn dialect -----*- tablegen -*-===//
//
// Three operations: the forward block (convbn.conv_bn), the fold shared by
// tune and deploy (convbn.fold) and the gradient of a block (convbn.backward).
// Their contracts (ranks, shapes, element types, attribute ranges, which
// operands and results each mode has) are checked by one shared verifier in
// lib/Dialect/ConvBN/IR/ConvBNVerify.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef CONVBN_DIALECT_CONVBN_IR_CONVBNOPS_TD
#define CONVBN_DIALECT_CONVBN_IR_CONVBNOPS_TD

include "convbn/Dialect/ConvBN/IR/ConvBNDialect.td"
include "convbn/Dialect/ConvBN/IR/ConvBNEnums.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"

// Attributes shared by every op that describes a convolution.
defvar ConvBN_ConvAttrs = (ins
  OptionalAttr<DenseI64ArrayAttr>:$strides,
  OptionalAttr<DenseI64ArrayAttr>:$padding_low,
  OptionalAttr<DenseI64ArrayAttr>:$padding_high,
  OptionalAttr<DenseI64ArrayAttr>:$dilations,
  DefaultValuedAttr<I64Attr, "1">:$groups
);

// Parameter operands of a block, in the order every op takes them.
defvar ConvBN_BlockOperands = (ins
  AnyRankedTensor:$input,
  AnyRankedTensor:$filter,
  Optional<AnyRankedTensor>:$bias,
  Optional<AnyRankedTensor>:$gamma,
  Optional<AnyRankedTensor>:$beta,
  Optional<AnyRankedTensor>:$running_mean,
  Optional<AnyRankedTensor>:$running_var
);

defvar ConvBN_BlockOperandsFormat = [{
  $input `,` $filter
  (`bias` $bias^)? (`gamma` $gamma^)? (`beta` $beta^)?
  (`mean` $running_mean^)? (`var` $running_var^)?
}];

defvar ConvBN_ConvAttrsDoc = [{
    Convolution attributes, for `d` spatial dimensions (1, 2 or 3):
    `strides` and `dilations` (`d` values >= 1, default 1), `padding_low` and
    `padding_high` (`d` values >= 0 added before and after each spatial
    dimension, default 0) and `groups` (>= 1, divides the input and output
    channels, default 1). The output spatial size is
    `(in + low + high - dilation*(k - 1) - 1) / stride + 1`, rounded down.
}];

defvar ConvBN_TypesDoc = [{
    Element types: `input`, `filter` and the activation results share one
    type T, one of f32, f16 and bf16. The per-channel vectors (`bias`,
    `gamma`, `beta`, running and batch statistics) share one type S, which is
    T or f32 (f32 statistics with f16/bf16 activations is how mixed precision
    trains).
}];

//===----------------------------------------------------------------------===//
// conv_bn
//===----------------------------------------------------------------------===//

def ConvBN_ConvBNOp : ConvBN_Op<"conv_bn",
    [Pure, AttrSizedOperandSegments,
     DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>]> {
  let summary = "forward pass of a convolution + batch-normalization block";
  let description = !strconcat([{
    One ConvBN block, executed in the given `mode`. Operands: the input
    `N x C x spatial...`, the filter `O x C/groups x kernel...`, an optional
    convolution `bias`, optional BN affine parameters `gamma` and `beta`
    (absent means 1 and 0), and the running statistics `mean` and `var`.
    All per-channel vectors have length O.

    Results, by mode (the extra results are what the backward pass or the
    caller needs; their order is fixed):

    | mode     | operands                                   | results |
    |----------|--------------------------------------------|---------|
    | `train`  | input, filter, bias?, gamma?, beta?, mean, var | output, conv_output, new mean, new var, batch mean, batch inv_std |
    | `eval`   | input, filter, bias?, gamma?, beta?, mean, var | output, conv_output |
    | `tune`   | input, filter, bias?, gamma?, beta?, mean, var | output |
    | `deploy` | input, folded filter, folded bias?              | output |

    * `train`: `Y = conv(input, filter) + bias`; `Y` is normalized with its
      own mean and biased variance over batch and spatial positions; the
      running statistics are updated as
      `mean' = (1-momentum)*mean + momentum*batch_mean` and
      `var' = (1-momentum)*var + momentum*batch_var*M/(M-1)` (M elements per
      channel, PyTorch's convention; M must be more than 1).
    * `eval`: `output = k*(Y - mean) + beta`, `k = gamma/sqrt(var + eps)`.
    * `tune`: same values as eval, computed as a convolution with the folded
      weights `W' = k*W`, `b' = k*(bias - mean) + beta`.
    * `deploy`: `output = conv(input, filter) + bias`, the filter and bias
      being already folded.

    `conv_output` (`Y`, pre-normalization) has the output's type;
    statistics results have the per-channel type.

    Example:

    ```mlir
    %z = convbn.conv_bn tune %x, %w bias %b gamma %g beta %bt mean %m var %v
           {strides = array<i64: 2, 2>, padding_low = array<i64: 1, 1>,
            padding_high = array<i64: 1, 1>}
         : (tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>,
            tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
         -> tensor<8x16x16x16xf32>
    ```
  }], ConvBN_ConvAttrsDoc, [{
    BN attributes: `epsilon` (> 0, default 1e-5) and `momentum` (in [0, 1],
    default 0.1; used by train mode only).
  }], ConvBN_TypesDoc);

  let arguments = !con(
    (ins ConvBN_ModeAttr:$mode),
    ConvBN_BlockOperands,
    ConvBN_ConvAttrs,
    (ins DefaultValuedAttr<F64Attr, "1e-5">:$epsilon,
         DefaultValuedAttr<F64Attr, "0.1">:$momentum));
  let results = (outs AnyRankedTensor:$output,
                      Variadic<AnyRankedTensor>:$mode_results);

  let assemblyFormat = !strconcat("custom<Mode>($mode) ", ConvBN_BlockOperandsFormat,
      "attr-dict `:` functional-type(operands, results)");
  let hasVerifier = 1;

  let extraClassDeclaration = [{
    /// Number of results `mode_results` has in the given mode.
    static unsigned getNumModeResults(Mode mode);
    /// The pre-normalization convolution output (train and eval), or null.
    Value getConvOutput();
    /// Train mode only (null otherwise): updated running statistics and the
    /// batch statistics backward needs.
    Value getNewRunningMean();
    Value getNewRunningVar();
    Value getBatchMean();
    Value getBatchInvStd();
  }];
}

//===----------------------------------------------------------------------===//
// fold
//===----------------------------------------------------------------------===//

def ConvBN_FoldOp : ConvBN_Op<"fold", [Pure, AttrSizedOperandSegments,
     DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>]> {
  let summary = "fold batch-normalization parameters into convolution weights";
  let description = [{
    Computes, per output channel o, `k_o = gamma_o / sqrt(var_o + epsilon)`,
    then `folded_filter[o] = k_o * filter[o]` and
    `folded_bias[o] = k_o * (bias_o - mean_o) + beta_o`. A missing `bias`
    or `beta` is 0 and a missing `gamma` is 1. Tune mode does this every
    step; deploy mode once. With constant operands the op folds to constants
    (filters of up to 2^24 elements; larger ones are left to run time).

    `folded_filter` has the filter's type and `folded_bias` the per-channel
    type of the statistics. The results are defined as the exact values
    rounded once to each result type, so an implementation computes in at
    least f32 even for f16/bf16 operands; constant folding computes in
    double.

    ```mlir
    %wf, %bf = convbn.fold %w bias %b gamma %g beta %bt mean %m var %v
      : (tensor<16x3x3x3xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>,
         tensor<16xf32>, tensor<16xf32>) -> (tensor<16x3x3x3xf32>, tensor<16xf32>)
    ```
  }];
  let arguments = (ins
    AnyRankedTensor:$filter,
    Optional<AnyRankedTensor>:$bias,
    Optional<AnyRankedTensor>:$gamma,
    Optional<AnyRankedTensor>:$beta,
    AnyRankedTensor:$running_mean,
    AnyRankedTensor:$running_var,
    DefaultValuedAttr<F64Attr, "1e-5">:$epsilon);
  let results = (outs AnyRankedTensor:$folded_filter,
                      AnyRankedTensor:$folded_bias);
  let assemblyFormat = [{
    $filter (`bias` $bias^)? (`gamma` $gamma^)? (`beta` $beta^)?
    `mean` $running_mean `var` $running_var
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// backward
//===----------------------------------------------------------------------===//

def ConvBN_BackwardOp : ConvBN_Op<"backward",
    [Pure, AttrSizedOperandSegments,
     DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>]> {
  let summary = "gradient of a convolution + batch-normalization block";
  let description = !strconcat([{
    The vector-Jacobian product of a `convbn.conv_bn` block in the given
    `mode`: given `grad_output` (dJ/d output), produces the gradients named
    by `grads`, in the fixed order input, filter, bias, gamma, beta (those
    not named are absent). Running statistics never get a gradient.

    Operands: `grad_output`, then the block's operands exactly as the forward
    op took them, then what the forward op kept for backward in this mode:

    | mode     | kept from forward (operands after the block's)      |
    |----------|------------------------------------------------------|
    | `train`  | `conv_output` Y, `batch_mean`, `batch_inv_std`        |
    | `eval`   | `conv_output` Y                                      |
    | `tune`   | nothing: only the input and weight-sized tensors     |
    | `deploy` | nothing                                              |

    A gradient can be asked for only if the block has that parameter
    (`bias`, `gamma`, `beta`); in deploy mode the filter and bias are the
    folded ones, and gamma and beta do not exist. Each gradient has the type
    of its operand. The formulas of each mode are in docs/design.md.

    ```mlir
    %dx, %dw, %dg, %dbt = convbn.backward tune grads <input|filter|gamma|beta>
        %gz, %x, %w gamma %g beta %bt mean %m var %v
      : (tensor<8x16x16x16xf32>, tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>,
         tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
      -> (tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>,
          tensor<16xf32>)
    ```
  }], ConvBN_ConvAttrsDoc, [{
    `epsilon` is the block's BN epsilon (> 0, default 1e-5).
  }], ConvBN_TypesDoc);

  let arguments = !con(
    (ins ConvBN_ModeAttr:$mode,
         ConvBN_GradMaskAttr:$grads,
         AnyRankedTensor:$grad_output),
    ConvBN_BlockOperands,
    (ins Optional<AnyRankedTensor>:$conv_output,
         Optional<AnyRankedTensor>:$batch_mean,
         Optional<AnyRankedTensor>:$batch_inv_std),
    ConvBN_ConvAttrs,
    (ins DefaultValuedAttr<F64Attr, "1e-5">:$epsilon));
  let results = (outs Variadic<AnyRankedTensor>:$gradients);

  let assemblyFormat = !strconcat(
      "custom<Mode>($mode) `grads` $grads $grad_output `,` ",
      ConvBN_BlockOperandsFormat, [{
      (`conv_output` $conv_output^)? (`batch_mean` $batch_mean^)?
      (`batch_inv_std` $batch_inv_std^)?
      attr-dict `:` functional-type(operands, results)
  }]);
  let hasVerifier = 1;
  let hasCanonicalizer = 1;

  let extraClassDeclaration = [{
    /// The gradient result for one parameter, or null if not requested.
    Value getGradient(GradMask which);
    Value getGradInput() { return getGradient(GradMask::Input); }
    Value getGradFilter() { return getGradient(GradMask::Filter); }
    Value getGradBias() { return getGradient(GradMask::Bias); }
    Value getGradGamma() { return getGradient(GradMask::Gamma); }
    Value getGradBeta() { return getGradient(GradMask::Beta); }
  }];
}

#endif // CONVBN_DIALECT_CONVBN_IR_CONVBNOPS_TD
