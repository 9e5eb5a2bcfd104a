"""CompiledModule.call checks the tensors against the function's signature
(recorded beside module.so) before any code runs: a wrong shape, dtype or
count, or an unknown function, is a ValueError naming it; a dynamic size
takes any size. Each line printed is checked by aot-call-checks.test."""

import sys

import torch

import convbn
from convbn import aot

IR = """
func.func @scale(%x: tensor<2x3xf32>, %s: tensor<f32>) -> tensor<2x3xf32> attributes {llvm.emit_c_interface} {
  %e = tensor.empty() : tensor<2x3xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<2x3xf32>, tensor<f32>) outs(%e : tensor<2x3xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

func.func @negate(%x: tensor<?x4xf64>) -> tensor<?x4xf64> attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4xf64>
  %e = tensor.empty(%n) : tensor<?x4xf64>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x4xf64>) outs(%e : tensor<?x4xf64>) {
  ^bb0(%a: f64, %o: f64):
    %m = arith.negf %a : f64
    linalg.yield %m : f64
  } -> tensor<?x4xf64>
  return %r : tensor<?x4xf64>
}

func.func @twice(%x: memref<4xf32>, %y: memref<4xf32>) attributes {llvm.emit_c_interface} {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%x : memref<4xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.addf %a, %a : f32
    linalg.yield %m : f32
  }
  return
}
"""

module = convbn.compile_module(IR, target="cpu", workdir=sys.argv[1])
x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
out = torch.zeros(2, 3)
module.call("scale", [x, torch.tensor(2.0)], [out])
print("scale:", out.tolist())


def expect_error(what, *args):
    try:
        module.call(*args)
    except ValueError as error:
        print(f"{what}: {error}")
    else:
        print(f"{what}: no error")


expect_error("shape", "scale", [x.reshape(3, 2), torch.tensor(2.0)], [out])
expect_error("dtype", "scale", [x.double(), torch.tensor(2.0)], [out])
expect_error("output", "scale", [x, torch.tensor(2.0)], [torch.zeros(2, 4)])
expect_error("count", "scale", [x], [out])
expect_error("name", "scales", [x], [out])
print("unchanged:", out.tolist())

# A dynamic size takes any size; the static one is still checked.
y = torch.ones(5, 4, dtype=torch.float64)
result = torch.zeros(5, 4, dtype=torch.float64)
module.call("negate", [y], [result])
print("negate:", result.sum().item())
expect_error("dynamic", "negate", [torch.ones(5, 3, dtype=torch.float64)], [result])

# Memref arguments are inputs too (the function writes through them).
doubled = torch.zeros(4)
module.call("twice", [torch.ones(4), doubled], [])
print("twice:", doubled.tolist())
expect_error("memref", "twice", [torch.ones(4), torch.zeros(5)], [])

# The GPU code assumes 16-byte aligned buffers (aot.GPU_ALIGNMENT): a tensor
# at another address is passed as an aligned copy, and an output (or memref
# argument) is written back from its copy after the call.
storage = torch.arange(9, dtype=torch.float32)
aligned, written, read = storage[:4], storage[1:5], storage[5:7]
passed, staged = aot.aligned_copies([aligned, written, read], [False, True, False],
                                    aot.GPU_ALIGNMENT)
print("aligned:", passed[0] is aligned, "copies:", passed[1] is not written,
      passed[2] is not read, [t.data_ptr() % 16 for t in passed], passed[1].tolist())
print("written back:", [(given is written, copy is passed[1]) for given, copy in staged])
