// Fast convolution: each example's input patches are unrolled into columns (im2col), then the
// forward pass, the weight gradient and the input gradient are the blocked products of Kernels
// (outer-product tiles and dot tiles, at the machine's widest vectors: 512, 256 or 128 bits).
//   forward   Z_n [O, P] = W [O, CKK] · cols_n [CKK, P] + b      (P = Ho·Wo output positions)
//   weights   dW [O, CKK] = scale · Σ_n dZ_n [O, P] · cols_nᵀ;  db[o] = scale · Σ_n Σ_p dZ_n[o, p]
//   input     dcols_n [CKK, P] = Wᵀ · dZ_n, then added back into dX_n where each column came from (col2im)
// Examples are split into pieces fixed by m alone; each piece sums its examples in order and the
// pieces' partial sums are added in piece order, so the bits do not depend on the thread count.
// Same contracts as ReferenceConvolution. Leaves out: Winograd and FFT convolutions.
using System.Numerics.Tensors;

namespace ScratchNet.Tensors;

/// <summary>Convolution forward and backward passes, fast. Buffers live in a <see cref="ConvWorkspace"/>.</summary>
public static unsafe class ConvKernels
{
    /// <summary>Examples per piece, at least.</summary>
    private const int MinExamplesPerPiece = 4;

    /// <summary>Pieces at most (the weight gradient keeps one partial sum per piece).</summary>
    private const int MaxPieces = 16;

    /// <summary>How many pieces m examples make: m / 4, at least 1, at most 16 — fixed by m alone.</summary>
    public static int PieceCount(int m) => Math.Clamp(m / MinExamplesPerPiece, 1, MaxPieces);

    /// <summary>Unrolled columns kept from a training forward pass for the weight gradient, at most (floats: 64 MB).</summary>
    private const long MaxKeptColumns = 16L << 20;

    /// <summary>
    /// Z [m, O·Ho·Wo] = W [O, C, K, K] ⋆ X [m, C·H·W] + b [O]. With <paramref name="keepColumns"/> (training),
    /// the unrolled columns are kept in <paramref name="work"/> for <see cref="WeightGradient"/> when they fit.
    /// </summary>
    public static void Forward(float[] X, float[] W, float[] b, ConvShape shape, int m, float[] Z, ConvWorkspace work, bool keepColumns = false)
    {
        int O = shape.Filters, CKK = shape.Patch, P = shape.Output.Plane;
        int inSize = shape.Input.Size, outSize = shape.Output.Size;
        int pieces = PieceCount(m);
        work.Ensure(shape, pieces);
        long keptLength = (long)m * CKK * P;
        bool keep = keepColumns && !shape.IsPointwise && keptLength <= MaxKeptColumns;
        work.KeptFor = null;
        if (keep && work.Kept.Length < keptLength)
        {
            work.Kept = new float[keptLength];
        }
        Workers.For(pieces, piece =>
        {
            var (n0, n1) = Range(piece, pieces, m);
            fixed (float* pw = W, pz = Z, px = X)
            {
                for (int n = n0; n < n1; n++)
                {
                    float* cols = Unrolled(px + ((long)n * inSize), shape, work, piece, keep ? n : -1);
                    float* z = pz + ((long)n * outSize);
                    // Z_n = W·cols_n   (O×CKK)·(CKK×P) → (O×P), four filters per tile
                    for (int o = 0; o < O; o += 4)
                    {
                        Kernels.OuterTile(pw + ((long)o * CKK), CKK, 1, Math.Min(4, O - o), cols, P, 0, CKK, P, z + ((long)o * P), P, accumulate: false);
                    }
                    // + b, one value per filter over its whole plane
                    for (int o = 0; o < O; o++)
                    {
                        var plane = new Span<float>(z + ((long)o * P), P);
                        TensorPrimitives.Add(plane, b[o], plane);
                    }
                }
            }
        });
        work.KeptFor = keep ? (X, m) : null;
    }

    /// <summary>dW [O, C, K, K] = scale·Σ_n dZ_n·cols_nᵀ and db [O] = scale·Σ dZ, from X [m, C·H·W] and dZ [m, O·Ho·Wo].</summary>
    public static void WeightGradient(float[] X, float[] dZ, ConvShape shape, int m, float scale, float[] dW, float[] db, ConvWorkspace work)
    {
        int O = shape.Filters, CKK = shape.Patch, P = shape.Output.Plane;
        int inSize = shape.Input.Size, outSize = shape.Output.Size;
        int pieces = PieceCount(m);
        work.Ensure(shape, pieces);
        bool kept = work.KeptFor is var (keptX, keptM) && ReferenceEquals(keptX, X) && keptM == m;
        Workers.For(pieces, piece =>
        {
            var (n0, n1) = Range(piece, pieces, m);
            float[] partialW = work.PartialW[piece], partialB = work.PartialB[piece], product = work.Product[piece];
            Array.Clear(partialW, 0, O * CKK);
            Array.Clear(partialB, 0, O);
            fixed (float* px = X, pdz = dZ, pprod = product, pkept = work.Kept)
            {
                for (int n = n0; n < n1; n++)
                {
                    float* cols = kept ? pkept + ((long)n * CKK * P) : Unrolled(px + ((long)n * inSize), shape, work, piece, -1);
                    float* dz = pdz + ((long)n * outSize);
                    // dW_n = dZ_n·cols_nᵀ   (O×P)·(P×CKK) → (O×CKK): dot products along the P positions
                    for (int o = 0; o < O; o += 4)
                    {
                        int rows = Math.Min(4, O - o);
                        int k = 0;
                        for (; k + 2 <= CKK; k += 2)
                        {
                            Kernels.DotTile4x2(dz + ((long)o * P), P, rows, cols + ((long)k * P), P, pprod + ((long)o * CKK) + k, CKK);
                        }
                        for (; k < CKK; k++)
                        {
                            for (int r = 0; r < rows; r++)
                            {
                                pprod[((long)(o + r) * CKK) + k] = Kernels.Dot(dz + ((long)(o + r) * P), cols + ((long)k * P), P);
                            }
                        }
                    }
                    TensorPrimitives.Add(partialW.AsSpan(0, O * CKK), product.AsSpan(0, O * CKK), partialW.AsSpan(0, O * CKK));
                    for (int o = 0; o < O; o++)
                    {
                        partialB[o] += TensorPrimitives.Sum(new ReadOnlySpan<float>(dz + ((long)o * P), P));
                    }
                }
            }
        });
        // dW = scale·Σ_pieces partial, pieces in order
        Span<float> sumW = dW.AsSpan(0, O * CKK), sumB = db.AsSpan(0, O);
        work.PartialW[0].AsSpan(0, O * CKK).CopyTo(sumW);
        work.PartialB[0].AsSpan(0, O).CopyTo(sumB);
        for (int p = 1; p < pieces; p++)
        {
            TensorPrimitives.Add(sumW, work.PartialW[p].AsSpan(0, O * CKK), sumW);
            TensorPrimitives.Add(sumB, work.PartialB[p].AsSpan(0, O), sumB);
        }
        TensorPrimitives.Multiply(sumW, scale, sumW);
        TensorPrimitives.Multiply(sumB, scale, sumB);
    }

    /// <summary>dX [m, C·H·W] = the input gradient of Z = W ⋆ X + b, given dZ [m, O·Ho·Wo].</summary>
    public static void InputGradient(float[] dZ, float[] W, ConvShape shape, int m, float[] dX, ConvWorkspace work)
    {
        int O = shape.Filters, CKK = shape.Patch, P = shape.Output.Plane;
        int inSize = shape.Input.Size, outSize = shape.Output.Size;
        int pieces = PieceCount(m);
        work.Ensure(shape, pieces);
        Workers.For(pieces, piece =>
        {
            var (n0, n1) = Range(piece, pieces, m);
            fixed (float* pw = W, pdz = dZ, pdx = dX, pcols = work.Columns[piece])
            {
                for (int n = n0; n < n1; n++)
                {
                    float* dx = pdx + ((long)n * inSize);
                    float* dcols = shape.IsPointwise ? dx : pcols;
                    // dcols_n = Wᵀ·dZ_n   (CKK×O)·(O×P) → (CKK×P), four patch rows per tile
                    for (int k = 0; k < CKK; k += 4)
                    {
                        Kernels.OuterTile(pw + k, 1, CKK, Math.Min(4, CKK - k), pdz + ((long)n * outSize), P, 0, O, P, dcols + ((long)k * P), P, accumulate: false);
                    }
                    if (!shape.IsPointwise)
                    {
                        Fold(dcols, shape, dx);
                    }
                }
            }
        });
    }

    /// <summary>Examples [n0, n1) of a piece.</summary>
    private static (int Start, int End) Range(int piece, int pieces, int m)
    {
        int per = (m + pieces - 1) / pieces;
        int start = Math.Min(m, piece * per);
        return (start, Math.Min(m, start + per));
    }

    /// <summary>
    /// cols [CKK, P]: row (c, i, j) holds X[c, y·S + i − P, x·S + j − P] for every output (y, x), zero outside X.
    /// A 1×1 convolution of stride 1 reads X itself. Into the kept columns of example <paramref name="keepAs"/> when ≥ 0.
    /// </summary>
    private static float* Unrolled(float* x, ConvShape shape, ConvWorkspace work, int piece, int keepAs)
    {
        if (shape.IsPointwise)
        {
            return x;
        }
        float[] columns = keepAs >= 0 ? work.Kept : work.Columns[piece];
        fixed (float* start = columns)
        {
            float* cols = start + (keepAs >= 0 ? (long)keepAs * shape.Patch * shape.Output.Plane : 0);
            MapShape input = shape.Input;
            int Ho = shape.OutHeight, Wo = shape.OutWidth, K = shape.Kernel, S = shape.Stride, pad = shape.Padding;
            float* row = cols;
            for (int c = 0; c < input.Channels; c++)
            {
                float* plane = x + ((long)c * input.Plane);
                for (int i = 0; i < K; i++)
                {
                    for (int j = 0; j < K; j++, row += Ho * Wo)
                    {
                        // Output columns x with 0 ≤ x·S + j − pad < W
                        int xFirst = Math.Min(Wo, Math.Max(0, CeilDiv(pad - j, S)));
                        int xEnd = Math.Max(xFirst, Math.Min(Wo, CeilDiv(input.Width + pad - j, S)));
                        for (int y = 0; y < Ho; y++)
                        {
                            float* dst = row + ((long)y * Wo);
                            int u = (y * S) + i - pad;
                            if (u < 0 || u >= input.Height)
                            {
                                new Span<float>(dst, Wo).Clear();
                                continue;
                            }
                            float* src = plane + ((long)u * input.Width) + j - pad;
                            new Span<float>(dst, xFirst).Clear();
                            if (S == 1)
                            {
                                new ReadOnlySpan<float>(src + xFirst, xEnd - xFirst).CopyTo(new Span<float>(dst + xFirst, xEnd - xFirst));
                            }
                            else
                            {
                                for (int xo = xFirst; xo < xEnd; xo++)
                                {
                                    dst[xo] = src[xo * S];
                                }
                            }
                            new Span<float>(dst + xEnd, Wo - xEnd).Clear();
                        }
                    }
                }
            }
            return cols;
        }
    }

    /// <summary>dX = Σ of every column entry added back where Unrolled took it from (col2im), rows in order.</summary>
    private static void Fold(float* dcols, ConvShape shape, float* dx)
    {
        MapShape input = shape.Input;
        int Ho = shape.OutHeight, Wo = shape.OutWidth, K = shape.Kernel, S = shape.Stride, pad = shape.Padding;
        new Span<float>(dx, input.Size).Clear();
        float* row = dcols;
        for (int c = 0; c < input.Channels; c++)
        {
            float* plane = dx + ((long)c * input.Plane);
            for (int i = 0; i < K; i++)
            {
                for (int j = 0; j < K; j++, row += Ho * Wo)
                {
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

    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
}

/// <summary>A convolution layer's scratch buffers, per piece: grown once, reused every step (no allocation per step).</summary>
public sealed class ConvWorkspace
{
    internal float[][] Columns = [];
    internal float[][] PartialW = [];
    internal float[][] PartialB = [];
    internal float[][] Product = [];
    internal float[] Kept = [];                  // [m, CKK, P]: the columns of the last training forward pass
    internal (float[] X, int M)? KeptFor;        // … of which input

    internal void Ensure(ConvShape shape, int pieces)
    {
        int columns = shape.IsPointwise ? 0 : shape.Patch * shape.Output.Plane;
        int weights = shape.Filters * shape.Patch;
        Grow(ref Columns, pieces, columns);
        Grow(ref PartialW, pieces, weights);
        Grow(ref PartialB, pieces, shape.Filters);
        Grow(ref Product, pieces, weights);
    }

    private static void Grow(ref float[][] buffers, int pieces, int length)
    {
        if (buffers.Length < pieces)
        {
            Array.Resize(ref buffers, pieces);
        }
        for (int p = 0; p < pieces; p++)
        {
            if (buffers[p] is null || buffers[p].Length < length)
            {
                buffers[p] = new float[length];
            }
        }
    }
}
