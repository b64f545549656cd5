#!/usr/bin/env bash
# The instruction-set levels beside numpy in rounds: each round runs `scratchnet bench --isa
# native,avx2,128fma,128 --runs 1` over the dense and cnn-fast workloads and numpy_peer.py back to
# back, the order alternating from round to round; then levels_ratios.py prints every round's ratios,
# their medians and issue #14's targets, each marked met or not. One round's ratios come from the same
# minutes, so a slow spell of this machine (they last seconds to minutes and halve a two-thread run)
# moves a round, not the medians, and numpy is timed beside each level rather than once, apart.
# Needs what run.sh needs for numpy. Usage: bench/peers/levels_rounds.sh [ROUNDS] [OUT_DIR]
# (default 5 rounds, bench/results/latest-levels; QUICK=1 for a short check)
set -euo pipefail
source "$(dirname "$0")/rounds.sh" bench/results/latest-levels "$@"

ours() {
    dotnet run --project src/ScratchNet.Cli -c Release --no-build -- bench --isa native,avx2,128fma,128 --runs 1 --threads 2 ${quick} \
        --workloads seed,epoch,mlp,cnn-fast,inference,cnn-inference --json "$out/round-$1-levels.json" > "$out/round-$1-levels.txt"
}
theirs() {
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 \
        LD_LIBRARY_PATH="/usr/lib/$multiarch/openblas-pthread" /usr/bin/python3 bench/peers/numpy_peer.py ${quick} \
        > "$out/round-$1-numpy.json" 2> "$out/round-$1-numpy.err"
}
run_rounds
/usr/bin/python3 bench/peers/levels_ratios.py "$out" | tee "$out/ratios.txt"
