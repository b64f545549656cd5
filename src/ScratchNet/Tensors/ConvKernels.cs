// Fast convolution: the input patches of a group of examples are unrolled side by side into columns
// (im2col), so the forward pass, the weight gradient and the input gradient are each one blocked
// product of Kernels (outer-product and dot tiles at the machine's widest vectors: 512, 256 or 128 bits)
// over G·P columns rather than G small ones:
//   forward   Z_g [O, G·P] = W [O, CKK] · cols_g [CKK, G·P] + b        (P = Ho·Wo output positions)
//   weights   dW [O, CKK] = scale · Σ_g dZ_g [O, G·P] · cols_gᵀ;  db[o] = scale · Σ dZ[·, o, ·]
//   input     dcols_g [CKK, G·P] = Wᵀ · dZ_g, each column added back where it came from (col2im)
// Examples are split into pieces fixed by m alone and each piece into groups fixed by the shapes; each
// piece sums its groups in order and the pieces' partial sums are added in piece order, so the bits do
// not depend on the thread count. Same contracts as ReferenceConvolution. Leaves out: Winograd, FFT.
using System.Numerics.Tensors;

namespace ScratchNet.Tensors;

/// <summary>Convolution forward and backward passes, fast. Buffers live in a <see cref="ConvWorkspace"/>.</summary>
internal static unsafe partial class ConvKernels
{
    /// <summary>Examples per piece, at least.</summary>
    private const int MinExamplesPerPiece = 4;

    /// <summary>Pieces at most (the weight gradient keeps one partial sum per piece).</summary>
    private const int MaxPieces = 16;

    /// <summary>Floats of unrolled columns per group, at most (1 MB: they stay in the core's cache).</summary>
    private const int GroupColumns = 1 << 18;

    /// <summary>Columns per strip of the outer-product tiles: 32 floats of every row of the right-hand matrix stay in L1 across the tiles.</summary>
    private const int Strip = 32;

    /// <summary>Unrolled columns kept from a training forward pass for the weight gradient, at most (floats: 64 MB).</summary>
    private const long MaxKeptColumns = 16L << 20;

    /// <summary>How many pieces m examples make: m / 4, at least 1, at most 16 — fixed by m alone.</summary>
    public static int PieceCount(int m) => Math.Clamp(m / MinExamplesPerPiece, 1, MaxPieces);

    /// <summary>Examples per group: as many as fit <see cref="GroupColumns"/>, at least 1 — fixed by the shape alone.</summary>
    public static int GroupSize(ConvShape shape) => Math.Max(1, GroupColumns / Math.Max(1, shape.Patch * shape.Output.Plane));

    /// <summary>
    /// Z [m, O·Ho·Wo] = W [O, C, K, K] ⋆ X [m, C·H·W] + b [O]. With <paramref name="keepColumns"/> (training),
    /// the unrolled columns are kept in <paramref name="work"/> for <see cref="WeightGradient"/> when they fit.
    /// </summary>
    public static void Forward(float[] X, float[] W, float[] b, ConvShape shape, int m, float[] Z, ConvWorkspace work, bool keepColumns = false)
    {
        int O = shape.Filters, CKK = shape.Patch, P = shape.Output.Plane;
        int pieces = PieceCount(m);
        work.Ensure(shape, pieces);
        long keptLength = (long)m * CKK * P;
        bool keep = keepColumns && keptLength <= MaxKeptColumns;
        work.KeptFor = null;
        if (keep && work.Kept.Length < keptLength)
        {
            work.Kept = new float[keptLength];
        }
        Workers.For(pieces, piece =>
        {
            fixed (float* pw = W, px = X, pz = Z, pcols = work.Columns[piece], pkept = work.Kept, pout = work.Maps[piece])
            {
                foreach (var (n0, G) in Groups(piece, pieces, m, shape))
                {
                    int N = G * P;
                    float* cols = keep ? pkept + ((long)n0 * CKK * P) : pcols;
                    Unroll(px, shape, n0, G, cols);
                    // Z_g = W·cols_g   (O×CKK)·(CKK×G·P) → (O×G·P), eight filters per tile at 512 bits, else four
                    // (a strip of columns at a time, so that its CKK rows stay in L1 across every filter tile)
                    for (int n = 0; n < N; n += Strip)
                    {
                        int width = Math.Min(Strip, N - n);
                        int o = 0;
                        for (; o + 8 <= O && Simd.Has512; o += 8)
                        {
                            Kernels.OuterTile8(pw + ((long)o * CKK), CKK, 1, cols + n, N, 0, CKK, width, pout + ((long)o * N) + n, N, accumulate: false);
                        }
                        for (; o < O; o += 4)
                        {
                            Kernels.OuterTile(pw + ((long)o * CKK), CKK, 1, Math.Min(4, O - o), cols + n, N, 0, CKK, width, pout + ((long)o * N) + n, N, accumulate: false);
                        }
                    }
                    // Z[n, o, ·] = Z_g[o, example n's columns] + b[o]
                    for (int g = 0; g < G; g++)
                    {
                        for (int o = 0; o < O; o++)
                        {
                            TensorPrimitives.Add(new ReadOnlySpan<float>(pout + ((long)o * N) + ((long)g * P), P), b[o], new Span<float>(pz + (((long)(n0 + g) * O) + o) * P, P));
                        }
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
        int pieces = PieceCount(m);
        work.Ensure(shape, pieces);
        bool kept = work.KeptFor is var (keptX, keptM) && ReferenceEquals(keptX, X) && keptM == m;
        Workers.For(pieces, piece =>
        {
            float[] partialW = work.PartialW[piece], partialB = work.PartialB[piece], product = work.Product[piece];
            Array.Clear(partialW, 0, O * CKK);
            Array.Clear(partialB, 0, O);
            fixed (float* px = X, pdz = dZ, pprod = product, pcols = work.Columns[piece], pkept = work.Kept, pdout = work.Maps[piece])
            {
                foreach (var (n0, G) in Groups(piece, pieces, m, shape))
                {
                    int N = G * P;
                    float* cols = kept ? pkept + ((long)n0 * CKK * P) : pcols;
                    if (!kept)
                    {
                        Unroll(px, shape, n0, G, cols);
                    }
                    Gather(pdz, shape, n0, G, pdout);
                    // dW_g = dZ_g·cols_gᵀ   (O×G·P)·(G·P×CKK) → (O×CKK): dot products along the G·P columns
                    // (blocks of 16 filters × 32 patch rows, whose G·P columns stay in L1 while they meet)
                    for (int o0 = 0; o0 < O; o0 += 16)
                    {
                        for (int k0 = 0; k0 < CKK; k0 += 32)
                        {
                            int kEnd = Math.Min(CKK, k0 + 32);
                            for (int o = o0; o < Math.Min(O, o0 + 16); o += 4)
                            {
                                int rows = Math.Min(4, O - o);
                                int k = k0;
                                for (; k + 2 <= kEnd; k += 2)
                                {
                                    Kernels.DotTile4x2(pdout + ((long)o * N), N, rows, cols + ((long)k * N), N, pprod + ((long)o * CKK) + k, CKK);
                                }
                                for (; k < kEnd; k++)
                                {
                                    for (int r = 0; r < rows; r++)
                                    {
                                        pprod[((long)(o + r) * CKK) + k] = Kernels.Dot(pdout + ((long)(o + r) * N), cols + ((long)k * N), N);
                                    }
                                }
                            }
                        }
                    }
                    TensorPrimitives.Add(partialW.AsSpan(0, O * CKK), product.AsSpan(0, O * CKK), partialW.AsSpan(0, O * CKK));
                    for (int o = 0; o < O; o++)
                    {
                        partialB[o] += TensorPrimitives.Sum(new ReadOnlySpan<float>(pdout + ((long)o * N), N));
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
        int pieces = PieceCount(m);
        work.Ensure(shape, pieces);
        Workers.For(pieces, piece =>
        {
            fixed (float* pw = W, pdz = dZ, pdx = dX, pdcols = work.Columns[piece], pdout = work.Maps[piece])
            {
                foreach (var (n0, G) in Groups(piece, pieces, m, shape))
                {
                    int N = G * P;
                    Gather(pdz, shape, n0, G, pdout);
                    // dcols_g = Wᵀ·dZ_g   (CKK×O)·(O×G·P) → (CKK×G·P), eight patch rows per tile at 512 bits, else four
                    for (int n = 0; n < N; n += Strip)
                    {
                        int width = Math.Min(Strip, N - n);
                        int k = 0;
                        for (; k + 8 <= CKK && Simd.Has512; k += 8)
                        {
                            Kernels.OuterTile8(pw + k, 1, CKK, pdout + n, N, 0, O, width, pdcols + ((long)k * N) + n, N, accumulate: false);
                        }
                        for (; k < CKK; k += 4)
                        {
                            Kernels.OuterTile(pw + k, 1, CKK, Math.Min(4, CKK - k), pdout + n, N, 0, O, width, pdcols + ((long)k * N) + n, N, accumulate: false);
                        }
                    }
                    Fold(pdcols, shape, n0, G, pdx);
                }
            }
        });
    }

    /// <summary>The groups (first example, count) of a piece, in order.</summary>
    private static IEnumerable<(int Start, int Count)> Groups(int piece, int pieces, int m, ConvShape shape)
    {
        int per = (m + pieces - 1) / pieces;
        int start = Math.Min(m, piece * per), end = Math.Min(m, start + per), group = GroupSize(shape);
        for (int n = start; n < end; n += group)
        {
            yield return (n, Math.Min(group, end - n));
        }
    }

    /// <summary>dZ_g [O, G·P]: example n0 + g's plane o at columns g·P … of row o.</summary>
    private static void Gather(float* dZ, ConvShape shape, int n0, int G, float* dout)
    {
        int O = shape.Filters, P = shape.Output.Plane, N = G * P;
        for (int g = 0; g < G; g++)
        {
            for (int o = 0; o < O; o++)
            {
                new ReadOnlySpan<float>(dZ + ((((long)(n0 + g) * O) + o) * P), P).CopyTo(new Span<float>(dout + ((long)o * N) + ((long)g * P), P));
            }
        }
    }
}

/// <summary>A convolution layer's scratch buffers, per piece: grown once, reused every step (no allocation per step).</summary>
internal sealed class ConvWorkspace
{
    internal float[][] Columns = [];             // [CKK, G·P]: a group's unrolled columns (or their gradient)
    internal float[][] Maps = [];                // [O, G·P]: a group's output maps (or their gradient) side by side
    internal float[][] PartialW = [];            // [O, CKK]: a piece's weight gradient
    internal float[][] PartialB = [];            // [O]
    internal float[][] Product = [];             // [O, CKK]: a group's
    internal float[] Kept = [];                  // [m, CKK, P]: the columns of the last training forward pass, group by group
    internal (float[] X, int M)? KeptFor;        // … of which input

    internal void Ensure(ConvShape shape, int pieces)
    {
        int group = ConvKernels.GroupSize(shape);
        int weights = shape.Filters * shape.Patch;
        Grow(ref Columns, pieces, group * shape.Patch * shape.Output.Plane);
        Grow(ref Maps, pieces, group * shape.Output.Size);
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
