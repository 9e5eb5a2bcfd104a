"""Locating and running the compiler's command-line tools."""

import functools
import os
import shutil
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LLVM_PREFIX = Path(os.environ.get("CONVBN_LLVM_PREFIX", "/usr/lib/llvm-22"))


class ToolError(RuntimeError):
    """A tool failed; the message holds its command line and diagnostics."""


class Toolchain:
    """The native tools the Python package runs: clang from LLVM 22 (to
    compile and link generated LLVM IR) and the project's build, where the
    C API library (convbn.capi) and the CUDA runtime live. `build_dir`
    defaults to $CONVBN_BUILD_DIR or <repo>/build."""

    def __init__(self, build_dir=None):
        build = Path(build_dir or os.environ.get("CONVBN_BUILD_DIR", REPO_ROOT / "build"))
        self.build_dir = build
        self.clang = Path(shutil.which("clang-22") or LLVM_PREFIX / "bin" / "clang")
        self.runtime_libs = LLVM_PREFIX / "lib"
        if not self.clang.exists():
            raise ToolError(
                f"{self.clang} not found: run `scripts/dev.sh setup` (or set CONVBN_LLVM_PREFIX)"
            )

    @functools.cached_property
    def compiler_builtins(self):
        """clang's compiler-rt builtins archive (Debian: libclang-rt-22-dev),
        for the helpers LLVM calls where the target has no instruction and
        libgcc no routine: bookworm's libgcc 12 lacks __truncsfbf2, which
        LLVM calls for a scalar f32 -> bf16 truncation on x86."""
        path = Path(self.run([self.clang, "--rtlib=compiler-rt", "-print-libgcc-file-name"]).strip())
        if not path.is_file():
            raise ToolError(
                f"clang's compiler-rt builtins ({path}) are missing: "
                "install libclang-rt-22-dev (scripts/dev.sh setup does)"
            )
        return path

    def run(self, args, stdin=None):
        proc = subprocess.run(
            [str(a) for a in args], input=stdin, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise ToolError(
                f"{Path(str(args[0])).name} failed (exit {proc.returncode}):\n"
                f"  {' '.join(str(a) for a in args)}\n{proc.stderr.strip()}"
            )
        return proc.stdout
