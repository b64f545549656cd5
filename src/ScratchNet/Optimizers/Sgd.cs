// Plain gradient descent, the notes' update: θ ← θ − α·dθ for every W and b.
using System.Numerics.Tensors;
using ScratchNet.Layers;

namespace ScratchNet.Optimizers;

/// <summary>Stochastic (or full-batch) gradient descent: θ ← θ − α·dθ.</summary>
public sealed class Sgd : IOptimizer
{
    public string Name => "sgd";

    public void Step(IReadOnlyList<Parameter> parameters, float lr)
    {
        foreach (Parameter p in parameters)
        {
            // θ ← θ − α·dθ
            TensorPrimitives.MultiplyAdd(p.Gradient, -lr, p.Value, p.Value);
        }
    }
}
