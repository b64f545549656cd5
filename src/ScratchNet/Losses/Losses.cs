// Creates a loss by its name in model files and on the command line.
namespace ScratchNet.Losses;

public static class LossFunctions
{
    public static IReadOnlyList<string> Names { get; } = ["cross_entropy", "mse"];

    /// <summary>The name older model files gave the cross-entropy loss; still read.</summary>
    public const string OldCrossEntropyName = "softmax_cross_entropy";

    public static ILoss Create(string name) => name switch
    {
        "cross_entropy" or OldCrossEntropyName => new SoftmaxCrossEntropy(),
        "mse" => new MeanSquaredError(),
        _ => throw new ArgumentException($"Unknown loss '{name}'. Use cross_entropy (softmax) or mse (sigmoid outputs, quadratic cost)."),
    };
}
