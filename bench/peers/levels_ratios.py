"""Prints the rounds of levels_rounds.sh: each instruction-set level's ratio to the machine's own
(native) level and to numpy, round by round, the median of the rounds' own ratios (the figures to
quote), and issue #14's targets, each marked met or not on those medians."""
import glob
import json
import os
import statistics
import sys

from rounds import say_if_quick

out = sys.argv[1]
say_if_quick(out)
rows = [
    # name, ScratchNet's workload and quantity, numpy's key (None: no numpy peer), higher is better
    ("seed recipe, s", "seed recipe (", "training time", "seed_seconds", False),
    ("784-128-10 epoch, s", "784-128-10, batch 64, SGD: one epoch", "time per epoch", "epoch_seconds", False),
    ("mlp epoch, s", "mlp preset (", "time per epoch", None, False),
    ("cnn-fast epoch, s", "cnn-fast preset (", "time per epoch", None, False),
    ("seed inference, images/s", "inference, seed network, batch", "throughput", "inference_images_per_second", True),
    ("seed one image, µs", "inference, seed network, one image", "latency", "latency_us", False),
    ("cnn-fast inference, images/s", "inference, cnn-fast network, batch", "throughput", None, True),
    ("cnn-fast one image, µs", "inference, cnn-fast network, one image", "latency", None, False),
]


def pick(results, start, quantity):
    r = next((r for r in results if r["workload"].startswith(start) and r["quantity"].startswith(quantity)), None)
    return r["median"] if r else float("nan")


rounds = sorted(int(os.path.basename(p).split("-")[1]) for p in glob.glob(os.path.join(out, "round-*-levels.json")))
if not rounds:
    sys.exit(f"{out}: no round-N-levels.json files; run bench/peers/levels_rounds.sh first")
names = None
to_native = {}   # (row, level) -> per-round ratios: level time / native time (native rate / level rate)
to_numpy = {}    # (row, level) -> per-round ratios: numpy time / ours (our rate / numpy's): above 1, ScratchNet is faster
values = {}      # (row, level) -> per-round values
slow = {}        # level -> rounds whose two-thread peak was under 1.5× one thread's (the machine's slow spells)
for n in rounds:
    levels = json.load(open(os.path.join(out, f"round-{n}-levels.json")))["levels"]
    numpy = json.load(open(os.path.join(out, f"round-{n}-numpy.json")))
    names = [level["name"] for level in levels]
    native = levels[0]["results"]
    for level in levels:
        for name, start, quantity, key, higher in rows:
            mine, base = pick(level["results"], start, quantity), pick(native, start, quantity)
            values.setdefault((name, level["name"]), []).append(mine)
            to_native.setdefault((name, level["name"]), []).append(base / mine if higher else mine / base)
            if key is not None:
                to_numpy.setdefault((name, level["name"]), []).append(mine / numpy[key] if higher else numpy[key] / mine)
        peak = next((r for r in level["results"] if r["workload"].startswith("fused multiply-add peak")), None)
        if peak and peak["note"].startswith("one thread "):
            one = float(peak["note"].split()[2])
            if peak["median"] < 1.5 * one:
                slow.setdefault(level["name"], []).append(n)


def med(x):
    return statistics.median(x)


print(f"{len(rounds)} rounds; × = time / the native level's time in the same round (rate: native / level), the median of the rounds' own ratios")
print(f"{'workload':30} " + " ".join(f"{name:>24}" for name in names))
for name, *_ in rows:
    cells = []
    for level in names:
        v, r = values[(name, level)], to_native[(name, level)]
        cells.append(f"{med(v):12.4g} {med(r):5.2f}× ({min(r):.2f}–{max(r):.2f})" if level != names[0] else f"{med(v):24.4g}")
    print(f"{name:30} " + " ".join(f"{c:>24}" for c in cells))
print()
print("beside numpy, timed in the same round: numpy time / ours (our rate / numpy's); above 1, ScratchNet is faster")
for name, *_, key, _ in rows:
    if key is None:
        continue
    cells = [f"{med(to_numpy[(name, level)]):5.2f}× ({min(to_numpy[(name, level)]):.2f}–{max(to_numpy[(name, level)]):.2f})" for level in names]
    print(f"{name:30} " + " ".join(f"{c:>24}" for c in cells))
numpy_all = [json.load(open(os.path.join(out, f"round-{n}-numpy.json"))) for n in rounds]
seeds = ", ".join(f"{p['seed_seconds']:.1f}" for p in numpy_all)
epochs = ", ".join(f"{p['epoch_seconds']:.3f}" for p in numpy_all)
print(f"numpy per round: seed {seeds} s; epoch {epochs} s")
for level, which in slow.items():
    print(f"{level}: the two-thread multiply-add peak was under 1.5× one thread's in round(s) {', '.join(map(str, which))} (a slow spell)")
print()
checks = []
for level in ("128fma", "128"):
    if level in names:
        for name in ("seed recipe, s", "784-128-10 epoch, s", "mlp epoch, s"):
            checks.append((f"{level}: {name[:-3]} ≤ 2.5× the native time", med(to_native[(name, level)]), lambda x: x <= 2.5, "×"))
        checks.append((f"{level}: seed recipe ≥ 3× faster than numpy", med(to_numpy[("seed recipe, s", level)]), lambda x: x >= 3, "×"))
if "avx2" in names:
    for name, *_ in rows:
        checks.append((f"avx2: {name.rsplit(',', 1)[0]} within 1.3× of native", med(to_native[(name, "avx2")]), lambda x: x <= 1.3, "×"))
for level in names:
    for name, *_, key, _ in rows:
        if key is not None:
            checks.append((f"{level}: {name.rsplit(',', 1)[0]} not slower than numpy", med(to_numpy[(name, level)]), lambda x: x >= 1, "×"))
print("issue #14's targets on these medians:")
for what, value, ok, unit in checks:
    print(f"  {'met    ' if ok(value) else 'NOT MET'}  {what}: {value:.2f}{unit}")
print(f"{sum(ok(v) for _, v, ok, _ in checks)} of {len(checks)} met")
