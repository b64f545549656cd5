// One image through a network: the ten probabilities, the predicted digit, and the first hidden
// layer's activations (for pictures of what happens inside). Not thread-safe: a network reuses its
// buffers, so callers that share one serialise their calls.
using ScratchNet.Data;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Training;

public sealed record Prediction(int Digit, float[] Probabilities, float[] Hidden)
{
    /// <summary>The three most probable digits, most probable first.</summary>
    public IReadOnlyList<(int Digit, float Probability)> Top(int count = 3) =>
        Probabilities.Select((p, d) => (d, p)).OrderByDescending(t => t.p).ThenBy(t => t.d).Take(count).ToList();
}

public static class Predictor
{
    /// <summary>Predicts the digit in <paramref name="pixels"/> (bytes 0..255, ink high, as MNIST).</summary>
    public static Prediction Predict(Network network, ReadOnlySpan<byte> pixels)
    {
        if (pixels.Length != network.InputSize)
        {
            throw new ArgumentException($"The image has {pixels.Length} pixels; the network takes {network.InputSize}.");
        }
        var x = new float[pixels.Length];
        Dataset.ToFloats(pixels, x);
        return Predict(network, x);
    }

    /// <summary>Predicts from inputs already scaled to 0..1.</summary>
    public static Prediction Predict(Network network, float[] x)
    {
        if (x.Length != network.InputSize)
        {
            throw new ArgumentException($"The input has {x.Length} values; the network takes {network.InputSize}.");
        }
        Matrix current = new(1, x.Length, x);
        float[]? hidden = null;
        foreach (ILayer layer in network.Layers)
        {
            current = layer.Forward(current, training: false);
            if (hidden is null && layer is Activation)
            {
                hidden = current.Span.ToArray();
            }
        }
        var A = new Matrix(1, current.Cols);
        network.Loss.Output(current, A);
        float[] probabilities = A.Span.ToArray();
        return new Prediction(Network.ArgMax(probabilities), probabilities, hidden ?? []);
    }
}
