"""Builds a scalar f32 -> bf16 truncation the way compile_module builds CPU
libraries and checks its values against PyTorch's rounding, bit for bit
(argv[1]: the workdir), and that the CPU pipeline left LLVM no bf16
truncation to lower (fptrunc ... to bfloat): on x86 LLVM lowers one to a
call of compiler-rt's __truncsfbf2 (which Debian bookworm's libgcc lacks) or,
where -march has AVX512-BF16, to vcvtneps2bf16, which flushes subnormals."""

import sys
from pathlib import Path

import torch

import convbn

N = 7
TEXT = f"""
#id = affine_map<(i) -> (i)>
func.func @truncate(%x: tensor<{N}xf32>) -> tensor<{N}xbf16> attributes {{llvm.emit_c_interface}} {{
  %e = tensor.empty() : tensor<{N}xbf16>
  %r = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel"]}}
      ins(%x : tensor<{N}xf32>) outs(%e : tensor<{N}xbf16>) {{
  ^bb0(%a: f32, %o: bf16):
    %t = arith.truncf %a : f32 to bf16
    linalg.yield %t : bf16
  }} -> tensor<{N}xbf16>
  return %r : tensor<{N}xbf16>
}}
"""

module = convbn.compile_module(TEXT, target="cpu", eval_to_tune=False, workdir=sys.argv[1])
# Ties to even both ways, a value that rounds up, a negative one, and
# magnitudes near bf16's limits.
bits = torch.tensor([0x3F808000, 0x3F818000, 0x3F80C001, 0xBF7FFFFF,
                     0x7F7F0000, 0x00010000, 0x40490FDB], dtype=torch.int64)
x = bits.to(torch.int32).view(torch.float32)
out = torch.empty(N, dtype=torch.bfloat16)
module.call("truncate", [x], [out])
print("bits equal:", torch.equal(out.view(torch.int16), x.to(torch.bfloat16).view(torch.int16)))
llvm_ir = (Path(sys.argv[1]) / "module.ll").read_text()
print("fptrunc to bfloat in the LLVM IR:",
      any("fptrunc" in line and "to bfloat" in line for line in llvm_ir.splitlines()))
