// A 2-D convolution (cross-correlation, as PyTorch and ONNX): each of O filters W[o] [C, K, K] slides
// over the C input maps with stride S and zero padding P:
//   Z[n,o,y,x] = b[o] + Σ_c Σ_i Σ_j W[o,c,i,j] · A_prev[n, c, y·S + i − P, x·S + j − P]      (Z = W ⋆ A_prev + b)
// Backward: dW = (1/m)·Σ_n dZ_n ⋆ A_prev_n, db = (1/m)·Σ dZ (per filter), dA_prev = the transposed convolution of dZ.
// Layout NCHW (Tensors/MapShape); the arithmetic is Tensors/ConvKernels (oracle: ReferenceConvolution).
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Convolution with weights W [out, in, K, K] and biases b [out].</summary>
public sealed class Conv2D : ILayer
{
    private readonly ConvWorkspace work = new();
    private Matrix? input;   // A_prev [m, C·H·W], kept from Forward for Backward
    private Matrix? Z;       // [m, O·Ho·Wo]
    private Matrix? dInput;  // [m, C·H·W]

    /// <summary>A convolution of <paramref name="input"/> maps with <paramref name="filters"/> kernels of <paramref name="kernel"/> × <paramref name="kernel"/>, stride and zero padding on every side.</summary>
    public Conv2D(MapShape input, int filters, int kernel, int stride = 1, int padding = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(filters, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Shape = new ConvShape(input, filters, kernel, stride, padding);
        if (input.Channels < 1 || Shape.OutHeight < 1 || Shape.OutWidth < 1 || padding >= kernel)
        {
            throw new ArgumentException($"A {kernel}×{kernel} convolution with stride {stride} and padding {padding} does not fit {input} maps.");
        }
        W = new Parameter("W", filters, input.Channels, kernel, kernel);
        b = new Parameter("b", filters);
        Parameters = [W, b];
    }

    /// <summary>Input maps, filters, kernel, stride and padding.</summary>
    public ConvShape Shape { get; }

    /// <summary>Weights [out, in, K, K]: W[o] is filter o.</summary>
    public Parameter W { get; }

    /// <summary>Biases [out], one per filter.</summary>
    public Parameter b { get; }

    /// <inheritdoc/>
    public LayerSpec Spec => new LayerSpec("conv", Shape.Input.Size, Shape.Output.Size)
    {
        Filters = Shape.Filters,
        Kernel = Shape.Kernel,
        Stride = Shape.Stride,
        Padding = Shape.Padding,
    }.WithMap(Shape.Input);

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Fills W and b as <paramref name="init"/> says, from <paramref name="rng"/>.</summary>
    public void Initialize(Initializer init, Rng rng) => Initializers.Fill(init, W, b, rng);

    /// <inheritdoc/>
    public Matrix Forward(Matrix input, bool training)
    {
        Dense.CheckWidth(input, Shape.Input.Size, "input");
        this.input = input;
        // Z = W ⋆ A_prev + b   (O×C×K×K) ⋆ (m×C×H×W) → (m×O×Ho×Wo)
        Matrix z = Matrix.Ensure(ref Z, input.Rows, Shape.Output.Size);
        ConvKernels.Forward(input.Storage, W.Value, b.Value, Shape, input.Rows, z.Storage, work, keepColumns: training);
        return z;
    }

    /// <summary>
    /// <paramref name="pool"/>.Forward(Forward(input)) in one pass, where this convolution's forward pass allows it (else
    /// null): the product's rows are pooled as they come, Z never written (the same bits; <paramref name="pool"/> keeps its
    /// winners for its backward pass, this layer its input for its own).
    /// </summary>
    internal Matrix? ForwardPooled(Matrix input, MaxPool2D pool, bool training)
    {
        if (pool.Input != Shape.Output || !ConvKernels.PoolsProduct(Shape, training))
        {
            return null;
        }
        Dense.CheckWidth(input, Shape.Input.Size, "input");
        this.input = input;
        (Matrix pooled, int[] winners) = pool.Buffers(input.Rows);
        // A = pool(W ⋆ A_prev + b)   (O×C×K×K) ⋆ (m×C×H×W) → (m×O×Ho×Wo) → (m×O×Ho/2×Wo/2)
        ConvKernels.ForwardPooled(input.Storage, W.Value, b.Value, Shape, input.Rows, new(pooled.Storage, winners), work, training);
        return pooled;
    }

    /// <inheritdoc/>
    public Matrix? Backward(Matrix dZ, bool computeInputGradient)
    {
        Dense.CheckWidth(dZ, Shape.Output.Size, "dZ");
        Matrix aPrev = input ?? throw new InvalidOperationException("Conv2D.Backward called before Forward.");
        int m = dZ.Rows;
        // dW = (1/m)·Σ_n dZ_n ⋆ A_prev_n   (O×C×K×K);  db = (1/m)·Σ dZ per filter
        ConvKernels.WeightGradient(aPrev.Storage, dZ.Storage, Shape, m, 1f / m, W.Gradient, b.Gradient, work);
        if (!computeInputGradient)
        {
            return null;
        }
        // dA_prev = Wᵀ ⋆ dZ (the transposed convolution)   (m×O×Ho×Wo) → (m×C×H×W)
        Matrix dA = Matrix.Ensure(ref dInput, m, Shape.Input.Size);
        ConvKernels.InputGradient(dZ.Storage, W.Value, Shape, m, dA.Storage, work);
        return dA;
    }
}
