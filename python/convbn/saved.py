"""Saving a compiled model's code, and attaching it to the model again
where only PyTorch is installed.

    convbn.compile(model, (x,), target="cuda", load=False).save("resnet50-tune")  # build machine
    compiled = convbn.load(model, (x,), "resnet50-tune")                          # GPU machine

A saved directory holds the shared library of the compiled blocks
(module.so, its runtime library and signatures.json, as compile_module
writes them) and model.json: the mode, target and options, the input
shapes, the raising report as raised from the IR, the block of each raised
pair, and each block's signature and convolution attributes. load()
exports the model with torch.export (PyTorch only: no torch-mlir, no
LLVM/MLIR) and replaces the raised pairs by the saved blocks with the same
checks as compile(): the number of convolutions, and each pair's filter
shape, strides, padding, dilations, groups and epsilon. A model that does
not match the saved one is a CompileError naming the first difference.

What the library needs where it loads: target "cuda", the NVIDIA driver
(sm_90 code by default); target "cpu", LLVM's libmlir_c_runner_utils.so
and, with vectorize=True, a CPU with the compiling machine's instruction
set (-march=native).
"""

import json
import shutil
from pathlib import Path

import torch

from .aot import CPU_RUNTIME_NAME, RUNTIME_NAME, SIGNATURES_NAME, CompiledModule
from .compiler import _DTYPES, CompileError, _Block, attach, check_model
from .importer import export_model
from .raising import ConvReport, RaiseReport

MODEL_NAME = "model.json"
FORMAT = "convbn-compiled-model"
VERSION = 1
LIBRARY_NAME = "module.so"
_DTYPE_NAMES = {dtype: name for name, dtype in _DTYPES.items()}


def _types(types):
    return [{"shape": list(shape), "dtype": _DTYPE_NAMES[dtype]} for shape, dtype in types]


def _from_types(types):
    return [(tuple(t["shape"]), _DTYPES[t["dtype"]]) for t in types]


def save(compiled, directory):
    """Writes `compiled` (a CompiledModel) into `directory` (created if
    needed); returns it as a Path."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    if compiled.library_dir is not None:
        built = compiled.library_dir
        runtime = RUNTIME_NAME if compiled.target == "cuda" else CPU_RUNTIME_NAME
        for name in (LIBRARY_NAME, runtime, SIGNATURES_NAME):
            if (built / name).resolve() != (out / name).resolve():
                shutil.copy2(built / name, out / name)
    blocks = []
    for b in compiled.blocks:
        block = {"name": b.name,
                 "forward": {"arguments": _types(b.fwd_args), "results": _types(b.fwd_results)},
                 "backward": {"arguments": _types(b.bwd_args), "results": _types(b.bwd_results)},
                 "attributes": b.attributes}
        if b.weights_results is not None:
            # Optional: a saved model without it computes every input gradient.
            block["backward_weights"] = {"arguments": _types(b.bwd_args),
                                         "results": _types(b.weights_results)}
        blocks.append(block)
    model = {"format": FORMAT, "version": VERSION, "mode": compiled.mode,
             "target": compiled.target, "options": compiled.options,
             "input_shapes": [list(s) for s in compiled.input_shapes],
             "torch": torch.__version__,
             "convolutions": [vars(c) for c in compiled.ir_report.convolutions],
             "block_of": compiled.block_of, "blocks": blocks,
             "library": LIBRARY_NAME if compiled.library_dir is not None else None}
    (out / MODEL_NAME).write_text(json.dumps(model, indent=1) + "\n")
    return out


def _read(directory):
    path = Path(directory) / MODEL_NAME
    try:
        saved = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no saved model here (CompiledModel.save writes it)") \
            from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not a saved model ({error})") from None
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ValueError(f"{path}: not a saved model (no \"format\": \"{FORMAT}\")")
    if saved.get("version") != VERSION:
        raise ValueError(f"{path}: saved in format version {saved.get('version')}; this "
                         f"convbn reads version {VERSION}: compile and save the model again")
    return saved


def load(model, example_inputs, directory):
    """Attaches the code saved in `directory` to `model` (the same
    architecture, batch norms in eval mode, on the target's device) for
    inputs shaped like `example_inputs`. Returns a CompiledModel like
    convbn.compile's (its `stages` are empty: no IR is kept). Raises
    FileNotFoundError or ValueError (no saved model there, another format,
    other input shapes), ImportFailure (torch.export failed) or
    CompileError (the model does not match the saved one)."""
    saved = _read(directory)
    example_inputs = check_model(model, example_inputs, "convbn.load")
    shapes = [list(t.shape) for t in example_inputs]
    if shapes != saved["input_shapes"]:
        raise ValueError(f"{directory}: the model was compiled for input shapes "
                         f"{[tuple(s) for s in saved['input_shapes']]}, got "
                         f"{[tuple(s) for s in shapes]}: compile it again for these shapes")
    report = RaiseReport([ConvReport(**c) for c in saved["convolutions"]])
    library = None
    blocks = []
    if saved["library"] is not None:
        library = CompiledModule(Path(directory) / saved["library"], saved["target"])
        for i, block in enumerate(saved["blocks"]):
            sigs = {f"{block['name']}_{kind}": (_from_types(block[kind]["arguments"]),
                                                _from_types(block[kind]["results"]))
                    for kind in ("forward", "backward", "backward_weights") if kind in block}
            blocks.append(_Block(library, i, sigs, block["attributes"], saved["mode"]))
    program, _ = export_model(model, example_inputs)
    try:
        compiled = attach(model, example_inputs, program, report, {}, library, blocks,
                          saved["block_of"], saved["mode"], saved["target"],
                          source="the saved model")
    except CompileError as error:
        if saved["torch"] != torch.__version__:
            raise CompileError(f"{error} (saved with PyTorch {saved['torch']}, loaded with "
                               f"{torch.__version__}: their exported programs may differ)") \
                from error
        raise
    compiled.options = saved["options"]
    compiled.library_dir = Path(directory) if library is not None else None
    return compiled


__all__ = ["load", "save", "MODEL_NAME"]
