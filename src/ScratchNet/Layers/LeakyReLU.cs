// LeakyReLU(z) = z if z > 0 else α·z;  derivative 1 or α (Maas et al., 2013; default α = 0.01).
using System.Numerics;
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Leaky rectified linear unit with slope α for negative inputs.</summary>
public sealed class LeakyReLU(int size, float alpha = LeakyReLU.DefaultAlpha) : Activation(size)
{
    /// <summary>Slope for z &lt; 0 when none is given.</summary>
    public const float DefaultAlpha = 0.01f;

    /// <summary>Slope α for z &lt; 0.</summary>
    public float Alpha { get; } = alpha;

    /// <inheritdoc/>
    public override string Name => "leaky_relu";

    /// <inheritdoc/>
    public override string Symbol => "LeakyReLU";

    /// <inheritdoc/>
    public override LayerSpec Spec => new(Name, Size, Size, Alpha);

    /// <inheritdoc/>
    public override void Apply(ReadOnlySpan<float> z, Span<float> a)
    {
        int i = 0;
        if (Simd.HasVector)
        {
            var alpha = new Vector<float>(Alpha);
            for (; i + Vector<float>.Count <= z.Length; i += Vector<float>.Count)
            {
                var zi = new Vector<float>(z[i..]);
                Vector.ConditionalSelect(Vector.GreaterThan(zi, Vector<float>.Zero), zi, alpha * zi).CopyTo(a[i..]);
            }
        }
        for (; i < z.Length; i++)
        {
            a[i] = z[i] > 0f ? z[i] : Alpha * z[i];
        }
    }

    /// <inheritdoc/>
    public override void Derivative(ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> da, Span<float> dz)
    {
        int i = 0;
        if (Simd.HasVector)
        {
            var alpha = new Vector<float>(Alpha);
            for (; i + Vector<float>.Count <= z.Length; i += Vector<float>.Count)
            {
                var dai = new Vector<float>(da[i..]);
                Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(z[i..]), Vector<float>.Zero), dai, alpha * dai).CopyTo(dz[i..]);
            }
        }
        for (; i < z.Length; i++)
        {
            dz[i] = z[i] > 0f ? da[i] : Alpha * da[i];
        }
    }
}
