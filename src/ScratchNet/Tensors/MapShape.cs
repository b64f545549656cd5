// The one statement of how image-like activations are laid out: NCHW. A batch is row-major
// [m, C·H·W]; inside one example the C channel planes come one after another, and inside a plane
// the H rows one after another (PyTorch's and ONNX's order). Every layer that reads maps asks here.
namespace ScratchNet.Tensors;

/// <summary>The shape of one example's feature maps: C channels of H × W.</summary>
public readonly record struct MapShape(int Channels, int Height, int Width)
{
    /// <summary>H·W: values per channel plane.</summary>
    public int Plane => Height * Width;

    /// <summary>C·H·W: values per example (one row of the batch).</summary>
    public int Size => Channels * Height * Width;

    /// <summary>Where value (c, y, x) of an example sits in its row: (c·H + y)·W + x.</summary>
    public int Index(int c, int y, int x) => (((c * Height) + y) * Width) + x;

    /// <summary>One grey image of <paramref name="features"/> pixels, when that is a square (784 → 1×28×28).</summary>
    public static MapShape? SquareImage(int features)
    {
        int side = (int)Math.Round(Math.Sqrt(features));
        return side * side == features && side > 0 ? new MapShape(1, side, side) : null;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Channels}×{Height}×{Width}";
}

/// <summary>
/// A convolution's geometry: input maps, output channels, a K × K kernel, stride S, padding P on
/// every side. Output size (H + 2P − K) / S + 1, as in PyTorch's Conv2d and ONNX's Conv.
/// </summary>
public readonly record struct ConvShape(MapShape Input, int Filters, int Kernel, int Stride, int Padding)
{
    /// <summary>Height of the output maps: (H + 2P − K) / S + 1.</summary>
    public int OutHeight => ((Input.Height + (2 * Padding) - Kernel) / Stride) + 1;

    /// <summary>Width of the output maps: (W + 2P − K) / S + 1.</summary>
    public int OutWidth => ((Input.Width + (2 * Padding) - Kernel) / Stride) + 1;

    /// <summary>The output maps: Filters × OutHeight × OutWidth.</summary>
    public MapShape Output => new(Filters, OutHeight, OutWidth);

    /// <summary>C·K·K: weights per filter, the length of one im2col column.</summary>
    public int Patch => Input.Channels * Kernel * Kernel;

    /// <summary>A 1×1 kernel of stride 1 without padding: the input planes are already the im2col columns.</summary>
    public bool IsPointwise => Kernel == 1 && Stride == 1 && Padding == 0;

    /// <summary>Multiply-adds of one example's forward pass: out positions × filters × patch.</summary>
    public long MultiplyAdds => (long)Output.Size * Patch;
}
