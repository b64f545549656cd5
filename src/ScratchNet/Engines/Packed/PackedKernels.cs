// The packed engine's first-layer loops over packed byte images (PackedImages), 16 floats per row
// (one per hidden unit, or one per image), written once over the vector width (Row16, ILanes):
//   Forward         Z1 − b1 of one image: one FMA per sparse non-zero with the pixel's row of W1ᵀ
//   Accumulate      one pixel's row of dW1ᵀ from one block: one FMA per non-zero with a dZ1 row
//   DenseForward    Z1ᵀ of 16 images over the dense pixels: one FMA per pixel and unit, sums in registers,
//                   the dense pixels' rows of W1ᵀ side by side (read in order, not gathered from all K rows)
//   DenseGradient   the dense pixels' dW1ᵀ per lane: one FMA per pixel, unit and 16 images
// The accumulators are written out (not an array) so that they stay in registers; the dense loops
// hold 16 units' sums where there are 32 vector registers, 8 where there are 16.
// Leaves out: the second layer (PackedEngine.Group.cs) and choosing pieces (PackedEngine.cs).
using System.Runtime.CompilerServices;
using ScratchNet.Tensors;

namespace ScratchNet.Engines.Packed;

internal static unsafe class PackedKernels<TL, TV>
    where TL : struct, ILanes<TV>
    where TV : struct
{
    private const int V = PackedImages.Lanes;   // floats per row: hidden units (padded), images per lane group

    /// <summary>Σ over the entries of Levels[code]·w[pixel] (pixel advancing by each entry's step): one image's Z1 − b1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Row16<TL, TV> Forward(ushort* e, int count, float* w, float* levels)
    {
        Row16<TL, TV> a0 = default, a1 = default, a2 = default, a3 = default;
        float* p = w;
        int n = 0;
        for (; n < count; n += 4)   // count is a multiple of 4 (PackedImages pads)
        {
            uint u0 = e[n], u1 = e[n + 1], u2 = e[n + 2], u3 = e[n + 3];
            p += (u0 & 0xFF) * V;
            a0 = Row16<TL, TV>.MulAdd(TL.Create(levels[u0 >> 8]), Row16<TL, TV>.Load(p), a0);
            p += (u1 & 0xFF) * V;
            a1 = Row16<TL, TV>.MulAdd(TL.Create(levels[u1 >> 8]), Row16<TL, TV>.Load(p), a1);
            p += (u2 & 0xFF) * V;
            a2 = Row16<TL, TV>.MulAdd(TL.Create(levels[u2 >> 8]), Row16<TL, TV>.Load(p), a2);
            p += (u3 & 0xFF) * V;
            a3 = Row16<TL, TV>.MulAdd(TL.Create(levels[u3 >> 8]), Row16<TL, TV>.Load(p), a3);
        }
        return (a0 + a1) + (a2 + a3);
    }

    /// <summary>Σ over one pixel's entries of Levels[code]·dZ1[row]: the pixel's row of dW1ᵀ from one block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Row16<TL, TV> Accumulate(ushort* e, int count, float* dZ1, float* levels)
    {
        Row16<TL, TV> a0 = default, a1 = default, a2 = default, a3 = default;
        int n = 0;
        for (; n < count; n += 4)   // count is a multiple of 4 (PackedImages pads)
        {
            uint u0 = e[n], u1 = e[n + 1], u2 = e[n + 2], u3 = e[n + 3];
            a0 = Row16<TL, TV>.MulAdd(TL.Create(levels[u0 >> 8]), Row16<TL, TV>.Load(dZ1 + ((u0 & 0xFF) * V)), a0);
            a1 = Row16<TL, TV>.MulAdd(TL.Create(levels[u1 >> 8]), Row16<TL, TV>.Load(dZ1 + ((u1 & 0xFF) * V)), a1);
            a2 = Row16<TL, TV>.MulAdd(TL.Create(levels[u2 >> 8]), Row16<TL, TV>.Load(dZ1 + ((u2 & 0xFF) * V)), a2);
            a3 = Row16<TL, TV>.MulAdd(TL.Create(levels[u3 >> 8]), Row16<TL, TV>.Load(dZ1 + ((u3 & 0xFF) * V)), a3);
        }
        return (a0 + a1) + (a2 + a3);
    }

    /// <summary>A lane group's values of one dense pixel for TL.Count images: bytes to floats, times 1/255 (the same floats as <see cref="PackedImages.Levels"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Pixels(byte* bytes) => TL.Multiply(TL.FromBytes(bytes), TL.Create(1f / 255f));

    /// <summary>
    /// Units whose sums the dense loops hold in registers at once: 16 where there are 32 vector
    /// registers (AVX-512, ARM64), 12 where there are 16 (AVX2, SSE: 12 sums and their operands fit).
    /// </summary>
    private static int GroupUnits => Simd.VectorRegisters >= 32 ? 16 : 12;

    /// <summary>
    /// Z1ᵀ[h] += W1[h, k]·x_k for each dense pixel k, TL.Count images per multiply-add, over all the
    /// pixels with a group of units' sums in registers, the images in parts of TL.Count.
    /// <paramref name="wd"/> holds the D dense pixels' rows of W1ᵀ in order, 16 floats each.
    /// </summary>
    public static void DenseForward(byte* bytes, int D, float* wd, int units, float* z)
    {
        for (int u = 0; u < units; u += GroupUnits)
        {
            for (int part = 0; part < V; part += TL.Count)
            {
                DenseForwardGroup(bytes + part, D, wd + u, units - u, z + (u * V) + part);
            }
        }
    }

    /// <summary>Units u … u + min(GroupUnits, units) − 1 (w and z start at unit u) for the TL.Count images at bytes.</summary>
    private static void DenseForwardGroup(byte* bytes, int D, float* w, int units, float* z)
    {
        bool wide = GroupUnits == 16;   // a constant to the JIT: the second eight sums exist only then
        TV a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        TV a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        Load(z, units, wide, ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7, ref a8, ref a9, ref a10, ref a11, ref a12, ref a13, ref a14, ref a15);
        for (byte* end = bytes + (D * V); bytes < end; bytes += V, w += V)   // pixel by pixel
        {
            TV x = Pixels(bytes);
            a0 = TL.MulAdd(TL.Create(w[0]), x, a0);
            if (units > 1)
            {
                a1 = TL.MulAdd(TL.Create(w[1]), x, a1);
                a2 = TL.MulAdd(TL.Create(w[2]), x, a2);
                a3 = TL.MulAdd(TL.Create(w[3]), x, a3);
            }
            if (units > 4)
            {
                a4 = TL.MulAdd(TL.Create(w[4]), x, a4);
                a5 = TL.MulAdd(TL.Create(w[5]), x, a5);
                a6 = TL.MulAdd(TL.Create(w[6]), x, a6);
                a7 = TL.MulAdd(TL.Create(w[7]), x, a7);
            }
            if (units > 8)
            {
                a8 = TL.MulAdd(TL.Create(w[8]), x, a8);
                a9 = TL.MulAdd(TL.Create(w[9]), x, a9);
            }
            if (units > 10)
            {
                a10 = TL.MulAdd(TL.Create(w[10]), x, a10);
                a11 = TL.MulAdd(TL.Create(w[11]), x, a11);
            }
            if (wide && units > 12)
            {
                a12 = TL.MulAdd(TL.Create(w[12]), x, a12);
                a13 = TL.MulAdd(TL.Create(w[13]), x, a13);
                a14 = TL.MulAdd(TL.Create(w[14]), x, a14);
                a15 = TL.MulAdd(TL.Create(w[15]), x, a15);
            }
        }
        Store(z, units, wide, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15);
    }

    /// <summary>
    /// For each dense pixel k, per lane: dW1ᵀ lanes[k, h] += Σ over the block's groups of x_k·dZ1ᵀ[h],
    /// TL.Count images per multiply-add, a group of units' sums in registers; the lanes are summed
    /// once per piece. dZ1ᵀ rows past H are zeros and their lanes are never read back.
    /// </summary>
    public static void DenseGradient(byte* blockBytes, int D, int units, float* dZ1tBlock, int groups, float* lanes, bool first)
    {
        for (int j = 0; j < D; j++)
        {
            for (int u = 0; u < units; u += GroupUnits)
            {
                for (int part = 0; part < V; part += TL.Count)
                {
                    DenseGradientGroup(blockBytes + (j * V) + part, D, units - u, dZ1tBlock + (u * V) + part, groups, lanes + (((long)j * V * V) + (u * V) + part), first);
                }
            }
        }
    }

    /// <summary>One dense pixel, units u … u + min(GroupUnits, units) − 1, TL.Count images (bytes, dZ1ᵀ and acc start there).</summary>
    private static void DenseGradientGroup(byte* bytes, int D, int units, float* dz, int groups, float* acc, bool first)
    {
        bool wide = GroupUnits == 16;
        // The piece's first block starts the sums (no clearing pass); later blocks add to them.
        TV a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        TV a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        if (!first)
        {
            Load(acc, units, wide, ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7, ref a8, ref a9, ref a10, ref a11, ref a12, ref a13, ref a14, ref a15);
        }
        for (int g = 0; g < groups; g++)
        {
            TV x = Pixels(bytes + ((long)g * D * V));
            float* z = dz + (g * V * V);
            a0 = TL.MulAdd(x, TL.Load(z), a0);
            if (units > 1)
            {
                a1 = TL.MulAdd(x, TL.Load(z + 16), a1);
                a2 = TL.MulAdd(x, TL.Load(z + 32), a2);
                a3 = TL.MulAdd(x, TL.Load(z + 48), a3);
            }
            if (units > 4)
            {
                a4 = TL.MulAdd(x, TL.Load(z + 64), a4);
                a5 = TL.MulAdd(x, TL.Load(z + 80), a5);
                a6 = TL.MulAdd(x, TL.Load(z + 96), a6);
                a7 = TL.MulAdd(x, TL.Load(z + 112), a7);
            }
            if (units > 8)
            {
                a8 = TL.MulAdd(x, TL.Load(z + 128), a8);
                a9 = TL.MulAdd(x, TL.Load(z + 144), a9);
            }
            if (units > 10)
            {
                a10 = TL.MulAdd(x, TL.Load(z + 160), a10);
                a11 = TL.MulAdd(x, TL.Load(z + 176), a11);
            }
            if (wide && units > 12)
            {
                a12 = TL.MulAdd(x, TL.Load(z + 192), a12);
                a13 = TL.MulAdd(x, TL.Load(z + 208), a13);
                a14 = TL.MulAdd(x, TL.Load(z + 224), a14);
                a15 = TL.MulAdd(x, TL.Load(z + 240), a15);
            }
        }
        Store(acc, units, wide, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15);
    }

    /// <summary>The sums' rows (16 floats apart) that a group of <paramref name="units"/> units computes — the same steps as the loops' tests, so a last group never reaches past row 15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Load(float* p, int units, bool wide, ref TV a0, ref TV a1, ref TV a2, ref TV a3, ref TV a4, ref TV a5, ref TV a6, ref TV a7,
        ref TV a8, ref TV a9, ref TV a10, ref TV a11, ref TV a12, ref TV a13, ref TV a14, ref TV a15)
    {
        a0 = TL.Load(p);
        if (units > 1)
        {
            a1 = TL.Load(p + 16); a2 = TL.Load(p + 32); a3 = TL.Load(p + 48);
        }
        if (units > 4)
        {
            a4 = TL.Load(p + 64); a5 = TL.Load(p + 80); a6 = TL.Load(p + 96); a7 = TL.Load(p + 112);
        }
        if (units > 8)
        {
            a8 = TL.Load(p + 128); a9 = TL.Load(p + 144);
        }
        if (units > 10)
        {
            a10 = TL.Load(p + 160); a11 = TL.Load(p + 176);
        }
        if (wide && units > 12)
        {
            a12 = TL.Load(p + 192); a13 = TL.Load(p + 208); a14 = TL.Load(p + 224); a15 = TL.Load(p + 240);
        }
    }

    /// <summary>Stores the rows <see cref="Load"/> reads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* p, int units, bool wide, TV a0, TV a1, TV a2, TV a3, TV a4, TV a5, TV a6, TV a7,
        TV a8, TV a9, TV a10, TV a11, TV a12, TV a13, TV a14, TV a15)
    {
        TL.Store(a0, p);
        if (units > 1)
        {
            TL.Store(a1, p + 16); TL.Store(a2, p + 32); TL.Store(a3, p + 48);
        }
        if (units > 4)
        {
            TL.Store(a4, p + 64); TL.Store(a5, p + 80); TL.Store(a6, p + 96); TL.Store(a7, p + 112);
        }
        if (units > 8)
        {
            TL.Store(a8, p + 128); TL.Store(a9, p + 144);
        }
        if (units > 10)
        {
            TL.Store(a10, p + 160); TL.Store(a11, p + 176);
        }
        if (wide && units > 12)
        {
            TL.Store(a12, p + 192); TL.Store(a13, p + 208); TL.Store(a14, p + 224); TL.Store(a15, p + 240);
        }
    }
}
