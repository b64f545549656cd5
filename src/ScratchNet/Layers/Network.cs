// A feed-forward network: layers applied in order, then a loss fused with the output activation.
// Forward gives the last layer's Z; Backward takes its dZ and runs the layers in reverse. Two pairs
// of layers run as one pass with the bits of the two in turn (convolution then pooling forward;
// batch norm over maps then ReLU both ways): their intermediate maps are never written. Which
// code runs a whole step (this layer by layer, or a fused engine) is Engines/EngineChooser's choice.
using ScratchNet.Losses;
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>A stack of layers (Dense, activations) ending in a loss.</summary>
public sealed class Network
{
    /// <summary>A network of <paramref name="layers"/> whose last output goes through <paramref name="loss"/>'s output activation.</summary>
    public Network(IReadOnlyList<ILayer> layers, ILoss loss)
    {
        if (layers.Count == 0)
        {
            throw new ArgumentException("A network needs at least one layer.", nameof(layers));
        }
        Layers = layers;
        Loss = loss;
        Parameters = [.. layers.SelectMany(l => l.Parameters)];
        Values = [.. Parameters, .. layers.SelectMany(l => l.State)];
        InputSize = layers[0].Spec.Inputs;
        OutputSize = layers[^1].Spec.Outputs;
        for (int i = 1; i < layers.Count; i++)
        {
            if (layers[i].Spec.Inputs != layers[i - 1].Spec.Outputs)
            {
                throw new ArgumentException($"Layer {i} ({layers[i].Spec.Type}) takes {layers[i].Spec.Inputs} inputs but layer {i - 1} gives {layers[i - 1].Spec.Outputs}.");
            }
        }
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<ILayer> Layers { get; }

    /// <summary>The loss, fused with the output activation (softmax or sigmoid).</summary>
    public ILoss Loss { get; }

    /// <summary>Every trainable parameter, layer by layer, W before b.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Every tensor the model keeps: the parameters, then each layer's untrained state (batch norm's running statistics).</summary>
    public IReadOnlyList<Parameter> Values { get; }

    /// <summary>Values per input example (784 for 28×28 images).</summary>
    public int InputSize { get; }

    /// <summary>Number of classes.</summary>
    public int OutputSize { get; }

    /// <summary>The Dense layers in order (layer l of the notes is DenseLayers[l − 1]).</summary>
    public IEnumerable<Dense> DenseLayers => Layers.OfType<Dense>();

    /// <summary>Layer sizes such as 784-10-10, or the layer list (Layers/Architecture) of a network with maps.</summary>
    public string Shape => HasMaps
        ? Architecture.Text([.. Layers.Select(l => l.Spec)])
        : string.Join('-', new[] { InputSize }.Concat(DenseLayers.Select(d => d.Outputs)));

    /// <summary>True when the network has convolutions, pooling, batch norm or flattening (more than dense layers and activations).</summary>
    public bool HasMaps => Architecture.HasMaps(Layers.Select(l => l.Spec));

    /// <summary>The network a layer list describes (Layers/Architecture), before initialisation.</summary>
    public static Network Create(IReadOnlyList<LayerSpec> specs, string loss = "cross_entropy") =>
        new([.. specs.Select(Architecture.Create)], LossFunctions.Create(loss));

    /// <summary>The builder of the notes' kind of network: Dense, activation, …, Dense, with softmax cross-entropy.</summary>
    public static Network CreateDense(IReadOnlyList<int> sizes, string activation, float? alpha = null, float dropout = 0f, string loss = "cross_entropy")
    {
        if (sizes.Count < 2)
        {
            throw new ArgumentException("Give at least an input and an output size, e.g. 784,10,10.", nameof(sizes));
        }
        var layers = new List<ILayer>();
        for (int l = 1; l < sizes.Count; l++)
        {
            layers.Add(new Dense(sizes[l - 1], sizes[l]));
            if (l < sizes.Count - 1)
            {
                layers.Add(Activation.Create(activation, sizes[l], alpha));
                if (dropout > 0f)
                {
                    layers.Add(new Dropout(sizes[l], dropout));
                }
            }
        }
        return new Network(layers, LossFunctions.Create(loss));
    }

    /// <summary>Initialises every Dense and Conv2D layer in order from one generator, then seeds every Dropout layer from it.</summary>
    public void Initialize(Initializer init, Rng rng)
    {
        foreach (ILayer layer in Layers)
        {
            switch (layer)
            {
                case Dense dense: dense.Initialize(init, rng); break;
                case Conv2D conv: conv.Initialize(init, rng); break;
            }
        }
        SeedDropout(rng);
    }

    /// <summary>Seeds each Dropout layer's mask generator from <paramref name="rng"/>, in order.</summary>
    public void SeedDropout(Rng rng)
    {
        foreach (Dropout dropout in Layers.OfType<Dropout>())
        {
            dropout.Seed(rng.NextUInt64());
        }
    }

    /// <summary>Copies every parameter value from <paramref name="source"/>, which must have the same layer list.</summary>
    public void CopyParametersFrom(Network source)
    {
        if (!Layers.Select(l => l.Spec).SequenceEqual(source.Layers.Select(l => l.Spec)))
        {
            throw new ArgumentException($"The architectures differ: {Describe()} vs {source.Describe()}.");
        }
        for (int i = 0; i < Parameters.Count; i++)
        {
            source.Parameters[i].Value.CopyTo(Parameters[i].Value, 0);
        }
        for (int l = 0; l < Layers.Count; l++)
        {
            for (int i = 0; i < Layers[l].State.Count; i++)
            {
                source.Layers[l].State[i].Value.CopyTo(Layers[l].State[i].Value, 0);
            }
        }
    }

    /// <summary>The layer list as text, e.g. "dense 784→10, relu, dense 10→10".</summary>
    public string Describe() => string.Join(", ", Layers.Select(l => l.Spec.Type switch
    {
        "dense" => $"dense {l.Spec.Inputs}→{l.Spec.Outputs}",
        "dropout" => $"dropout {l.Spec.Rate}",
        "conv" => $"conv {l.Spec.Map}→{((Conv2D)l).Shape.Output} ({l.Spec.Kernel}×{l.Spec.Kernel}, stride {l.Spec.Stride}, padding {l.Spec.Padding})",
        "maxpool" => $"maxpool {l.Spec.Map}→{((MaxPool2D)l).Output}",
        "batchnorm" => $"batchnorm {l.Spec.Map}",
        "gap" => $"gap {l.Spec.Map}→{l.Spec.Outputs}",
        "flatten" => $"flatten {l.Spec.Map}→{l.Spec.Outputs}",
        _ => l.Spec.Type,
    })) + $", {Loss.Name}";

    /// <summary>
    /// What the first convolution sees in X [m, in]: its output maps after the batch norm and activation
    /// that directly follow it (evaluation mode), with their shape; null for a network without convolutions.
    /// </summary>
    public (MapShape Map, Matrix Values)? FirstFeatureMaps(Matrix X)
    {
        int first = Layers.ToList().FindIndex(l => l is Conv2D);
        if (first < 0)
        {
            return null;
        }
        Matrix current = X;
        int last = first;
        while (last + 1 < Layers.Count && Layers[last + 1] is BatchNorm or Activation)
        {
            last++;
        }
        for (int i = 0; i <= last; i++)
        {
            current = Layers[i].Forward(current, training: false);
        }
        return (((Conv2D)Layers[first]).Shape.Output, current.Clone());
    }

    /// <summary>Z of the last layer for a batch X [m, in].</summary>
    public Matrix Forward(Matrix X, bool training) => Forward(X, 0, training);

    /// <summary>
    /// Layers <paramref name="first"/> … on: each layer's Forward in order, except that two layers in a row may run as one
    /// pass with the bits of the two in turn, their intermediate maps never written: a convolution followed by max pooling
    /// pools its own product where it can (Conv2D.ForwardPooled), batch norm over maps followed by ReLU rectifies as it
    /// normalises (BatchNorm.ForwardRectified; <see cref="Backward"/> then runs the pair's backward pass as one too).
    /// </summary>
    private Matrix Forward(Matrix input, int first, bool training)
    {
        Matrix current = input;
        for (int i = first; i < Layers.Count; i++)
        {
            if (Layers[i] is Conv2D conv && i + 1 < Layers.Count && Layers[i + 1] is MaxPool2D pool && conv.ForwardPooled(current, pool, training) is Matrix pooled)
            {
                current = pooled;
                i++;
                continue;
            }
            if (RectifiedNorm(i) is (BatchNorm norm, ReLU relu))
            {
                current = norm.ForwardRectified(current, relu, training);
                i++;
                continue;
            }
            current = Layers[i].Forward(current, training);
        }
        return current;
    }

    /// <summary>Z of the last layer for a sparse batch X [m, in]: the first Dense layer skips the zeros.</summary>
    internal Matrix Forward(SparseBatch X, bool training)
    {
        if (Layers[0] is not Dense first)
        {
            return Forward(X.ToDense(), training);
        }
        return Forward(first.Forward(X), 1, training);
    }

    /// <summary>Backward pass from dZ of the last layer; sets every parameter's gradient.</summary>
    public void Backward(Matrix dZ)
    {
        Matrix? current = dZ;
        for (int i = Layers.Count - 1; i >= 0 && current is not null; i--)
        {
            if (i > 0 && RectifiedNorm(i - 1) is (BatchNorm norm, ReLU relu))
            {
                // The pair Forward ran as one pass (BatchNorm.ForwardRectified)
                current = norm.BackwardRectified(current, relu, computeInputGradient: i - 1 > 0);
                i--;
                continue;
            }
            current = Layers[i].Backward(current, computeInputGradient: i > 0);
        }
    }

    /// <summary>Layers i and i + 1 when they are batch norm over maps and ReLU, which run as one pass.</summary>
    private (BatchNorm, ReLU)? RectifiedNorm(int i) =>
        i + 1 < Layers.Count && Layers[i] is BatchNorm { RectifiesMaps: true } norm && Layers[i + 1] is ReLU relu ? (norm, relu) : null;
}
