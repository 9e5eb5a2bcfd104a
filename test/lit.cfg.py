# -*- Python -*-
# lit configuration of the convbn regression tests.

import os
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "CONVBN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.convbn_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

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
tools = [ToolSubst("convbn-opt", unresolved="fatal")]
llvm_config.add_tool_substitutions(tools, tool_dirs)
