"""The ScratchNet bench workloads written plainly in numpy (float32), for side-by-side timing.

(a) seed recipe: 784-10-10 ReLU/softmax, U[-0.5, 0.5] init, full batch over 59,000 images, alpha 0.1, 500 iterations
(b) 784-128-10 ReLU, He init, mini-batches of 64, plain SGD alpha 0.1: seconds per epoch, test accuracy after 5 epochs
(c) inference with the seed network: images/s over the 10,000 test images, and single-image latency
Prints one JSON object. Usage: python3 numpy_peer.py [--quick]
"""
import json
import resource
import sys
import time

import numpy as np

from mnist import load

quick = "--quick" in sys.argv
x_train_all, y_train_all, x_test, y_test = load()
rng = np.random.default_rng(0)
order = rng.permutation(len(x_train_all))
dev, train = order[:1000], order[1000:]
X, Y = x_train_all[train], y_train_all[train]


def one_hot(y, n=10):
    out = np.zeros((len(y), n), dtype=np.float32)
    out[np.arange(len(y)), y] = 1
    return out


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def seed_recipe(iterations):
    # Rows are examples: Z1 = X·W1ᵀ + b1 is the notes' W1·X + b1 transposed.
    W1 = (rng.random((10, 784), dtype=np.float32) - 0.5)
    b1 = (rng.random(10, dtype=np.float32) - 0.5)
    W2 = (rng.random((10, 10), dtype=np.float32) - 0.5)
    b2 = (rng.random(10, dtype=np.float32) - 0.5)
    Yh = one_hot(Y)
    m = np.float32(len(X))
    alpha = np.float32(0.1)
    for _ in range(iterations):
        Z1 = X @ W1.T + b1
        A1 = np.maximum(Z1, 0)
        Z2 = A1 @ W2.T + b2
        A2 = softmax(Z2)
        dZ2 = A2 - Yh
        dW2 = dZ2.T @ A1 / m
        db2 = dZ2.sum(axis=0) / m
        dZ1 = (dZ2 @ W2) * (Z1 > 0)
        dW1 = dZ1.T @ X / m
        db1 = dZ1.sum(axis=0) / m
        W1 -= alpha * dW1
        b1 -= alpha * db1
        W2 -= alpha * dW2
        b2 -= alpha * db2
    return W1, b1, W2, b2


def predict(params, x):
    W1, b1, W2, b2 = params
    return (np.maximum(x @ W1.T + b1, 0) @ W2.T + b2).argmax(axis=1)


result = {"peer": "numpy " + np.__version__}
start = time.perf_counter()
seed = seed_recipe(20 if quick else 500)
result["seed_seconds"] = time.perf_counter() - start
result["seed_test_accuracy"] = float((predict(seed, x_test) == y_test).mean())
result["seed_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

# (b) 784-128-10, batch 64, SGD
W1 = rng.standard_normal((128, 784), dtype=np.float32) * np.float32(np.sqrt(2 / 784))
b1 = np.zeros(128, dtype=np.float32)
W2 = rng.standard_normal((10, 128), dtype=np.float32) * np.float32(np.sqrt(2 / 128))
b2 = np.zeros(10, dtype=np.float32)
Yh = one_hot(Y)
alpha = np.float32(0.1)
epochs = 1 if quick else 5
limit = 5000 if quick else len(X)
epoch_seconds = []
for epoch in range(epochs):
    perm = rng.permutation(limit)
    start = time.perf_counter()
    for s in range(0, limit, 64):
        idx = perm[s:s + 64]
        x, yh = X[idx], Yh[idx]
        m = np.float32(len(idx))
        Z1 = x @ W1.T + b1
        A1 = np.maximum(Z1, 0)
        A2 = softmax(A1 @ W2.T + b2)
        dZ2 = A2 - yh
        dW2 = dZ2.T @ A1 / m
        db2 = dZ2.sum(axis=0) / m
        dZ1 = (dZ2 @ W2) * (Z1 > 0)
        dW1 = dZ1.T @ x / m
        db1 = dZ1.sum(axis=0) / m
        W1 -= alpha * dW1
        b1 -= alpha * db1
        W2 -= alpha * dW2
        b2 -= alpha * db2
    epoch_seconds.append(time.perf_counter() - start)
result["epoch_seconds"] = float(np.median(epoch_seconds))
result["epoch_images_per_second"] = limit / result["epoch_seconds"]
result["mlp_test_accuracy"] = float((predict((W1, b1, W2, b2), x_test) == y_test).mean())

# (c) inference
repeats = 2 if quick else 20
start = time.perf_counter()
for _ in range(repeats):
    predict(seed, x_test)
result["inference_images_per_second"] = repeats * len(x_test) / (time.perf_counter() - start)
single = x_test[:1]
n = 200 if quick else 20000
start = time.perf_counter()
for _ in range(n):
    predict(seed, single)
result["latency_us"] = (time.perf_counter() - start) / n * 1e6
print(json.dumps(result))
