"""`python -m convbn IN.mlir -o DIR [--target cpu|cuda]`: ahead-of-time
compilation of a module to DIR/module.so (see convbn.aot.main)."""

from .aot import main

raise SystemExit(main())
