// Pixels to the floats the network reads, x = pixel / 255, in one vector pass at the widest width:
// bytes widened to floats, then multiplied by 1/255 (a byte converts exactly, so these are the
// floats of converting first and scaling after, and of the packed engine's levels).
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

/// <summary>x = pixel · (1/255), the one conversion from image bytes to inputs.</summary>
internal static unsafe class PixelFloats
{
    /// <summary>The scale: x = pixel · <see cref="Scale"/>.</summary>
    public const float Scale = 1f / 255f;

    /// <summary>x[i] = bytes[i] · (1/255) for i &lt; bytes.Length.</summary>
    public static void Convert(ReadOnlySpan<byte> bytes, Span<float> x)
    {
        if (x.Length < bytes.Length)
        {
            throw new ArgumentException($"PixelFloats: {bytes.Length} pixels, room for {x.Length} floats.");
        }
        fixed (byte* pb = bytes)
        fixed (float* px = x)
        {
            int n = bytes.Length;
            int i = Simd.Widest switch
            {
                VectorWidth.Bits512 => Convert<Lanes512, Vector512<float>>(pb, px, n),
                VectorWidth.Bits256 => Convert<Lanes256, Vector256<float>>(pb, px, n),
                VectorWidth.Bits128 => Convert<Lanes128, Vector128<float>>(pb, px, n),
                _ => 0,
            };
            Convert<LanesScalar, float>(pb + i, px + i, n - i);
        }
    }

    /// <summary>Whole vectors of pixels; returns how many it converted.</summary>
    private static int Convert<TL, TV>(byte* bytes, float* x, int n) where TL : struct, ILanes<TV> where TV : struct
    {
        TV scale = TL.Create(Scale);
        int i = 0;
        for (; i + (4 * TL.Count) <= n; i += 4 * TL.Count)
        {
            TL.Store(TL.Multiply(TL.FromBytes(bytes + i), scale), x + i);
            TL.Store(TL.Multiply(TL.FromBytes(bytes + i + TL.Count), scale), x + i + TL.Count);
            TL.Store(TL.Multiply(TL.FromBytes(bytes + i + (2 * TL.Count)), scale), x + i + (2 * TL.Count));
            TL.Store(TL.Multiply(TL.FromBytes(bytes + i + (3 * TL.Count)), scale), x + i + (3 * TL.Count));
        }
        for (; i + TL.Count <= n; i += TL.Count)
        {
            TL.Store(TL.Multiply(TL.FromBytes(bytes + i), scale), x + i);
        }
        return i;
    }
}
