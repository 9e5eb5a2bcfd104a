"""-convbn-cpu-pipeline{emulate-tensor-cores trace-global-loads}: the traced
emulation still computes the convolution (against PyTorch in float64), and
the tracer's counts agree with what the operands' sizes and the kernels'
gathers imply (global-load-trace.test)."""

import math
import re

import torch

import convbn

CONV = """
func.func @conv(%x: tensor<{x}xf32>, %w: tensor<{w}xf32>) -> tensor<{o}xf32>
    attributes {{llvm.emit_c_interface}} {{
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<{o}xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<{o}xf32>) -> tensor<{o}xf32>
  %padded = tensor.pad %x low[0, 0, {p}, {p}] high[0, 0, {p}, {p}] {{
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  }} : tensor<{x}xf32> to tensor<{xp}xf32>
  %y = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}}
    ins(%padded, %w : tensor<{xp}xf32>, tensor<{w}xf32>) outs(%init : tensor<{o}xf32>) -> tensor<{o}xf32>
  return %y : tensor<{o}xf32>
}}
"""


def shape(dims):
    return "x".join(str(d) for d in dims)


def trace(batch, channels, filters, size, kernel):
    pad = kernel // 2
    xs, ws = (batch, channels, size, size), (filters, channels, kernel, kernel)
    os = (batch, filters, size, size)
    xp = (batch, channels, size + 2 * pad, size + 2 * pad)
    ir = CONV.format(x=shape(xs), w=shape(ws), o=shape(os), xp=shape(xp), p=pad)
    module = convbn.compile_module(ir, target="cpu", tensor_cores=True,
                                   pipeline_options="trace-global-loads=true")
    torch.manual_seed(0)
    x, w = torch.rand(xs) * 2 - 1, torch.randn(ws) / math.sqrt(channels * kernel * kernel)
    out = torch.full(os, float("nan"))
    module.global_load_trace()
    module.call("conv", inputs=[x, w], outputs=[out])
    launches = module.global_load_trace()
    expected = torch.nn.functional.conv2d(x.double(), w.double(), padding=pad)
    error = (out.double() - expected).abs().max().item()
    # TF32 products: the tensor-core tolerance of the conformance suite.
    assert error < 4e-3, error
    assert len(launches) == 1, launches
    launch = launches[0]
    print(f"{launch['kernel']}: error {error:.1e}")
    m = re.search(r"M=(\d+) N=(\d+) K=(\d+) z=(\d+).*blocks of (\d+) x (\d+)", launch["kernel"])
    M, N, K, z, tm, tn = map(int, m.groups())
    # Every block reads tm rows of A and tn rows of B over the whole K
    # (rows past M or N are clamped, still read), in K steps of 16 f32
    # (64 bytes), and with two stages the last step once more: the prefetch
    # past the end is clamped to it.
    gathers = K // 16 + 1
    assert launch["steps"] == z * math.ceil(M / tm) * math.ceil(N / tn) * gathers, launch
    loads = z * math.ceil(M / tm) * math.ceil(N / tn) * (tm + tn) * 16 * gathers
    # Each element of the filter and of the input is read at least once,
    # from buffers that start at 64-byte boundaries.
    distinct = math.ceil(x.numel() * 4 / 32) + math.ceil(w.numel() * 4 / 32)
    print(f"  loads {launch['loads']} (expected {loads}), bytes {launch['bytes']}, "
          f"distinct sectors {launch['distinct_sectors']} (expected {distinct})")
    assert launch["loads"] == loads and launch["bytes"] == 4 * loads, launch
    assert launch["distinct_sectors"] == distinct, launch
    return launch


# 1x1: the filter gathered in 16-byte vectors (a warp: 8 rows of a K step's
# 16 f32, 512 bytes, 16 sectors), the input along its rows (32 positions of
# a channel, 128 bytes, 4 sectors). Every sector's bytes are used: the
# sectors are the bytes / 32, the requests the vectors / 32 plus the
# input's loads / 32, for 3 gathers of the 2 K steps.
launch = trace(batch=1, channels=32, filters=64, size=8, kernel=1)
assert launch["sectors"] * 32 == launch["bytes"], launch
assert launch["requests"] == (64 * 32 // 4 + 64 * 32) // 32 * 3 // 2, launch
print(f"  requests {launch['requests']}, sectors {launch['sectors']}, all bytes used")

# 3x3 with padding: the filter gathered along the rows (one element per
# 32-byte sector for each lane), so far more sectors than bytes / 32.
launch = trace(batch=2, channels=16, filters=32, size=10, kernel=3)
print(f"  sectors per request {launch['sectors'] / launch['requests']:.1f}, "
      f"bytes used {launch['bytes'] / (32 * launch['sectors']):.0%}")
assert launch["sectors"] * 32 > 2 * launch["bytes"], launch
