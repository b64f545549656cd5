"""Prints ScratchNet's bench figures beside the numpy and PyTorch peers' and the ratios."""
import json
import os
import sys

out = sys.argv[1]
sn = json.load(open(os.path.join(out, "scratchnet.json")))["results"]
peers = [json.load(open(os.path.join(out, f))) for f in ("numpy.json", "torch.json") if os.path.exists(os.path.join(out, f))]


def pick(workload_start, quantity_start):
    for r in sn:
        if r["workload"].startswith(workload_start) and r["quantity"].startswith(quantity_start):
            return r["median"]
    return float("nan")


rows = [
    ("seed recipe, training seconds (lower is better)", pick("seed recipe (", "training time"), "seed_seconds", False),
    ("784-128-10 epoch at batch 64, seconds (lower is better)", pick("784-128-10, batch 64, SGD: one epoch", "time per epoch"), "epoch_seconds", False),
    ("inference, images/s (higher is better)", pick("inference, seed network, batch", "throughput"), "inference_images_per_second", True),
    ("single-image latency, µs (lower is better)", pick("inference, seed network, one image", "latency"), "latency_us", False),
    ("peak memory of the seed recipe, MB (lower is better)", pick("seed recipe", "peak memory"), "seed_peak_rss_mb", False),
    ("(f) cnn-fast epoch, seconds (lower is better)", pick("cnn-fast preset (", "time per epoch"), "cnn_fast_epoch_seconds", False),
    ("(g) cnn-fast network inference, images/s (higher is better)", pick("inference, cnn-fast network, batch", "throughput"), "cnn_inference_images_per_second", True),
    ("(g) cnn-fast network single-image latency, µs (lower is better)", pick("inference, cnn-fast network, one image", "latency"), "cnn_latency_us", False),
    ("(h) cnn preset network training, images/s (higher is better)", pick("cnn preset (", "training throughput"), "cnn_images_per_second", True),
]
print(f"{'workload':58} {'ScratchNet':>12} " + " ".join(f"{p['peer']:>16} {'ratio':>7}" for p in peers))
for name, ours, key, higher in rows:
    cells = []
    for p in peers:
        theirs = p.get(key, float("nan"))   # numpy has no convolutional peer
        ratio = ours / theirs if higher else theirs / ours
        cells.append(f"{theirs:16.4g} {ratio:6.2f}×")
    print(f"{name:58} {ours:12.4g} " + " ".join(cells))
# How far (f) and (h) are from the hardware: their arithmetic against the measured multiply-add peak (ScratchNet's own run).
for r in sn:
    if r["workload"].startswith("fused multiply-add peak"):
        print(f"{r['workload']}: {r['median']:.0f} GFLOPS ({r['note']})")
for start, quantity in (("cnn-fast preset (", "time per epoch"), ("cnn preset (", "training throughput")):
    for r in sn:
        if r["workload"].startswith(start) and r["quantity"].startswith(quantity) and "at peak" in r["note"]:
            print(f"{start[:-2]}: {r['note']}")
print("accuracy: ScratchNet seed", pick("seed recipe (", "training time"), "s;",
      " ".join(f"{p['peer']}: seed {100 * p['seed_test_accuracy']:.2f} %, 784-128-10 {100 * p['mlp_test_accuracy']:.2f} %" for p in peers))


# Each instruction-set level beside the peers (bench --isa), where that run was made.
levels_path = os.path.join(out, "scratchnet-levels.json")
if os.path.exists(levels_path):
    levels = json.load(open(levels_path))["levels"]
    print()
    print("per instruction-set level; ratio = peer time / ScratchNet time (or ScratchNet rate / peer rate): above 1, ScratchNet is faster")
    for name, _, key, higher in rows[:4]:
        for level in levels:
            sn = level["results"]
            match = {"seed_seconds": ("seed recipe (", "training time"), "epoch_seconds": ("784-128-10, batch 64, SGD: one epoch", "time per epoch"),
                     "inference_images_per_second": ("inference, seed network, batch", "throughput"), "latency_us": ("inference, seed network, one image", "latency")}[key]
            ours = next((r["median"] for r in sn if r["workload"].startswith(match[0]) and r["quantity"].startswith(match[1])), float("nan"))
            cells = " ".join(f"{p['peer']}: {(ours / p[key] if higher else p[key] / ours):5.2f}×" for p in peers)
            print(f"{name:58} {level['name']:>7} ({level['vector_level']}): {ours:10.4g}  {cells}")
