// An input that holds no IR is an error, not an empty module. This file holds
// only comments, so it is such an input itself.

// RUN: not convbn-opt %s 2>&1 | FileCheck %s
// RUN: printf '' | not convbn-opt 2>&1 | FileCheck %s
// RUN: printf ' \n\t\n' | not convbn-opt - 2>&1 | FileCheck %s
// RUN: not convbn-opt %S/does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING

// CHECK: error: the input holds no IR (it is empty or only comments); expected an MLIR module
// MISSING: convbn-opt: error: cannot open input file '{{.*}}does-not-exist.mlir': No such file or directory
