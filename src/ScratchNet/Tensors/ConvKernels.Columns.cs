// im2col and col2im for ConvKernels: an example's input patches unrolled into columns, and the
// columns' gradients added back where they came from. Stride-1 'same' convolutions move whole shifted
// planes (one copy per kernel tap); others go row by row. Leaves out: the products (ConvKernels.cs).
using System.Numerics.Tensors;

namespace ScratchNet.Tensors;

internal static unsafe partial class ConvKernels
{
    /// <summary>
    /// cols in panels [G·P/PW][CKK][PW]: row (c, i, j), columns g·P + y·Wo + x, hold X[n0 + g, c, y·S + i − P, x·S + j − P]
    /// (zero outside X, and past G·P). Each row of an example is made in <paramref name="row"/> [Ho·Wo], then moved to its panels.
    /// </summary>
    private static void Unroll(float* X, ConvShape shape, int n0, int G, float* cols, float* row)
    {
        MapShape input = shape.Input;
        int Ho = shape.OutHeight, Wo = shape.OutWidth, K = shape.Kernel, P = Ho * Wo, CKK = shape.Patch;
        for (int g = 0; g < G; g++)
        {
            float* x = X + ((long)(n0 + g) * input.Size);
            int k = 0;
            for (int c = 0; c < input.Channels; c++)
            {
                float* plane = x + ((long)c * input.Plane);
                for (int i = 0; i < K; i++)
                {
                    for (int j = 0; j < K; j++, k++)
                    {
                        UnrollRow(plane, shape, i, j, row);
                        ToPanels(row, P, (long)g * P, k, CKK, cols);
                    }
                }
            }
        }
        ClearPanelTail(cols, (long)G * P, CKK);

        static void UnrollRow(float* plane, ConvShape shape, int i, int j, float* row)
        {
            MapShape input = shape.Input;
            int Ho = shape.OutHeight, Wo = shape.OutWidth, S = shape.Stride, pad = shape.Padding;
            if (SamePlane(shape))
            {
                ShiftedPlane(plane, input.Height, input.Width, i - pad, j - pad, row);
                return;
            }
            // Output columns x with 0 ≤ x·S + j − pad < W
            int xFirst = Math.Min(Wo, Math.Max(0, CeilDiv(pad - j, S)));
            int xEnd = Math.Max(xFirst, Math.Min(Wo, CeilDiv(input.Width + pad - j, S)));
            for (int y = 0; y < Ho; y++)
            {
                float* dst = row + ((long)y * Wo);
                int u = (y * S) + i - pad;
                if (u < 0 || u >= input.Height)
                {
                    ClearShort(dst, Wo);
                    continue;
                }
                float* src = plane + ((long)u * input.Width) + j - pad;
                for (int xo = 0; xo < xFirst; xo++)
                {
                    dst[xo] = 0f;
                }
                if (S == 1)
                {
                    CopyShort(src + xFirst, dst + xFirst, xEnd - xFirst);
                }
                else
                {
                    for (int xo = xFirst; xo < xEnd; xo++)
                    {
                        dst[xo] = src[xo * S];
                    }
                }
                for (int xo = xEnd; xo < Wo; xo++)
                {
                    dst[xo] = 0f;
                }
            }
        }
    }

    /// <summary>dX of examples n0 … n0 + G − 1 = Σ of every column entry added back where Unroll took it from (col2im), rows in order.</summary>
    private static void Fold(float* dcols, ConvShape shape, int n0, int G, float* dX)
    {
        MapShape input = shape.Input;
        int Ho = shape.OutHeight, Wo = shape.OutWidth, K = shape.Kernel, S = shape.Stride, pad = shape.Padding;
        long N = (long)G * Ho * Wo;
        for (int g = 0; g < G; g++)
        {
            float* dx = dX + ((long)(n0 + g) * input.Size);
            new Span<float>(dx, input.Size).Clear();
            float* row = dcols + ((long)g * Ho * Wo);
            for (int c = 0; c < input.Channels; c++)
            {
                float* plane = dx + ((long)c * input.Plane);
                for (int i = 0; i < K; i++)
                {
                    for (int j = 0; j < K; j++, row += N)
                    {
                        if (SamePlane(shape))
                        {
                            AddShiftedPlane(row, input.Height, input.Width, i - pad, j - pad, plane);
                            continue;
                        }
                        int xFirst = Math.Min(Wo, Math.Max(0, CeilDiv(pad - j, S)));
                        int xEnd = Math.Max(xFirst, Math.Min(Wo, CeilDiv(input.Width + pad - j, S)));
                        for (int y = 0; y < Ho; y++)
                        {
                            int u = (y * S) + i - pad;
                            if (u < 0 || u >= input.Height)
                            {
                                continue;
                            }
                            float* src = row + ((long)y * Wo);
                            float* dst = plane + ((long)u * input.Width) + j - pad;
                            if (S == 1)
                            {
                                var into = new Span<float>(dst + xFirst, xEnd - xFirst);
                                TensorPrimitives.Add(into, new ReadOnlySpan<float>(src + xFirst, xEnd - xFirst), into);
                            }
                            else
                            {
                                for (int xo = xFirst; xo < xEnd; xo++)
                                {
                                    dst[xo * S] += src[xo];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Stride 1 and 'same' padding: every unrolled row is the input plane shifted, so whole planes move at once.</summary>
    private static bool SamePlane(ConvShape shape) => shape.Stride == 1 && shape.OutHeight == shape.Input.Height && shape.OutWidth == shape.Input.Width;

    /// <summary>
    /// dst [H, W] = src shifted: dst[y, x] = src[y + dy, x + dx], zero where that is outside src. One copy
    /// of the rows that stay inside (the planes have the same width), then the columns that wrapped are zeroed.
    /// </summary>
    private static void ShiftedPlane(float* src, int H, int W, int dy, int dx, float* dst)
    {
        int y0 = Math.Max(0, -dy), y1 = Math.Min(H, H - dy);
        ClearShort(dst, y0 * W);
        ClearShort(dst + ((long)y1 * W), (H - y1) * W);
        if (y1 <= y0)
        {
            return;
        }
        // dst[p] = src[p + d] for p in [y0·W, y1·W), less the first −dx or the last dx values (they wrap)
        long first = ((long)y0 * W) + Math.Max(0, -dx), end = ((long)y1 * W) - Math.Max(0, dx), d = ((long)dy * W) + dx;
        CopyShort(src + first + d, dst + first, (int)(end - first));
        ZeroWrapped(dst, y0, y1, W, dx);
    }

    /// <summary>The adjoint of <see cref="ShiftedPlane"/>: dst[y + dy, x + dx] += src[y, x] where that is inside dst. Clears src's wrapped columns (scratch) and adds the rows in one pass.</summary>
    private static void AddShiftedPlane(float* src, int H, int W, int dy, int dx, float* dst)
    {
        int y0 = Math.Max(0, -dy), y1 = Math.Min(H, H - dy);
        if (y1 <= y0)
        {
            return;
        }
        ZeroWrapped(src, y0, y1, W, dx);
        long first = ((long)y0 * W) + Math.Max(0, -dx), end = ((long)y1 * W) - Math.Max(0, dx), d = ((long)dy * W) + dx;
        var into = new Span<float>(dst + first + d, (int)(end - first));
        TensorPrimitives.Add(into, new ReadOnlySpan<float>(src + first, (int)(end - first)), into);
    }

    /// <summary>Zeroes, in rows [y0, y1) of a W-wide plane, the columns x with x + dx outside [0, W).</summary>
    private static void ZeroWrapped(float* plane, int y0, int y1, int W, int dx)
    {
        if (dx == 0)
        {
            return;
        }
        int x0 = dx < 0 ? 0 : W - dx, x1 = dx < 0 ? -dx : W;
        for (int y = y0; y < y1; y++)
        {
            for (int x = x0; x < x1; x++)
            {
                plane[((long)y * W) + x] = 0f;
            }
        }
    }

    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
}
