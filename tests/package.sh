#!/usr/bin/env bash
# The packages as a user gets them: pack every package into a temporary folder, install the scratchnet
# tool from it and run it from a folder outside the repository (MNIST and the pretrained models must
# travel inside the tool), then build the samples against the packed library and run one of them
# there too (the pretrained models must travel inside the library package). Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
version="0.1.0-local.$(date +%s)"
cleanup() {
    rm -rf "$work"
    # The packages this run restored into the user's NuGet cache (a unique version each run).
    rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/scratchnet*/"$version"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

step "pack $version"
dotnet pack ScratchNet.slnx -c Release -o "$work/packages" -p:Version="$version" --nologo -v quiet
for id in ScratchNet ScratchNet.Images ScratchNet.Reports ScratchNet.Onnx ScratchNet.Cli; do
    test -f "$work/packages/$id.$version.nupkg" || { echo "missing package $id" >&2; exit 1; }
    test -f "$work/packages/$id.$version.snupkg" || { echo "missing symbols of $id" >&2; exit 1; }
done
# The library package carries its XML docs, README, license and the pretrained models.
listing=$(unzip -l "$work/packages/ScratchNet.$version.nupkg")
for entry in lib/net10.0/ScratchNet.xml ' README.md' ' LICENSE' contentFiles/any/any/pretrained/cnn-fast.safetensors; do
    grep -qF -- "$entry" <<<"$listing" || { echo "ScratchNet package lacks $entry" >&2; echo "$listing" >&2; exit 1; }
done

step "install the tool and run it from another folder"
dotnet tool install ScratchNet.Cli --tool-path "$work/tool" --add-source "$work/packages" --version "$version"
mkdir -p "$work/elsewhere"
cd "$work/elsewhere"
scratchnet="$work/tool/scratchnet"
# (Output is captured, shown, then checked: `tee /dev/stderr` would reopen and truncate a log file that stderr points to.)
expect() { local out; out=$("${@:2}"); printf '%s\n' "$out"; grep -qF -- "$1" <<<"$out" || { echo "expected '$1' in the output of: ${*:2}" >&2; exit 1; }; }
expect "$version" "$scratchnet" --version
"$scratchnet" train --dry-run --out dry.safetensors --plain
"$scratchnet" evaluate --model dry.safetensors
"$scratchnet" models
expect "using the shipped model" "$scratchnet" predict --index 0
"$scratchnet" export --onnx best.onnx
test -s best.onnx

step "build the samples against the packed library"
cd "$root"
for sample in TrainSeed PredictPng ServeApi; do
    dotnet build "samples/$sample" -c Release --nologo -v quiet -p:ScratchNetVersion="$version" \
        -p:RestoreAdditionalProjectSources="$work/packages" -o "$work/samples/$sample"
done
cd "$work/elsewhere"
expect "seven.png: 7 " dotnet "$work/samples/PredictPng/PredictPng.dll"
echo "package checks passed"
