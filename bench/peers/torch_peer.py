"""The ScratchNet bench workloads written plainly in PyTorch (CPU, float32), for side-by-side timing,
and the cnn-fast network (one epoch, inference).
Same recipes as numpy_peer.py. Prints one JSON object. Usage: python3 torch_peer.py [--quick] [--conv]
(--conv: the convolutional workloads (f), (g) and (h) only, as `scratchnet bench --workloads
cnn-fast,cnn,cnn-inference` runs them — conv_rounds.sh alternates the two in rounds).
"""
import json
import resource
import sys
import time

import torch

from mnist import load, measure_inference

quick = "--quick" in sys.argv
conv_only = "--conv" in sys.argv
torch.manual_seed(0)
x_train_all, y_train_all, x_test, y_test = (torch.from_numpy(a) for a in load())
order = torch.randperm(len(x_train_all))
train = order[1000:]
X, Y = x_train_all[train].contiguous(), y_train_all[train]
x_test = x_test.contiguous()
F = torch.nn.functional


def seed_recipe(iterations):
    W1 = torch.rand(10, 784) - 0.5
    b1 = torch.rand(10) - 0.5
    W2 = torch.rand(10, 10) - 0.5
    b2 = torch.rand(10) - 0.5
    Yh = F.one_hot(Y, 10).float()
    m = float(len(X))
    with torch.no_grad():
        for _ in range(iterations):
            Z1 = torch.addmm(b1, X, W1.t())
            A1 = Z1.clamp_min(0)
            A2 = torch.softmax(torch.addmm(b2, A1, W2.t()), dim=1)
            dZ2 = A2 - Yh
            dW2 = dZ2.t() @ A1 / m
            db2 = dZ2.sum(0) / m
            dZ1 = (dZ2 @ W2) * (Z1 > 0)
            dW1 = dZ1.t() @ X / m
            db1 = dZ1.sum(0) / m
            W1 -= 0.1 * dW1
            b1 -= 0.1 * db1
            W2 -= 0.1 * dW2
            b2 -= 0.1 * db2
    return W1, b1, W2, b2


def predict(params, x):
    W1, b1, W2, b2 = params
    with torch.no_grad():
        return torch.addmm(b2, torch.addmm(b1, x, W1.t()).clamp_min(0), W2.t()).argmax(1)


def train_epoch(model, optimizer, x, y, batch, order=None):
    """One pass of mini-batches with cross-entropy: rows order[s:s + batch] of x, or consecutive slices
    without an order. Returns the seconds it took."""
    n = len(order) if order is not None else len(x)
    start = time.perf_counter()
    for s in range(0, n, batch):
        rows = order[s:s + batch] if order is not None else slice(s, s + batch)
        optimizer.zero_grad()
        F.cross_entropy(model(x[rows]), y[rows]).backward()
        optimizer.step()
    return time.perf_counter() - start


result = {"peer": "torch " + torch.__version__, "threads": torch.get_num_threads()}


def dense_workloads():
    """The seed recipe, the 784-128-10 epoch and the seed network's inference."""
    start = time.perf_counter()
    seed = seed_recipe(20 if quick else 500)
    result["seed_seconds"] = time.perf_counter() - start
    result["seed_test_accuracy"] = float((predict(seed, x_test) == y_test).float().mean())
    result["seed_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    for layer in (model[0], model[2]):
        torch.nn.init.kaiming_normal_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    epochs = 1 if quick else 5
    limit = 5000 if quick else len(X)
    epoch_seconds = []
    for epoch in range(epochs):
        epoch_seconds.append(train_epoch(model, optimizer, X, Y, 64, torch.randperm(limit)))
    epoch_seconds.sort()
    result["epoch_seconds"] = epoch_seconds[len(epoch_seconds) // 2]
    result["epoch_images_per_second"] = limit / result["epoch_seconds"]
    with torch.no_grad():
        result["mlp_test_accuracy"] = float((model(x_test).argmax(1) == y_test).float().mean())

    result.update(measure_inference(lambda x: predict(seed, x), x_test, quick))


if not conv_only:
    dense_workloads()


# (f) One epoch of the cnn-fast preset's network, as ScratchNet trains it: batch 32, Adam α = 0.003,
# He init, NCHW images; (g) its inference over the test set in one batch and one image at a time.
def cnn_fast():
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.MaxPool2d(2), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.MaxPool2d(2), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    for layer in net:
        if isinstance(layer, (torch.nn.Conv2d, torch.nn.Linear)):
            torch.nn.init.kaiming_normal_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    return net


cnn = cnn_fast()
cnn_optimizer = torch.optim.Adam(cnn.parameters(), lr=0.003)
X4 = X.reshape(-1, 1, 28, 28)
limit = 3000 if quick else len(X4)
cnn.train()
result["cnn_fast_epoch_seconds"] = train_epoch(cnn, cnn_optimizer, X4, Y, 32, torch.randperm(limit))
result["cnn_fast_images_per_second"] = limit / result["cnn_fast_epoch_seconds"]
cnn.eval()
x_test4 = x_test.reshape(-1, 1, 28, 28)
with torch.no_grad():
    result["cnn_fast_test_accuracy"] = float((cnn(x_test4).argmax(1) == y_test).float().mean())
    cnn_inference = measure_inference(lambda x: cnn(x).argmax(1), x_test4, quick)
result["cnn_inference_images_per_second"] = cnn_inference["inference_images_per_second"]
result["cnn_latency_us"] = cnn_inference["latency_us"]

# (h) The cnn preset's network over 10,000 training images: batch 64, Adam α = 0.002, images as given
# (as ScratchNet's bench runs it: the preset's elastic moves are left out on both sides).
big = torch.nn.Sequential(
    torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.MaxPool2d(2), torch.nn.BatchNorm2d(32), torch.nn.ReLU(),
    torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.MaxPool2d(2), torch.nn.BatchNorm2d(64), torch.nn.ReLU(),
    torch.nn.Conv2d(64, 128, 3, padding=1), torch.nn.MaxPool2d(2), torch.nn.BatchNorm2d(128), torch.nn.ReLU(),
    torch.nn.Flatten(), torch.nn.Linear(1152, 256), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(256, 10))
big_optimizer = torch.optim.Adam(big.parameters(), lr=0.002)
limit = 1000 if quick else 10000
big.train()
result["cnn_images_per_second"] = limit / train_epoch(big, big_optimizer, X4[:limit], Y[:limit], 64)
print(json.dumps(result))
