// σ(z) = 1 / (1 + e^(−z));  σ′(z) = σ(z)·(1 − σ(z)), computed from the stored output.
using System.Numerics;
using System.Runtime.Intrinsics;
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Logistic sigmoid, one of the notes' alternatives to ReLU.</summary>
public sealed class Sigmoid(int size) : Activation(size)
{
    /// <inheritdoc/>
    public override string Name => "sigmoid";

    /// <inheritdoc/>
    public override string Symbol => "σ";

    /// <inheritdoc/>
    public override void Apply(ReadOnlySpan<float> z, Span<float> a) => Logistic(z, a);

    /// <summary>a = σ(z) elementwise (also the output of the mse loss).</summary>
    public static unsafe void Logistic(ReadOnlySpan<float> z, Span<float> a)
    {
        if (a.Length < z.Length)
        {
            throw new ArgumentException($"Sigmoid: {z.Length} inputs, room for {a.Length} outputs.");
        }
        fixed (float* pz = z, pa = a)
        {
            int i = Simd.Widest switch
            {
                VectorWidth.Bits512 => Logistic<Lanes512, Vector512<float>>(pz, pa, z.Length),
                VectorWidth.Bits256 => Logistic<Lanes256, Vector256<float>>(pz, pa, z.Length),
                VectorWidth.Bits128 => Logistic<Lanes128, Vector128<float>>(pz, pa, z.Length),
                _ => 0,
            };
            Logistic<LanesScalar, float>(pz + i, pa + i, z.Length - i);
        }
    }

    /// <summary>σ over whole vectors of z; returns how many elements it did.</summary>
    private static unsafe int Logistic<TL, TV>(float* z, float* a, int length) where TL : struct, ILanes<TV> where TV : struct
    {
        int i = 0;
        TV one = TL.Create(1f);
        for (; i + TL.Count <= length; i += TL.Count)
        {
            // Written so that neither branch overflows: e^(−|z|) ≤ 1.
            TV zi = TL.Load(z + i);
            TV e = TL.Exp(TL.Subtract(default, TL.Abs(zi)));
            TV denominator = TL.Add(one, e);
            TL.Store(TL.IfNonNegative(zi, TL.Divide(one, denominator), TL.Divide(e, denominator)), a + i);
        }
        return i;
    }

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
                (new Vector<float>(da[i..]) * ai * (Vector<float>.One - ai)).CopyTo(dz[i..]);
            }
        }
        for (; i < z.Length; i++)
        {
            dz[i] = da[i] * a[i] * (1f - a[i]);
        }
    }
}
