// Whether values are all finite, by their exponent bits: a float is NaN or ±∞ exactly when its
// eight exponent bits are all ones. The largest exponent field over a span says it in one pass of
// an AND and a max per vector (no sum that large finite values could overflow, no NaN rules).
using System.Numerics;
using System.Runtime.InteropServices;

namespace ScratchNet.Tensors;

/// <summary>Finiteness checks over spans of floats.</summary>
internal static class Finite
{
    private const int ExponentBits = 0x7F80_0000;

    /// <summary>Whether no value of <paramref name="x"/> is NaN, +∞ or −∞.</summary>
    public static bool All(ReadOnlySpan<float> x)
    {
        ReadOnlySpan<int> bits = MemoryMarshal.Cast<float, int>(x);
        int i = 0, largest = 0;
        if (Simd.HasVector && bits.Length >= Vector<int>.Count)
        {
            var mask = new Vector<int>(ExponentBits);
            Vector<int> max = Vector<int>.Zero;
            ReadOnlySpan<Vector<int>> vectors = MemoryMarshal.Cast<int, Vector<int>>(bits);
            foreach (Vector<int> v in vectors)
            {
                max = Vector.Max(max, v & mask);
            }
            i = vectors.Length * Vector<int>.Count;
            for (int lane = 0; lane < Vector<int>.Count; lane++)
            {
                largest = Math.Max(largest, max[lane]);
            }
        }
        for (; i < bits.Length; i++)
        {
            largest = Math.Max(largest, bits[i] & ExponentBits);
        }
        return largest != ExponentBits;
    }
}
