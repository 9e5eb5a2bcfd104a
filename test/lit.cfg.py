# -*- Python -*-
# lit configuration of the convbn regression tests.

import ctypes
import os
import shutil
import subprocess
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "CONVBN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.convbn_obj_root, "test")
config.excludes = ["runtime_errors.c", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "cases.py", "conformance.py", "robustness.py", "network_parity.py", "bad_input.py", "emit_linalg.py", "readme_example.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%convbn_src_root", config.convbn_src_root))
config.substitutions.append(("%convbn_obj_root", config.convbn_obj_root))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
# `not` and `count` at the start of a RUN line come from PATH.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

if config.convbn_assertions.upper() in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("convbn-asserts")

tool_dirs = [config.convbn_tools_dir, config.llvm_tools_dir]
tools = [
    ToolSubst("convbn-opt", unresolved="fatal"),
    ToolSubst("mlir-runner", unresolved="fatal"),
    ToolSubst("mlir-translate", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# Runtime libraries for executing tests (mlir-runner -shared-libs=...).
for name in ("mlir_runner_utils", "mlir_c_runner_utils"):
    config.substitutions.append(
        ("%" + name, os.path.join(config.llvm_lib_dir, "lib" + name + ".so"))
    )

# A C compiler for tests that build against the runtime library.
clang = shutil.which("clang-22") or os.path.join(config.llvm_tools_dir, "clang")
config.substitutions.append(("%clang", clang))

# GPU features: `ptxas` when the CUDA toolkit can assemble kernels (offline);
# `cuda-driver` when libcuda.so.1 loads; `cuda-gpu` when the
# project's own runtime initializes a device (tests that execute on a GPU
# require it and are skipped elsewhere); `cuda-stub` when the toolkit's stub
# libcuda exists (for the no-driver error path).
try:
    ctypes.CDLL("libcuda.so.1")
    config.available_features.add("cuda-driver")
except OSError:
    pass
runtime = os.path.join(config.convbn_obj_root, "lib", "libconvbn_cuda_runtime.so")
if "cuda-driver" in config.available_features and os.path.exists(runtime):
    os.environ["CONVBN_RUNTIME_QUIET"] = "1"
    if ctypes.CDLL(runtime).convbnRuntimeAvailable() == 1:
        config.available_features.add("cuda-gpu")
if os.path.exists("/usr/local/cuda/bin/ptxas"):
    config.available_features.add("ptxas")
cuda_stub = "/usr/local/cuda/lib64/stubs/libcuda.so"
if os.path.exists(cuda_stub):
    config.available_features.add("cuda-stub")
    config.substitutions.append(("%cuda_stub", cuda_stub))

# The project's Python (its virtual environment) for the numerical suites;
# `torch` is a feature when PyTorch imports there.
config.substitutions.append(("%convbn_python", config.convbn_python))
config.environment["PYTHONPATH"] = os.path.join(config.convbn_src_root, "python")
config.environment["CONVBN_BUILD_DIR"] = config.convbn_obj_root


def add_feature_if_imports(feature, modules, missing):
    """Adds lit feature `feature` if `modules` import in the project's
    Python; otherwise notes that `missing`."""
    try:
        subprocess.run(
            [config.convbn_python, "-c", "import " + modules],
            check=True, capture_output=True, timeout=120,
        )
        config.available_features.add(feature)
    except (OSError, subprocess.SubprocessError):
        lit_config.note(missing)


# `nvdisasm`: NVIDIA's disassembler is found (for ptxreport's SASS counts).
add_feature_if_imports(
    "nvdisasm",
    "convbn.ptxreport as r, sys; sys.exit(0 if r.find_nvdisasm() else 1)",
    "nvdisasm is not found (pip install nvidia-cuda-nvdisasm): SASS checks are unsupported")
add_feature_if_imports(
    "torch", "torch",
    "PyTorch does not import in " + config.convbn_python + ": tests that need it are unsupported")
# `torch-mlir`: torch-mlir and torchvision import (the PyTorch flow's tests).
add_feature_if_imports(
    "torch-mlir", "torch_mlir.fx, torchvision",
    "torch-mlir or torchvision does not import in " + config.convbn_python +
    ": the PyTorch-flow tests are unsupported")
