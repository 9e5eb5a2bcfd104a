"""Builds weight-sized copies of backward-data (the flipped, transposed
filter, and the channels-last filter) the way compile_module builds CPU
libraries, checks the values, and counts the gather and scatter
instructions in the library (argv[1]: the workdir; argv[2]: llvm-objdump)."""

import re
import subprocess
import sys

import torch

import convbn

F, C = 64, 32
TEXT = f"""
#flip = affine_map<(c, f, kh, kw) -> (f, c, 2 - kh, 2 - kw)>
#last = affine_map<(kh, kw, c, f) -> (f, c, kh, kw)>
#id = affine_map<(a, b, c, d) -> (a, b, c, d)>
func.func @flip(%w: tensor<{F}x{C}x3x3xf32>) -> tensor<{C}x{F}x3x3xf32> attributes {{llvm.emit_c_interface}} {{
  %e = tensor.empty() : tensor<{C}x{F}x3x3xf32>
  %r = linalg.generic {{indexing_maps = [#flip, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}}
      ins(%w : tensor<{F}x{C}x3x3xf32>) outs(%e : tensor<{C}x{F}x3x3xf32>) {{
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }} -> tensor<{C}x{F}x3x3xf32>
  return %r : tensor<{C}x{F}x3x3xf32>
}}
func.func @channels_last(%w: tensor<{F}x{C}x3x3xf32>) -> tensor<3x3x{C}x{F}xf32> attributes {{llvm.emit_c_interface}} {{
  %e = tensor.empty() : tensor<3x3x{C}x{F}xf32>
  %r = linalg.generic {{indexing_maps = [#last, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}}
      ins(%w : tensor<{F}x{C}x3x3xf32>) outs(%e : tensor<3x3x{C}x{F}xf32>) {{
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }} -> tensor<3x3x{C}x{F}xf32>
  return %r : tensor<3x3x{C}x{F}xf32>
}}
"""

module = convbn.compile_module(TEXT, target="cpu", eval_to_tune=False, cpu_vectorize=True,
                               workdir=sys.argv[1])
w = torch.randn(F, C, 3, 3)
flipped, last = torch.empty(C, F, 3, 3), torch.empty(3, 3, C, F)
module.call("flip", [w], [flipped])
module.call("channels_last", [w], [last])
print("flip:", torch.equal(flipped, w.transpose(0, 1).flip(2, 3)))
print("channels-last:", torch.equal(last, w.permute(2, 3, 1, 0)))
listing = subprocess.run([sys.argv[2], "-d", f"{sys.argv[1]}/module.so"], check=True,
                         capture_output=True, text=True).stdout
instructions = [line for line in listing.splitlines() if re.match(r"\s+[0-9a-f]+:\s", line)]
print("instructions:", "some" if instructions else "none")
print("gathers and scatters:", sum(bool(re.search(r"\s\w*(?:gather|scatter)\w*\s", line))
                                   for line in instructions))
