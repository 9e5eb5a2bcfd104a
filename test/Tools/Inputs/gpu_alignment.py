"""The tensor-core kernels assume 16-byte aligned buffers: CompiledModule.call
passes a CUDA tensor that starts elsewhere (a view at an offset) as an
aligned copy, and writes an output back from its copy. A 1x1 convolution
on tensor cores (its filter gathered in 16-byte vectors) is called on
aligned tensors and on views one element off, both checked against PyTorch
in float64 (exit status 1 if a check fails). With --compile-only (no GPU),
only the library is built, into the workdir; --prebuilt loads it from there
(scripts/gpu-run.sh builds it here and runs it on a GPU machine). Each
line printed is checked by gpu-alignment.test."""

import argparse
from pathlib import Path

import torch

import convbn

IR = """
func.func @conv(%x: tensor<2x16x8x8xf32>, %w: tensor<64x16x1x1xf32>) -> tensor<2x64x8x8xf32>
    attributes {llvm.emit_c_interface} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x64x8x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x64x8x8xf32>) -> tensor<2x64x8x8xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<2x16x8x8xf32>, tensor<64x16x1x1xf32>) outs(%init : tensor<2x64x8x8xf32>) -> tensor<2x64x8x8xf32>
  return %y : tensor<2x64x8x8xf32>
}
"""

parser = argparse.ArgumentParser()
parser.add_argument("workdir")
parser.add_argument("--compile-only", action="store_true")
parser.add_argument("--prebuilt", action="store_true")
args = parser.parse_args()
if args.prebuilt:
    module = convbn.CompiledModule(Path(args.workdir) / "module.so", "cuda")
else:
    module = convbn.compile_module(IR, target="cuda", tensor_cores=True, workdir=args.workdir,
                                   load=not args.compile_only,
                                   pipeline_options="tensor-core-vector-gathers=true")
print("compiled")
if args.compile_only:
    raise SystemExit(0)


def offset_copy(t):
    """`t` in a CUDA buffer one element past a 16-byte boundary."""
    storage = torch.empty(t.numel() + 1, dtype=t.dtype, device="cuda")
    view = storage[1:].view(t.shape)
    view.copy_(t)
    return view


torch.manual_seed(0)
x = torch.randn(2, 16, 8, 8, device="cuda")
w = torch.randn(64, 16, 1, 1, device="cuda")
reference = torch.nn.functional.conv2d(x.double().cpu(), w.double().cpu())
scale = reference.abs().max().item()

aligned = torch.zeros(2, 64, 8, 8, device="cuda")
module.call("conv", [x, w], [aligned])
inputs = [offset_copy(x), offset_copy(w)]
shifted = offset_copy(torch.zeros(2, 64, 8, 8, device="cuda"))
print("views off by 4 bytes:", [t.data_ptr() % 16 for t in inputs + [shifted]])
module.call("conv", inputs, [shifted])
torch.cuda.synchronize()
checks = []
for name, result in (("aligned", aligned), ("views", shifted)):
    error = (result.double().cpu() - reference).abs().max().item() / scale
    checks.append(error < 3e-2)
    print(f"{name}: within TF32 tolerance: {checks[-1]} ({error:.1e})")
checks.append(torch.equal(aligned, shifted))
print("same result:", checks[-1])
raise SystemExit(0 if all(checks) else 1)
