// Named recipes. "seed" is the notes' recipe exactly: 784-10-10, ReLU, softmax, U[−0.5, 0.5] init,
// full batch, α = 0.10, 500 iterations, 1,000 dev images.
namespace ScratchNet.Training;

public static class Presets
{
    public static IReadOnlyList<string> Names { get; } = ["seed"];

    public static TrainingOptions Get(string name) => name switch
    {
        "seed" => new TrainingOptions(),
        _ => throw new ArgumentException($"Unknown preset '{name}'. Available: {string.Join(", ", Names)}."),
    };
}
