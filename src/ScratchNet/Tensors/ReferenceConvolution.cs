// Naive reference convolution: the definition in plain loops, summed in double. The oracle the fast
// kernels (ConvKernels) are tested against. Cross-correlation, no kernel flip, as PyTorch and ONNX:
//   Z[n,o,y,x] = b[o] + Σ_c Σ_i Σ_j W[o,c,i,j] · X[n, c, y·S + i − P, x·S + j − P]   (zero outside X)
// X is [m, C·H·W], W is [O, C, K, K], Z is [m, O·Ho·Wo], all NCHW (MapShape). Leaves out: speed.
namespace ScratchNet.Tensors;

/// <summary>Obviously-correct convolution forward and backward passes.</summary>
internal static class ReferenceConvolution
{
    /// <summary>Z = W ⋆ X + b for m examples.</summary>
    public static void Forward(ReadOnlySpan<float> X, ReadOnlySpan<float> W, ReadOnlySpan<float> b, ConvShape shape, int m, Span<float> Z)
    {
        MapShape input = shape.Input, output = shape.Output;
        for (int n = 0; n < m; n++)
        {
            for (int o = 0; o < shape.Filters; o++)
            {
                for (int y = 0; y < output.Height; y++)
                {
                    for (int x = 0; x < output.Width; x++)
                    {
                        double sum = b[o];
                        for (int c = 0; c < input.Channels; c++)
                        {
                            for (int i = 0; i < shape.Kernel; i++)
                            {
                                for (int j = 0; j < shape.Kernel; j++)
                                {
                                    sum += (double)W[WeightIndex(shape, o, c, i, j)] * Pixel(X, shape, n, c, (y * shape.Stride) + i - shape.Padding, (x * shape.Stride) + j - shape.Padding);
                                }
                            }
                        }
                        Z[(n * output.Size) + output.Index(o, y, x)] = (float)sum;
                    }
                }
            }
        }
    }

    /// <summary>
    /// dW[o,c,i,j] = scale·Σ_n Σ_y Σ_x dZ[n,o,y,x]·X[n, c, y·S + i − P, x·S + j − P];
    /// db[o] = scale·Σ_n Σ_y Σ_x dZ[n,o,y,x].
    /// </summary>
    public static void WeightGradient(ReadOnlySpan<float> X, ReadOnlySpan<float> dZ, ConvShape shape, int m, float scale, Span<float> dW, Span<float> db)
    {
        MapShape input = shape.Input, output = shape.Output;
        for (int o = 0; o < shape.Filters; o++)
        {
            double bias = 0;
            for (int n = 0; n < m; n++)
            {
                for (int p = 0; p < output.Plane; p++)
                {
                    bias += dZ[(n * output.Size) + (o * output.Plane) + p];
                }
            }
            db[o] = (float)(scale * bias);
            for (int c = 0; c < input.Channels; c++)
            {
                for (int i = 0; i < shape.Kernel; i++)
                {
                    for (int j = 0; j < shape.Kernel; j++)
                    {
                        double sum = 0;
                        for (int n = 0; n < m; n++)
                        {
                            for (int y = 0; y < output.Height; y++)
                            {
                                for (int x = 0; x < output.Width; x++)
                                {
                                    sum += (double)dZ[(n * output.Size) + output.Index(o, y, x)] * Pixel(X, shape, n, c, (y * shape.Stride) + i - shape.Padding, (x * shape.Stride) + j - shape.Padding);
                                }
                            }
                        }
                        dW[WeightIndex(shape, o, c, i, j)] = (float)(scale * sum);
                    }
                }
            }
        }
    }

    /// <summary>dX[n,c,u,v] = Σ over every (o, y, x, i, j) with y·S + i − P = u and x·S + j − P = v of W[o,c,i,j]·dZ[n,o,y,x].</summary>
    public static void InputGradient(ReadOnlySpan<float> dZ, ReadOnlySpan<float> W, ConvShape shape, int m, Span<float> dX)
    {
        MapShape input = shape.Input, output = shape.Output;
        for (int n = 0; n < m; n++)
        {
            for (int c = 0; c < input.Channels; c++)
            {
                for (int u = 0; u < input.Height; u++)
                {
                    for (int v = 0; v < input.Width; v++)
                    {
                        double sum = 0;
                        for (int o = 0; o < shape.Filters; o++)
                        {
                            for (int i = 0; i < shape.Kernel; i++)
                            {
                                for (int j = 0; j < shape.Kernel; j++)
                                {
                                    int yS = u + shape.Padding - i, xS = v + shape.Padding - j;
                                    if (yS < 0 || xS < 0 || yS % shape.Stride != 0 || xS % shape.Stride != 0)
                                    {
                                        continue;
                                    }
                                    int y = yS / shape.Stride, x = xS / shape.Stride;
                                    if (y < output.Height && x < output.Width)
                                    {
                                        sum += (double)W[WeightIndex(shape, o, c, i, j)] * dZ[(n * output.Size) + output.Index(o, y, x)];
                                    }
                                }
                            }
                        }
                        dX[(n * input.Size) + input.Index(c, u, v)] = (float)sum;
                    }
                }
            }
        }
    }

    /// <summary>Where W[o,c,i,j] sits in W [O, C, K, K].</summary>
    public static int WeightIndex(ConvShape shape, int o, int c, int i, int j) =>
        (((((o * shape.Input.Channels) + c) * shape.Kernel) + i) * shape.Kernel) + j;

    private static float Pixel(ReadOnlySpan<float> X, ConvShape shape, int n, int c, int y, int x) =>
        y < 0 || x < 0 || y >= shape.Input.Height || x >= shape.Input.Width ? 0f : X[(n * shape.Input.Size) + shape.Input.Index(c, y, x)];
}
