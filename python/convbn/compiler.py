"""convbn.compile: a PyTorch model whose conv + batch-norm pairs run through
the compiler's code, forward and backward, under torch autograd.

    compiled = convbn.compile(model.eval(), (x,), mode="tune", target="cpu")
    loss = compiled(x).sum(); loss.backward()   # gradients reach model's parameters
    print(compiled.report)                     # what was raised, what was left alone
    compiled.stages["raised"]                  # the IR after each stage

The flow: torch.export the model as a function of its inputs, parameters
and buffers; torch-mlir's fx importer -> linalg-on-tensors; raise every
linalg convolution + eval-mode batch norm into convbn.conv_bn eval
(-convbn-raise-from-linalg); extract one forward/backward function pair per
distinct block in the requested mode (-convbn-extract-blocks; a block that
reads the model's input also gets a backward without the input gradient,
used when that input does not require grad, as images in training); compile
them ahead of time (the CPU or GPU pipeline, clang) into one shared
library. In the exported program, each raised pair is replaced by a call to
that library through a torch.autograd.Function; everything else (the
operations between blocks, and any pair left unraised) runs in PyTorch as
exported, so results stay correct whatever is raised.
"""

import copy
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import torch

from . import capi
from .aot import compile_module, remove_with, temporary_workdir
from .importer import ImportFailure, import_model
from .raising import LEFT_ALONE, RAISED, raise_conv_bn

MODES = ("tune", "eval")
TARGETS = ("cpu", "cuda")

_ATEN = torch.ops.aten
_CONVS = {
    _ATEN.conv1d.default, _ATEN.conv2d.default, _ATEN.conv3d.default,
    _ATEN.conv1d.padding, _ATEN.conv2d.padding, _ATEN.conv3d.padding,
    _ATEN.convolution.default, _ATEN._convolution.default,
    _ATEN.conv_transpose1d.default, _ATEN.conv_transpose2d.input, _ATEN.conv_transpose3d.input,
}
_BATCH_NORMS = {_ATEN.batch_norm.default, _ATEN._native_batch_norm_legit_no_training.default}
_DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


class CompileError(RuntimeError):
    """convbn.compile cannot compile this model; the message says why."""


def _tensor_types(text):
    """[(shape, dtype)] of the tensor types in a printed signature."""
    return [(tuple(int(d) for d in dims.split("x")[:-1]), _DTYPES[dtype])
            for dims, dtype in re.findall(r"tensor<((?:\d+x)+)(f32|f16|bf16)>", text)]


def _signatures(blocks_ir):
    """{function name: (argument types, result types)} of the extracted blocks."""
    sigs = {}
    for name, args, results in re.findall(
            r"func\.func @(block\d+_(?:forward|backward(?:_weights)?))\((.*?)\) -> (.*?) "
            r"attributes", blocks_ir):
        sigs[name] = (_tensor_types(args), _tensor_types(results))
    return sigs


class _Block:
    """One compiled block: its forward and backward functions, their
    signatures ([(shape, dtype)] of arguments and results) and the
    attributes of its convbn.conv_bn (strides, padding, dilations, groups,
    epsilon), which the exported program's pair must match. A block that
    reads the model's input may also have a backward without the input
    gradient (`weights_results` not None)."""

    def __init__(self, library, index, sigs, attributes, mode):
        self.library = library
        self.name = f"block{index}"
        self.fwd_args, self.fwd_results = sigs[self.name + "_forward"]
        self.bwd_args, self.bwd_results = sigs[self.name + "_backward"]
        self.weights_results = sigs.get(self.name + "_backward_weights", (None, None))[1]
        self.attributes = attributes
        self.mode = mode

    def _check(self, what, tensors, types):
        for i, (t, (shape, dtype)) in enumerate(zip(tensors, types)):
            if tuple(t.shape) != shape or t.dtype != dtype:
                raise ValueError(
                    f"convbn: {self.name} {what} operand {i} is {tuple(t.shape)} {t.dtype}, "
                    f"compiled for {shape} {dtype}: call convbn.compile again for these shapes")

    def _run(self, function, inputs, result_types, device):
        inputs = [t.contiguous() for t in inputs]
        outputs = [torch.empty(shape, dtype=dtype, device=device) for shape, dtype in result_types]
        self.library.call(function, inputs, outputs)
        return outputs

    def forward(self, operands):
        self._check("forward", operands, self.fwd_args)
        outputs = self._run(self.name + "_forward", operands, self.fwd_results, operands[0].device)
        return outputs[0], outputs[1:]

    def backward(self, grad, operands, kept, input_grad=True):
        """The gradients of the input (None where not `input_grad` and the
        block has a backward without it) and of the parameters."""
        inputs = [grad] + list(operands) + list(kept)
        self._check("backward", inputs, self.bwd_args)
        if not input_grad and self.weights_results is not None:
            return [None] + self._run(self.name + "_backward_weights", inputs,
                                      self.weights_results, grad.device)
        return self._run(self.name + "_backward", inputs, self.bwd_results, grad.device)


class _BlockFunction(torch.autograd.Function):
    """Forward and backward of one ConvBN block through compiled code. In
    tune mode it keeps only the block's input and parameters for backward;
    in eval mode also the convolution output."""

    @staticmethod
    def forward(ctx, block, present, *operands):
        values = [t.detach() for t, p in zip(operands, present) if p]
        out, kept = block.forward(values)
        ctx.block, ctx.present = block, present
        ctx.save_for_backward(*values, *kept)
        return out

    @staticmethod
    def backward(ctx, grad):
        saved = ctx.saved_tensors
        count = sum(ctx.present)
        # needs_input_grad: block, present, then the operands (input first).
        grads = iter(ctx.block.backward(grad, saved[:count], saved[count:],
                                        input_grad=ctx.needs_input_grad[2]))
        # Gradients come for input, filter, then each present bias, gamma, beta;
        # none for the running statistics.
        result = [None, None]
        for slot, present in enumerate(ctx.present):
            result.append(next(grads) if present and slot < 5 else None)
        return tuple(result)


class _BlockModule(torch.nn.Module):
    """What replaces a conv + batch-norm pair in the exported graph."""

    def __init__(self, block):
        super().__init__()
        self.block = block

    def forward(self, x, w, b, gamma, beta, mean, var):
        operands = (x, w, b, gamma, beta, mean, var)
        present = tuple(t is not None for t in operands)
        return _BlockFunction.apply(self.block, present, *operands)


def _arg(node, index, default=None):
    return node.args[index] if len(node.args) > index else default


class CompiledModel(torch.nn.Module):
    """The compiled model: call it like the original. Attributes: `report`
    (the raising report), `stages` (IR after each stage: torch-mlir, raised,
    tune, blocks, llvm), `library` (the shared library), `mode`, `target`,
    `graph_module` (the exported program with the raised pairs replaced by
    compiled blocks) and `exported_module` (the program as exported; both
    take the inputs, then the parameters and buffers). `save(directory)`
    keeps the compiled code for convbn.load, which needs neither torch-mlir
    nor LLVM/MLIR."""

    def __init__(self, model, graph, exported, num_inputs, report, stages, library, mode,
                 target):
        super().__init__()
        self.model = model            # its parameters are the ones trained
        self.graph_module = graph
        object.__setattr__(self, "exported_module", exported)  # not a submodule
        self.num_inputs = num_inputs
        self.input_shapes = []
        self.report = report
        self.ir_report = report       # the report as raised from the IR (for save)
        self.stages = stages
        self.library = library
        self.mode = mode
        self.target = target
        self.library_dir = None       # where module.so is (None: nothing was compiled)
        self.blocks = []              # the compiled blocks, block{i} at index i
        self.block_of = []            # the block of each raised pair, in program order
        self.options = {}             # compile()'s code-generation options

    def save(self, directory):
        """Writes the compiled code and what convbn.load needs to attach it
        to the model again (saved.py); returns the directory."""
        from .saved import save
        return save(self, directory)

    def forward(self, *inputs):
        if self.blocks and self.library is None:
            raise RuntimeError("this model was compiled with load=False (for another machine): "
                               "save() it and attach it there with convbn.load")
        if len(inputs) != self.num_inputs:
            raise TypeError(f"the compiled model takes {self.num_inputs} input(s), got {len(inputs)}")
        shapes = [tuple(t.shape) for t in inputs]
        if shapes != self.input_shapes:
            raise ValueError(f"the model was compiled for input shapes {self.input_shapes}, "
                             f"got {shapes}: call convbn.compile again for these shapes")
        state = [p for _, p in self.model.named_parameters()]
        state += [b for _, b in self.model.named_buffers()]
        return self.graph_module(*inputs, *state)


_TRANSPOSED = {_ATEN.conv_transpose1d.default, _ATEN.conv_transpose2d.input,
               _ATEN.conv_transpose3d.input}


def _listify(value, rank, default):
    if value is None:
        return [default] * rank
    if isinstance(value, int):
        return [value] * rank
    value = list(value)
    return value * rank if len(value) == 1 else value


def _conv_attributes(node, rank):
    """(transposed, attributes) of an exported convolution node, attributes
    in the convbn.conv_bn form (padding None when given as a string)."""
    if node.target in _TRANSPOSED:
        return True, None
    if node.target in (_ATEN.convolution.default, _ATEN._convolution.default):
        stride, padding, dilation = _arg(node, 3), _arg(node, 4), _arg(node, 5)
        transposed, groups = bool(_arg(node, 6)), _arg(node, 8, 1)
    else:
        stride, padding, dilation = _arg(node, 3), _arg(node, 4), _arg(node, 5)
        transposed, groups = False, _arg(node, 6, 1)
    padding = None if isinstance(padding, str) else _listify(padding, rank, 0)
    return transposed, {"strides": _listify(stride, rank, 1),
                        "padding_low": padding, "padding_high": padding,
                        "dilations": _listify(dilation, rank, 1), "groups": groups}


def _block_attributes(blocks_ir, name, rank):
    """The attributes of the convbn.conv_bn in function `name`_forward."""
    body = blocks_ir[blocks_ir.index(f"func.func @{name}_forward("):]
    line = body[body.index("convbn.conv_bn"):]
    line = line[:line.index("\n")]

    def array(key, default):
        found = re.search(key + r" = array<i64: ([-\d, ]+)>", line)
        return [int(v) for v in found.group(1).split(",")] if found else [default] * rank

    groups = re.search(r"groups = (\d+)", line)
    epsilon = re.search(r"epsilon = ([-+\d.eE]+)", line)
    return {"strides": array("strides", 1), "padding_low": array("padding_low", 0),
            "padding_high": array("padding_high", 0), "dilations": array("dilations", 1),
            "groups": int(groups.group(1)) if groups else 1,
            "epsilon": float(epsilon.group(1)) if epsilon else 1e-5}


def _replace_pairs(graph_module, report, blocks, block_of, source):
    """Replaces each raised conv + batch-norm pair of the exported graph by
    its compiled block. Convolutions are matched to the raising report in
    program order, and each match is checked (shapes, strides, padding,
    dilations, groups, epsilon) before it is replaced."""
    graph = graph_module.graph
    convs = [n for n in graph.nodes if n.op == "call_function" and n.target in _CONVS]
    if len(convs) != len(report.convolutions):
        raise CompileError(
            f"the exported program has {len(convs)} convolutions but torch-mlir's IR has "
            f"{len(report.convolutions)}: cannot match them to replace the raised pairs")
    raised_in_ir = replaced = 0
    for conv, entry in zip(convs, report.convolutions):
        if entry.status != RAISED:
            continue
        block = blocks[block_of[raised_in_ir]]
        raised_in_ir += 1
        users = list(conv.users)
        bn = users[0] if len(users) == 1 else None
        if bn is None or bn.op != "call_function" or bn.target not in _BATCH_NORMS:
            raise CompileError(
                f"convolution #{entry.index} at {entry.location} was raised in the IR, but in "
                "the exported program it is not followed by batch norm alone")
        weight_shape = tuple(conv.args[1].meta["val"].shape) if "val" in conv.args[1].meta else None
        rank = len(weight_shape) - 2 if weight_shape else len(block.fwd_args[1][0]) - 2
        transposed, attributes = _conv_attributes(conv, rank)
        if transposed:
            entry.status = LEFT_ALONE
            entry.reason = ("a transposed convolution: torch-mlir rewrites it into a forward "
                            "convolution over an upsampled input and a flipped filter, which the "
                            "exported program does not have; it runs in PyTorch")
            continue
        expected = block.attributes
        eps_index = 7 if bn.target == _ATEN.batch_norm.default else 6
        checks = dict(attributes, epsilon=_arg(bn, eps_index, 1e-5))
        for key, value in checks.items():
            if value is None:
                continue
            same = (float(np.float32(value)) == float(np.float32(expected[key]))
                    if key == "epsilon" else value == expected[key])
            if not same:
                raise CompileError(
                    f"convolution #{entry.index} at {entry.location}: {key} is {value} in the "
                    f"exported program but {expected[key]} in {source}")
        if weight_shape and weight_shape != block.fwd_args[1][0]:
            raise CompileError(
                f"convolution #{entry.index} at {entry.location}: filter {weight_shape} in the "
                f"exported program, {block.fwd_args[1][0]} in {source}")
        output = bn
        if bn.target == _ATEN._native_batch_norm_legit_no_training.default:
            items = {u.args[1]: u for u in bn.users}
            if set(items) - {0} and any(items[i].users for i in set(items) - {0}):
                raise CompileError(f"convolution #{entry.index}: the batch norm's statistics are used")
            output = items.get(0)
        name = f"convbn_block_{replaced}"
        graph_module.add_submodule(name, _BlockModule(block))
        args = (conv.args[0], conv.args[1], _arg(conv, 2),
                _arg(bn, 1), _arg(bn, 2), _arg(bn, 3), _arg(bn, 4))
        with graph.inserting_before(bn):
            call = graph.call_module(name, args)
        if output is not None:
            output.replace_all_uses_with(call)
        for node in ([output] if output is not bn and output is not None else []) + \
                [u for u in list(bn.users) if u is not output] + [bn, conv]:
            if node in graph.nodes and not node.users:
                graph.erase_node(node)
        replaced += 1
    graph.lint()
    graph_module.recompile()
    return replaced


def compile(model, example_inputs, *, mode="tune", target="cpu", workdir=None,
            tensor_cores=False, vectorize=False, load=True, pipeline_options="", opt_level=2):
    """Compiles `model` (a torch.nn.Module whose batch norms are in eval
    mode) for inputs shaped like `example_inputs` (a tensor or a tuple of
    tensors). mode: "tune" (default; backward keeps only each block's input)
    or "eval". target: "cpu" or "cuda" (the model and inputs on the current
    CUDA device). `tensor_cores` (cuda): convolutions as implicit GEMMs on
    tensor cores, f32 as TF32 like cuDNN's default in PyTorch. `vectorize`
    (cpu): convolutions and filter gradients as tiled, vectorized GEMMs
    (`-convbn-cpu-pipeline{vectorize=true}`), built for this machine's CPU.
    `workdir` keeps the intermediate files; without one, the library is
    built in a temporary directory that goes away with the returned
    model (`save` copies it out first). `load=False` builds the
    library without loading it, for another machine (a GPU's, from one
    without): the result cannot run, only `save` for convbn.load there.
    `pipeline_options`: more options of the target's pipeline, in its
    textual form (e.g. "tensor-core-input-copies=true" on cuda, or
    "emulate-tensor-cores=true" on cpu to check the tensor-core kernels
    there), after and overriding the ones above. `opt_level`: clang's -O
    level for the library (its host code, on cuda); 0 builds a large
    library such as the tensor-core emulation several times faster (see
    convbn.compile_module). Returns a
    CompiledModel; raises ImportFailure (torch-mlir missing, too old, or
    unable to import the model), CompileError or ValueError."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r} (train and deploy blocks "
                         "are not produced from PyTorch models)")
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, not {target!r}")
    example_inputs = check_model(model, example_inputs, "convbn.compile")
    imported = import_model(model, example_inputs)
    stages = {"torch-mlir": imported.ir}
    raised_ir, report = raise_conv_bn(imported.ir)
    stages["raised"] = raised_ir
    if mode == "tune":
        stages["tune"] = capi.run_pipeline(raised_ir, "builtin.module(convbn-eval-to-tune)")[0]

    library = library_dir = None
    blocks, block_of = [], []
    options = {"tensor_cores": tensor_cores and target == "cuda",
               "vectorize": vectorize and target == "cpu"}
    temporary = None  # the build directory, when it is ours to remove
    try:
        if report.raised:
            blocks_ir, _ = capi.run_pipeline(
                raised_ir,
                f"builtin.module(convbn-extract-blocks{{mode={mode} weights-backward=true}})")
            stages["blocks"] = blocks_ir
            block_of = [int(i) for i in re.search(
                r"convbn\.block_of = array<i64: ([\d, ]+)>", blocks_ir).group(1).split(",")]
            if workdir is None:
                temporary = temporary_workdir("convbn-compile-")
            out = Path(workdir) if workdir is not None else temporary
            library = compile_module(blocks_ir, target=target, eval_to_tune=(mode == "tune"),
                                     workdir=out, tensor_cores=options["tensor_cores"],
                                     cpu_vectorize=options["vectorize"], load=load,
                                     pipeline_options=pipeline_options, opt_level=opt_level)
            library_dir = out
            if not load:
                library = None
            stages["llvm"] = (out / "llvm.mlir").read_text()
            sigs = _signatures(blocks_ir)
            for i in range(max(block_of) + 1):
                rank = len(sigs[f"block{i}_forward"][0][1][0]) - 2  # the filter's
                blocks.append(_Block(library, i, sigs,
                                     _block_attributes(blocks_ir, f"block{i}", rank), mode))
        compiled = attach(model, example_inputs, imported.program, report, stages, library,
                          blocks, block_of, mode, target)
    except BaseException:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
        raise
    compiled.options = options
    compiled.library_dir = library_dir
    if temporary is not None:
        remove_with(compiled, temporary)
    return compiled


def check_model(model, example_inputs, what):
    """`example_inputs` as a tuple, after checking that `model` is a module
    whose batch norms are in eval mode."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{what} takes a torch.nn.Module")
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    training = [n for n, m in model.named_modules()
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.training]
    if training:
        shown = ", ".join(repr(n) for n in training[:3]) + (", ..." if len(training) > 3 else "")
        raise CompileError(
            f"batch norm in training mode (module {shown}): {what} takes eval-mode batch "
            "norm (frozen statistics, as in fine-tuning); call model.eval() first")
    return tuple(example_inputs)


def attach(model, example_inputs, program, report, stages, library, blocks, block_of, mode,
           target, source="the raised IR"):
    """The CompiledModel that runs `program` (the model as exported) with
    each raised pair replaced by its compiled block. `source` names where
    the blocks come from in messages."""
    graph_module = program.module()
    # The report as raised from the IR, which save() writes: replacing
    # marks a transposed convolution left alone.
    ir_report = copy.deepcopy(report)
    if report.raised:
        _replace_pairs(graph_module, report, blocks, block_of, source)
    for entry in report.left_alone:
        warnings.warn(f"convbn: convolution + batch norm at {entry.location or '?'} left alone "
                      f"(runs in PyTorch): {entry.reason}", stacklevel=3)
    compiled = CompiledModel(model, graph_module, program.module(), len(example_inputs), report,
                             stages, library, mode, target)
    compiled.input_shapes = [tuple(t.shape) for t in example_inputs]
    compiled.blocks, compiled.block_of = blocks, block_of
    compiled.ir_report = ir_report
    return compiled


__all__ = ["compile", "CompiledModel", "CompileError", "ImportFailure", "MODES", "TARGETS"]
