// σ(z) = 1 / (1 + e^(−z));  σ′(z) = σ(z)·(1 − σ(z)), computed from the stored output.
namespace ScratchNet.Layers;

/// <summary>Logistic sigmoid, one of the notes' alternatives to ReLU.</summary>
public sealed class Sigmoid(int size) : Activation(size)
{
    public override string Name => "sigmoid";

    public override string Symbol => "σ";

    public override void Apply(ReadOnlySpan<float> z, Span<float> a) => Logistic(z, a);

    /// <summary>a = σ(z) elementwise (also the output of the mse loss).</summary>
    public static void Logistic(ReadOnlySpan<float> z, Span<float> a)
    {
        for (int i = 0; i < z.Length; i++)
        {
            // Written so that neither branch overflows: e^(−|z|) ≤ 1.
            float e = Tensors.Exponential.Exp(-MathF.Abs(z[i]));
            a[i] = z[i] >= 0f ? 1f / (1f + e) : e / (1f + e);
        }
    }

    public override void Derivative(ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> da, Span<float> dz)
    {
        for (int i = 0; i < z.Length; i++)
        {
            dz[i] = da[i] * a[i] * (1f - a[i]);
        }
    }
}
