"""A module compiled by convbn.compile_module for the CPU gets its heap
buffers from libconvbn_cpu_runtime's cache: called twice, the second call
makes no system allocation, and both calls compute the right numbers."""

import torch

import convbn

# The matmul's result is an intermediate buffer of 128x256 f32 (128 KiB):
# the transposing ReLU after it can neither fuse into it nor run in place.
IR = """
#map = affine_map<(d0, d1) -> (d0, d1)>
#transposed = affine_map<(d0, d1) -> (d1, d0)>
func.func @step(%x: tensor<128x64xf32>, %w: tensor<64x256xf32>) -> tensor<256x128xf32>
    attributes {llvm.emit_c_interface} {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<128x256xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<128x256xf32>) -> tensor<128x256xf32>
  %y = linalg.matmul ins(%x, %w : tensor<128x64xf32>, tensor<64x256xf32>)
                     outs(%init : tensor<128x256xf32>) -> tensor<128x256xf32>
  %empty_t = tensor.empty() : tensor<256x128xf32>
  %r = linalg.generic {indexing_maps = [#transposed, #map], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<128x256xf32>) outs(%empty_t : tensor<256x128xf32>) {
    ^bb0(%a: f32, %b: f32):
      %m = arith.maximumf %a, %zero : f32
      linalg.yield %m : f32
  } -> tensor<256x128xf32>
  return %r : tensor<256x128xf32>
}
"""

module = convbn.compile_module(IR, target="cpu")
torch.manual_seed(0)
x, w = torch.randn(128, 64), torch.randn(64, 256)
expected = torch.relu(x.double() @ w.double()).t()
before = module.cpu_allocator_stats()
counts = []
for call in range(2):
    out = torch.full((256, 128), float("nan"))
    module.call("step", inputs=[x, w], outputs=[out])
    error = (out.double() - expected).abs().max().item()
    assert error < 1e-4, f"call {call}: max error {error}"
    stats = module.cpu_allocator_stats()
    assert stats["liveBytes"] == 0, stats
    counts.append(stats)
    print(f"call {call}: max error {error:.1e}, "
          f"system allocations +{stats['systemAllocations'] - before['systemAllocations']}, "
          f"cache hits +{stats['cacheHits'] - before['cacheHits']}")
assert counts[0]["systemAllocations"] > before["systemAllocations"], counts
assert counts[1]["systemAllocations"] == counts[0]["systemAllocations"], counts
assert counts[1]["cacheHits"] > counts[0]["cacheHits"], counts
live, peak = module.device_memory()
print(f"live {live}, peak {peak}")
