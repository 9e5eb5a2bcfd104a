"""Two CUDA modules from two directories, each with its copy of the runtime
library beside it: convbn.aot loads the runtime once per process, so that
the runtime it reads errors and memory statistics from (and hands the
stream to) is the one the modules are bound to. Needs no GPU: only the
runtime library is loaded (the modules' constructors would need a driver).

    python runtime_once.py BUILD_DIR WORK_DIR
"""

import shutil
import sys
from pathlib import Path

from convbn import aot

build, work = Path(sys.argv[1]), Path(sys.argv[2])
handles = []
for name in ("first", "second"):
    (work / name).mkdir(parents=True, exist_ok=True)
    shutil.copy2(build / "lib" / aot.RUNTIME_NAME, work / name / aot.RUNTIME_NAME)
    handles.append(aot.load_cuda_runtime(work / name / aot.RUNTIME_NAME)._handle)
mapped = {line.split()[-1] for line in open("/proc/self/maps") if aot.RUNTIME_NAME in line}
print(f"same runtime: {handles[0] == handles[1]}; copies mapped: {len(mapped)} "
      f"({', '.join(sorted(Path(m).parent.name for m in mapped))})")
