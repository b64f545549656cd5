// What vector widths this machine offers .NET, asked in one place: kernels pick their vector code
// from here and the engine chooser picks engines from here (tests and users can narrow it with
// DOTNET_EnableAVX512=0, DOTNET_EnableAVX2=0, DOTNET_EnableAVX=0 or DOTNET_EnableHWIntrinsic=0).
using System.Numerics;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

public static class Simd
{
    /// <summary>512-bit vectors (AVX-512 on x64).</summary>
    public static bool Has512 => Vector512.IsHardwareAccelerated;

    /// <summary>256-bit vectors (AVX2 on x64).</summary>
    public static bool Has256 => Vector256.IsHardwareAccelerated;

    /// <summary>Vector&lt;float&gt; in hardware, of whatever width.</summary>
    public static bool HasVector => Vector.IsHardwareAccelerated;

    /// <summary>The widest vectors in hardware, in bits (0: none), for run records and messages.</summary>
    public static int Width => Has512 ? 512 : Has256 ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0;
}
