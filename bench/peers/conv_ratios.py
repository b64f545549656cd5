"""Prints the rounds of conv_rounds.sh: ScratchNet and PyTorch on the convolutional workloads, each
round's ratio, and the median of the rounds' ratios (the figure to quote)."""
import glob
import json
import os
import statistics
import sys

from rounds import say_if_quick

out = sys.argv[1]
say_if_quick(out)
rows = [
    # name, ScratchNet's workload and quantity, the peer's key, higher is better
    ("(f) cnn-fast epoch, s", "cnn-fast preset (", "time per epoch", "cnn_fast_epoch_seconds", False),
    ("(g) cnn-fast inference, images/s", "inference, cnn-fast network, batch", "throughput", "cnn_inference_images_per_second", True),
    ("(g) cnn-fast one image, µs", "inference, cnn-fast network, one image", "latency", "cnn_latency_us", False),
    ("(h) cnn training, images/s", "cnn preset (", "training throughput", "cnn_images_per_second", True),
]


def pick(results, start, quantity):
    return next((r for r in results if r["workload"].startswith(start) and r["quantity"].startswith(quantity)), None)


rounds = sorted(int(os.path.basename(p).split("-")[1]) for p in glob.glob(os.path.join(out, "round-*-scratchnet.json")))
ratios = {name: [] for name, *_ in rows}
peaks, at_peak = [], {"cnn-fast": [], "cnn": []}
print(f"{'round':>5}  " + "  ".join(f"{name:>34}" for name, *_ in rows) + f"  {'peak GFLOPS':>11}")
for n in rounds:
    ours = json.load(open(os.path.join(out, f"round-{n}-scratchnet.json")))["results"]
    theirs = json.load(open(os.path.join(out, f"round-{n}-torch.json")))
    cells = []
    for name, start, quantity, key, higher in rows:
        r = pick(ours, start, quantity)
        mine = r["median"] if r else float("nan")
        peer = theirs.get(key, float("nan"))
        ratio = mine / peer if higher else peer / mine
        ratios[name].append(ratio)
        cells.append(f"{mine:9.4g} vs {peer:9.4g}: {ratio:5.2f}×")
    peak = pick(ours, "fused multiply-add peak", "arithmetic rate")
    peaks.append(peak["median"] if peak else float("nan"))
    for label, start, quantity in (("cnn-fast", "cnn-fast preset (", "time per epoch"), ("cnn", "cnn preset (", "training throughput")):
        r = pick(ours, start, quantity)
        if r and "× the arithmetic at peak" in r["note"]:
            at_peak[label].append(float(r["note"].split("peak: ")[1].split("×")[0]))
    print(f"{n:>5}  " + "  ".join(f"{c:>34}" for c in cells) + f"  {peaks[-1]:11.0f}")
print(f"{'median':>5}  " + "  ".join(f"{statistics.median(v):33.2f}×" for v in ratios.values()) + f"  {statistics.median(peaks):11.0f}")
print("ratio: PyTorch time / ScratchNet time, or ScratchNet rate / PyTorch rate (above 1, ScratchNet is faster); medians of the rounds' own ratios")
for label, values in at_peak.items():
    if values:
        print(f"{label}: {statistics.median(values):.1f}× its training arithmetic at the round's measured peak (rounds: {', '.join(f'{v:.1f}' for v in values)})")
