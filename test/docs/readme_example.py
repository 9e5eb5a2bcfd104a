"""Extracts the PyTorch example from README.md (the python block after the
`pytorch-example` marker) and runs it exactly as written, in a scratch
directory, the way a new user pastes it."""

import os
import re
import subprocess
import sys
import tempfile

readme = open(sys.argv[1]).read()
match = re.search(r"<!-- pytorch-example.*?-->\s*```python\n(.*?)```", readme, re.S)
if not match:
    sys.exit("README.md has no python block after the pytorch-example marker")
with tempfile.TemporaryDirectory() as scratch:
    path = os.path.join(scratch, "example.py")
    with open(path, "w") as f:
        f.write(match.group(1))
    sys.exit(subprocess.run([sys.executable, path], cwd=scratch).returncode)
