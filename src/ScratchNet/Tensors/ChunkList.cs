// Skipping zeros in the dense products, without changing a bit. A dot product over k runs in chunks of
// one vector (8 floats at 256 bits, 4 at 128); where every row of a tile is zero over a chunk, that
// chunk would add 0·b to each accumulator, which leaves an accumulator as it was (b finite; an
// accumulator that started at +0 is never −0), so the tile leaves the chunk out and its sums keep
// their bits. MNIST images are zero over most chunks: a single image over 60 % of its 8-float chunks,
// four images together over 40 %. A zero is tested by its bits, so −0 is kept (it changes nothing).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

/// <summary>
/// What a product cannot skip, in order: the starts k of the chunks of L floats where some row of a dot-product
/// tile is not zero (<see cref="Of"/>), or the rows of a weight gradient's input not zero over a pass's columns
/// (<see cref="Rows"/>).
/// </summary>
internal readonly unsafe struct ChunkList
{
    /// <summary>The chunks' first columns, <see cref="Count"/> of them.</summary>
    public readonly int* Starts;

    /// <summary>How many chunks are listed.</summary>
    public readonly int Count;

    private ChunkList(int* starts, int count)
    {
        Starts = starts;
        Count = count;
    }

    /// <summary>Room for the list of a K-column row at chunks of <paramref name="L"/> floats.</summary>
    public static int Capacity(int K, int L) => Math.Max(1, K / L);

    /// <summary>
    /// The chunks k = 0, L, 2L, … below ⌊K/L⌋·L where some row r &lt; <paramref name="rows"/> of
    /// <paramref name="a"/> (row stride <paramref name="lda"/>) has a non-zero bit in a[r·lda + k … + L), written to
    /// <paramref name="starts"/> (<see cref="Capacity"/> ints). L is 8, 4 or 1.
    /// </summary>
    public static ChunkList Of(float* a, int lda, int rows, int K, int L, int* starts)
    {
        int count = L switch
        {
            8 => Fill<Vector256<uint>>(a, lda, rows, K, starts),
            4 => Fill<Vector128<uint>>(a, lda, rows, K, starts),
            _ => FillScalar(a, lda, rows, K, starts),
        };
        return new ChunkList(starts, count);
    }

    /// <summary>
    /// The rows k in [<paramref name="k0"/>, <paramref name="k1"/>), in order, where columns 0 … width − 1 of
    /// <paramref name="b"/> (row stride <paramref name="ldb"/>) have a non-zero bit: the examples a weight
    /// gradient's pass over those columns cannot skip. <paramref name="starts"/> holds k1 − k0 ints.
    /// </summary>
    public static ChunkList Rows(float* b, int ldb, int k0, int k1, int width, int* starts)
    {
        int count = 0;
        for (int k = k0; k < k1; k++)
        {
            uint* row = (uint*)(b + ((long)k * ldb));
            bool any = false;
            int n = 0;
            if (Simd.Has128)
            {
                Vector128<uint> or = Vector128<uint>.Zero;
                for (; n + 4 <= width; n += 4)
                {
                    or |= Vector128.Load(row + n);
                }
                any = or != Vector128<uint>.Zero;
            }
            for (; n < width; n++)
            {
                any |= row[n] != 0;
            }
            starts[count] = k;
            count += any ? 1 : 0;
        }
        return new ChunkList(starts, count);
    }

    private static int Fill<TV>(float* a, int lda, int rows, int K, int* starts) where TV : struct
    {
        int L = Unsafe.SizeOf<TV>() / sizeof(float), count = 0;
        for (int k = 0; k + L <= K; k += L)
        {
            bool any = false;
            for (int r = 0; r < rows; r++)
            {
                any |= Unsafe.SizeOf<TV>() == 32
                    ? Vector256.Load((uint*)(a + ((long)r * lda) + k)) != Vector256<uint>.Zero
                    : Vector128.Load((uint*)(a + ((long)r * lda) + k)) != Vector128<uint>.Zero;
            }
            // written either way, counted only when some row is not zero: no branch to mispredict
            starts[count] = k;
            count += any ? 1 : 0;
        }
        return count;
    }

    private static int FillScalar(float* a, int lda, int rows, int K, int* starts)
    {
        int count = 0;
        for (int k = 0; k < K; k++)
        {
            bool any = false;
            for (int r = 0; r < rows; r++)
            {
                any |= *(uint*)(a + ((long)r * lda) + k) != 0;
            }
            starts[count] = k;
            count += any ? 1 : 0;
        }
        return count;
    }
}
