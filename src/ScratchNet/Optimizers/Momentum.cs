// SGD with momentum (Polyak, 1964; Sutskever et al., 2013), as PyTorch writes it:
//   g = dθ + λ·θ    v ← μ·v + g    θ ← θ − α·v            (heavy ball)
//   Nesterov:       v ← μ·v + g    θ ← θ − α·(g + μ·v)
// Defaults: μ = 0.9, λ = 0. The velocity v applies to biases exactly as to weights; velocities
// below 2⁻¹²⁶ are stored as 0 (Optimizers.FlushTiny: subnormals cost a microcode assist).
using System.Numerics;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Optimizers;

/// <summary>SGD with momentum (heavy ball) or Nesterov momentum, as PyTorch writes them.</summary>
/// <param name="mu">μ, the momentum (0.9).</param>
/// <param name="nesterov">Nesterov's look-ahead form.</param>
/// <param name="weightDecay">λ, added to the gradient as λ·θ.</param>
public sealed class Momentum(float mu = 0.9f, bool nesterov = false, float weightDecay = 0f) : IOptimizer
{
    private float[][]? velocity;

    /// <summary>μ, the momentum.</summary>
    public float Mu { get; } = mu;

    /// <summary>Whether the step is Nesterov's.</summary>
    public bool Nesterov { get; } = nesterov;

    /// <summary>λ, L2 weight decay.</summary>
    public float WeightDecay { get; } = weightDecay;

    /// <inheritdoc/>
    public string Name => Nesterov ? "nesterov" : "momentum";

    /// <inheritdoc/>
    public int Steps { get; set; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, float[][]> State(IReadOnlyList<Parameter> parameters) =>
        new Dictionary<string, float[][]> { ["velocity"] = Optimizers.State(ref velocity, parameters) };

    /// <inheritdoc/>
    public void Step(IReadOnlyList<Parameter> parameters, float alpha)
    {
        float[][] v = Optimizers.State(ref velocity, parameters);
        Steps++;
        Optimizers.ForEachChunk(parameters, (i, start, length) =>
        {
            Span<float> theta = parameters[i].Value.AsSpan(start, length), vi = v[i].AsSpan(start, length);
            ReadOnlySpan<float> dTheta = parameters[i].Gradient.AsSpan(start, length);
            int k = 0;
            if (Simd.HasVector)
            {
                // Vector<float>: 16, 8 or 4 lanes; each lane as the scalar loop below.
                int L = Vector<float>.Count;
                for (; k + L <= length; k += L)
                {
                    var t = new Vector<float>(theta.Slice(k, L));
                    var g = new Vector<float>(dTheta.Slice(k, L)) + (WeightDecay * t);
                    var vk = Optimizers.FlushTiny((Mu * new Vector<float>(vi.Slice(k, L))) + g);
                    vk.CopyTo(vi.Slice(k, L));
                    (t - (alpha * (Nesterov ? g + (Mu * vk) : vk))).CopyTo(theta.Slice(k, L));
                }
            }
            for (; k < length; k++)
            {
                float g = dTheta[k] + (WeightDecay * theta[k]);
                vi[k] = Optimizers.FlushTiny((Mu * vi[k]) + g);
                theta[k] -= alpha * (Nesterov ? g + (Mu * vi[k]) : vi[k]);
            }
        });
    }
}
