// RUN: convbn-opt %s -convbn-cpu-pipeline="vectorize=true" -dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=DEFAULT
// RUN: convbn-opt %s -convbn-cpu-pipeline="vectorize=true vector-channels-last=false vector-contraction-tile-sizes=4,16,2" -dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s

// The pipeline's vector options reach the passes: vector-channels-last
// turns off both the channels-last convolutions and the channels-last
// filter gradients; vector-contraction-tile-sizes sets the register tiles
// of the contractions.

// DEFAULT: convbn-backward-filter-to-matmul{channels-last=true f32-chunk-positions=2048}
// DEFAULT: convbn-vectorize-convolutions{channels-last=true
// DEFAULT-NOT: contraction-tile-sizes

// CHECK: convbn-backward-filter-to-matmul{channels-last=false f32-chunk-positions=2048}
// CHECK: convbn-vectorize-convolutions{channels-last=false {{.*}}contraction-tile-sizes={4,16,2}
func.func @empty() {
  return
}
