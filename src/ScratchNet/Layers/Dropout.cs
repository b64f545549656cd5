// Inverted dropout (Srivastava et al., 2014): during training each value is kept with probability
// 1 − p and scaled by 1/(1 − p), so evaluation needs no change; at evaluation it is the identity.
// Masks come from the layer's own seeded generator, drawn in order: same seed, same bits.
using System.Numerics;
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Dropout with rate p: A = Z ∘ mask / (1 − p) in training, A = Z at evaluation.</summary>
public sealed class Dropout : ILayer
{
    private Rng rng = new(0);
    private Matrix? mask;    // [m, n]: 0 or 1/(1 − p)
    private Matrix? output;  // [m, n]
    private Matrix? dInput;  // [m, n]
    private Matrix? lastInput;
    private bool lastTraining;

    /// <summary>Inverted dropout over <paramref name="size"/> values: in training each is zeroed with probability <paramref name="rate"/> and the rest scaled by 1 / (1 − rate); the identity at evaluation.</summary>
    public Dropout(int size, float rate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (!(rate >= 0f && rate < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1).");
        }
        Size = size;
        Rate = rate;
    }

    /// <summary>Values per example.</summary>
    public int Size { get; }

    /// <summary>p, the probability of dropping a value.</summary>
    public float Rate { get; }

    /// <inheritdoc/>
    public LayerSpec Spec => new("dropout", Size, Size, Rate: Rate);

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <summary>The last training mask [m, n] (values 0 or 1/(1 − p)); for tests.</summary>
    internal Matrix? Mask => lastTraining ? mask : null;

    /// <summary>Seeds the mask generator.</summary>
    public void Seed(ulong seed) => rng = new Rng(seed);

    /// <summary>The generator's state, for checkpoints.</summary>
    public Rng Generator => rng;

    /// <inheritdoc/>
    public Matrix Forward(Matrix input, bool training)
    {
        Dense.CheckWidth(input, Size, "input");
        lastInput = input;
        lastTraining = training && Rate > 0f;
        if (!lastTraining)
        {
            return input;
        }
        Matrix m = Matrix.Ensure(ref mask, input.Rows, Size);
        Matrix a = Matrix.Ensure(ref output, input.Rows, Size);
        float keep = 1f / (1f - Rate);
        Span<float> ms = m.Span;
        // u drawn in order, one per value; mask = 1/(1 − p) where u ≥ p, else 0; A = Z ∘ mask
        rng.NextFloats(ms);
        int i = 0;
        if (Simd.HasVector)
        {
            Vector<float> rate = new(Rate), kept = new(keep);
            for (; i + Vector<float>.Count <= ms.Length; i += Vector<float>.Count)
            {
                Vector.ConditionalSelect(Vector.GreaterThanOrEqual(new Vector<float>(ms[i..]), rate), kept, Vector<float>.Zero).CopyTo(ms[i..]);
            }
        }
        for (; i < ms.Length; i++)
        {
            ms[i] = ms[i] >= Rate ? keep : 0f;
        }
        System.Numerics.Tensors.TensorPrimitives.Multiply(input.Span, ms, a.Span);
        return a;
    }

    /// <inheritdoc/>
    public Matrix? Backward(Matrix dOutput, bool computeInputGradient)
    {
        if (lastInput is null)
        {
            throw new InvalidOperationException("Dropout.Backward called before Forward.");
        }
        if (!computeInputGradient)
        {
            return null;
        }
        if (!lastTraining)
        {
            return dOutput;
        }
        // dZ = dA ∘ mask / (1 − p)
        Matrix d = Matrix.Ensure(ref dInput, dOutput.Rows, Size);
        System.Numerics.Tensors.TensorPrimitives.Multiply(dOutput.Span, mask!.Span, d.Span);
        return d;
    }
}
