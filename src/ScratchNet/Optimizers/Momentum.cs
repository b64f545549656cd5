// SGD with momentum (Polyak, 1964; Sutskever et al., 2013), as PyTorch writes it:
//   g = dθ + λ·θ    v ← μ·v + g    θ ← θ − α·v            (heavy ball)
//   Nesterov:       v ← μ·v + g    θ ← θ − α·(g + μ·v)
// Defaults: μ = 0.9, λ = 0. The velocity v applies to biases exactly as to weights.
using ScratchNet.Layers;

namespace ScratchNet.Optimizers;

public sealed class Momentum(float mu = 0.9f, bool nesterov = false, float weightDecay = 0f) : IOptimizer
{
    private float[][]? velocity;

    public float Mu { get; } = mu;

    public bool Nesterov { get; } = nesterov;

    public float WeightDecay { get; } = weightDecay;

    public string Name => Nesterov ? "nesterov" : "momentum";

    public int Steps { get; set; }

    public IReadOnlyDictionary<string, float[][]> State(IReadOnlyList<Parameter> parameters) =>
        new Dictionary<string, float[][]> { ["velocity"] = Optimizers.State(ref velocity, parameters) };

    public void Step(IReadOnlyList<Parameter> parameters, float alpha)
    {
        float[][] v = Optimizers.State(ref velocity, parameters);
        Steps++;
        Optimizers.ForEachChunk(parameters, (i, start, length) =>
        {
            Span<float> theta = parameters[i].Value.AsSpan(start, length), vi = v[i].AsSpan(start, length);
            ReadOnlySpan<float> dTheta = parameters[i].Gradient.AsSpan(start, length);
            for (int k = 0; k < length; k++)
            {
                float g = dTheta[k] + (WeightDecay * theta[k]);
                vi[k] = (Mu * vi[k]) + g;
                theta[k] -= alpha * (Nesterov ? g + (Mu * vi[k]) : vi[k]);
            }
        });
    }
}
