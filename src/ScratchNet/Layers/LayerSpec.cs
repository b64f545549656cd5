// The description of one layer as stored in a model file's metadata.
using System.Text.Json.Serialization;

namespace ScratchNet.Layers;

/// <summary>Type and sizes of a layer: "dense" (Inputs → Outputs), "dropout" (Rate), or an activation ("relu", "tanh", "sigmoid", "leaky_relu").</summary>
public sealed record LayerSpec(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("inputs")] int Inputs,
    [property: JsonPropertyName("outputs")] int Outputs,
    [property: JsonPropertyName("alpha"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? Alpha = null,
    [property: JsonPropertyName("rate"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? Rate = null);
