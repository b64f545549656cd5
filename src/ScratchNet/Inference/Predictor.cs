// One image at a time through a network: the ten probabilities, the predicted digit, and the first
// hidden layer's activations (for pictures of what happens inside). One image runs on the layer
// engine (the chooser's answer for Workload.OneImage). Not thread-safe: the layers reuse their
// buffers, so callers that share a predictor serialise their calls.
using ScratchNet.Data;
using ScratchNet.Engines;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Inference;

public sealed record Prediction(int Digit, float[] Probabilities, float[] Hidden)
{
    /// <summary>The three most probable digits, most probable first.</summary>
    public IReadOnlyList<(int Digit, float Probability)> Top(int count = 3) =>
        Probabilities.Select((p, d) => (d, p)).OrderByDescending(t => t.p).ThenBy(t => t.d).Take(count).ToList();
}

public sealed class Predictor
{
    private readonly Network network;
    private readonly Matrix x;   // X [1, in]
    private readonly Matrix A;   // A_L [1, classes]

    /// <summary>A predictor for <paramref name="network"/>; <paramref name="engine"/> must be one that runs one image at a time (auto or layers).</summary>
    /// <exception cref="ArgumentException">The engine cannot run one image at a time; the message says which can.</exception>
    public Predictor(Network network, EngineKind engine = EngineKind.Auto)
    {
        Choice = EngineChooser.Choose(network, Workload.OneImage, engine);
        this.network = network;
        x = new Matrix(1, network.InputSize);
        A = new Matrix(1, network.OutputSize);
    }

    /// <summary>The engine that runs the predictions, and why.</summary>
    public EngineChoice Choice { get; }

    /// <summary>Predicts the digit in <paramref name="pixels"/> (bytes 0..255, ink high, as MNIST).</summary>
    public Prediction Predict(ReadOnlySpan<byte> pixels)
    {
        if (pixels.Length != network.InputSize)
        {
            throw new ArgumentException($"The image has {pixels.Length} pixels; the network takes {network.InputSize}.");
        }
        Dataset.ToFloats(pixels, x.Span);
        return Run();
    }

    /// <summary>Predicts from inputs already scaled to 0..1.</summary>
    public Prediction Predict(ReadOnlySpan<float> input)
    {
        if (input.Length != network.InputSize)
        {
            throw new ArgumentException($"The input has {input.Length} values; the network takes {network.InputSize}.");
        }
        input.CopyTo(x.Span);
        return Run();
    }

    /// <summary>Predicts one image with a predictor made for this call (for occasional use; keep a Predictor for many).</summary>
    public static Prediction Predict(Network network, ReadOnlySpan<byte> pixels) => new Predictor(network).Predict(pixels);

    /// <summary>FP layer by layer (the layer engine's forward pass), keeping the first activation's output.</summary>
    private Prediction Run()
    {
        Matrix current = x;
        float[]? hidden = null;
        foreach (ILayer layer in network.Layers)
        {
            current = layer.Forward(current, training: false);
            if (hidden is null && layer is Activation)
            {
                hidden = current.Span.ToArray();
            }
        }
        network.Loss.Output(current, A);
        float[] probabilities = A.Span.ToArray();
        return new Prediction(ArgMax.Of(probabilities), probabilities, hidden ?? []);
    }
}
