// Named recipes. "seed" is the notes' recipe exactly: 784-10-10, ReLU, softmax, U[−0.5, 0.5] init,
// full batch, α = 0.10, 500 iterations, 1,000 dev images. The others go beyond it; their measured
// accuracy and time are in the README.
using ScratchNet.Layers;

namespace ScratchNet.Training;

/// <summary>The named recipes: seed, seed-tuned, mlp, cnn-fast, cnn.</summary>
public static class Presets
{
    /// <summary>The preset names, in the order the help lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["seed", "seed-tuned", "mlp", "cnn-fast", "cnn"];

    /// <summary>The recipe named <paramref name="name"/>.</summary>
    public static TrainingOptions Get(string name) => name switch
    {
        "seed" => new TrainingOptions(),

        // The same 784-10-10 shape trained well: He init, mini-batches, Adam, cosine decay.
        "seed-tuned" => new TrainingOptions
        {
            Preset = "seed-tuned",
            Init = Initializer.He,
            Optimizer = "adam",
            Alpha = 0.002f,
            BatchSize = 32,
            Epochs = 30,
            Schedule = "cosine",
            Seed = 1,
        },

        // A wider, deeper dense network: 784-512-256-10 with dropout, Adam and cosine decay.
        "mlp" => new TrainingOptions
        {
            Preset = "mlp",
            Layers = [784, 512, 256, 10],
            Init = Initializer.He,
            Optimizer = "adam",
            Alpha = 0.002f,
            BatchSize = 128,
            Epochs = 20,
            Dropout = 0.2f,
            Schedule = "cosine",
            Seed = 1,
        },

        // The shortest way to 99 %: two small convolutions (8 and 16 filters of 3×3), each pooled before
        // batch norm and ReLU (max-pooling commutes with ReLU: the same net on a quarter of the values),
        // a 64-unit dense layer, Adam with cosine decay over 3 epochs of mini-batches of 32.
        "cnn-fast" => new TrainingOptions
        {
            Preset = "cnn-fast",
            Init = Initializer.He,
            Optimizer = "adam",
            Alpha = 0.003f,
            BatchSize = 32,
            Epochs = 3,
            Schedule = "cosine",
            Seed = 1,
        }.WithArchitecture("conv8k3,pool,bn,relu,conv16k3,pool,bn,relu,dense64,relu,10"),

        // The best single model trained here: three stages of 3×3 convolutions (32, 64, 128 filters), each
        // pooled, batch-normalised and rectified; a 256-unit dense layer with dropout; every training image
        // moved by a random rotation, scaling and shift each epoch; Adam with cosine decay over 15 epochs.
        "cnn" => new TrainingOptions
        {
            Preset = "cnn",
            Init = Initializer.He,
            Optimizer = "adam",
            Alpha = 0.002f,
            BatchSize = 64,
            Epochs = 15,
            Schedule = "cosine",
            Augment = "elastic",
            Seed = 1,
        }.WithArchitecture("conv32k3,pool,bn,relu,conv64k3,pool,bn,relu,conv128k3,pool,bn,relu,dense256,relu,dropout0.3,10"),

        _ => throw new ArgumentException($"Unknown preset '{name}'. Available: {string.Join(", ", Names)}."),
    };
}
