// ReLU(z) = z if z > 0 else 0;  ReLU′(z) = 1 if z > 0 else 0 (0 at the kink, as in the notes).
using System.Numerics;
using System.Numerics.Tensors;
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Rectified linear unit (Nair and Hinton, 2010).</summary>
public sealed class ReLU(int size) : Activation(size)
{
    /// <inheritdoc/>
    public override string Name => "relu";

    /// <inheritdoc/>
    public override string Symbol => "ReLU";

    /// <inheritdoc/>
    public override void Apply(ReadOnlySpan<float> z, Span<float> a) => TensorPrimitives.Max(z, 0f, a);

    /// <inheritdoc/>
    public override void Derivative(ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> da, Span<float> dz)
    {
        // dz = da where z > 0, else 0: a mask per vector (a branch per element mispredicts half the time).
        int i = 0;
        if (Simd.HasVector)
        {
            for (; i + Vector<float>.Count <= z.Length; i += Vector<float>.Count)
            {
                Vector<int> positive = Vector.GreaterThan(new Vector<float>(z[i..]), Vector<float>.Zero);
                Vector.ConditionalSelect(positive, new Vector<float>(da[i..]), Vector<float>.Zero).CopyTo(dz[i..]);
            }
        }
        for (; i < z.Length; i++)
        {
            dz[i] = z[i] > 0f ? da[i] : 0f;
        }
    }
}
