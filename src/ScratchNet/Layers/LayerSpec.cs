// The description of one layer as stored in a model file's metadata: its type, its flattened input
// and output sizes, and the settings of its type (map shape, kernel, rate, …); absent ones are left out.
using System.Text.Json.Serialization;
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>
/// Type and sizes of a layer: "dense" (Inputs → Outputs), "conv" (a convolution of the map Channels ×
/// Height × Width with Filters K×K kernels, Stride, Padding), "maxpool", "batchnorm" (Epsilon,
/// Momentum), "flatten", "gap" (global average pool), "dropout" (Rate), or an activation ("relu",
/// "tanh", "sigmoid", "leaky_relu"). Inputs and Outputs are per-example sizes: C·H·W for maps.
/// </summary>
public sealed record LayerSpec(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("inputs")] int Inputs,
    [property: JsonPropertyName("outputs")] int Outputs,
    [property: JsonPropertyName("alpha"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? Alpha = null,
    [property: JsonPropertyName("rate"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? Rate = null)
{
    /// <summary>Input channels C of a layer that reads maps.</summary>
    [JsonPropertyName("channels"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Channels { get; init; }

    /// <summary>Input height H of a layer that reads maps.</summary>
    [JsonPropertyName("height"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Height { get; init; }

    /// <summary>Input width W of a layer that reads maps.</summary>
    [JsonPropertyName("width"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Width { get; init; }

    /// <summary>Output channels of a convolution.</summary>
    [JsonPropertyName("filters"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Filters { get; init; }

    /// <summary>Kernel side K of a convolution.</summary>
    [JsonPropertyName("kernel"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Kernel { get; init; }

    /// <summary>Stride of a convolution.</summary>
    [JsonPropertyName("stride"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Stride { get; init; }

    /// <summary>Zero padding on every side of a convolution's input.</summary>
    [JsonPropertyName("padding"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Padding { get; init; }

    /// <summary>ε of batch normalisation.</summary>
    [JsonPropertyName("epsilon"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float? Epsilon { get; init; }

    /// <summary>Momentum of batch normalisation's running statistics (PyTorch's convention: new = (1 − μ)·old + μ·batch).</summary>
    [JsonPropertyName("momentum"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float? Momentum { get; init; }

    /// <summary>The input maps, for a layer that reads maps (null for one that reads flat vectors).</summary>
    [JsonIgnore]
    public MapShape? Map => Channels is { } c && Height is { } h && Width is { } w ? new MapShape(c, h, w) : null;

    /// <summary>This spec with the input map <paramref name="map"/> recorded.</summary>
    public LayerSpec WithMap(MapShape map) => this with { Channels = map.Channels, Height = map.Height, Width = map.Width };
}
