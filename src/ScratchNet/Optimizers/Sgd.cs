// Plain gradient descent, the notes' update: θ ← θ − α·(dθ + λ·θ) for every W and b
// (λ, the L2 weight decay, defaults to 0: the notes' θ ← θ − α·dθ).
using System.Numerics.Tensors;
using ScratchNet.Layers;

namespace ScratchNet.Optimizers;

/// <summary>Stochastic (or full-batch) gradient descent: θ ← θ − α·dθ.</summary>
public sealed class Sgd(float weightDecay = 0f) : IOptimizer
{
    /// <summary>λ, L2 weight decay.</summary>
    public float WeightDecay { get; } = weightDecay;

    /// <inheritdoc/>
    public string Name => "sgd";

    /// <inheritdoc/>
    public int Steps { get; set; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, float[][]> State(IReadOnlyList<Parameter> parameters) => new Dictionary<string, float[][]>();

    /// <inheritdoc/>
    public void Step(IReadOnlyList<Parameter> parameters, float alpha)
    {
        foreach (Parameter p in parameters)
        {
            if (WeightDecay != 0f)
            {
                // dθ ← dθ + λ·θ
                TensorPrimitives.MultiplyAdd(p.Value, WeightDecay, p.Gradient, p.Gradient);
            }
            // θ ← θ − α·dθ
            TensorPrimitives.MultiplyAdd(p.Gradient, -alpha, p.Value, p.Value);
        }
        Steps++;
    }
}
