// The packed engine's first-layer loops over packed byte images (PackedImages), 16 floats per
// 512-bit vector (one per hidden unit, or one per image):
//   Forward         Z1 − b1 of one image: one FMA per sparse non-zero with the pixel's row of W1ᵀ
//   Accumulate      one pixel's row of dW1ᵀ from one block: one FMA per non-zero with a dZ1 row
//   DenseForward    Z1ᵀ of 16 images over the dense pixels: one FMA per pixel and unit, sums in registers
//   DenseGradient   the dense pixels' dW1ᵀ per lane: one FMA per pixel, unit and 16 images
// The 16 accumulators are written out (not an array) so that they stay in registers.
// Leaves out: the second layer (PackedEngine.Group.cs) and choosing pieces (PackedEngine.cs).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ScratchNet.Engines.Packed;

internal static unsafe class PackedKernels
{
    /// <summary>Floats per Vector512: hidden units (padded) per row of W1ᵀ, images per lane group.</summary>
    public const int V = 16;

    /// <summary>The labels of images first … first + 15 as lanes, −1 past the <paramref name="left"/> images there are.</summary>
    public static Vector512<int> Labels(byte[] Y, int first, int left)
    {
        if (left >= V)
        {
            return Avx512F.ConvertToVector512Int32(Vector128.Create(Y, first));
        }
        Span<int> lanes = stackalloc int[V];
        for (int l = 0; l < V; l++)
        {
            lanes[l] = l < left ? Y[first + l] : -1;
        }
        return Vector512.Create<int>(lanes);
    }

    /// <summary>Σ over the entries of Levels[code]·w[pixel] (pixel advancing by each entry's step): one image's Z1 − b1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Forward(ushort* e, int count, float* w, float* levels)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        float* p = w;
        int n = 0;
        for (; n < count; n += 4)   // count is a multiple of 4 (PackedImages pads)
        {
            uint u0 = e[n], u1 = e[n + 1], u2 = e[n + 2], u3 = e[n + 3];
            p += (u0 & 0xFF) * V;
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u0 >> 8]), Vector512.Load(p), a0);
            p += (u1 & 0xFF) * V;
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u1 >> 8]), Vector512.Load(p), a1);
            p += (u2 & 0xFF) * V;
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u2 >> 8]), Vector512.Load(p), a2);
            p += (u3 & 0xFF) * V;
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u3 >> 8]), Vector512.Load(p), a3);
        }
        return (a0 + a1) + (a2 + a3);
    }

    /// <summary>Σ over one pixel's entries of Levels[code]·dZ1[row]: the pixel's row of dW1ᵀ from one block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Accumulate(ushort* e, int count, float* dZ1, float* levels)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int n = 0;
        for (; n < count; n += 4)   // count is a multiple of 4 (PackedImages pads)
        {
            uint u0 = e[n], u1 = e[n + 1], u2 = e[n + 2], u3 = e[n + 3];
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u0 >> 8]), Vector512.Load(dZ1 + ((u0 & 0xFF) * V)), a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u1 >> 8]), Vector512.Load(dZ1 + ((u1 & 0xFF) * V)), a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u2 >> 8]), Vector512.Load(dZ1 + ((u2 & 0xFF) * V)), a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u3 >> 8]), Vector512.Load(dZ1 + ((u3 & 0xFF) * V)), a3);
        }
        return (a0 + a1) + (a2 + a3);
    }

    /// <summary>The 16 images' values of dense pixel j: bytes widened to floats, times 1/255 (the same floats as <see cref="PackedImages.Levels"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Lanes(byte* bytes) =>
        Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.Load(bytes))) * Vector512.Create(1f / 255f);

    /// <summary>
    /// Z1ᵀ[h] += W1[h, k]·x_k for each dense pixel k, 16 images per FMA, all units' sums in registers
    /// over all the pixels (units past H are skipped in groups; the layer has at most 16).
    /// </summary>
    public static void DenseForward(byte* bytes, int D, int* pixels, float* wt, int units, float* z)
    {
        Vector512<float> a0 = Vector512.Load(z), a1 = Vector512.Load(z + 16), a2 = Vector512.Load(z + 32), a3 = Vector512.Load(z + 48);
        Vector512<float> a4 = Vector512.Load(z + 64), a5 = Vector512.Load(z + 80), a6 = Vector512.Load(z + 96), a7 = Vector512.Load(z + 112);
        Vector512<float> a8 = Vector512.Load(z + 128), a9 = Vector512.Load(z + 144), a10 = Vector512.Load(z + 160), a11 = Vector512.Load(z + 176);
        Vector512<float> a12 = Vector512.Load(z + 192), a13 = Vector512.Load(z + 208), a14 = Vector512.Load(z + 224), a15 = Vector512.Load(z + 240);
        for (int j = 0; j < D; j++)
        {
            Vector512<float> x = Lanes(bytes + (j * V));
            float* w = wt + (pixels[j] * V);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(w[0]), x, a0);
            if (units > 1)
            {
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(w[1]), x, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(w[2]), x, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(w[3]), x, a3);
            }
            if (units > 4)
            {
                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(w[4]), x, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(w[5]), x, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.Create(w[6]), x, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.Create(w[7]), x, a7);
            }
            if (units > 8)
            {
                a8 = Vector512.FusedMultiplyAdd(Vector512.Create(w[8]), x, a8);
                a9 = Vector512.FusedMultiplyAdd(Vector512.Create(w[9]), x, a9);
            }
            if (units > 10)
            {
                a10 = Vector512.FusedMultiplyAdd(Vector512.Create(w[10]), x, a10);
                a11 = Vector512.FusedMultiplyAdd(Vector512.Create(w[11]), x, a11);
            }
            if (units > 12)
            {
                a12 = Vector512.FusedMultiplyAdd(Vector512.Create(w[12]), x, a12);
                a13 = Vector512.FusedMultiplyAdd(Vector512.Create(w[13]), x, a13);
                a14 = Vector512.FusedMultiplyAdd(Vector512.Create(w[14]), x, a14);
                a15 = Vector512.FusedMultiplyAdd(Vector512.Create(w[15]), x, a15);
            }
        }
        a0.Store(z); a1.Store(z + 16); a2.Store(z + 32); a3.Store(z + 48);
        a4.Store(z + 64); a5.Store(z + 80); a6.Store(z + 96); a7.Store(z + 112);
        a8.Store(z + 128); a9.Store(z + 144); a10.Store(z + 160); a11.Store(z + 176);
        a12.Store(z + 192); a13.Store(z + 208); a14.Store(z + 224); a15.Store(z + 240);
    }

    /// <summary>
    /// For each dense pixel k, per lane: dW1ᵀ lanes[k, h] += Σ over the block's groups of x_k·dZ1ᵀ[h],
    /// 16 images per FMA, all units' sums in registers; the lanes are summed once per piece.
    /// dZ1ᵀ rows past H are zeros and their lanes are never read back.
    /// </summary>
    public static void DenseGradient(byte* blockBytes, int D, int units, float* dZ1tBlock, int groups, float* lanes, bool first)
    {
        for (int j = 0; j < D; j++)
        {
            // The piece's first block starts the sums (no clearing pass); later blocks add to them.
            float* acc = lanes + ((long)j * V * V);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
            if (!first)
            {
                a0 = Vector512.Load(acc); a1 = Vector512.Load(acc + 16); a2 = Vector512.Load(acc + 32); a3 = Vector512.Load(acc + 48);
                a4 = Vector512.Load(acc + 64); a5 = Vector512.Load(acc + 80); a6 = Vector512.Load(acc + 96); a7 = Vector512.Load(acc + 112);
                a8 = Vector512.Load(acc + 128); a9 = Vector512.Load(acc + 144); a10 = Vector512.Load(acc + 160); a11 = Vector512.Load(acc + 176);
                a12 = Vector512.Load(acc + 192); a13 = Vector512.Load(acc + 208); a14 = Vector512.Load(acc + 224); a15 = Vector512.Load(acc + 240);
            }
            for (int g = 0; g < groups; g++)
            {
                Vector512<float> x = Lanes(blockBytes + ((((long)g * D) + j) * V));
                float* dz = dZ1tBlock + (g * V * V);
                a0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz), a0);
                if (units > 1)
                {
                    a1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 48), a3);
                }
                if (units > 4)
                {
                    a4 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 64), a4);
                    a5 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 80), a5);
                    a6 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 96), a6);
                    a7 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 112), a7);
                }
                if (units > 8)
                {
                    a8 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 128), a8);
                    a9 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 144), a9);
                }
                if (units > 10)
                {
                    a10 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 160), a10);
                    a11 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 176), a11);
                }
                if (units > 12)
                {
                    a12 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 192), a12);
                    a13 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 208), a13);
                    a14 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 224), a14);
                    a15 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 240), a15);
                }
            }
            a0.Store(acc); a1.Store(acc + 16); a2.Store(acc + 32); a3.Store(acc + 48);
            a4.Store(acc + 64); a5.Store(acc + 80); a6.Store(acc + 96); a7.Store(acc + 112);
            a8.Store(acc + 128); a9.Store(acc + 144); a10.Store(acc + 160); a11.Store(acc + 176);
            a12.Store(acc + 192); a13.Store(acc + 208); a14.Store(acc + 224); a15.Store(acc + 240);
        }
    }
}
