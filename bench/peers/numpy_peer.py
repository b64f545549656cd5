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

from mnist import load, measure_inference

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


def step(params, x, yh, alpha):
    """One gradient-descent step of a Dense-ReLU-Dense-softmax network, in place."""
    W1, b1, W2, b2 = params
    m = np.float32(len(x))
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


def seed_recipe(iterations):
    # Rows are examples: Z1 = X·W1ᵀ + b1 is the notes' W1·X + b1 transposed.
    W1 = (rng.random((10, 784), dtype=np.float32) - 0.5)
    b1 = (rng.random(10, dtype=np.float32) - 0.5)
    W2 = (rng.random((10, 10), dtype=np.float32) - 0.5)
    b2 = (rng.random(10, dtype=np.float32) - 0.5)
    params = (W1, b1, W2, b2)
    Yh = one_hot(Y)
    for _ in range(iterations):
        step(params, X, Yh, np.float32(0.1))
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
        step((W1, b1, W2, b2), X[idx], Yh[idx], alpha)
    epoch_seconds.append(time.perf_counter() - start)
result["epoch_seconds"] = float(np.median(epoch_seconds))
result["epoch_images_per_second"] = limit / result["epoch_seconds"]
result["mlp_test_accuracy"] = float((predict((W1, b1, W2, b2), x_test) == y_test).mean())

# (c) inference
result.update(measure_inference(lambda x: predict(seed, x), x_test, quick))
print(json.dumps(result))
