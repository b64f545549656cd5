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

    /// <summary>The forward pass for stride 1: Z = W ⋆ X + b, group by group, no unrolled columns.</summary>
    private static void ShiftedForward(float[] X, float[] W, float[] b, ConvShape shape, int m, float[] Z, ConvWorkspace work)
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
            fixed (float* px = X, pz = Z, pb = b, ptiles = work.Tiles, pstack = work.Stack[slot], pout = work.Maps[slot])
            fixed (int* poff = work.Offsets[slot])
            {
                foreach (var (n0, G) in Groups(piece, pieces, m, shape))
                {
                    // Z_g = W·X_g shifted   (O×CKK)·(CKK×positions) → (O×positions), + b
                    ShiftedGroup(px, C, shape.Kernel, ptiles, O, InputSpread(shape, G), n0, G, pstack, poff, pout, pb, pz);
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
                    ShiftedGroup(pdz, O, shape.Kernel, ptiles, C, GradientSpread(shape, G), n0, G, pstack, poff, pout, null, pdx);
                }
            }
        });
    }

    /// <summary>
    /// One group through a stride-1 product: examples n0 … of <paramref name="maps"/> [m, channels·H·W] spread into
    /// <paramref name="stack"/>, the tiles' product over its shifted rows into <paramref name="product"/> [rows, positions],
    /// taken back to <paramref name="output"/> [m, rows·Ho·Wo] (+ bias).
    /// </summary>
    private static void ShiftedGroup(float* maps, int channels, int K, float* tiles, int rows, Spread spread, int n0, int G, float* stack, int* offsets, float* product, float* bias, float* output)
    {
        RowOffsets(channels, K, spread, offsets);
        SpreadMaps(maps, channels, n0, G, spread, stack);
        PanelProduct(tiles, rows, channels * K * K, new ShiftedRows(stack, offsets), spread.Columns, product, spread.Columns);
        TakeBack(product, spread.Columns, rows, n0, G, spread, bias, output);
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
            new Span<float>(channel + cursor, (int)(spread.ChannelStride - cursor)).Clear();
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
            new Span<float>(row + cursor, (int)(ldp - cursor)).Clear();
        }
    }

    /// <summary>dst[i] = 0 for i &lt; count: a few floats (a row's padding, the rows between examples), in vectors inline.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ClearShort(float* dst, int count)
    {
        int i = 0;
        if (Simd.Has256)
        {
            for (; i + 8 <= count; i += 8)
            {
                Vector256.Store(Vector256<float>.Zero, dst + i);
            }
        }
        if (Simd.Has128)
        {
            for (; i + 4 <= count; i += 4)
            {
                Vector128.Store(Vector128<float>.Zero, dst + i);
            }
        }
        for (; i < count; i++)
        {
            dst[i] = 0f;
        }
    }

    /// <summary>dst[i] = src[i] + add for i &lt; count (a short row), in vectors inline.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddShort(float* src, float add, float* dst, int count)
    {
        int i = 0;
        if (Simd.Has256)
        {
            Vector256<float> v = Vector256.Create(add);
            for (; i + 8 <= count; i += 8)
            {
                Vector256.Store(Vector256.Load(src + i) + v, dst + i);
            }
        }
        if (Simd.Has128)
        {
            Vector128<float> v = Vector128.Create(add);
            for (; i + 4 <= count; i += 4)
            {
                Vector128.Store(Vector128.Load(src + i) + v, dst + i);
            }
        }
        for (; i < count; i++)
        {
            dst[i] = src[i] + add;
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

    /// <summary>
    /// dW [O, C·K·K] += Σ_n placed[o, n]·stack[n + offsets[k]]: dZ at the output positions against the shifted input
    /// rows, dot products over the group's <paramref name="columns"/> (a multiple of the vector width; placed is zero past
    /// the output positions). 4 filters × 4 rows of accumulators where there are 32 registers, else 2 × 4.
    /// </summary>
    private static void ShiftedDots(float* placed, long ldp, int O, float* stack, int* offsets, int CKK, long columns, float* dW)
    {
        switch (Simd.Widest)
        {
            case VectorWidth.Bits512: ShiftedDots<Lanes512, Vector512<float>>(placed, ldp, O, stack, offsets, CKK, columns, dW); break;
            case VectorWidth.Bits256: ShiftedDots<Lanes256, Vector256<float>>(placed, ldp, O, stack, offsets, CKK, columns, dW); break;
            case VectorWidth.Bits128: ShiftedDots<Lanes128, Vector128<float>>(placed, ldp, O, stack, offsets, CKK, columns, dW); break;
            default: ShiftedDots<LanesScalar, float>(placed, ldp, O, stack, offsets, CKK, columns, dW); break;
        }
    }

    private static void ShiftedDots<TL, TV>(float* placed, long ldp, int O, float* stack, int* offsets, int CKK, long columns, float* dW)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int OT = TileRows == 8 ? 4 : 2, L = TL.Count, kTiles = (CKK + 3) / 4;
        // When a tile row's accumulators fit beside the data in L1, the columns go in chunks: a chunk of the filters' dZ
        // rows and of the stack stays in L1 while every tile of the row runs over it, and each tile's sixteen vector sums
        // wait in memory between chunks — the same chains of multiply-adds, lane by lane, so the same sums
        bool chunked = kTiles * 16 * L <= ChunkedAccumulators;
        long chunk = chunked ? ChunkColumns : columns;
        float* acc = stackalloc float[(chunked ? kTiles : 1) * 16 * L];
        for (int o = 0; o < O; o += OT)
        {
            int rows = Math.Min(OT, O - o);
            if (chunked)
            {
                new Span<float>(acc, kTiles * 16 * L).Clear();
                for (long n0 = 0; n0 < columns; n0 += chunk)
                {
                    long n1 = Math.Min(columns, n0 + chunk);
                    for (int t = 0; t < kTiles; t++)
                    {
                        int k = 4 * t;
                        ShiftedDotTile<TL, TV>(placed, ldp, o, rows, stack, offsets, k, Math.Min(4, CKK - k), n0, n1, acc + (t * 16 * L));
                    }
                }
                for (int t = 0; t < kTiles; t++)
                {
                    int k = 4 * t;
                    AddTileSums<TL, TV>(acc + (t * 16 * L), rows, Math.Min(4, CKK - k), dW + ((long)o * CKK) + k, CKK);
                }
                continue;
            }
            for (int k = 0; k < CKK; k += 4)
            {
                new Span<float>(acc, 16 * L).Clear();
                ShiftedDotTile<TL, TV>(placed, ldp, o, rows, stack, offsets, k, Math.Min(4, CKK - k), 0, columns, acc);
                AddTileSums<TL, TV>(acc, rows, Math.Min(4, CKK - k), dW + ((long)o * CKK) + k, CKK);
            }
        }
    }

    /// <summary>
    /// Floats of accumulators a chunked tile row may keep (16 KB: patches of up to 16 values, such as a first layer's
    /// 3×3 over one channel). Measured (a 32-image step, both in one process): 1×28×28 → 8 and → 32, 7–10 % faster
    /// chunked; 8×14×14 → 16 (72-value patches) 12 % slower with 256-column chunks, so larger patches run unchunked.
    /// </summary>
    private const int ChunkedAccumulators = 4096;

    /// <summary>Columns per chunk (a multiple of every vector width).</summary>
    private const int ChunkColumns = 512;

    /// <summary>
    /// acc[16 vectors] += the tile's products over columns [n0, n1): acc[(i·4 + j)·L …] += Σ_n placed[(o + i)·ldp + n]·stack[offsets[k + j] + n]
    /// for i &lt; rows, j &lt; ks; missing rows reuse the first.
    /// </summary>
    private static void ShiftedDotTile<TL, TV>(float* placed, long ldp, int o, int rows, float* stack, int* offsets, int k, int ks, long n0, long n1, float* acc)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int L = TL.Count;
        bool four = TileRows == 8;
        float* z0 = placed + (o * ldp);
        float* z1 = rows > 1 ? z0 + ldp : z0, z2 = rows > 2 ? z0 + (2 * ldp) : z0, z3 = rows > 3 ? z0 + (3 * ldp) : z0;
        float* x0 = stack + offsets[k];
        float* x1 = stack + offsets[ks > 1 ? k + 1 : k], x2 = stack + offsets[ks > 2 ? k + 2 : k], x3 = stack + offsets[ks > 3 ? k + 3 : k];
        TV s00 = TL.Load(acc), s01 = TL.Load(acc + L), s02 = TL.Load(acc + (2 * L)), s03 = TL.Load(acc + (3 * L));
        TV s10 = TL.Load(acc + (4 * L)), s11 = TL.Load(acc + (5 * L)), s12 = TL.Load(acc + (6 * L)), s13 = TL.Load(acc + (7 * L));
        TV s20 = TL.Load(acc + (8 * L)), s21 = TL.Load(acc + (9 * L)), s22 = TL.Load(acc + (10 * L)), s23 = TL.Load(acc + (11 * L));
        TV s30 = TL.Load(acc + (12 * L)), s31 = TL.Load(acc + (13 * L)), s32 = TL.Load(acc + (14 * L)), s33 = TL.Load(acc + (15 * L));
        for (long n = n0; n < n1; n += L)
        {
            TV za = TL.Load(z0 + n), zb = TL.Load(z1 + n);
            TV zc = four ? TL.Load(z2 + n) : default, zd = four ? TL.Load(z3 + n) : default;
            TV v = TL.Load(x0 + n);
            s00 = TL.MulAdd(za, v, s00); s10 = TL.MulAdd(zb, v, s10);
            if (four) { s20 = TL.MulAdd(zc, v, s20); s30 = TL.MulAdd(zd, v, s30); }
            v = TL.Load(x1 + n);
            s01 = TL.MulAdd(za, v, s01); s11 = TL.MulAdd(zb, v, s11);
            if (four) { s21 = TL.MulAdd(zc, v, s21); s31 = TL.MulAdd(zd, v, s31); }
            v = TL.Load(x2 + n);
            s02 = TL.MulAdd(za, v, s02); s12 = TL.MulAdd(zb, v, s12);
            if (four) { s22 = TL.MulAdd(zc, v, s22); s32 = TL.MulAdd(zd, v, s32); }
            v = TL.Load(x3 + n);
            s03 = TL.MulAdd(za, v, s03); s13 = TL.MulAdd(zb, v, s13);
            if (four) { s23 = TL.MulAdd(zc, v, s23); s33 = TL.MulAdd(zd, v, s33); }
        }
        TL.Store(s00, acc); TL.Store(s01, acc + L); TL.Store(s02, acc + (2 * L)); TL.Store(s03, acc + (3 * L));
        TL.Store(s10, acc + (4 * L)); TL.Store(s11, acc + (5 * L)); TL.Store(s12, acc + (6 * L)); TL.Store(s13, acc + (7 * L));
        if (four)
        {
            TL.Store(s20, acc + (8 * L)); TL.Store(s21, acc + (9 * L)); TL.Store(s22, acc + (10 * L)); TL.Store(s23, acc + (11 * L));
            TL.Store(s30, acc + (12 * L)); TL.Store(s31, acc + (13 * L)); TL.Store(s32, acc + (14 * L)); TL.Store(s33, acc + (15 * L));
        }
    }

    /// <summary>dW[i·ldw + j] += the lanes of acc's vector (i·4 + j) summed, for i &lt; rows, j &lt; ks.</summary>
    private static void AddTileSums<TL, TV>(float* acc, int rows, int ks, float* dW, int ldw)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int L = TL.Count;
        for (int i = 0; i < rows; i++)
        {
            float* a = acc + (i * 4 * L);
            AddSums(dW + (i * (long)ldw), ks, TL.Sum(TL.Load(a)), TL.Sum(TL.Load(a + L)), TL.Sum(TL.Load(a + (2 * L))), TL.Sum(TL.Load(a + (3 * L))));
        }
    }

    /// <summary>row[j] += the j-th of (a, b, c, d) for j &lt; ks.</summary>
    private static void AddSums(float* row, int ks, float a, float b, float c, float d)
    {
        row[0] += a;
        if (ks > 1) row[1] += b;
        if (ks > 2) row[2] += c;
        if (ks > 3) row[3] += d;
    }
}
