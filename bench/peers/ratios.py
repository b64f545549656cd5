"""Prints ScratchNet's bench figures beside the numpy and PyTorch peers' and the ratios."""
import json
import os
import sys

out = sys.argv[1]
sn = json.load(open(os.path.join(out, "scratchnet.json")))["results"]
peers = [json.load(open(os.path.join(out, f))) for f in ("numpy.json", "torch.json")]


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
]
print(f"{'workload':58} {'ScratchNet':>12} " + " ".join(f"{p['peer']:>16} {'ratio':>7}" for p in peers))
for name, ours, key, higher in rows:
    cells = []
    for p in peers:
        theirs = p[key]
        ratio = ours / theirs if higher else theirs / ours
        cells.append(f"{theirs:16.4g} {ratio:6.2f}×")
    print(f"{name:58} {ours:12.4g} " + " ".join(cells))
print("accuracy: ScratchNet seed", pick("seed recipe (", "training time"), "s;",
      " ".join(f"{p['peer']}: seed {100 * p['seed_test_accuracy']:.2f} %, 784-128-10 {100 * p['mlp_test_accuracy']:.2f} %" for p in peers))
