// Base of the element-wise activations: A = g(Z) forward, dZ = dA ∘ g′(Z) backward.
// Each subclass gives g and g′ over spans; this class keeps the buffers and splits the work.
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>An element-wise activation layer A = g(Z).</summary>
public abstract class Activation : ILayer
{
    /// <summary>Floats per piece of work (a multiple of every vector width; the last piece takes the rest, so none is shorter).</summary>
    private const int PieceFloats = 1 << 14;
    private Matrix? Z;   // input [m, n], kept for g′
    private Matrix? A;   // output [m, n]
    private Matrix? dZ;  // [m, n]

    /// <summary>An activation over <paramref name="size"/> values per example.</summary>
    protected Activation(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
    }

    /// <summary>Values per example.</summary>
    public int Size { get; }

    /// <summary>Name in model files and on the command line: "relu", "tanh", "sigmoid", "leaky_relu".</summary>
    public abstract string Name { get; }

    /// <summary>The notation a person reads, e.g. "ReLU".</summary>
    public abstract string Symbol { get; }

    /// <inheritdoc/>
    public virtual LayerSpec Spec => new(Name, Size, Size);

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <summary>a = g(z), element by element.</summary>
    public abstract void Apply(ReadOnlySpan<float> z, Span<float> a);

    /// <summary>dz = da ∘ g′(z), element by element (a = g(z) is given, for activations whose derivative uses it).</summary>
    public abstract void Derivative(ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> da, Span<float> dz);

    /// <inheritdoc/>
    public Matrix Forward(Matrix input, bool training)
    {
        Dense.CheckWidth(input, Size, "input");
        Z = input;
        Matrix a = Matrix.Ensure(ref A, input.Rows, Size);
        float[] zs = input.Storage, outs = a.Storage;
        int total = input.Rows * Size, pieces = Math.Max(1, total / PieceFloats);
        Workers.For(pieces, p =>
        {
            int start = p * PieceFloats, length = p == pieces - 1 ? total - start : PieceFloats;
            Apply(zs.AsSpan(start, length), outs.AsSpan(start, length));
        });
        return a;
    }

    /// <inheritdoc/>
    public Matrix? Backward(Matrix dOutput, bool computeInputGradient)
    {
        Matrix z = Z ?? throw new InvalidOperationException($"{Symbol}.Backward called before Forward.");
        Matrix a = A!;
        Matrix dz = Matrix.Ensure(ref dZ, dOutput.Rows, Size);
        float[] zs = z.Storage, outs = a.Storage, das = dOutput.Storage, dzs = dz.Storage;
        int total = dOutput.Rows * Size, pieces = Math.Max(1, total / PieceFloats);
        Workers.For(pieces, p =>
        {
            int start = p * PieceFloats, length = p == pieces - 1 ? total - start : PieceFloats;
            Derivative(zs.AsSpan(start, length), outs.AsSpan(start, length), das.AsSpan(start, length), dzs.AsSpan(start, length));
        });
        return dz;
    }

    /// <summary>
    /// The output buffer A [m, n] for a layer before this one that applies g itself as it writes (batch norm followed by
    /// ReLU: Network.Forward). Z is then never kept, so this layer's own Backward must not follow: that layer's runs instead.
    /// </summary>
    internal Matrix OutputFor(int m)
    {
        Z = null;
        return Matrix.Ensure(ref A, m, Size);
    }

    /// <summary>A of the last forward pass (null before one).</summary>
    internal Matrix? Output => A;

    /// <summary>Creates the activation named <paramref name="name"/> ("relu", "tanh", "sigmoid", "leaky_relu").</summary>
    public static Activation Create(string name, int size, float? alpha = null) => name switch
    {
        "relu" => new ReLU(size),
        "tanh" => new Tanh(size),
        "sigmoid" => new Sigmoid(size),
        "leaky_relu" => new LeakyReLU(size, alpha ?? LeakyReLU.DefaultAlpha),
        _ => throw new ArgumentException($"Unknown activation '{name}'. Use relu, tanh, sigmoid or leaky_relu."),
    };

    /// <summary>The activation names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["relu", "tanh", "sigmoid", "leaky_relu"];
}
