// Adam (Kingma and Ba, 2015, https://arxiv.org/abs/1412.6980), Algorithm 1:
//   g = dθ + λ·θ   m ← β1·m + (1 − β1)·g   v ← β2·v + (1 − β2)·g²
//   m̂ = m / (1 − β1ᵗ)   v̂ = v / (1 − β2ᵗ)   θ ← θ − α·m̂ / (√v̂ + ε)
// Defaults: α = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e−8, λ = 0. The moments apply to biases too;
// moments below 2⁻¹²⁶ are stored as 0 (Optimizers.FlushTiny: subnormals cost a microcode assist).
using System.Numerics;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Optimizers;

/// <summary>Adam (Kingma and Ba, 2015) with optional L2 weight decay: moments of the gradient and its square, bias-corrected.</summary>
/// <param name="beta1">Decay of the first moment (0.9).</param>
/// <param name="beta2">Decay of the second moment (0.999).</param>
/// <param name="epsilon">ε added to √v̂ (1e−8).</param>
/// <param name="weightDecay">λ, added to the gradient as λ·θ (decoupled in AdamW).</param>
public class Adam(float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f) : IOptimizer
{
    private float[][]? m;
    private float[][]? v;

    /// <summary>β1, decay of the first moment.</summary>
    public float Beta1 { get; } = beta1;

    /// <summary>β2, decay of the second moment.</summary>
    public float Beta2 { get; } = beta2;

    /// <summary>ε added to √v̂.</summary>
    public float Epsilon { get; } = epsilon;

    /// <summary>λ: L2 penalty added to the gradient (for Adam) or decoupled decay (for AdamW).</summary>
    public float WeightDecay { get; } = weightDecay;

    /// <summary>t, the number of steps taken.</summary>
    public int Steps { get; set; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, float[][]> State(IReadOnlyList<Parameter> parameters) =>
        new Dictionary<string, float[][]> { ["m"] = Optimizers.State(ref m, parameters), ["v"] = Optimizers.State(ref v, parameters) };

    /// <inheritdoc/>
    public virtual string Name => "adam";

    /// <summary>Whether λ is decoupled from the gradient (AdamW) rather than added to it (Adam).</summary>
    protected virtual bool Decoupled => false;

    /// <inheritdoc/>
    public void Step(IReadOnlyList<Parameter> parameters, float alpha)
    {
        float[][] ms = Optimizers.State(ref m, parameters), vs = Optimizers.State(ref v, parameters);
        Steps++;
        float correction1 = (float)(1 - Math.Pow(Beta1, Steps)), correction2 = (float)(1 - Math.Pow(Beta2, Steps));
        float decay = Decoupled ? 1f - (alpha * WeightDecay) : 1f;
        float l2 = Decoupled ? 0f : WeightDecay;
        Optimizers.ForEachChunk(parameters, (i, start, length) =>
        {
            Span<float> theta = parameters[i].Value.AsSpan(start, length), mi = ms[i].AsSpan(start, length), vi = vs[i].AsSpan(start, length);
            ReadOnlySpan<float> dTheta = parameters[i].Gradient.AsSpan(start, length);
            int k = 0;
            if (Simd.HasVector)
            {
                // Vector<float>: 16, 8 or 4 lanes, whatever this machine offers; each lane as the scalar loop below.
                int L = Vector<float>.Count;
                for (; k + L <= length; k += L)
                {
                    var t = new Vector<float>(theta.Slice(k, L));
                    // g = dθ + λ·θ (Adam's L2) ; θ ← θ·(1 − α·λ) (AdamW's decoupled decay)
                    var g = new Vector<float>(dTheta.Slice(k, L)) + (t * l2);
                    t *= decay;
                    var mk = Optimizers.FlushTiny((new Vector<float>(mi.Slice(k, L)) * Beta1) + (g * (1 - Beta1)));
                    var vk = Optimizers.FlushTiny((new Vector<float>(vi.Slice(k, L)) * Beta2) + (g * g * (1 - Beta2)));
                    // θ ← θ − α·m̂ / (√v̂ + ε), m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ)
                    t -= alpha * (mk / correction1) / (Vector.SquareRoot(vk / correction2) + new Vector<float>(Epsilon));
                    mk.CopyTo(mi.Slice(k, L));
                    vk.CopyTo(vi.Slice(k, L));
                    t.CopyTo(theta.Slice(k, L));
                }
            }
            for (; k < length; k++)
            {
                float t = theta[k];
                float g = dTheta[k] + (t * l2);
                t *= decay;
                mi[k] = Optimizers.FlushTiny((mi[k] * Beta1) + (g * (1 - Beta1)));
                vi[k] = Optimizers.FlushTiny((vi[k] * Beta2) + (g * g * (1 - Beta2)));
                theta[k] = t - (alpha * (mi[k] / correction1) / (MathF.Sqrt(vi[k] / correction2) + Epsilon));
            }
        });
    }
}

/// <summary>
/// AdamW (Loshchilov and Hutter, 2019, https://arxiv.org/abs/1711.05101): Adam with weight decay
/// decoupled from the gradient, θ ← θ − α·λ·θ before the Adam step. Default λ = 0.01 (PyTorch's).
/// </summary>
public sealed class AdamW(float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = AdamW.DefaultWeightDecay)
    : Adam(beta1, beta2, epsilon, weightDecay)
{
    /// <summary>λ when none is given (PyTorch's).</summary>
    public const float DefaultWeightDecay = 0.01f;

    /// <inheritdoc/>
    public override string Name => "adamw";

    /// <inheritdoc/>
    protected override bool Decoupled => true;
}
