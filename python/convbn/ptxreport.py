"""What the GPU pipeline put in each kernel, without a GPU.

    python -m convbn.ptxreport module.llvm.mlir [--ptxas PATH] [--keep DIR]

reads a module lowered by `-convbn-gpu-pipeline{format=isa}` (PTX embedded
in `gpu.binary` ops), and for every kernel prints its tensor-core
instructions (`mma.sync` with its shape and types, `ldmatrix`), its
shared-memory buffers, and ptxas's resource report for sm_90 (registers,
spills, stack, shared memory). Exit status 1 if ptxas rejects a kernel or a
kernel spills to local memory.
"""

import argparse
import collections
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BINARY = re.compile(r'gpu\.binary @(\w+)\s+\[.*?assembly = "')
ESCAPE = re.compile(r"\\([0-9A-Fa-f]{2})")


def kernels_of(llvm_dialect_text):
    """(name, PTX) for each gpu.binary whose object holds PTX."""
    for match in BINARY.finditer(llvm_dialect_text):
        end = match.end()
        while True:
            end = llvm_dialect_text.index('"', end)
            if llvm_dialect_text[end - 1] != "\\":
                break
            end += 1
        raw = llvm_dialect_text[match.end():end]
        yield match.group(1), ESCAPE.sub(lambda e: chr(int(e.group(1), 16)), raw)


def instructions(ptx):
    """Counts of the tensor-core instructions, by full opcode."""
    ops = re.findall(r"\b(mma\.sync\.[\w.]+|ldmatrix\.[\w.]+|wgmma\.[\w.]+)", ptx)
    return collections.Counter(ops)


def resources(ptx_path, ptxas, chip):
    """ptxas -v's report: {'registers', 'spill_stores', 'spill_loads',
    'stack', 'smem'}; raises CalledProcessError if ptxas rejects it."""
    result = subprocess.run([ptxas, f"-arch={chip}", "-v", str(ptx_path), "-o", "/dev/null"],
                            capture_output=True, text=True, check=True)
    text = result.stderr + result.stdout

    def number(pattern):
        found = re.search(pattern, text)
        return int(found.group(1)) if found else 0
    return {"registers": number(r"Used (\d+) registers"),
            "spill_stores": number(r"(\d+) bytes spill stores"),
            "spill_loads": number(r"(\d+) bytes spill loads"),
            "stack": number(r"(\d+) bytes stack frame"),
            "smem": number(r"(\d+) bytes smem")}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m convbn.ptxreport",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("input", help="LLVM-dialect module from -convbn-gpu-pipeline{format=isa}")
    parser.add_argument("--ptxas", default="/usr/local/cuda/bin/ptxas")
    parser.add_argument("--chip", default="sm_90")
    parser.add_argument("--keep", help="write each kernel's PTX into this directory")
    parser.add_argument("--only-tensor-cores", action="store_true",
                        help="report only kernels with tensor-core instructions")
    args = parser.parse_args(argv)

    kernels = list(kernels_of(Path(args.input).read_text()))
    if not kernels:
        print(f"{args.input}: no PTX found (compile with -convbn-gpu-pipeline=\"format=isa\")",
              file=sys.stderr)
        return 1
    keep = Path(args.keep or tempfile.mkdtemp(prefix="convbn-ptx-"))
    keep.mkdir(parents=True, exist_ok=True)
    status, shown = 0, 0
    for name, ptx in kernels:
        ops = instructions(ptx)
        if args.only_tensor_cores and not ops:
            continue
        path = keep / f"{name}.ptx"
        path.write_text(ptx)
        try:
            r = resources(path, args.ptxas, args.chip)
        except subprocess.CalledProcessError as error:
            print(f"{name}: ptxas rejected it:\n{error.stderr}", file=sys.stderr)
            status = 1
            continue
        if r["spill_stores"] or r["spill_loads"]:
            status = 1
        shown += 1
        print(f"{name}: {r['registers']} registers, {r['spill_stores']}+{r['spill_loads']} bytes "
              f"spilled (stores+loads), {r['stack']} bytes stack, {r['smem']} bytes shared memory")
        for op, count in sorted(ops.items()):
            print(f"  {count:4d} x {op}")
    print(f"{shown} of {len(kernels)} kernels reported, assembled by ptxas for {args.chip}")
    return status


if __name__ == "__main__":
    sys.exit(main())
