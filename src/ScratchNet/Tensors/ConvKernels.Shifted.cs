// Stride-1 convolutions without unrolling. A group's maps are spread over shared zero borders: the
// rows of a plane Pitch = W + p floats apart (the p zeros that end a row begin the next one), the
// examples H + p rows apart, p zero rows above the first. Output (g, y, x) is then computed at
//   n = (g·(H + p) + y)·Pitch + x,   reading input (c, i, j) at n + c·Stride + i·Pitch + j,
// so every row of the product's right-hand operand is the spread stack itself, shifted — no
// unrolled columns. Positions with x ≥ Wo or between examples are computed and dropped (1 − Ho·Wo /
// ((H + p)·Pitch) of the work: 7 % at 28×28, 13 % at 14×14, 23 % at 7×7). The input gradient is the
// same product: dZ spread with K − 1 − p, against the filters turned 180° with in and out exchanged.
// The weight gradient takes dot products of dZ (placed at the output positions, zeros between) with
// the shifted rows. Every element of Z and dX is one chain of fused multiply-adds in (c, i, j) order.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

internal static unsafe partial class ConvKernels
{
    /// <summary>How a group of G examples' maps (H × W, padding p, kernel K) is spread for the stride-1 products.</summary>
    internal readonly struct Spread
    {
        public Spread(int H, int W, int p, int K, int G)
        {
            Height = H;
            Width = W;
            Padding = p;
            Pitch = W + p;
            ExampleRows = H + p;
            OutHeight = H + (2 * p) - K + 1;
            OutWidth = W + (2 * p) - K + 1;
            Columns = ((long)((G - 1) * ExampleRows) + OutHeight) * Pitch;
            long used = ((long)p + ((long)G * ExampleRows)) * Pitch;
            ChannelStride = (used + PanelWidth + K + 15) / 16 * 16;
        }

        public int Height { get; }
        public int Width { get; }
        public int Padding { get; }

        /// <summary>Floats from one row of a plane to the next.</summary>
        public int Pitch { get; }

        /// <summary>Rows from one example to the next.</summary>
        public int ExampleRows { get; }

        public int OutHeight { get; }
        public int OutWidth { get; }

        /// <summary>Output positions computed: up to the last output row of the last example.</summary>
        public long Columns { get; }

        /// <summary>Floats from one channel's stack to the next (zeros after the last row, for the last panel's reads).</summary>
        public long ChannelStride { get; }

        /// <summary>Where value (u, 0) of example g sits in its channel's stack.</summary>
        public long Input(int g, int u) => (((long)Padding + ((long)g * ExampleRows) + u) * Pitch) + Padding;

        /// <summary>Where output (y, 0) of example g is computed.</summary>
        public long Output(int g, int y) => (((long)g * ExampleRows) + y) * Pitch;

        /// <summary>Floats of C channels' stacks.</summary>
        public long Floats(int channels) => channels * ChannelStride;
    }

    /// <summary>Whether the stride-1 products (no unrolled columns) compute this convolution's forward pass.</summary>
    internal static bool Shifts(ConvShape shape) => shape.Stride == 1;

    /// <summary>
    /// Whether the weight gradient takes the shifted dot products: stride 1 on maps of 10×10 outputs or more. Smaller
    /// maps make short dot products (a horizontal sum per few vectors) and drop more positions (23 % at 7×7); there the
    /// unrolled product is the faster (measured: 1×28×28 → 32 and 32×14×14 → 64 shifted, 64×7×7 → 128 unrolled).
    /// </summary>
    internal static bool ShiftsWeights(ConvShape shape) => Shifts(shape) && shape.Output.Plane >= 100;

    /// <summary>Whether the input gradient takes the shifted product: stride 1 with 4 input channels or more (fewer leave the tiles' rows mostly empty).</summary>
    internal static bool ShiftsInputs(ConvShape shape) => Shifts(shape) && shape.Input.Channels >= 4;

    /// <summary>The spread of a forward pass (and the weight gradient): the input maps, padding p.</summary>
    internal static Spread InputSpread(ConvShape shape, int G) => new(shape.Input.Height, shape.Input.Width, shape.Padding, shape.Kernel, G);

    /// <summary>The spread of the input gradient: dZ's maps, padding K − 1 − p (its output is H × W).</summary>
    internal static Spread GradientSpread(ConvShape shape, int G) => new(shape.OutHeight, shape.OutWidth, shape.Kernel - 1 - shape.Padding, shape.Kernel, G);

    /// <summary>
    /// The forward pass for stride 1: Z = W ⋆ X + b, group by group, no unrolled columns. With <paramref name="pooled"/>,
    /// Z is not written: its 2×2 max pooling is, straight from the product rows (<see cref="PoolBack"/>).
    /// </summary>
    private static void ShiftedForward(float[] X, float[] W, float[] b, ConvShape shape, int m, float[] Z, ConvWorkspace work, Pooling? pooled = null)
    {
        int O = shape.Filters, C = shape.Input.Channels, CKK = shape.Patch;
        int pieces = PieceCount(m);
        work.Ensure(shape, pieces);
        work.KeptFor = null;
        fixed (float* pw = W, ptiles = work.Tiles)
        {
            PackTiles(pw, O, CKK, CKK, 1, ptiles);
        }
        Workers.For(pieces, piece =>
        {
            int slot = Workers.Slot;   // this thread's scratch buffers
            float[] maps = work.Maps[slot];
            fixed (float* px = X, pz = Z, pb = b, ptiles = work.Tiles, pstack = work.Stack[slot], pout = maps, ppool = pooled?.Output)
            fixed (int* poff = work.Offsets[slot], pwinners = pooled?.Winners)
            {
                foreach (var (n0, G) in Groups(piece, pieces, m, shape))
                {
                    // Z_g = W·X_g shifted   (O×CKK)·(CKK×positions) → (O×positions), + b
                    Spread spread = InputSpread(shape, G);
                    ShiftedProduct(px, C, shape.Kernel, ptiles, O, spread, n0, G, pstack, poff, pout);
                    if (pooled is null)
                    {
                        TakeBack(pout, spread.Columns, O, n0, G, spread, pb, pz);
                    }
                    else
                    {
                        PoolBack(pout, spread.Columns, maps.Length, O, n0, G, spread, pb, ppool, pwinners);
                    }
                }
            }
        });
    }

    /// <summary>The weight gradient for stride 1: dW += dZ·X shifted, dot products over each group's output positions.</summary>
    private static void ShiftedWeightGradient(float[] X, float[] dZ, ConvShape shape, int m, int pieces, ConvWorkspace work)
    {
        int O = shape.Filters, C = shape.Input.Channels, CKK = shape.Patch, P = shape.Output.Plane;
        Workers.For(pieces, piece =>
        {
            int slot = Workers.Slot;   // this thread's scratch buffers
            float[] partialB = work.PartialB[piece];
            fixed (float* px = X, pdz = dZ, ppartial = work.PartialW[piece], pstack = work.Stack[slot], pplaced = work.Maps[slot])
            fixed (int* poff = work.Offsets[slot])
            {
                foreach (var (n0, G) in Groups(piece, pieces, m, shape))
                {
                    Spread spread = InputSpread(shape, G);
                    long columns = (spread.Columns + PanelWidth - 1) / PanelWidth * PanelWidth;
                    RowOffsets(C, shape.Kernel, spread, poff);
                    SpreadMaps(px, C, n0, G, spread, pstack);
                    Place(pdz, O, n0, G, spread, pplaced, columns);
                    ShiftedDots(pplaced, columns, O, pstack, poff, CKK, columns, ppartial);
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

    /// <summary>The input gradient for stride 1: dX = the turned filters ⋆ dZ spread with K − 1 − p.</summary>
    private static void ShiftedInputGradient(float[] dZ, float[] W, ConvShape shape, int m, float[] dX, ConvWorkspace work)
    {
        int O = shape.Filters, C = shape.Input.Channels, OKK = O * shape.Kernel * shape.Kernel;
        int pieces = PieceCount(m);
        work.Ensure(shape, pieces);
        fixed (float* pw = W, pturned = work.Turned, ptiles = work.Tiles)
        {
            TurnFilters(pw, shape, pturned);
            PackTiles(pturned, C, OKK, OKK, 1, ptiles);
        }
        Workers.For(pieces, piece =>
        {
            int slot = Workers.Slot;   // this thread's scratch buffers
            fixed (float* pdz = dZ, pdx = dX, ptiles = work.Tiles, pstack = work.Stack[slot], pout = work.Maps[slot])
            fixed (int* poff = work.Offsets[slot])
            {
                foreach (var (n0, G) in Groups(piece, pieces, m, shape))
                {
                    // dX_g = turned·dZ_g shifted   (C×O·K·K)·(O·K·K×positions) → (C×positions)
                    Spread spread = GradientSpread(shape, G);
                    ShiftedProduct(pdz, O, shape.Kernel, ptiles, C, spread, n0, G, pstack, poff, pout);
                    TakeBack(pout, spread.Columns, C, n0, G, spread, null, pdx);
                }
            }
        });
    }

    /// <summary>
    /// One group's stride-1 product: examples n0 … of <paramref name="maps"/> [m, channels·H·W] spread into
    /// <paramref name="stack"/>, the tiles' product over its shifted rows into <paramref name="product"/> [rows, Columns].
    /// </summary>
    private static void ShiftedProduct(float* maps, int channels, int K, float* tiles, int rows, Spread spread, int n0, int G, float* stack, int* offsets, float* product)
    {
        RowOffsets(channels, K, spread, offsets);
        SpreadMaps(maps, channels, n0, G, spread, stack);
        PanelProduct(tiles, rows, channels * K * K, new ShiftedRows(stack, offsets), spread.Columns, product, spread.Columns);
    }

    /// <summary>offsets[(c·K + i)·K + j] = c·ChannelStride + i·Pitch + j: where row (c, i, j) of the product starts.</summary>
    private static void RowOffsets(int channels, int K, Spread spread, int* offsets)
    {
        for (int c = 0, k = 0; c < channels; c++)
        {
            for (int i = 0; i < K; i++)
            {
                for (int j = 0; j < K; j++, k++)
                {
                    offsets[k] = (int)((c * spread.ChannelStride) + ((long)i * spread.Pitch) + j);
                }
            }
        }
    }

    /// <summary>
    /// Spreads examples n0 … n0 + G − 1 of maps [m, C·H·W] into <paramref name="stack"/>, zeros everywhere else: each
    /// float of a channel's stack is written once, front to back (the zeros between rows and examples as they come).
    /// </summary>
    private static void SpreadMaps(float* maps, int channels, int n0, int G, Spread spread, float* stack)
    {
        int H = spread.Height, W = spread.Width, plane = H * W;
        for (int c = 0; c < channels; c++)
        {
            float* channel = stack + (c * spread.ChannelStride);
            long cursor = 0;
            for (int g = 0; g < G; g++)
            {
                float* src = maps + ((((long)(n0 + g) * channels) + c) * plane);
                for (int u = 0; u < H; u++, src += W)
                {
                    long at = spread.Input(g, u);
                    ClearShort(channel + cursor, (int)(at - cursor));
                    CopyShort(src, channel + at, W);
                    cursor = at + W;
                }
            }
            ClearShort(channel + cursor, (int)(spread.ChannelStride - cursor));
        }
    }

    /// <summary>
    /// maps[n0 + g, f, y, x] = rows[f·ldr + Output(g, y) + x] (+ bias[f]) for the group's output positions: the product's
    /// rows [F, Columns] taken back to NCHW.
    /// </summary>
    private static void TakeBack(float* rows, long ldr, int filters, int n0, int G, Spread spread, float* bias, float* maps)
    {
        int Ho = spread.OutHeight, Wo = spread.OutWidth, plane = Ho * Wo;
        for (int g = 0; g < G; g++)
        {
            for (int f = 0; f < filters; f++)
            {
                float* dst = maps + ((((long)(n0 + g) * filters) + f) * plane);
                float* src = rows + (f * ldr) + spread.Output(g, 0);
                float add = bias is null ? 0f : bias[f];
                for (int y = 0; y < Ho; y++, src += spread.Pitch, dst += Wo)
                {
                    AddShort(src, add, dst, Wo);
                }
            }
        }
    }

    /// <summary>
    /// dZ [m, O·Ho·Wo] placed at the forward pass's output positions: placed[o·ldp + Output(g, y) + x], zeros elsewhere up
    /// to <paramref name="ldp"/> — each float written once, front to back.
    /// </summary>
    private static void Place(float* dZ, int filters, int n0, int G, Spread spread, float* placed, long ldp)
    {
        int Ho = spread.OutHeight, Wo = spread.OutWidth, plane = Ho * Wo;
        for (int f = 0; f < filters; f++)
        {
            float* row = placed + (f * ldp);
            long cursor = 0;
            for (int g = 0; g < G; g++)
            {
                float* src = dZ + ((((long)(n0 + g) * filters) + f) * plane);
                for (int y = 0; y < Ho; y++, src += Wo)
                {
                    long at = spread.Output(g, y);
                    ClearShort(row + cursor, (int)(at - cursor));
                    CopyShort(src, row + at, Wo);
                    cursor = at + Wo;
                }
            }
            ClearShort(row + cursor, (int)(ldp - cursor));
        }
    }

    /// <summary>dst[i] = 0 for i &lt; count: a few floats (a row's padding, the rows between examples), in vectors inline, as <see cref="CopyShort"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ClearShort(float* dst, int count)
    {
        if (Simd.Has512 && count >= 16)
        {
            for (int i = 0; i + 16 < count; i += 16)
            {
                Vector512.Store(Vector512<float>.Zero, dst + i);
            }
            Vector512.Store(Vector512<float>.Zero, dst + count - 16);
        }
        else if (Simd.Has256 && count >= 8)
        {
            for (int i = 0; i + 8 < count; i += 8)
            {
                Vector256.Store(Vector256<float>.Zero, dst + i);
            }
            Vector256.Store(Vector256<float>.Zero, dst + count - 8);
        }
        else if (Simd.Has128 && count >= 4)
        {
            for (int i = 0; i + 4 < count; i += 4)
            {
                Vector128.Store(Vector128<float>.Zero, dst + i);
            }
            Vector128.Store(Vector128<float>.Zero, dst + count - 4);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                dst[i] = 0f;
            }
        }
    }

    /// <summary>dst[i] = src[i] + add for i &lt; count (a short row; src and dst apart), in vectors inline, as <see cref="CopyShort"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddShort(float* src, float add, float* dst, int count)
    {
        if (Simd.Has512 && count >= 16)
        {
            Vector512<float> v = Vector512.Create(add);
            for (int i = 0; i + 16 < count; i += 16)
            {
                Vector512.Store(Vector512.Load(src + i) + v, dst + i);
            }
            Vector512.Store(Vector512.Load(src + count - 16) + v, dst + count - 16);
        }
        else if (Simd.Has256 && count >= 8)
        {
            Vector256<float> v = Vector256.Create(add);
            for (int i = 0; i + 8 < count; i += 8)
            {
                Vector256.Store(Vector256.Load(src + i) + v, dst + i);
            }
            Vector256.Store(Vector256.Load(src + count - 8) + v, dst + count - 8);
        }
        else if (Simd.Has128 && count >= 4)
        {
            Vector128<float> v = Vector128.Create(add);
            for (int i = 0; i + 4 < count; i += 4)
            {
                Vector128.Store(Vector128.Load(src + i) + v, dst + i);
            }
            Vector128.Store(Vector128.Load(src + count - 4) + v, dst + count - 4);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                dst[i] = src[i] + add;
            }
        }
    }

    /// <summary>
    /// turned [C, O·K·K]: turned[c, (o·K + i)·K + j] = W[o, c, K − 1 − i, K − 1 − j] — the filters of the input
    /// gradient's product (in and out exchanged, each kernel turned 180°).
    /// </summary>
    private static void TurnFilters(float* W, ConvShape shape, float* turned)
    {
        int O = shape.Filters, C = shape.Input.Channels, K = shape.Kernel, KK = K * K;
        for (int c = 0; c < C; c++)
        {
            for (int o = 0; o < O; o++)
            {
                float* src = W + ((((long)o * C) + c) * KK);
                float* dst = turned + ((((long)c * O) + o) * KK);
                for (int t = 0; t < KK; t++)
                {
                    dst[t] = src[KK - 1 - t];
                }
            }
        }
    }
}
