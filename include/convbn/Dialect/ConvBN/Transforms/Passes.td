//===- Passes.td - Passes of the convbn dialect ------------*- tablegen -*-===//

#ifndef CONVBN_DIALECT_CONVBN_TRANSFORMS_PASSES_TD
#define CONVBN_DIALECT_CONVBN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvBNEvalToTune : Pass<"convbn-eval-to-tune"> {
  let summary = "Rewrite eval-mode ConvBN blocks into tune mode";
  let description = [{
    Tune mode computes the same forward values and the same gradients as
    eval mode (up to rounding), but its backward pass needs only the block's
    input, not the convolution output: one activation-sized tensor less kept
    alive per block, and no activation-sized normalization in forward.

    * Every `convbn.backward` in eval mode becomes tune mode and drops its
      `conv_output` operand.
    * A `convbn.conv_bn` in eval mode becomes tune mode once its
      `conv_output` result has no uses left. When the conv output is used by
      anything other than an eval-mode backward (returned from the function,
      say), the forward op stays in eval mode: its result is still needed.

    This is not a canonicalization: results change by rounding (the fold
    reorders the arithmetic), and users must be able to keep eval mode by
    leaving the pass out.

    ```mlir
    %z, %y = convbn.conv_bn eval %x, %w gamma %g beta %b mean %m var %v ...
    %dx = convbn.backward eval grads <input> %gz, %x, %w ... conv_output %y ...
    // becomes
    %z = convbn.conv_bn tune %x, %w gamma %g beta %b mean %m var %v ...
    %dx = convbn.backward tune grads <input> %gz, %x, %w ...
    ```
  }];
  let dependentDialects = [];
}

def ConvBNDeployFold : Pass<"convbn-deploy-fold"> {
  let summary = "Fold constant BN parameters into the weights at compile time";
  let description = [{
    A `convbn.conv_bn` in tune mode whose filter, bias, gamma, beta and
    running statistics are all constants becomes a deploy-mode block over constant folded weights
    `W' = k*W`, `b' = k*(b - mean) + beta`, `k = gamma/sqrt(var + eps)`.
    The fold is computed in double precision and rounded once to each
    element type. Blocks in other modes (run `-convbn-eval-to-tune` first
    for eval-mode inference graphs), with a non-constant parameter, whose
    running variance plus epsilon is not positive, or whose filter has more
    than 2^24 elements are left alone.

    (`convbn.fold` itself also folds when its operands are constants, so
    `-canonicalize` after `-convbn-decompose-tune` reaches the same IR.)
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def ConvBNDecomposeTune : Pass<"convbn-decompose-tune"> {
  let summary = "Lower tune-mode blocks to a fold and a folded convolution";
  let description = [{
    The first lowering step of tune mode: each `convbn.conv_bn` in tune mode
    becomes a `convbn.fold` of its parameters (weight-sized work) followed
    by a deploy-mode `convbn.conv_bn`, which is a plain convolution with the
    folded filter and bias. Ops in other modes are left alone.

    ```mlir
    %z = convbn.conv_bn tune %x, %w bias %b gamma %g beta %bt mean %m var %v
    // becomes
    %wf, %bf = convbn.fold %w bias %b gamma %g beta %bt mean %m var %v
    %z = convbn.conv_bn deploy %x, %wf bias %bf
    ```
  }];
  let dependentDialects = [];
}

def ConvBNExtractBlocks : Pass<"convbn-extract-blocks", "::mlir::ModuleOp"> {
  let summary = "Replace a module by forward and backward functions of its ConvBN blocks";
  let description = [{
    For compiling the blocks of a network one by one (the Python package's
    `convbn.compile` does this): every distinct `convbn.conv_bn` in eval or
    tune mode (same types, attributes and optional operands) becomes a pair
    of public functions with `llvm.emit_c_interface`, and everything else in
    the module is dropped:

    ```mlir
    func.func @block0_forward(%x, %w, [%b,] [%gamma,] [%beta,] %mean, %var)
        -> (%z [, %conv_output in eval mode])
    func.func @block0_backward(%dz, %x, %w, [%b,] [%gamma,] [%beta,] %mean,
                               %var [, %conv_output])
        -> (%dx, %dw [, %db] [, %dgamma] [, %dbeta])
    ```

    The module gets `convbn.block_of`: for each `convbn.conv_bn` of the input,
    in order, the index of its function pair. `mode` is the mode of the
    extracted blocks: `tune` (only the input and the parameters are kept for
    backward) or `eval` (the conv output is kept too). Blocks in train or
    deploy mode are rejected with an error.

    With `weights-backward`, a block whose input is (in some use) an
    argument of its function, the network's input, which training seldom
    differentiates (the images), also gets a backward function without the
    input gradient, for the caller to use when that gradient is not wanted:

    ```mlir
    func.func @block0_backward_weights(<block0_backward's arguments>)
        -> (%dw [, %db] [, %dgamma] [, %dbeta])
    ```

    It leaves out backward-data's convolution, for a network's first layer
    the costliest of its backward (three input channels: a GEMM of 3 rows).
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"tune\"",
           "Mode of the extracted blocks: tune or eval">,
    Option<"weightsBackward", "weights-backward", "bool", /*default=*/"false",
           "Also emit blockN_backward_weights, the parameters' gradients "
           "without the input gradient, for each block whose input is an "
           "argument of its function">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def ConvBNMemoryReport : Pass<"convbn-memory-report"> {
  let summary = "Report the bytes each ConvBN block keeps for backward, per mode";
  let description = [{
    A static analysis (the IR is not changed): for every `convbn.conv_bn`,
    the bytes its backward pass needs kept from the forward pass in each of
    the four modes, and the totals. What each mode keeps:

    | mode   | kept from forward                                   |
    |--------|-----------------------------------------------------|
    | train  | input X, conv output Y, batch mean and inv_std [O]  |
    | eval   | input X, conv output Y                              |
    | tune   | input X (the fold is recomputed from the parameters) |
    | deploy | input X                                             |

    Parameters (filter, bias, gamma, beta, running statistics) are not
    counted: they live for the whole training run in every mode. A tensor
    kept by several blocks (one input feeding two convolutions, as in a
    ResNet downsampling branch) is counted once in the totals. Blocks with
    dynamic shapes are listed with `?` and left out of the totals.

    ```
    convbn-opt model.mlir -convbn-memory-report -o /dev/null
    ```
  }];
  let options = [
    Option<"outputFile", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the report ('-' is standard output)">,
  ];
}

#endif // CONVBN_DIALECT_CONVBN_TRANSFORMS_PASSES_TD
