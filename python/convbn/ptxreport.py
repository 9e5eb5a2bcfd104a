"""What the GPU pipeline put in each kernel, without a GPU.

    python -m convbn.ptxreport module.llvm.mlir [--ptxas PATH] [--keep DIR]

reads a module lowered by `-convbn-gpu-pipeline{format=isa}` (PTX embedded
in `gpu.binary` ops), and for every kernel prints its tensor-core
instructions (`mma.sync` with its shape and types, `ldmatrix`), its
shared-memory buffers, and ptxas's resource report for sm_90 (registers,
spills, stack, shared memory). For a kernel with a loop around its
`mma.sync` instructions (the K loop of the tensor-core kernels), it also
counts the PTX instructions of that loop's body by kind: what one K step
issues per thread besides its tensor-core work (the gathers' index
arithmetic, mostly). Exit status 1 if ptxas rejects a kernel or a kernel
spills to local memory.
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


LABEL = re.compile(r"^(\$\w+):$")
BRANCH = re.compile(r"\bbra(?:\.uni)?\s+(\$\w+)")


def basic_blocks(ptx):
    """The kernel's instructions by basic block, in order: [(label, [insn])]."""
    blocks, pending = [("", [])], ""
    for line in ptx.splitlines():
        text = line.split("//")[0].strip()
        label = LABEL.match(text)
        if label:
            blocks.append((label.group(1), []))
        elif text in ("", "{", "}", ")") or (not pending and text.startswith(".")):
            continue  # declarations and directives
        else:
            # An instruction may span lines (mma.sync's operand lists).
            pending += " " + text
            if pending.endswith(";"):
                insn = pending.rstrip(";").strip()
                blocks[-1][1].append(insn)
                pending = ""
                # A branch ends a block; what follows falls through to a
                # block without a label.
                if BRANCH.search(insn):
                    blocks.append((f"#{len(blocks)}", []))
    return blocks


def mma_loop(ptx):
    """(instructions, inner) of the largest natural loop (in PTX's control
    flow) that contains an mma.sync, or None: a K loop's body, every path
    of it counted once; `inner`: whether it contains a loop of its own,
    whose body is then counted once too, not once per iteration."""
    blocks = basic_blocks(ptx)
    names = [name for name, _ in blocks]
    body = dict(blocks)
    successors = {}
    for index, (name, insns) in enumerate(blocks):
        targets, falls = [], True
        for insn in insns:
            branch = BRANCH.search(insn)
            if branch:
                targets.append(branch.group(1))
                falls = falls and insn.startswith("@")
            elif insn.split()[0] in ("ret", "exit"):
                falls = False
        if falls and index + 1 < len(blocks):
            targets.append(names[index + 1])
        successors[name] = targets
    predecessors = collections.defaultdict(list)
    for name, targets in successors.items():
        for target in targets:
            predecessors[target].append(name)
    loops = []
    for tail, targets in successors.items():
        for head in targets:
            # The natural loop of the edge tail -> head, if head dominates
            # tail in the structured code the pipeline emits (the entry
            # block is never inside a loop).
            loop, work = {head}, [tail]
            while work:
                node = work.pop()
                if node not in loop:
                    loop.add(node)
                    work.extend(predecessors[node])
            if "" not in loop:
                loops.append((head, loop))
    best = None
    for head, loop in loops:
        insns = [insn for node in names if node in loop for insn in body[node]]
        if any(insn.startswith("mma.sync") for insn in insns) and \
                (best is None or len(insns) > len(best[0])):
            inner = any(other != head and other in loop for other, _ in loops)
            best = (insns, inner)
    return best


def loop_profile(insns):
    """Counts of a loop body's instructions by kind."""
    kinds = collections.Counter()
    for insn in insns:
        opcode = insn.split()[1] if insn.startswith("@") else insn.split()[0]
        if opcode.startswith(("mma.", "ldmatrix.", "wgmma.")):
            kind = opcode.split(".")[0]
        elif opcode.startswith(("ld.global", "ld.shared", "st.shared", "st.global")):
            kind = ".".join(opcode.split(".")[:2])
        elif opcode.startswith("bar."):
            kind = "barrier"
        else:
            kind = "other"
        kinds[kind] += 1
    return kinds


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
        found = mma_loop(ptx)
        if found:
            loop, inner = found
            kinds = loop_profile(loop)
            named = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())
                              if kind != "other")
            per = "in its body, an inner loop's counted once" if inner else "per step"
            print(f"  K loop: {len(loop)} PTX instructions {per} ({named}, "
                  f"{kinds['other']} other: index arithmetic, predicates, branches, moves)")
    print(f"{shown} of {len(kernels)} kernels reported, assembled by ptxas for {args.chip}")
    return status


if __name__ == "__main__":
    sys.exit(main())
