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
arithmetic, mostly). Where NVIDIA's disassembler `nvdisasm` is found (on
PATH, in the CUDA toolkit, or from PyPI's `nvidia-cuda-nvdisasm`, which
the project's environment installs), it counts the same in the machine
code ptxas assembled (SASS), which is what the GPU issues: ptxas unrolls,
schedules and rewrites PTX, so the two counts differ. Exit status 1 if
ptxas rejects a kernel or a kernel spills to local memory.
"""

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BINARY = re.compile(r'gpu\.binary @(\w+)\s+\[.*?assembly = "')
ESCAPE = re.compile(r"\\([0-9A-Fa-f]{2})")


# Where a kernel starts: `.visible .entry NAME(` (the NVPTX back end emits
# the module-scope declarations, such as the extern dynamic shared memory,
# before the first).
ENTRY = re.compile(r"^[ \t]*(?:\.visible[ \t]+)?\.entry[ \t]+(\w+)\(", re.M)


def entries(ptx):
    """(name, PTX) for each kernel of a PTX module: the module's header
    (version, target, module-scope declarations) and that kernel alone, so
    that ptxas reports on it alone."""
    starts = list(ENTRY.finditer(ptx))
    header = ptx[:starts[0].start()] if starts else ptx
    for match, after in zip(starts, starts[1:] + [None]):
        yield match.group(1), header + ptx[match.start():after.start() if after else len(ptx)]


def kernels_of(llvm_dialect_text):
    """(name, PTX) for each kernel of each gpu.binary whose object holds
    PTX: named after its binary where that holds one kernel (a module per
    kernel, as outlined: the kernels' own names repeat), else after the
    kernel (-convbn-merge-gpu-modules: one module, each kernel named after
    the module it was outlined to)."""
    for match in BINARY.finditer(llvm_dialect_text):
        end = match.end()
        while True:
            end = llvm_dialect_text.index('"', end)
            if llvm_dialect_text[end - 1] != "\\":
                break
            end += 1
        raw = llvm_dialect_text[match.end():end]
        ptx = ESCAPE.sub(lambda e: chr(int(e.group(1), 16)), raw)
        kernels = list(entries(ptx))
        if len(kernels) == 1:
            yield match.group(1), ptx
        else:
            yield from kernels


FUNCTION = re.compile(r"^\s*llvm\.func @\w+\(", re.M)
CONSTANT = re.compile(r"(%\w+) = llvm\.mlir\.constant\((-?\d+)(?: : \w+)?\) : i\d+")
# A launch's kernel: @module::@kernel.
LAUNCHED = r"gpu\.launch_func\s+(?:<[^>]*>\s+)?@(\w+)::@(\w+)"
LAUNCH = re.compile(LAUNCHED + r"\s+"
                    r"blocks in \((%\w+), (%\w+), (%\w+)\)\s+"
                    r"threads in \((%\w+), (%\w+), (%\w+)\)\s*(?::\s*\w+)?"
                    r"(?:\s+dynamic_shared_memory_size (%\w+))?")


def launched_kernels(llvm_dialect_text):
    """{module: {kernel}} of the gpu.launch_func ops."""
    kernels = collections.defaultdict(set)
    for module, kernel in re.findall(LAUNCHED, llvm_dialect_text):
        kernels[module].add(kernel)
    return kernels


def launches(llvm_dialect_text):
    """{kernel: (grid, block, dynamic shared bytes)} of each gpu.launch_func
    whose sizes are constants of its host function (the pipeline's launches
    are: the shapes are static), the kernel named as kernels_of() names it:
    after its module where the launches name one kernel of that module,
    else after itself."""
    kernels = launched_kernels(llvm_dialect_text)
    found = {}
    starts = [m.start() for m in FUNCTION.finditer(llvm_dialect_text)] + [len(llvm_dialect_text)]
    for begin, end in zip(starts, starts[1:]):
        body = llvm_dialect_text[begin:end]
        constants = {name: int(value) for name, value in CONSTANT.findall(body)}
        for match in LAUNCH.finditer(body):
            sizes = [constants.get(v) for v in match.groups()[2:8]]
            if None in sizes:
                continue
            module, kernel, dynamic = match.group(1), match.group(2), match.group(9)
            found[module if len(kernels[module]) == 1 else kernel] = (
                tuple(sizes[:3]), tuple(sizes[3:]), constants.get(dynamic, 0) if dynamic else 0)
    return found


# What limits the blocks resident on one SM of an H100 or H200 (compute
# capability 9.0, CUDA's occupancy rules): threads, blocks, registers
# (allocated per warp in units of 256) and shared memory (228 KiB, in units
# of 128 bytes, 1 KiB of each block's reserved by the system).
SM90 = {"sms": 132, "threads": 2048, "blocks": 32, "registers": 65536,
        "register_unit": 256, "shared": 233472, "shared_unit": 128, "shared_reserved": 1024}


def occupancy(threads, registers, shared_bytes, limits=SM90):
    """Blocks of `threads` threads, `registers` each and `shared_bytes`
    (static plus dynamic) that one SM holds at once."""
    def up(value, unit):
        return -(-value // unit) * unit
    warps = -(-threads // 32)
    per_warp = up(max(registers, 1) * 32, limits["register_unit"])
    by_registers = (limits["registers"] // per_warp) // warps
    per_block = up(shared_bytes, limits["shared_unit"]) + limits["shared_reserved"]
    by_shared = limits["shared"] // per_block
    return min(limits["blocks"], limits["threads"] // (warps * 32), by_registers, by_shared)


def waves(grid, block, registers, shared_bytes, limits=SM90):
    """{'blocks', 'resident' (per SM), 'waves' (blocks over the device's
    resident slots), 'used' (blocks over the slots of the whole waves they
    take: a grid just past a wave leaves most of its last one idle)} of a
    launch."""
    blocks = grid[0] * grid[1] * grid[2]
    resident = occupancy(block[0] * block[1] * block[2], registers, shared_bytes, limits)
    slots = resident * limits["sms"]
    if not slots:
        return {"blocks": blocks, "resident": 0, "waves": float("inf"), "used": 0.0}
    return {"blocks": blocks, "resident": resident, "waves": blocks / slots,
            "used": blocks / (-(-blocks // slots) * slots)}


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
        elif opcode.startswith("cp.async."):
            kind = "cp.async"
        elif opcode.startswith("bar."):
            kind = "barrier"
        else:
            kind = "other"
        kinds[kind] += 1
    return kinds


def resources(ptx_path, ptxas, chip, cubin="/dev/null"):
    """ptxas -v's report: {'registers', 'spill_stores', 'spill_loads',
    'stack', 'smem'}, the machine code written to `cubin`; raises
    CalledProcessError if ptxas rejects it."""
    result = subprocess.run([ptxas, f"-arch={chip}", "-v", str(ptx_path), "-o", str(cubin)],
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


def find_nvdisasm():
    """NVIDIA's disassembler: on PATH, in the CUDA toolkit, or in the
    `nvidia` namespace package of PyPI's nvidia-cuda-nvdisasm; or None."""
    found = shutil.which("nvdisasm")
    if found:
        return found
    candidates = [Path("/usr/local/cuda/bin/nvdisasm")]
    try:
        import nvidia  # namespace package of NVIDIA's PyPI wheels
        candidates += [path for root in nvidia.__path__
                       for path in sorted(Path(root).glob("*/bin/nvdisasm"))]
    except ImportError:
        pass
    return next((str(path) for path in candidates if path.is_file()), None)


SASS_LINE = re.compile(r"^\s*/\*[0-9a-f]+\*/\s+(.*?)\s*;")
SASS_LABEL = re.compile(r"^(\.L_\w+):")
SASS_TARGET = re.compile(r"`\((\.L_\w+)\)")


def sass_of(cubin, nvdisasm):
    """The kernel's machine instructions in order, and {label: index of
    the instruction it names}."""
    text = subprocess.run([nvdisasm, "-c", str(cubin)], capture_output=True,
                          text=True, check=True).stdout
    insns, labels = [], {}
    for line in text.splitlines():
        label = SASS_LABEL.match(line)
        if label:
            labels[label.group(1)] = len(insns)
        insn = SASS_LINE.match(line)
        if insn:
            insns.append(insn.group(1))
    return insns, labels


def sass_opcode(insn):
    words = insn.split()
    return words[1] if words[0].startswith("@") and len(words) > 1 else words[0]


def sass_kind(insn):
    # Never executed (predicated on false): ptxas's padding, such as the
    # `@!PT LDS RZ, [RZ]` it puts before LDGSTS.
    if insn.split()[0] == "@!PT":
        return "never-executed"
    opcode = sass_opcode(insn)
    for prefix, kind in (("HMMA", "HMMA"), ("HGMMA", "HGMMA"), ("LDSM", "LDSM"),
                         ("LDGSTS", "LDGSTS"), ("LDGDEPBAR", "DEPBAR"),
                         ("DEPBAR", "DEPBAR"), ("LDG", "LDG"), ("STS", "STS"),
                         ("LDS", "LDS"), ("BAR", "BAR")):
        if opcode.startswith(prefix):
            return kind
    return "other"


def sass_loop(insns, labels, mma_per_step):
    """(the loop's instructions, the K steps they hold, whether it is an
    estimate, how ptxas laid the loop out), or None:
    the SASS loop (a backward branch) holding the most HMMA, its length
    scaled to one step's `mma_per_step`; when ptxas unrolled the K loop
    completely, the stretch from the first to the last HMMA instead."""
    is_mma = [sass_kind(insn) in ("HMMA", "HGMMA") for insn in insns]
    best = None
    for index, insn in enumerate(insns):
        target = SASS_TARGET.search(insn)
        if not target or not sass_opcode(insn).startswith("BRA"):
            continue
        head = labels.get(target.group(1))
        if head is None or head > index:
            continue
        count = sum(is_mma[head:index + 1])
        if count and (best is None or count > best[2] or
                      (count == best[2] and index - head < best[1] - best[0])):
            best = (head, index, count)
    if best:
        head, tail, count = best
        steps = count / mma_per_step
        how = "" if steps == 1 else f"ptxas unrolled it {steps:g}x"
        return insns[head:tail + 1], steps, False, how
    mmas = [index for index, flag in enumerate(is_mma) if flag]
    if not mmas:
        return None
    steps = len(mmas) / mma_per_step
    return (insns[mmas[0]:mmas[-1] + 1], steps, True,
            f"ptxas unrolled all {steps:g} steps: first to last HMMA")


def sass_profile(cubin, nvdisasm, mma_per_step):
    """The K loop's machine code: {'per_step', 'estimate', 'how',
    'kinds' (per step), 'wide' (per step)}, or None without HMMA."""
    insns, labels = sass_of(cubin, nvdisasm)
    found = sass_loop(insns, labels, mma_per_step)
    if not found:
        return None
    body, steps, estimate, how = found
    kinds = collections.Counter(sass_kind(insn) for insn in body)
    vectors = collections.Counter(sass_kind(insn) for insn in body
                                  if is_vector_access(insn))
    return {"per_step": len(body) / steps, "estimate": estimate, "how": how,
            "kinds": {kind: count / steps for kind, count in kinds.items()},
            "vectors": {kind: count / steps for kind, count in vectors.items()},
            "wide": sum(1 for insn in body if is_64_bit_half(insn)) / steps}


def is_vector_access(insn):
    """Whether a global load or shared store moves 8 or 16 bytes per
    thread (LDG.E.128, STS.64, ...)."""
    return sass_kind(insn) in ("LDG", "STS") and \
        bool({"64", "128"} & set(sass_opcode(insn).split(".")[1:]))


def number(value):
    return f"{value:.0f}" if value == round(value) else f"{value:.1f}"


def sass_line(sass):
    """The report's line on the K loop's machine code."""
    kinds = sass["kinds"]
    named = ", ".join(f"{number(kinds[kind])} {kind}" for kind in sorted(kinds)
                      if kind != "other")
    how = f" ({sass['how']})" if sass["how"] else ""
    vectors = sass.get("vectors", {})
    wide = "".join(f"; {number(vectors[kind])} of the {kind} of 8 or 16 bytes"
                   for kind in sorted(vectors))
    return (f"K loop in SASS: {'about ' if sass['estimate'] else ''}"
            f"{number(sass['per_step'])} instructions per step{how} ({named}, "
            f"{number(kinds.get('other', 0))} other, of which {number(sass['wide'])} "
            f"64-bit carries and high halves{wide})")


def is_64_bit_half(insn):
    """Whether an instruction is the carry or high half of a 64-bit integer
    operation (IADD3.X, LEA.HI.X, ISETP...EX, SHF.L.U64.HI, IMAD.WIDE):
    what 32-bit index arithmetic saves. A 32-bit funnel shift
    (SHF.R.U32.HI, a plain shift right) is not one."""
    parts = set(sass_opcode(insn).split(".")[1:])
    return bool(parts & {"X", "EX", "WIDE"} or {"HI", "U64"} <= parts)


def analyze(name, ptx, keep, ptxas="/usr/local/cuda/bin/ptxas", chip="sm_90",
            nvdisasm=None):
    """One kernel's report: {'name', 'ops' (tensor-core instructions),
    'resources' (ptxas -v), 'ptx_loop' ((instructions, inner, kinds) of
    the K loop or None), 'sass' (sass_profile or None)}. Writes the PTX and
    the cubin into `keep`; raises CalledProcessError if ptxas rejects it."""
    path = Path(keep) / f"{name}.ptx"
    path.write_text(ptx)
    cubin = Path(keep) / f"{name}.cubin"
    result = {"name": name, "ops": instructions(ptx),
              "resources": resources(path, ptxas, chip, cubin),
              "ptx_loop": None, "sass": None}
    found = mma_loop(ptx)
    if found:
        loop, inner = found
        kinds = loop_profile(loop)
        result["ptx_loop"] = (len(loop), inner, kinds)
        if nvdisasm and kinds["mma"] and not inner:
            result["sass"] = sass_profile(cubin, nvdisasm, kinds["mma"])
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m convbn.ptxreport",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("input", help="LLVM-dialect module from -convbn-gpu-pipeline{format=isa}")
    parser.add_argument("--ptxas", default="/usr/local/cuda/bin/ptxas")
    parser.add_argument("--nvdisasm", default=None,
                        help="NVIDIA's disassembler, for the SASS counts (default: found "
                             "on PATH, in /usr/local/cuda, or in the venv's nvidia package)")
    parser.add_argument("--chip", default="sm_90")
    parser.add_argument("--keep", help="write each kernel's PTX and cubin into this directory")
    parser.add_argument("--only-tensor-cores", action="store_true",
                        help="report only kernels with tensor-core instructions")
    args = parser.parse_args(argv)

    kernels = list(kernels_of(Path(args.input).read_text()))
    if not kernels:
        print(f"{args.input}: no PTX found (compile with -convbn-gpu-pipeline=\"format=isa\")",
              file=sys.stderr)
        return 1
    # Without --keep, a scratch directory that goes when main returns.
    scratch = None if args.keep else tempfile.TemporaryDirectory(prefix="convbn-ptx-")
    keep = Path(args.keep or scratch.name)
    keep.mkdir(parents=True, exist_ok=True)
    nvdisasm = args.nvdisasm or find_nvdisasm()
    status, shown = 0, 0
    for name, ptx in kernels:
        if args.only_tensor_cores and not instructions(ptx):
            continue
        try:
            report = analyze(name, ptx, keep, args.ptxas, args.chip, nvdisasm)
        except subprocess.CalledProcessError as error:
            print(f"{name}: ptxas rejected it:\n{error.stderr}", file=sys.stderr)
            status = 1
            continue
        r = report["resources"]
        if r["spill_stores"] or r["spill_loads"]:
            status = 1
        shown += 1
        print(f"{name}: {r['registers']} registers, {r['spill_stores']}+{r['spill_loads']} bytes "
              f"spilled (stores+loads), {r['stack']} bytes stack, {r['smem']} bytes shared memory")
        for op, count in sorted(report["ops"].items()):
            print(f"  {count:4d} x {op}")
        if report["ptx_loop"]:
            count, inner, kinds = report["ptx_loop"]
            named = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())
                              if kind != "other")
            per = "in its body, an inner loop's counted once" if inner else "per step"
            print(f"  K loop: {count} PTX instructions {per} ({named}, "
                  f"{kinds['other']} other: index arithmetic, predicates, branches, moves)")
        if report["sass"]:
            print("  " + sass_line(report["sass"]))
    print(f"{shown} of {len(kernels)} kernels reported, assembled by ptxas for {args.chip}"
          + ("" if nvdisasm else " (no nvdisasm found: no SASS counts)"))
    return status


if __name__ == "__main__":
    sys.exit(main())
