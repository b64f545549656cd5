"""Loads the shipped MNIST (data/mnist/*.gz) as float32 arrays, examples as rows, pixel / 255."""
import gzip
import os
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
