"""Loads the shipped MNIST (data/mnist/*.gz) as float32 arrays, examples as rows, pixel / 255; times inference."""
import gzip
import os
import time
import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "mnist")


def _read(name, header):
    with gzip.open(os.path.join(ROOT, name + ".gz"), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def load():
    x_train = _read("train-images-idx3-ubyte", 16).reshape(-1, 784).astype(np.float32) / np.float32(255)
    y_train = _read("train-labels-idx1-ubyte", 8).astype(np.int64)
    x_test = _read("t10k-images-idx3-ubyte", 16).reshape(-1, 784).astype(np.float32) / np.float32(255)
    y_test = _read("t10k-labels-idx1-ubyte", 8).astype(np.int64)
    return x_train, y_train, x_test, y_test


def measure_inference(predict, x_test, quick):
    """Images/s over the whole test set in one batch, and the latency of one image, in µs."""
    repeats = 2 if quick else 20
    start = time.perf_counter()
    for _ in range(repeats):
        predict(x_test)
    throughput = repeats * len(x_test) / (time.perf_counter() - start)
    single = x_test[:1]
    n = 200 if quick else 20000
    start = time.perf_counter()
    for _ in range(n):
        predict(single)
    return {"inference_images_per_second": throughput, "latency_us": (time.perf_counter() - start) / n * 1e6}
