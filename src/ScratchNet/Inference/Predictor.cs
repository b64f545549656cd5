// One image at a time through a network: the ten probabilities, the predicted digit, the first
// hidden layer's activations and the first feature maps (for pictures of what happens inside). One image runs on the layer
// engine (the chooser's answer for Workload.OneImage). Not thread-safe: the layers reuse their
// buffers, so callers that share a predictor serialise their calls.
using ScratchNet.Data;
using ScratchNet.Engines;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Inference;

/// <summary>The digit, the probabilities, the first dense hidden layer's activations, and (for a convolutional network) the first feature maps.</summary>
public sealed record Prediction(int Digit, float[] Probabilities, float[] Hidden, FeatureMaps? Maps = null)
{
    /// <summary>The three most probable digits, most probable first.</summary>
    public IReadOnlyList<(int Digit, float Probability)> Top(int count = 3) =>
        Probabilities.Select((p, d) => (d, p)).OrderByDescending(t => t.p).ThenBy(t => t.d).Take(count).ToList();
}

/// <summary>Channels × Height × Width values: what a convolution's filters made of one image (NCHW, one plane per filter).</summary>
public sealed record FeatureMaps(int Channels, int Height, int Width, float[] Values);

/// <summary>Predicts single images (pixels, or an image file via ScratchNet.Images) with a loaded model.</summary>
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

    /// <summary>
    /// FP layer by layer (the layer engine's forward pass), keeping the first activation's output on
    /// flat vectors (a dense hidden layer) and the first convolution's maps after the batch norm and
    /// activation that directly follow it.
    /// </summary>
    private Prediction Run()
    {
        Matrix current = x;
        float[]? hidden = null;
        FeatureMaps? maps = null;
        MapShape? pending = null;   // the first convolution's output, until its batch norm and activation are done
        bool flat = network.Layers[0].Spec.Map is null;
        for (int i = 0; i < network.Layers.Count; i++)
        {
            ILayer layer = network.Layers[i];
            current = layer.Forward(current, training: false);
            if (layer is Conv2D conv && maps is null && pending is null)
            {
                pending = conv.Shape.Output;
            }
            if (pending is { } map && (i + 1 == network.Layers.Count || network.Layers[i + 1] is not (BatchNorm or Activation)))
            {
                maps = new FeatureMaps(map.Channels, map.Height, map.Width, current.Span.ToArray());
                pending = null;
            }
            flat = layer switch
            {
                Dense or Flatten or GlobalAveragePool => true,
                Conv2D or MaxPool2D => false,
                _ => flat,
            };
            if (hidden is null && flat && layer is Activation)
            {
                hidden = current.Span.ToArray();
            }
        }
        network.Loss.Output(current, A);
        float[] probabilities = A.Span.ToArray();
        return new Prediction(ArgMax.Of(probabilities), probabilities, hidden ?? [], maps);
    }
}
