// tanh(z);  tanh′(z) = 1 − tanh(z)², computed from the stored output a = tanh(z).
using System.Numerics;
using System.Numerics.Tensors;
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Hyperbolic tangent, one of the notes' alternatives to ReLU.</summary>
public sealed class Tanh(int size) : Activation(size)
{
    /// <inheritdoc/>
    public override string Name => "tanh";

    /// <inheritdoc/>
    public override string Symbol => "tanh";

    /// <inheritdoc/>
    public override void Apply(ReadOnlySpan<float> z, Span<float> a) => TensorPrimitives.Tanh(z, a);

    /// <inheritdoc/>
    public override void Derivative(ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> da, Span<float> dz)
    {
        int i = 0;
        if (Simd.HasVector)
        {
            // Vector<float>: 16, 8 or 4 lanes; each lane as the scalar loop below.
            for (; i + Vector<float>.Count <= z.Length; i += Vector<float>.Count)
            {
                var ai = new Vector<float>(a[i..]);
                (new Vector<float>(da[i..]) * (Vector<float>.One - (ai * ai))).CopyTo(dz[i..]);
            }
        }
        for (; i < z.Length; i++)
        {
            dz[i] = da[i] * (1f - (a[i] * a[i]));
        }
    }
}
