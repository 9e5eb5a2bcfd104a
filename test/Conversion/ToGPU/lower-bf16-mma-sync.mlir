// RUN: convbn-opt %s -split-input-file -convbn-lower-bf16-mma-sync | FileCheck %s
// RUN: convbn-opt %s -split-input-file -convbn-lower-bf16-mma-sync -convert-nvgpu-to-nvvm -convert-vector-to-llvm -convert-ub-to-llvm -convert-func-to-llvm -reconcile-unrealized-casts | mlir-translate --split-input-file --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// m16n8k16 on bf16: each row of two bf16 elements of A (4 rows) and B
// (2 rows) is one i32 register, the f32 accumulator four scalars in
// row-major order, and the result's struct fields go back in that order.

// CHECK-LABEL: func @m16n8k16
//  CHECK-SAME: (%[[A:.*]]: vector<4x2xbf16>, %[[B:.*]]: vector<2x2xbf16>, %[[C:.*]]: vector<2x2xf32>)
//       CHECK: %[[A0:.*]] = vector.extract %[[A]][0] : vector<2xbf16> from vector<4x2xbf16>
//       CHECK: %[[A0W:.*]] = vector.bitcast %[[A0]] : vector<2xbf16> to vector<1xi32>
//       CHECK: %[[A0I:.*]] = vector.extract %[[A0W]][0] : i32 from vector<1xi32>
//       CHECK: vector.extract %[[A]][1] : vector<2xbf16>
//       CHECK: vector.extract %[[A]][2] : vector<2xbf16>
//       CHECK: vector.extract %[[A]][3] : vector<2xbf16>
//  CHECK-NEXT: vector.bitcast
//  CHECK-NEXT: %[[A3I:.*]] = vector.extract %{{.*}}[0] : i32 from vector<1xi32>
//       CHECK: vector.extract %[[B]][1] : vector<2xbf16> from vector<2x2xbf16>
//  CHECK-NEXT: vector.bitcast
//  CHECK-NEXT: %[[B1I:.*]] = vector.extract %{{.*}}[0] : i32 from vector<1xi32>
//       CHECK: %[[C00:.*]] = vector.extract %[[C]][0, 0] : f32 from vector<2x2xf32>
//       CHECK: %[[C11:.*]] = vector.extract %[[C]][1, 1] : f32 from vector<2x2xf32>
//       CHECK: %[[D:.*]] = nvvm.mma.sync A[%[[A0I]], {{.*}}, %[[A3I]]] B[{{.*}}, %[[B1I]]] C[%[[C00]], {{.*}}, %[[C11]]]
//  CHECK-SAME: layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>
//  CHECK-SAME: multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>
//  CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 16>
//  CHECK-SAME: (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
//       CHECK: %[[D0:.*]] = llvm.extractvalue %[[D]][0]
//       CHECK: %[[D3:.*]] = llvm.extractvalue %[[D]][3]
//       CHECK: %[[R:.*]] = vector.from_elements %[[D0]], {{.*}}, %[[D3]] : vector<2x2xf32>
//       CHECK: return %[[R]]
// LLVM-LABEL: define {{.*}} @m16n8k16
//       LLVM: call { float, float, float, float } @llvm.nvvm.mma.m16n8k16.row.col.bf16(i32 %{{.*}}, i32 %{{.*}}, i32 %{{.*}}, i32 %{{.*}}, i32 %{{.*}}, i32 %{{.*}}, float %{{.*}}, float %{{.*}}, float %{{.*}}, float %{{.*}})
func.func @m16n8k16(%a: vector<4x2xbf16>, %b: vector<2x2xbf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
  %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
  return %d : vector<2x2xf32>
}

// -----

// m16n8k8 on bf16: two registers of A, one of B.

// CHECK-LABEL: func @m16n8k8
//       CHECK: nvvm.mma.sync A[%{{.*}}, %{{.*}}] B[%{{.*}}] C[
//  CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 8>
// LLVM-LABEL: define {{.*}} @m16n8k8
//       LLVM: @llvm.nvvm.mma.m16n8k8.row.col.bf16
func.func @m16n8k8(%a: vector<2x2xbf16>, %b: vector<1x2xbf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
  %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 8]} : (vector<2x2xbf16>, vector<1x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
  return %d : vector<2x2xf32>
}

// -----

// Other element types are left to convert-nvgpu-to-nvvm.

// CHECK-LABEL: func @f16
//       CHECK: nvgpu.mma.sync
//   CHECK-NOT: nvvm.mma.sync
// LLVM-LABEL: define {{.*}} @f16
//       LLVM: @llvm.nvvm.mma.m16n8k16.row.col.f32.f32
func.func @f16(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf32>) -> vector<2x2xf32> {
  %d = nvgpu.mma.sync(%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
  return %d : vector<2x2xf32>
}
