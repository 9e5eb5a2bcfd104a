#!/usr/bin/env bash
# Test double for scripts/gpu-run.sh's own `bench` calls, for
# gpu-run-short.test: installed as scripts/gpu-run.sh of a scratch tree
# beside the real script (scripts/real.sh), it answers `bench` with the
# results of the H200 run in docs/bench/h200-tc-b64 (our tune's times
# multiplied by SCALE_<build>, dashes as underscores) in the folder the
# real `bench` would write, and passes everything else to the real script.
if [ "$1" = bench ]; then
  name="$BENCH_KERNELS"
  [ "${BENCH_QUICK:-0}" = 1 ] && name="$name-quick"
  [ "${BENCH_DTYPE:-f32}" != f32 ] && name="$name-$BENCH_DTYPE"
  [ -n "${BENCH_ARGS:-}" ] && name="$name-part"
  scale="SCALE_${BENCH_KERNELS//-/_}"
  echo "bench $name at batch $2"
  mkdir -p "$OUT/bench-$name-b$2"
  exec "$PYTHON" - "$SOURCE_ROOT/docs/bench/h200-tc-b64/bench.json" \
    "$OUT/bench-$name-b$2/bench.json" "${!scale:-1}" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
data["layers"] = [dict(r, seconds=r["seconds"] * float(sys.argv[3]))
                  if r["variant"] == "ours-tune" else r
                  for r in data["layers"] if r["variant"] in ("ours-tune", "torch-eval")]
json.dump(data, open(sys.argv[2], "w"))
PY
fi
exec bash "$(dirname "${BASH_SOURCE[0]}")/real.sh" "$@"
