// Matrix transposes. The fast path moves blocks through registers (AVX-512: 16×16 in four stages of
// two-source permutes; AVX: four 8×8 blocks of unpacks, shuffles and lane permutes; 128-bit vectors
// only — ARM64, x64 without AVX — 4×4 blocks of one-source shuffles and selects), the rest element
// by element; all give exactly the same numbers (a transpose only moves values). Used to keep the
// first layer's weights in both orders ([out, in] for the layer, [in, out] for the sparse kernels),
// and by the packed engine and the convolution's weight gradient.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ScratchNet.Tensors;

internal static unsafe class Transpose
{
    /// <summary>dst [cols, ldDst] ← scale·srcᵀ for src [rows, cols] (row stride ldSrc): dst[c·ldDst + r] = scale·src[r·ldSrc + c]. Other elements of dst are left alone.</summary>
    public static void Matrix(float* src, int rows, int cols, int ldSrc, float* dst, int ldDst, float scale = 1f)
    {
        int c = 0;
        if (HasRegisterPath)
        {
            // Sixteen rows of dst at a time, written left to right (sixteen sequential streams).
            for (; c + 16 <= cols; c += 16)
            {
                int r = 0;
                for (; r + 16 <= rows; r += 16)
                {
                    Block16(src + ((long)r * ldSrc) + c, ldSrc, dst + ((long)c * ldDst) + r, ldDst, scale);
                }
                Scalar(src + ((long)r * ldSrc), rows - r, c, c + 16, ldSrc, dst + r, ldDst, scale);
            }
        }
        else if (Simd.Has128)
        {
            // 128-bit vectors only (ARM64, x64 without AVX): 4×4 blocks, four rows of dst at a time.
            for (; c + 4 <= cols; c += 4)
            {
                int r = 0;
                for (; r + 4 <= rows; r += 4)
                {
                    Block4(src + ((long)r * ldSrc) + c, ldSrc, dst + ((long)c * ldDst) + r, ldDst, scale);
                }
                Scalar(src + ((long)r * ldSrc), rows - r, c, c + 4, ldSrc, dst + r, ldDst, scale);
            }
        }
        Scalar(src, rows, c, cols, ldSrc, dst, ldDst, scale);
    }

    /// <summary>
    /// dst = srcᵀ for one 4×4 block with 128-bit vectors, written with the cross-platform shuffles and selects (one
    /// source each, so ARM64 and x64 alike): the off-diagonal 2×2 blocks of row pairs (0, 2) and (1, 3) exchanged,
    /// then the off-diagonal elements of row pairs (0, 1) and (2, 3).
    /// </summary>
    private static void Block4(float* src, int srcStride, float* dst, int dstStride, float scale)
    {
        Vector128<float> r0 = Vector128.Load(src), r1 = Vector128.Load(src + srcStride);
        Vector128<float> r2 = Vector128.Load(src + (2L * srcStride)), r3 = Vector128.Load(src + (3L * srcStride));
        Vector128<float> low = Vector128.Create(-1, -1, 0, 0).AsSingle(), even = Vector128.Create(-1, 0, -1, 0).AsSingle();
        Vector128<int> lowTwice = Vector128.Create(0, 1, 0, 1), highTwice = Vector128.Create(2, 3, 2, 3);
        Vector128<int> evenTwice = Vector128.Create(0, 0, 2, 2), oddTwice = Vector128.Create(1, 1, 3, 3);
        Vector128<float> t0 = Vector128.ConditionalSelect(low, r0, Vector128.Shuffle(r2, lowTwice));
        Vector128<float> t2 = Vector128.ConditionalSelect(low, Vector128.Shuffle(r0, highTwice), r2);
        Vector128<float> t1 = Vector128.ConditionalSelect(low, r1, Vector128.Shuffle(r3, lowTwice));
        Vector128<float> t3 = Vector128.ConditionalSelect(low, Vector128.Shuffle(r1, highTwice), r3);
        r0 = Vector128.ConditionalSelect(even, t0, Vector128.Shuffle(t1, evenTwice));
        r1 = Vector128.ConditionalSelect(even, Vector128.Shuffle(t0, oddTwice), t1);
        r2 = Vector128.ConditionalSelect(even, t2, Vector128.Shuffle(t3, evenTwice));
        r3 = Vector128.ConditionalSelect(even, Vector128.Shuffle(t2, oddTwice), t3);
        if (scale != 1f)
        {
            r0 *= scale;
            r1 *= scale;
            r2 *= scale;
            r3 *= scale;
        }
        r0.Store(dst);
        r1.Store(dst + dstStride);
        r2.Store(dst + (2L * dstStride));
        r3.Store(dst + (3L * dstStride));
    }

    /// <summary>Columns c0 … c1 − 1 of rows [0, rows) of src, element by element.</summary>
    private static void Scalar(float* src, int rows, int c0, int c1, int ldSrc, float* dst, int ldDst, float scale)
    {
        for (int i = 0; i < rows; i++)
        {
            for (int c = c0; c < c1; c++)
            {
                dst[((long)c * ldDst) + i] = scale == 1f ? src[((long)i * ldSrc) + c] : src[((long)i * ldSrc) + c] * scale;
            }
        }
    }

    /// <summary>Whether 16×16 blocks move through registers here: AVX-512's two-source permutes, or AVX's 8×8 unpack-shuffle-permute (x64 with AVX2).</summary>
    private static bool HasRegisterPath => Simd.Has512 || (Simd.Has256 && Avx.IsSupported);

    /// <summary>dst = srcᵀ for one 16×16 block (rows srcStride and dstStride floats apart): in registers with AVX-512, AVX or 128-bit vectors, element by element otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block16(float* src, int srcStride, float* dst, int dstStride, float scale = 1f)
    {
        if (Simd.Has512)
        {
            Block16InRegisters(src, srcStride, dst, dstStride, scale);
        }
        else if (Simd.Has256 && Avx.IsSupported)
        {
            // dst block (i, j) = (src block (j, i))ᵀ for the four 8×8 blocks.
            Block8(src, srcStride, dst, dstStride, scale);
            Block8(src + 8, srcStride, dst + (8 * dstStride), dstStride, scale);
            Block8(src + (8 * srcStride), srcStride, dst + 8, dstStride, scale);
            Block8(src + (8 * srcStride) + 8, srcStride, dst + (8 * dstStride) + 8, dstStride, scale);
        }
        else if (Simd.Has128)
        {
            for (int i = 0; i < 16; i += 4)
            {
                for (int j = 0; j < 16; j += 4)
                {
                    Block4(src + ((long)i * srcStride) + j, srcStride, dst + ((long)j * dstStride) + i, dstStride, scale);
                }
            }
        }
        else
        {
            Scalar(src, 16, 0, 16, srcStride, dst, dstStride, scale);
        }
    }

    /// <summary>dst = srcᵀ for one 8×8 block with AVX: pairs of rows interleaved (unpack), then pairs of pairs (shuffle), then the 128-bit halves exchanged (permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block8(float* src, int srcStride, float* dst, int dstStride, float scale)
    {
        Vector256<float> r0 = Vector256.Load(src), r1 = Vector256.Load(src + srcStride), r2 = Vector256.Load(src + (2 * srcStride)), r3 = Vector256.Load(src + (3 * srcStride));
        Vector256<float> r4 = Vector256.Load(src + (4 * srcStride)), r5 = Vector256.Load(src + (5 * srcStride)), r6 = Vector256.Load(src + (6 * srcStride)), r7 = Vector256.Load(src + (7 * srcStride));
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(u0, u4, 0x20); r1 = Avx.Permute2x128(u1, u5, 0x20); r2 = Avx.Permute2x128(u2, u6, 0x20); r3 = Avx.Permute2x128(u3, u7, 0x20);
        r4 = Avx.Permute2x128(u0, u4, 0x31); r5 = Avx.Permute2x128(u1, u5, 0x31); r6 = Avx.Permute2x128(u2, u6, 0x31); r7 = Avx.Permute2x128(u3, u7, 0x31);
        if (scale != 1f)
        {
            var k = Vector256.Create(scale);
            r0 *= k; r1 *= k; r2 *= k; r3 *= k; r4 *= k; r5 *= k; r6 *= k; r7 *= k;
        }
        r0.Store(dst); r1.Store(dst + dstStride); r2.Store(dst + (2 * dstStride)); r3.Store(dst + (3 * dstStride));
        r4.Store(dst + (4 * dstStride)); r5.Store(dst + (5 * dstStride)); r6.Store(dst + (6 * dstStride)); r7.Store(dst + (7 * dstStride));
    }

    /// <summary>dst = srcᵀ for one 16×16 block, in registers: four butterfly stages, each swapping the off-diagonal halves of 2d×2d blocks (row bit d ↔ column bit d).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block16InRegisters(float* src, int srcStride, float* dst, int dstStride, float scale)
    {
        // The permute indices first: reading a static field may call the class's initialiser, and sixteen rows live across a call would go to the stack
        Vector512<int>[] keeps = ButterflyKeep, takes = ButterflyTake;
        Vector512<float> r0 = Vector512.Load(src), r1 = Vector512.Load(src + (1 * srcStride)), r2 = Vector512.Load(src + (2 * srcStride)), r3 = Vector512.Load(src + (3 * srcStride));
        Vector512<float> r4 = Vector512.Load(src + (4 * srcStride)), r5 = Vector512.Load(src + (5 * srcStride)), r6 = Vector512.Load(src + (6 * srcStride)), r7 = Vector512.Load(src + (7 * srcStride));
        Vector512<float> r8 = Vector512.Load(src + (8 * srcStride)), r9 = Vector512.Load(src + (9 * srcStride)), r10 = Vector512.Load(src + (10 * srcStride)), r11 = Vector512.Load(src + (11 * srcStride));
        Vector512<float> r12 = Vector512.Load(src + (12 * srcStride)), r13 = Vector512.Load(src + (13 * srcStride)), r14 = Vector512.Load(src + (14 * srcStride)), r15 = Vector512.Load(src + (15 * srcStride));
        Vector512<int> keep = keeps[0], take = takes[0];
        (r0, r8) = (P(r0, keep, r8), P(r0, take, r8)); (r1, r9) = (P(r1, keep, r9), P(r1, take, r9)); (r2, r10) = (P(r2, keep, r10), P(r2, take, r10)); (r3, r11) = (P(r3, keep, r11), P(r3, take, r11));
        (r4, r12) = (P(r4, keep, r12), P(r4, take, r12)); (r5, r13) = (P(r5, keep, r13), P(r5, take, r13)); (r6, r14) = (P(r6, keep, r14), P(r6, take, r14)); (r7, r15) = (P(r7, keep, r15), P(r7, take, r15));
        keep = keeps[1];
        take = takes[1];
        (r0, r4) = (P(r0, keep, r4), P(r0, take, r4)); (r1, r5) = (P(r1, keep, r5), P(r1, take, r5)); (r2, r6) = (P(r2, keep, r6), P(r2, take, r6)); (r3, r7) = (P(r3, keep, r7), P(r3, take, r7));
        (r8, r12) = (P(r8, keep, r12), P(r8, take, r12)); (r9, r13) = (P(r9, keep, r13), P(r9, take, r13)); (r10, r14) = (P(r10, keep, r14), P(r10, take, r14)); (r11, r15) = (P(r11, keep, r15), P(r11, take, r15));
        keep = keeps[2];
        take = takes[2];
        (r0, r2) = (P(r0, keep, r2), P(r0, take, r2)); (r1, r3) = (P(r1, keep, r3), P(r1, take, r3)); (r4, r6) = (P(r4, keep, r6), P(r4, take, r6)); (r5, r7) = (P(r5, keep, r7), P(r5, take, r7));
        (r8, r10) = (P(r8, keep, r10), P(r8, take, r10)); (r9, r11) = (P(r9, keep, r11), P(r9, take, r11)); (r12, r14) = (P(r12, keep, r14), P(r12, take, r14)); (r13, r15) = (P(r13, keep, r15), P(r13, take, r15));
        keep = keeps[3];
        take = takes[3];
        (r0, r1) = (P(r0, keep, r1), P(r0, take, r1)); (r2, r3) = (P(r2, keep, r3), P(r2, take, r3)); (r4, r5) = (P(r4, keep, r5), P(r4, take, r5)); (r6, r7) = (P(r6, keep, r7), P(r6, take, r7));
        (r8, r9) = (P(r8, keep, r9), P(r8, take, r9)); (r10, r11) = (P(r10, keep, r11), P(r10, take, r11)); (r12, r13) = (P(r12, keep, r13), P(r12, take, r13)); (r14, r15) = (P(r14, keep, r15), P(r14, take, r15));
        if (scale != 1f)
        {
            var k = Vector512.Create(scale);
            r0 *= k; r1 *= k; r2 *= k; r3 *= k; r4 *= k; r5 *= k; r6 *= k; r7 *= k;
            r8 *= k; r9 *= k; r10 *= k; r11 *= k; r12 *= k; r13 *= k; r14 *= k; r15 *= k;
        }
        r0.Store(dst); r1.Store(dst + (1 * dstStride)); r2.Store(dst + (2 * dstStride)); r3.Store(dst + (3 * dstStride));
        r4.Store(dst + (4 * dstStride)); r5.Store(dst + (5 * dstStride)); r6.Store(dst + (6 * dstStride)); r7.Store(dst + (7 * dstStride));
        r8.Store(dst + (8 * dstStride)); r9.Store(dst + (9 * dstStride)); r10.Store(dst + (10 * dstStride)); r11.Store(dst + (11 * dstStride));
        r12.Store(dst + (12 * dstStride)); r13.Store(dst + (13 * dstStride)); r14.Store(dst + (14 * dstStride)); r15.Store(dst + (15 * dstStride));
    }

    /// <summary>
    /// Half a butterfly, (a, b) = (P(a, keep, b), P(a, take, b)): with keep, a keeps its lanes with bit d clear and takes
    /// b's others (c with bit d clear: a[c], else b[c − d]); with take, b's (c with bit d clear: a[c + d], else b[c]).
    /// Pairs are assigned as tuples, not through ref parameters: a ref keeps the rows in memory, not registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> P(Vector512<float> a, Vector512<int> index, Vector512<float> b) => Avx512F.PermuteVar16x32x2(a, index, b);

    private static readonly Vector512<int>[] ButterflyKeep = Butterfly(keep: true);
    private static readonly Vector512<int>[] ButterflyTake = Butterfly(keep: false);

    /// <summary>vpermt2ps indices per stage (d = 8, 4, 2, 1): 0–15 pick from the first row, 16–31 from the second.</summary>
    private static Vector512<int>[] Butterfly(bool keep)
    {
        var stages = new Vector512<int>[4];
        Span<int> index = stackalloc int[16];
        for (int d = 8, level = 0; d > 0; d /= 2, level++)
        {
            for (int c = 0; c < 16; c++)
            {
                bool low = (c & d) == 0;
                index[c] = keep ? (low ? c : 16 + c - d) : (low ? c + d : 16 + c);
            }
            stages[level] = Vector512.Create<int>(index);
        }
        return stages;
    }

}
