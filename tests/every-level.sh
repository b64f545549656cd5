#!/usr/bin/env bash
# The whole unit and end-to-end suite again at each instruction-set level below the machine's own:
# AVX2 (AVX-512 off), 128-bit vectors with fused multiply-adds (told to prefer 128 bits: ARM64's NEON
# shape), 128-bit vectors only without them (AVX2 off, and AVX off) and no vector hardware at all. Each level must give fast =
# reference, the same bits on 1 to 4 threads, the recorded seed-preset bits, 85.40 % and everything
# else the default suite asserts. About ten minutes on two cores (the browser test and the package
# checks run once, at the machine's own level, in .ci/run).
# Run after a build:  dotnet build ScratchNet.slnx -c Release && tests/every-level.sh
set -euo pipefail
cd "$(dirname "$0")/.."
failed=()
for level in DOTNET_EnableAVX512=0 DOTNET_PreferredVectorBitWidth=128 DOTNET_EnableAVX2=0 DOTNET_EnableAVX=0 DOTNET_EnableHWIntrinsic=0; do
    echo "== $level"
    env "$level" dotnet test tests/ScratchNet.Tests -c Release --no-build || failed+=("$level")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "every-level: tests failed at ${failed[*]}" >&2
    exit 1
fi
echo "every-level: the tests passed at every level"
