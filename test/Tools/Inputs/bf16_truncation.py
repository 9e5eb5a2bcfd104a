"""Builds scalar f32 -> bf16 and f32 -> f16 truncations the way
compile_module builds CPU libraries, checks their values against PyTorch's
rounding, bit for bit (argv[1]: the workdir), and that the CPU pipeline
left LLVM no bf16 truncation to lower (fptrunc ... to bfloat): on x86
LLVM lowers one to a call of compiler-rt's __truncsfbf2 (which Debian
bookworm's libgcc lacks) or, where -march has AVX512-BF16, to
vcvtneps2bf16, which flushes subnormals."""

import sys
from pathlib import Path

import torch

import convbn

N = 7


def truncation(name, element):
    """A function `name` that truncates N f32 values to `element`."""
    return f"""
func.func @{name}(%x: tensor<{N}xf32>) -> tensor<{N}x{element}> attributes {{llvm.emit_c_interface}} {{
  %e = tensor.empty() : tensor<{N}x{element}>
  %r = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel"]}}
      ins(%x : tensor<{N}xf32>) outs(%e : tensor<{N}x{element}>) {{
  ^bb0(%a: f32, %o: {element}):
    %t = arith.truncf %a : f32 to {element}
    linalg.yield %t : {element}
  }} -> tensor<{N}x{element}>
  return %r : tensor<{N}x{element}>
}}
"""


TEXT = ("#id = affine_map<(i) -> (i)>\n" + truncation("truncate", "bf16")
        + truncation("truncate_f16", "f16"))
module = convbn.compile_module(TEXT, target="cpu", eval_to_tune=False, workdir=sys.argv[1])


def bits_equal(function, dtype, bits):
    """Whether `function` of the f32 values of `bits` equals PyTorch's
    rounding to `dtype`, bit for bit."""
    x = torch.tensor(bits, dtype=torch.int64).to(torch.int32).view(torch.float32)
    out = torch.empty(N, dtype=dtype)
    module.call(function, [x], [out])
    return torch.equal(out.view(torch.int16), x.to(dtype).view(torch.int16))


# Ties to even both ways, a value that rounds up, a negative one, and
# magnitudes near bf16's limits (the largest finite, a subnormal).
print("bits equal:", bits_equal("truncate", torch.bfloat16,
                                [0x3F808000, 0x3F818000, 0x3F80C001, 0xBF7FFFFF,
                                 0x7F7F0000, 0x00010000, 0x40490FDB]))
# The same for f16 (AVX512-FP16's or F16C's conversion where -march has
# one): a tie, f16's smallest subnormal and half of it (a tie to zero), a
# value just below its smallest normal, an f32 subnormal, a negative
# subnormal result, and one that rounds to infinity.
print("f16 bits equal:", bits_equal("truncate_f16", torch.float16,
                                    [0x3F801000, 0x33800000, 0x33000000, 0x387FC000,
                                     0x00010000, 0xB4C00001, 0x477FF000]))
llvm_ir = (Path(sys.argv[1]) / "module.ll").read_text()
print("fptrunc to bfloat in the LLVM IR:",
      any("fptrunc" in line and "to bfloat" in line for line in llvm_ir.splitlines()))
