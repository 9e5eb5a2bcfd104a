//===- ConvBNDialect.td - The convbn dialect ---------------*- tablegen -*-===//
//
// Convolution + batch normalization blocks, in the four modes a training
// framework runs them in (train, eval, deploy, tune).
//
//===----------------------------------------------------------------------===//

#ifndef CONVBN_DIALECT_CONVBN_IR_CONVBNDIALECT_TD
#define CONVBN_DIALECT_CONVBN_IR_CONVBNDIALECT_TD

include "mlir/IR/OpBase.td"

def ConvBN_Dialect : Dialect {
  let name = "convbn";
  let summary = "Convolution + batch-normalization blocks and their modes";
  let description = [{
    The `convbn` dialect models a convolution followed by batch normalization
    (a *ConvBN block*) as one unit, so that a compiler can choose how the block
    is executed for forward and backward:

    * `train`: batch statistics; the running statistics are updated.
    * `eval`: running statistics, unfolded: convolution, then a per-channel
      affine over the activation. Backward keeps the input *and* the
      convolution output.
    * `tune`: running statistics folded into the weights on the fly
      (`W' = k*W`, `b' = k*(b - mean) + beta`, `k = gamma/sqrt(var + eps)`)
      every step, with the original parameters still trainable. Same forward
      values and gradients as `eval`; backward keeps only the input.
    * `deploy`: a convolution over weights that were folded once; the folded
      weights are the parameters.

    Forward blocks are `convbn.conv_bn`, the fold is `convbn.fold`, and the
    gradient of a block is `convbn.backward`. What backward needs from the
    forward pass is explicit in the IR: `convbn.conv_bn` yields it as extra
    results and `convbn.backward` takes it as operands, so the memory a mode
    keeps alive is visible to analyses and changed by rewrites.
  }];
  let cppNamespace = "::mlir::convbn";
  let useDefaultAttributePrinterParser = 1;
  // Constant folding of convbn.fold materializes arith.constant ops.
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

class ConvBN_Op<string mnemonic, list<Trait> traits = []>
    : Op<ConvBN_Dialect, mnemonic, traits>;

#endif // CONVBN_DIALECT_CONVBN_IR_CONVBNDIALECT_TD
