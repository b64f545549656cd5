// Fast convolution: every pass is one register-tiled product over a group of examples' positions at
// once (ConvKernels.Panels: R filters × two vectors of positions in registers, at 512, 256 or 128 bits):
//   forward   Z_g [O, positions] = W [O, CKK] · X_g's patches + b          (CKK = C·K·K)
//   weights   dW [O, CKK] = scale · Σ_g dZ_g · (X_g's patches)ᵀ;  db[o] = scale · Σ dZ[·, o, ·]
//   input     dX_g = the transposed convolution of dZ_g
// Where the patches come from depends on the stride. Stride 1 (ConvKernels.Shifted): from the maps
// themselves, spread over shared zero borders — each row of the product is a shift of that stack, so
// nothing is unrolled; the input gradient is the same product with the filters turned 180°. Other
// strides, and the weight gradient on maps under 10×10 outputs: the patches unrolled side by side into
// panels of columns (im2col, ConvKernels.Columns; a training pass keeps them for the weight gradient).
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
        // Stride 1 runs without unrolled columns, unless a training pass's weight gradient will unroll them anyway:
        // then they are unrolled here once and kept for it
        if (Shifts(shape) && (!keepColumns || ShiftsWeights(shape)))
        {
            ShiftedForward(X, W, b, shape, m, Z, work);
            return;
        }
        int O = shape.Filters, CKK = shape.Patch, P = shape.Output.Plane;
        int pieces = PieceCount(m);
        work.Ensure(shape, pieces);
        bool keep = keepColumns && work.EnsureKept(shape, m, pieces);
        work.KeptFor = null;
        fixed (float* pw = W, ptiles = work.Tiles)
        {
            PackTiles(pw, O, CKK, CKK, 1, ptiles);
        }
        Workers.For(pieces, piece =>
        {
            int slot = Workers.Slot;   // this thread's scratch buffers
            fixed (float* px = X, pz = Z, ptiles = work.Tiles, pcols = work.Columns[slot], pkept = keep ? work.Kept[piece] : null, pout = work.Maps[slot], prow = work.Row[slot])
            {
                long kept = 0;
                foreach (var (n0, G) in Groups(piece, pieces, m, shape))
                {
                    int N = G * P;
                    float* cols = keep ? pkept + kept : pcols;
                    kept += PanelFloats(N, CKK);
                    Unroll(px, shape, n0, G, cols, prow);
                    // Z_g = W·cols_g   (O×CKK)·(CKK×G·P) → (O×G·P)
                    PanelProduct(ptiles, O, CKK, cols, N, pout, N);
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
        for (int p = 0; p < pieces; p++)
        {
            Array.Clear(work.PartialW[p], 0, O * CKK);
            Array.Clear(work.PartialB[p], 0, O);
        }
        if (ShiftsWeights(shape))
        {
            ShiftedWeightGradient(X, dZ, shape, m, pieces, work);
        }
        else
        {
            UnrolledWeightGradient(X, dZ, shape, m, pieces, work);
        }
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

    /// <summary>The weight gradient from unrolled columns (kept from the forward pass when they fit), group by group into the pieces' partial sums.</summary>
    private static void UnrolledWeightGradient(float[] X, float[] dZ, ConvShape shape, int m, int pieces, ConvWorkspace work)
    {
        int O = shape.Filters, CKK = shape.Patch, P = shape.Output.Plane;
        bool kept = work.KeptFor is var (keptX, keptM) && ReferenceEquals(keptX, X) && keptM == m;
        Workers.For(pieces, piece =>
        {
            int slot = Workers.Slot;   // this thread's scratch buffers
            float[] partialW = work.PartialW[piece], partialB = work.PartialB[piece];
            fixed (float* px = X, pdz = dZ, pcols = work.Columns[slot], pkept = kept ? work.Kept[piece] : null, pT = work.Transposed[slot], ptiles = work.Maps[slot], ppartial = partialW, pturn = work.Turn[slot], prow = work.Row[slot])
            {
                long offset = 0;
                foreach (var (n0, G) in Groups(piece, pieces, m, shape))
                {
                    int N = G * P;
                    float* cols = kept ? pkept + offset : pcols;
                    offset += PanelFloats(N, CKK);
                    if (!kept)
                    {
                        Unroll(px, shape, n0, G, cols, prow);
                    }
                    // dW += dZ_g·cols_gᵀ   (O×G·P)·(G·P×CKK) → (O×CKK): the columns turned into panels of patch rows,
                    // dZ_g into tiles of filters, so that the sum over the group's columns is the panels' k; patches
                    // narrower than a panel take dot products along the panels instead
                    if (CKK < PanelWidth)
                    {
                        Gather(pdz, shape, n0, G, ptiles);
                        PanelDots(ptiles, O, cols, CKK, N, ppartial);
                    }
                    else
                    {
                        int Npad = (int)PanelFloats(N, 1);
                        TransposePanels(cols, CKK, N, pT);
                        GatherTiles(pdz, shape, n0, G, Npad, ptiles, pturn);
                        PanelProduct(ptiles, O, Npad, pT, CKK, ppartial, CKK, accumulate: true);
                    }
                    // db[o] += Σ dZ[·, o, ·] over the group's examples, in order
                    for (int g = 0; g < G; g++)
                    {
                        for (int o = 0; o < O; o++)
                        {
                            partialB[o] += TensorPrimitives.Sum(new ReadOnlySpan<float>(pdz + (((long)(n0 + g) * O) + o) * P, P));
                        }
                    }
                }
            }
        });
    }

    /// <summary>dX [m, C·H·W] = the input gradient of Z = W ⋆ X + b, given dZ [m, O·Ho·Wo].</summary>
    public static void InputGradient(float[] dZ, float[] W, ConvShape shape, int m, float[] dX, ConvWorkspace work)
    {
        if (ShiftsInputs(shape))
        {
            ShiftedInputGradient(dZ, W, shape, m, dX, work);
            return;
        }
        int O = shape.Filters, CKK = shape.Patch, P = shape.Output.Plane;
        int pieces = PieceCount(m);
        work.Ensure(shape, pieces);
        fixed (float* pw = W, ptiles = work.Tiles)
        {
            PackTiles(pw, CKK, O, 1, CKK, ptiles);
        }
        Workers.For(pieces, piece =>
        {
            int slot = Workers.Slot;   // this thread's scratch buffers
            fixed (float* ptiles = work.Tiles, pdz = dZ, pdx = dX, pdcols = work.Columns[slot], pdout = work.Maps[slot])
            {
                foreach (var (n0, G) in Groups(piece, pieces, m, shape))
                {
                    int N = G * P;
                    Gather(pdz, shape, n0, G, pdout);
                    // dcols_g = Wᵀ·dZ_g   (CKK×O)·(O×G·P) → (CKK×G·P)
                    PanelProduct(ptiles, CKK, O, pdout, N, pdcols, N);
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

    /// <summary>dZ_g in panels [G·P/PW][O][PW]: example n0 + g's plane o at columns g·P … of row o (zero past G·P).</summary>
    private static void Gather(float* dZ, ConvShape shape, int n0, int G, float* panels)
    {
        int O = shape.Filters, P = shape.Output.Plane;
        for (int g = 0; g < G; g++)
        {
            for (int o = 0; o < O; o++)
            {
                ToPanels(dZ + ((((long)(n0 + g) * O) + o) * P), P, (long)g * P, o, O, panels);
            }
        }
        ClearPanelTail(panels, (long)G * P, O);
    }
}

/// <summary>
/// A convolution layer's buffers, grown once and reused every step (no allocation per step): scratch per thread of the
/// parallel call (indexed by <see cref="Workers.Slot"/>, so a core's pieces reuse the buffers already in its cache),
/// partial sums and kept columns per piece (they carry results, so they follow the pieces, not the threads).
/// </summary>
internal sealed class ConvWorkspace
{
    // Stride 1 (ConvKernels.Shifted), per thread
    internal float[][] Stack = [];               // a group's maps spread (the input, or dZ for the input gradient)
    internal int[][] Offsets = [];               // where each row of the product starts in the stack
    internal float[] Turned = [];                // the input gradient's filters [C, O·K·K]
    // Other strides (unrolled columns), per thread
    internal float[][] Columns = [];             // a group's unrolled columns in panels [G·P/PW][CKK][PW] (or their gradient, [CKK, G·P])
    internal float[][] Row = [];                 // one unrolled row of one example [Ho·Wo]
    internal float[][] Transposed = [];         // a group's columns turned: panels of patch rows [CKK/PW][G·P][PW]
    internal float[][] Turn = [];                // sixteen planes of dZ turned [Ho·Wo][16]
    internal float[][] Kept = [];                // per piece: the columns of the last training forward pass, group after group
    internal (float[] X, int M)? KeptFor;        // … of which input
    // Both
    internal float[][] Maps = [];                // per thread: a group's product rows (outputs or gradients) in the layout its path uses
    internal float[][] PartialW = [];            // per piece: [O, CKK], the piece's weight gradient
    internal float[][] PartialB = [];            // per piece: [O]
    internal float[] Tiles = [];                 // W, Wᵀ or the turned filters packed in tiles of rows

    /// <summary>Unrolled columns kept from a training forward pass, at most (floats: 64 MB).</summary>
    private const long MaxKept = 16L << 20;

    /// <summary>Makes room for a call over <paramref name="pieces"/> pieces made from here (scratch for the threads it will run on).</summary>
    internal void Ensure(ConvShape shape, int pieces)
    {
        int group = ConvKernels.GroupSize(shape), O = shape.Filters, C = shape.Input.Channels, CKK = shape.Patch;
        int threads = Workers.Participants(pieces);
        Grow(ref PartialW, pieces, O * CKK);
        Grow(ref PartialB, pieces, O);
        int tiles = Math.Max(ConvKernels.TileFloats(O, CKK), ConvKernels.TileFloats(CKK, O));
        if (ConvKernels.Shifts(shape))
        {
            var forward = ConvKernels.InputSpread(shape, group);
            var backward = ConvKernels.GradientSpread(shape, group);
            long placed = (forward.Columns + ConvKernels.PanelWidth - 1) / ConvKernels.PanelWidth * ConvKernels.PanelWidth;
            Grow(ref Stack, threads, Math.Max(forward.Floats(C), backward.Floats(O)));
            Grow(ref Maps, threads, Math.Max(O * placed, C * backward.Columns));
            Grow(ref Offsets, threads, Math.Max(CKK, O * shape.Kernel * shape.Kernel));
            if (Turned.Length < O * CKK)
            {
                Turned = new float[O * CKK];
            }
            tiles = Math.Max(tiles, ConvKernels.TileFloats(C, O * shape.Kernel * shape.Kernel));
        }
        if (!ConvKernels.ShiftsWeights(shape) || !ConvKernels.ShiftsInputs(shape))
        {
            long N = (long)group * shape.Output.Plane;
            long Npad = ConvKernels.PanelFloats(N, 1);
            Grow(ref Columns, threads, ConvKernels.PanelFloats(N, CKK));
            Grow(ref Maps, threads, Math.Max(ConvKernels.PanelFloats(N, O), ConvKernels.TileFloats(O, (int)Npad)));
            Grow(ref Transposed, threads, ConvKernels.PanelFloats(CKK, (int)Npad));
            Grow(ref Turn, threads, 16 * shape.Output.Plane);
            Grow(ref Row, threads, shape.Output.Plane);
        }
        if (Tiles.Length < tiles)
        {
            Tiles = new float[tiles];
        }
    }

    /// <summary>Makes room to keep m examples' columns, piece by piece; false when they would pass <see cref="MaxKept"/>.</summary>
    internal bool EnsureKept(ConvShape shape, int m, int pieces)
    {
        int per = (m + pieces - 1) / pieces, group = ConvKernels.GroupSize(shape);
        long full = ConvKernels.PanelFloats((long)group * shape.Output.Plane, shape.Patch) * (per / group);
        long rest = per % group == 0 ? 0 : ConvKernels.PanelFloats((long)(per % group) * shape.Output.Plane, shape.Patch);
        long length = full + rest;
        if (length * pieces > MaxKept)
        {
            return false;
        }
        Grow(ref Kept, pieces, (int)length);
        return true;
    }

    private static void Grow<T>(ref T[][] buffers, int count, long length)
    {
        if (buffers.Length < count)
        {
            Array.Resize(ref buffers, count);
        }
        for (int p = 0; p < count; p++)
        {
            if (buffers[p] is null || buffers[p].Length < length)
            {
                buffers[p] = new T[length];
            }
        }
    }
}
