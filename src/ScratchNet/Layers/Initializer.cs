// How a Dense layer's W and b start. The seed recipe draws both from U[−0.5, 0.5]; Xavier/Glorot
// suits tanh and sigmoid, He suits ReLU. Leaves out: orthogonal and LSUV initialisation.
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>How initial weights are drawn.</summary>
public enum Initializer
{
    /// <summary>The notes' recipe: every weight and bias uniform in [−0.5, 0.5].</summary>
    SeedUniform,

    /// <summary>Glorot and Bengio (2010): W ~ U[−√(6/(in+out)), +√(6/(in+out))], b = 0. Default for tanh and sigmoid.</summary>
    Xavier,

    /// <summary>He et al. (2015): W ~ N(0, 2/in), b = 0. Default for ReLU and leaky ReLU.</summary>
    He,
}

/// <summary>Names and filling of the initialisers.</summary>
public static class Initializers
{
    /// <summary>He for ReLU and leaky ReLU, Xavier/Glorot for tanh and sigmoid.</summary>
    public static Initializer DefaultFor(string activation) =>
        activation is "relu" or "leaky_relu" ? Initializer.He : Initializer.Xavier;

    /// <summary>The names the command line takes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["seed-uniform", "xavier", "he"];

    /// <summary>The initialiser named <paramref name="name"/> (seed-uniform, xavier, he).</summary>
    public static Initializer Parse(string name) => name switch
    {
        "seed-uniform" => Initializer.SeedUniform,
        "xavier" or "glorot" => Initializer.Xavier,
        "he" or "kaiming" => Initializer.He,
        _ => throw new ArgumentException($"Unknown initializer '{name}'. Use seed-uniform, xavier or he."),
    };

    /// <summary>
    /// Fills W [out, in] (or a convolution's [out, in, K, K]) and b [out] in order, W first, from
    /// <paramref name="rng"/>. Fan-in is in (·K·K), fan-out out (·K·K), as in PyTorch.
    /// </summary>
    public static void Fill(Initializer init, Parameter W, Parameter b, Rng rng)
    {
        int inputs = W.Count / W.Shape[0], outputs = W.Count / W.Shape[1];
        switch (init)
        {
            case Initializer.SeedUniform:
                for (int i = 0; i < W.Count; i++)
                {
                    W.Value[i] = rng.NextFloat(-0.5f, 0.5f);
                }
                for (int i = 0; i < b.Count; i++)
                {
                    b.Value[i] = rng.NextFloat(-0.5f, 0.5f);
                }
                break;
            case Initializer.Xavier:
                float limit = MathF.Sqrt(6f / (inputs + outputs));
                for (int i = 0; i < W.Count; i++)
                {
                    W.Value[i] = rng.NextFloat(-limit, limit);
                }
                Array.Clear(b.Value);
                break;
            case Initializer.He:
                double std = Math.Sqrt(2.0 / inputs);
                for (int i = 0; i < W.Count; i++)
                {
                    W.Value[i] = (float)(std * rng.NextGaussian());
                }
                Array.Clear(b.Value);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(init), init, "Unknown initializer.");
        }
    }
}
