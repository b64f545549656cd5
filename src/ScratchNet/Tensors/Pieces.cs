// How work over many images is cut into pieces: by the shapes alone, never by the thread count,
// so every sum is added in the same order and the bits do not depend on --threads. Every kernel
// and engine that splits a batch of images takes its numbers from here.
namespace ScratchNet.Tensors;

/// <summary>The one cut of m images into pieces that kernels and engines share.</summary>
internal static class Pieces
{
    /// <summary>Images per piece, at least (fewer pieces than this leave the cores idle; more cost reductions).</summary>
    public const int MinRows = 2048;

    /// <summary>Pieces at most: the partial sums of each piece are kept, then added in piece order.</summary>
    public const int Max = 32;

    /// <summary>How many pieces m images make: m / 2,048, at least 1, at most 32.</summary>
    public static int Count(int m) => Math.Clamp(m / MinRows, 1, Max);

    /// <summary>The number of blocks of <paramref name="blockLength"/> that cover <paramref name="length"/>.</summary>
    public static int Covering(int length, int blockLength) => (length + blockLength - 1) / blockLength;
}
