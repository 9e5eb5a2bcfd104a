// RUN: convbn-opt %s -convbn-cpu-pipeline="vectorize=true" -dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=DEFAULT
// RUN: convbn-opt %s -convbn-cpu-pipeline="vectorize=true vector-channels-last=false vector-contraction-tile-sizes=4,16,2 vector-transpose-block=16 vector-pack-lanes=0 vector-pointwise=false vector-filter-blocks=false" -dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s
// RUN: convbn-opt %s -convbn-cpu-pipeline="vectorize=true vector-transpose-block=0" -dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOTILE

// The pipeline's vector options reach the passes: vector-channels-last
// turns off both the channels-last convolutions and the channels-last
// filter gradients; vector-pack-lanes the panels of the im2col filter
// gradients; vector-pointwise the 1x1 convolutions as contractions;
// vector-filter-blocks the channels-last convolutions' filter blocks;
// vector-contraction-tile-sizes sets the register tiles of the
// contractions; vector-transpose-block the blocks of
// convbn-tile-transposes (0: not run). The convolutions' accumulator tiles
// are hoisted out of their reduction loops, the schedule's copies fused
// with what they read first, then, loops collapsed, the GEMMs' results
// into their readers, reductions included.

// DEFAULT: convbn-backward-filter-to-matmul{channels-last=true f32-chunk-positions=2048 pack-lanes=32}
// DEFAULT: convbn-vectorize-convolutions{channels-last=true {{.*}}filter-blocks=true {{.*}}pointwise=true
// DEFAULT-NOT: contraction-tile-sizes
// DEFAULT: loop-invariant-subset-hoisting
// DEFAULT-NEXT: convbn-fuse-elementwise{reductions=false}
// DEFAULT-NEXT: convbn-collapse-contiguous-loops
// DEFAULT-NEXT: convbn-fuse-elementwise{reductions=true}
// DEFAULT-NEXT: convbn-split-reductions
// DEFAULT-NEXT: convbn-collapse-contiguous-loops
// DEFAULT-NEXT: convbn-tile-transposes{block-size=8}
// NOTILE-NOT: convbn-tile-transposes

// CHECK: convbn-backward-filter-to-matmul{channels-last=false f32-chunk-positions=2048 pack-lanes=0}
// CHECK: convbn-vectorize-convolutions{channels-last=false {{.*}}contraction-tile-sizes={4,16,2} {{.*}}filter-blocks=false {{.*}}pointwise=false
// CHECK: convbn-tile-transposes{block-size=16}
func.func @empty() {
  return
}
