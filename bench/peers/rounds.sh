# Shared by the scripts that time ScratchNet and a peer in the same rounds (levels_rounds.sh,
# conv_rounds.sh); sourced, not run. Takes the default output folder, then the caller's arguments
# [ROUNDS] [OUT_DIR]; sets rounds, out, quick (--quick when QUICK is set) and multiarch, writes the
# machine's processor to $out/machine.txt and builds the CLI once. run_rounds then calls the caller's
# `ours N` and `theirs N` for each round N, the order alternating from round to round.
default_out=$1
shift
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rounds=${1:-5}
out=${2:-$default_out}
mkdir -p "$out"
quick=${QUICK:+--quick}
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
# a quick run's figures are marked so that the ratio scripts say so (they are not for quoting)
if [[ -n "$quick" ]]; then echo "shortened workloads (QUICK=1): a check that the scripts run, not figures to quote" > "$out/QUICK"; else rm -f "$out/QUICK"; fi
lscpu | grep -E 'Model name|^CPU\(s\)' > "$out/machine.txt" || true
dotnet build src/ScratchNet.Cli -c Release -v quiet -nologo > /dev/null

run_rounds() {
    for round in $(seq 1 "$rounds"); do
        if (( round % 2 )); then ours "$round"; theirs "$round"; else theirs "$round"; ours "$round"; fi
    done
}
