#!/usr/bin/env bash
# The convolutional workloads beside PyTorch in rounds: each round runs `scratchnet bench --workloads
# peak,cnn-fast,cnn,cnn-inference --runs 1` and `torch_peer.py --conv` back to back, the order
# alternating from round to round, then conv_ratios.py prints every round's ratios and their medians.
# This machine's speed drifts by a fifth within minutes, so a ratio of two runs minutes apart (run.sh)
# can move by as much; a ratio within a round, with the median over rounds, does not.
# Needs what run.sh needs for PyTorch. Usage: bench/peers/conv_rounds.sh [ROUNDS] [OUT_DIR]
# (default 5 rounds, bench/results/latest-conv; QUICK=1 for a short check)
set -euo pipefail
source "$(dirname "$0")/rounds.sh" bench/results/latest-conv "$@"

ours() {
    dotnet run --project src/ScratchNet.Cli -c Release --no-build -- bench --runs 1 --threads 2 ${quick} \
        --workloads peak,cnn-fast,cnn,cnn-inference --json "$out/round-$1-scratchnet.json" > "$out/round-$1-scratchnet.txt"
}
theirs() {
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=2 \
        LD_LIBRARY_PATH="/usr/lib/$multiarch/openblas-openmp" /usr/bin/python3 bench/peers/torch_peer.py --conv ${quick} \
        > "$out/round-$1-torch.json" 2> "$out/round-$1-torch.err"
}
run_rounds
/usr/bin/python3 bench/peers/conv_ratios.py "$out" | tee "$out/ratios.txt"
