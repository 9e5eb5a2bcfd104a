#!/usr/bin/env python3
"""Compare builds of the pipeline from the bench.json files convbn_bench.py wrote.

Each build is one run of benchmarks/convbn_bench.py (one set of pipeline
options, e.g. `scripts/gpu-run.sh compare`); this reads their bench.json
files and prints, for one variant of ours (ours-tune unless --variant says
otherwise), its time per layer in each build, the build that was fastest on
each layer, and the ResNet-50 totals (each layer weighted by its count) with
their ratio to a baseline that every run measured beside it (torch-eval
unless --baseline says otherwise):

    python3 benchmarks/compare_builds.py tc=bench-tc-quick-part-b64 \
        tc-copies=bench-tc-copies-quick-part-b64 --batch 64

A build is NAME=PATH, PATH being a bench.json or the folder that holds one;
without NAME= the folder's name names it. Each build's ratio divides its
total by the baseline's total of the same run, as convbn_bench.py's target
line does. The "best per layer" line takes each layer's fastest build (the
choice a per-shape heuristic or a tuning table would have to make) over the
mean of the runs' baselines; being a minimum over noisy runs, it is an
optimistic bound. `--best` prints the fastest build's name alone, for
scripts. Builds must have been run on one device, in one dtype, at the
batch compared, over the same layers.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path


class Error(Exception):
    pass


def load_build(spec):
    name, sep, path = spec.partition("=")
    if not sep:
        name, path = "", spec
    path = Path(path)
    file = path / "bench.json" if path.is_dir() else path
    if not file.is_file():
        raise Error(f"{spec}: no bench.json there")
    try:
        data = json.loads(file.read_text())
        info, rows = data["info"], data["layers"]
    except (ValueError, KeyError, TypeError) as error:
        raise Error(f"{file}: not a bench.json of convbn_bench.py ({error})") from None
    if not name:
        name = (path if path.is_dir() else path.parent).name
    if not data.get("complete"):
        raise Error(f"{file}: that run did not finish (its targets are missing)")
    return name, info, rows


def layer_times(name, rows, batch, variant):
    """{layer: (seconds, count)} of one variant at one batch, in table order."""
    times = {}
    for row in rows:
        if row["batch"] == batch and row["variant"] == variant:
            times[row["layer"]] = (row["seconds"], row["count"])
    if not times:
        raise Error(f"build {name}: no {variant} at batch {batch}")
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("builds", nargs="+", metavar="[NAME=]PATH")
    parser.add_argument("--batch", type=int, help="the batch to compare (default: the one the first build ran)")
    parser.add_argument("--variant", default="ours-tune")
    parser.add_argument("--baseline", default="torch-eval")
    parser.add_argument("--best", action="store_true", help="print only the fastest build's name")
    parser.add_argument("--json", metavar="FILE", help="write the comparison to FILE too")
    args = parser.parse_args(argv)
    try:
        builds = [load_build(spec) for spec in args.builds]
        names = [name for name, _, _ in builds]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise Error(f"builds named twice: {', '.join(repeated)} (name them NAME=PATH)")
        for key in ("device", "dtype"):
            values = {b[1].get(key) for b in builds}
            if len(values) > 1:
                raise Error(f"the builds differ in {key} ({', '.join(sorted(map(str, values)))}): "
                            f"compare builds run on one device, in one dtype")
        batch = args.batch if args.batch is not None else builds[0][2][0]["batch"]
        ours = {name: layer_times(name, rows, batch, args.variant) for name, _, rows in builds}
        base = {name: layer_times(name, rows, batch, args.baseline) for name, _, rows in builds}
        layers = list(ours[names[0]])
        for name in names:
            if list(ours[name]) != layers or list(base[name]) != layers:
                raise Error(f"build {name} ran other layers than {names[0]} at batch {batch}")
    except Error as error:
        print(f"compare_builds.py: error: {error}", file=sys.stderr)
        return 1

    def total(times):
        return sum(seconds * count for seconds, count in times.values())

    totals = {name: total(ours[name]) for name in names}
    ratios = {name: totals[name] / total(base[name]) for name in names}
    fastest = min(names, key=totals.get)
    if args.best:
        print(fastest)
        return 0

    winners = {layer: min(names, key=lambda n, layer=layer: ours[n][layer][0]) for layer in layers}
    best_total = sum(ours[winners[layer]][layer][0] * ours[names[0]][layer][1] for layer in layers)
    base_mean = statistics.fmean(total(base[name]) for name in names)
    width = max(8, *(len(n) for n in names))
    label = max(width, len("best per layer"))
    print(f"{args.variant} at batch {batch}, ms per step ({builds[0][1].get('dtype')}, "
          f"{builds[0][1].get('device')}); * marks each layer's fastest build")
    print(f"{'layer':34s} {'count':>5s} " + " ".join(f"{n:>{width}s}" for n in names))
    for layer in layers:
        cells = [f"{ours[n][layer][0] * 1e3:{width - 1}.3f}{'*' if winners[layer] == n else ' '}"
                 for n in names]
        print(f"{layer[:34]:34s} {ours[names[0]][layer][1]:5d} " + " ".join(cells))
    print(f"\ntotals, each layer weighted by its count ({args.variant} / {args.baseline} of the same run):")
    for name in names:
        mark = "  fastest" if name == fastest else ""
        print(f"  {name:{label}s} {totals[name] * 1e3:9.2f} ms  {ratios[name]:.2f}x{mark}")
    layers_won = {n: sum(1 for w in winners.values() if w == n) for n in names}
    print(f"  {'best per layer':{label}s} {best_total * 1e3:9.2f} ms  {best_total / base_mean:.2f}x "
          f"(of the mean {args.baseline}, {base_mean * 1e3:.2f} ms; layers won: "
          + ", ".join(f"{n} {k}" for n, k in layers_won.items() if k) + ")")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "batch": batch, "variant": args.variant, "baseline": args.baseline,
            "dtype": builds[0][1].get("dtype"), "device": builds[0][1].get("device"),
            "builds": {n: {"seconds": totals[n], "ratio": ratios[n],
                           "pipeline_options": info.get("pipeline_options", "")}
                       for n, info, _ in builds},
            "fastest": fastest,
            "per_layer": {layer: {"fastest": winners[layer],
                                  "seconds": {n: ours[n][layer][0] for n in names}}
                          for layer in layers},
            "best_per_layer": {"seconds": best_total, "ratio": best_total / base_mean},
        }, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
