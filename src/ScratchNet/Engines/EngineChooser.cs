// The one place that decides which engine runs a network: from the network's shape, the workload
// and this machine's vector width. Training (full batch and mini-batch), evaluation, prediction, the
// web app and the bench all ask here; a user or a test can force an engine (--engine), and a forced
// engine that cannot run the network is refused with the reason before any work starts.
using System.Runtime.Intrinsics;
using ScratchNet.Engines.Fused;
using ScratchNet.Engines.Layers;
using ScratchNet.Engines.Packed;
using ScratchNet.Layers;
using ScratchNet.Losses;
using ScratchNet.Tensors;

namespace ScratchNet.Engines;

/// <summary>An engine picked for a network and a workload, and why.</summary>
public sealed record EngineChoice(EngineKind Kind, string Reason)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Name(Kind)} ({Reason})";

    /// <summary>The engine's name on the command line and in run records: layers, fused or packed.</summary>
    public static string Name(EngineKind kind) => kind.ToString().ToLowerInvariant();
}

/// <summary>The one place that decides which engine runs a network, for a workload, on this machine.</summary>
public static class EngineChooser
{
    /// <summary>The names --engine takes: auto, layers, fused, packed.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<EngineKind>().Select(EngineChoice.Name)];

    /// <summary>Widest hidden layer the packed engine takes: one row of 16 floats (one 512-bit vector, two of 256 bits, four of 128).</summary>
    public const int PackedMaxUnits = 16;

    /// <summary>Widest hidden layer the fused engine takes (wider first layers read dense rows faster: docs/benchmarks.md).</summary>
    public const int FusedMaxHidden = InputBuffer.MaxSparseOutputs;

    /// <summary>Widest output layer the fused engine takes.</summary>
    public const int FusedMaxOutputs = 64;

    /// <summary>Parses an --engine value.</summary>
    public static EngineKind Parse(string name) =>
        Enum.GetValues<EngineKind>().FirstOrDefault(k => EngineChoice.Name(k) == name, (EngineKind)(-1)) is var kind && Enum.IsDefined(kind)
            ? kind
            : throw new ArgumentException($"--engine {name}: use one of {string.Join(", ", Names)}.");

    /// <summary>The engine for <paramref name="network"/> and <paramref name="workload"/>: <paramref name="requested"/> if it can run them, the fastest that can when Auto.</summary>
    /// <exception cref="ArgumentException">A forced engine cannot run this network or workload here; the message says why and what to use.</exception>
    public static EngineChoice Choose(Network network, Workload workload, EngineKind requested = EngineKind.Auto)
    {
        string? packed = WhyNotPacked(network, workload);
        string? fused = WhyNotFused(network, workload);
        string? packedAuto = packed ?? WhyNotPackedAuto();
        return requested switch
        {
            EngineKind.Auto when packedAuto is null => new(EngineKind.Packed, $"{Shape(network)} with softmax, {Describe(workload)}, {Simd.Width}-bit vectors"),
            EngineKind.Auto when fused is null => new(EngineKind.Fused, $"{Shape(network)} with softmax, {Describe(workload)}; packed: {packedAuto}"),
            EngineKind.Auto => new(EngineKind.Layers, $"general; packed: {packedAuto}; fused: {fused}"),
            EngineKind.Layers => new(EngineKind.Layers, "forced with --engine layers"),
            EngineKind.Fused => fused is null ? new(EngineKind.Fused, "forced with --engine fused") : throw Refuse("fused", fused),
            EngineKind.Packed => packed is null ? new(EngineKind.Packed, "forced with --engine packed") : throw Refuse("packed", packed),
            _ => throw new ArgumentOutOfRangeException(nameof(requested), requested, "Unknown engine."),
        };
    }

    /// <summary>A training engine for <paramref name="network"/> as chosen: its steps set the network's gradients.</summary>
    public static ITrainingEngine CreateTraining(Network network, EngineChoice choice) => choice.Kind switch
    {
        EngineKind.Packed => PackedEngine.Create(network),
        EngineKind.Fused => new FusedEngine(network),
        _ => new LayerEngine(network),
    };

    /// <summary>An inference engine for <paramref name="network"/> as chosen: it reads the current weights at every call.</summary>
    public static IInferenceEngine CreateInference(Network network, EngineChoice choice) => choice.Kind switch
    {
        EngineKind.Packed => PackedEngine.Create(network),
        EngineKind.Fused => new FusedEngine(network),
        _ => new LayerEngine(network),
    };

    /// <summary>Whether the network is Dense → activation → Dense with softmax cross-entropy, the hidden layer at most <paramref name="maxHidden"/> and the output at most <paramref name="maxOutputs"/> units wide.</summary>
    internal static bool IsTwoLayerSoftmax(Network network, int maxHidden, int maxOutputs) =>
        network.Layers.Count == 3
        && network.Layers[0] is Dense d1 && d1.Outputs <= maxHidden
        && network.Layers[1] is Activation
        && network.Layers[2] is Dense d2 && d2.Outputs <= maxOutputs
        && network.Loss is SoftmaxCrossEntropy;

    private static string? WhyNotPacked(Network network, Workload workload) =>
        !IsTwoLayerSoftmax(network, PackedMaxUnits, PackedMaxUnits) ? $"it runs Dense(≤{PackedMaxUnits}) → activation → Dense(≤{PackedMaxUnits}) → softmax only, not {Shape(network)}"
        : WhyNotWholeSets(workload) is { } why ? why
        : !Simd.Has128 ? "it needs vector hardware (128-bit vectors or wider), which this machine does not offer to .NET"
        : null;

    /// <summary>
    /// Why auto leaves a network the packed engine can run to the fused one: below 256-bit vectors a
    /// row of 16 hidden units takes four 128-bit vectors where the fused engine pads 10 units to 12
    /// (three), and with 16 registers (x64 without AVX) the packed loops' sums do not fit: the seed
    /// recipe took 25–26 s packed and 19 s fused at 128 bits (docs/benchmarks.md). --engine packed
    /// still runs it there.
    /// </summary>
    private static string? WhyNotPackedAuto() => Simd.Width < 256
        ? $"at {Simd.Width}-bit vectors the fused engine is faster (--engine packed runs it anyway)"
        : null;

    private static string? WhyNotFused(Network network, Workload workload) =>
        !IsTwoLayerSoftmax(network, FusedMaxHidden, FusedMaxOutputs) ? $"it runs Dense(≤{FusedMaxHidden}) → activation → Dense(≤{FusedMaxOutputs}) → softmax only, not {Shape(network)}"
        : WhyNotWholeSets(workload);

    private static string? WhyNotWholeSets(Workload workload) => workload switch
    {
        Workload.MiniBatchTraining => "it steps over whole data sets only (full batch: --batch-size 0)",
        Workload.OneImage => "it runs over data sets in blocks of 256 images; one image at a time runs on the layer engine",
        _ => null,
    };

    private static ArgumentException Refuse(string engine, string why) =>
        new($"--engine {engine}: {why}. Use --engine auto (or layers, which runs every network).");

    private static string Shape(Network network) => network.Layers.Count == 3 && network.Layers[1] is Activation g
        ? $"{network.Shape} ({g.Name})"
        : network.Shape;

    private static string Describe(Workload workload) => workload switch
    {
        Workload.FullBatchTraining => "full batch",
        Workload.Inference => "byte images",
        _ => workload.ToString(),
    };
}
