#!/usr/bin/env bash
# Runs `scratchnet bench` and the same recipes in numpy and PyTorch back to back on this machine,
# then prints the ratios. Needs Debian's python3-numpy, python3-torch, libopenblas0-pthread (for
# numpy) and libopenblas0-openmp (for PyTorch, which fights the pthreads build's threads).
# Ratios of runs minutes apart move with this machine's spells: levels_rounds.sh (every level beside numpy) and
# conv_rounds.sh (the convolutional workloads beside PyTorch) time both sides in the same rounds.
# Usage: bench/peers/run.sh [OUT_DIR]   (default bench/results/latest; add QUICK=1 for a short check)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-bench/results/latest}
mkdir -p "$out"
quick=${QUICK:+--quick}
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
lscpu | grep -E 'Model name|^CPU\(s\)' > "$out/machine.txt" || true

dotnet run --project src/ScratchNet.Cli -c Release -- bench --runs 3 --threads 2 ${quick} --json "$out/scratchnet.json"
# the same workloads with the runtime narrowed to AVX2, to 128-bit vectors with FMA (ARM64's NEON shape) and without (SSE), one table
dotnet run --project src/ScratchNet.Cli -c Release -- bench --isa native,avx2,128fma,128 --runs 3 --threads 2 ${quick} --json "$out/scratchnet-levels.json"
# numpy with the pthreads OpenBLAS on 2 threads (OPENBLAS_CORETYPE/L2_SIZE unset together, for this command only)
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 \
    LD_LIBRARY_PATH="/usr/lib/$multiarch/openblas-pthread" /usr/bin/python3 bench/peers/numpy_peer.py ${quick} > "$out/numpy.json"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=2 \
    LD_LIBRARY_PATH="/usr/lib/$multiarch/openblas-openmp" /usr/bin/python3 bench/peers/torch_peer.py ${quick} > "$out/torch.json"
/usr/bin/python3 bench/peers/ratios.py "$out"
