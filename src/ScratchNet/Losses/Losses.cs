// Creates a loss by its name in model files and on the command line.
namespace ScratchNet.Losses;

/// <summary>Names and construction of the losses.</summary>
public static class LossFunctions
{
    /// <summary>The names the command line takes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cross_entropy", "mse"];

    /// <summary>The name older model files gave the cross-entropy loss; still read.</summary>
    public const string OldCrossEntropyName = "softmax_cross_entropy";

    /// <summary>The loss named <paramref name="name"/> (cross_entropy or mse).</summary>
    public static ILoss Create(string name) => name switch
    {
        "cross_entropy" or OldCrossEntropyName => new SoftmaxCrossEntropy(),
        "mse" => new MeanSquaredError(),
        _ => throw new ArgumentException($"Unknown loss '{name}'. Use cross_entropy (softmax) or mse (sigmoid outputs, quadratic cost)."),
    };
}
