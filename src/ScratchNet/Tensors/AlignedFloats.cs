// A pinned float buffer whose first element sits on a 64-byte boundary (one cache line, one
// Vector512), for kernels that load and store whole lines. Leaves out: freeing early (the GC does it).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ScratchNet.Tensors;

internal sealed unsafe class AlignedFloats
{
    private const int Alignment = 64;
    private readonly float[] storage;

    public AlignedFloats(long length)
    {
        Length = length;
        storage = GC.AllocateArray<float>(checked((int)length + (Alignment / sizeof(float))), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(storage));
        Pointer = (float*)((address + (Alignment - 1)) & ~(nint)(Alignment - 1));
    }

    /// <summary>An empty buffer, to grow later.</summary>
    public static AlignedFloats Empty => new(0);

    public long Length { get; }

    public float* Pointer { get; }

    /// <summary>This buffer when it holds at least <paramref name="length"/> floats, else a new one that does (contents not kept).</summary>
    public AlignedFloats AtLeast(long length) => length <= Length ? this : new AlignedFloats(length);
}
