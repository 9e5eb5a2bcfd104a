"""Feeds convbn-opt inputs that are not valid IR and checks that it fails
cleanly: exit code 1 with an `error:` diagnostic (or 0 when the input
happens to be valid), never a crash, an assertion or a hang.

Inputs, all deterministic (fixed seeds):
  * random bytes of many lengths;
  * random sequences of IR tokens (reach the parser's and verifiers' corners);
  * every test file of test/Dialect/ConvBN cut at many points (truncated IR);
  * those files with one or two of their numbers replaced everywhere by an
    extreme value (0, -1, huge, dynamic), run through every convbn pass so
    the verifiers and the rewrites see them.

usage: robustness.py CONVBN_OPT TEST_DIR [--seed N]
"""

import argparse
import concurrent.futures
import os
import random
import re
import subprocess
import sys

TIMEOUT_S = 20
PASSES = [
    "-convbn-raise-from-linalg=report",
    "-canonicalize",
    "-convbn-eval-to-tune",
    "-convbn-deploy-fold",
    "-convbn-decompose-tune",
    "-convert-convbn-to-linalg",
]
# Every other mutated input instead goes through the block extraction and
# the CPU vectorization of the lowered convolutions.
PASSES_EXTRACT = [
    "-convbn-raise-from-linalg",
    "-convbn-extract-blocks=mode=eval",
    "-convert-convbn-to-linalg",
    "-convbn-vectorize-convolutions",
]
# Crashes inside upstream MLIR (the packaged 22.1.8) that mlir-opt shows on
# the same input, recognized by the diagnostic printed before the crash:
# linalg.broadcast's custom parser crashes after failing to parse its
# `dimensions` (e.g. `dimensions = [0, ?, 3]`). Counted and reported, not
# failures of this project.
KNOWN_UPSTREAM_CRASHES = ["custom op 'linalg.broadcast' expected integer value"]
TOKENS = (
    "func.func @f ( ) -> { } : , = -> %x %w %m %v %gz %0 %1:2 # "
    "convbn.conv_bn convbn.backward convbn.fold train eval tune deploy infer "
    "bias gamma beta mean var grads <input|filter> <gamma|beta> <> "
    "conv_output batch_mean batch_inv_std tensor<2x4x8xf32> tensor<6x4x3xf32> "
    "tensor<6xf32> tensor<2x6x6xf32> tensor<?x4x8xf16> tensor<0x0x0xbf16> "
    "tensor<*xf32> tensor<6xi32> {strides = array<i64: 0>} "
    "{padding_low = array<i64: -1>} {groups = 0 : i64} {epsilon = 0.0 : f64} "
    "{momentum = 2.0 : f64} arith.constant dense<1.0> dense<[1.0, 2.0]> "
    "return // ----- \" \\ 0x7FC00000 9223372036854775807"
).split()
NUMBER = re.compile(r"(?<![A-Za-z_%@#.\d])\d+(?![A-Za-z_.\d])")
EXTREMES = ["0", "1", "-1", "?", "3", "9223372036854775807", "4294967296"]


def make_inputs(test_dirs, seed):
    rng = random.Random(seed)
    inputs = []
    for i in range(120):
        size = rng.choice([1, 2, 7, 64, 300, 2048])
        inputs.append((f"bytes-{i}", bytes(rng.getrandbits(8) for _ in range(size)), []))
    for i in range(120):
        text = " ".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 60)))
        inputs.append((f"tokens-{i}", text.encode(), []))
    sources = sorted(os.path.join(d, f) for d in test_dirs for f in os.listdir(d)
                     if f.endswith(".mlir"))
    for path in sources:
        name = os.path.basename(path)
        with open(path, "rb") as f:
            data = f.read()
        chunks = [c for c in data.split(b"// -----") if c.strip()]
        for ci, chunk in enumerate(chunks):
            cuts = sorted(rng.sample(range(1, len(chunk)), min(12, len(chunk) - 1)))
            for cut in cuts:
                inputs.append((f"{name}[{ci}]-cut{cut}", chunk[:cut], []))
            text = chunk.decode()
            numbers = sorted(set(NUMBER.findall(text)))
            for mi in range(6):
                # Replace one or two numbers by the same extreme value
                # everywhere, so types stay consistent and the input gets
                # past the parser into the verifiers and the rewrites.
                picked = rng.sample(numbers, min(len(numbers), rng.randint(1, 2)))
                mutated = text
                for number in picked:
                    value = rng.choice(EXTREMES)
                    mutated = NUMBER.sub(
                        lambda m: value if m.group(0) == number else m.group(0), mutated
                    )
                flags = PASSES if mi % 2 == 0 else PASSES_EXTRACT
                inputs.append((f"{name}[{ci}]-mut{mi}", mutated.encode(), flags))
    return inputs


def run_one(tool, item):
    """Returns (exit code, problem or None)."""
    label, data, flags = item
    try:
        proc = subprocess.run(
            [tool, "-", "-o", os.devnull] + flags,
            input=data,
            capture_output=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        return None, f"{label}: timed out after {TIMEOUT_S}s"
    stderr = proc.stderr.decode(errors="replace")
    code = proc.returncode
    if code not in (0, 1):
        if any(sig in stderr for sig in KNOWN_UPSTREAM_CRASHES):
            return (code, "known upstream crash"), None
        return code, f"{label}: exit code {code} (crash?)\n{stderr[-2000:]}"
    if code == 1 and "error:" not in stderr:
        return code, f"{label}: failed without an error diagnostic\n{stderr[-2000:]}"
    # Which diagnostics fire tells whether inputs reach past the lexer.
    return (code, "verifier" if "' op " in stderr else None), None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tool")
    parser.add_argument("test_dirs", nargs="+")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    inputs = make_inputs(args.test_dirs, args.seed)
    failures = []
    accepted = rejected = by_verifier = upstream = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for outcome, problem in pool.map(lambda i: run_one(args.tool, i), inputs):
            if problem:
                failures.append(problem)
                continue
            code, kind = outcome
            if kind == "known upstream crash":
                upstream += 1
                continue
            accepted += code == 0
            rejected += code == 1
            by_verifier += kind == "verifier"
    for problem in failures:
        print("FAIL", problem)
    print(
        f"robustness: {len(inputs)} inputs: {accepted} accepted, {rejected} "
        f"rejected with a diagnostic ({by_verifier} by an op verifier), "
        f"{upstream} known upstream crashes, {len(failures)} failures"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
