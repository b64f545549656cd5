// What vector hardware this machine offers .NET, asked in one place: kernels run their one generic
// body at the widest width from here (Lanes.cs), and the engine chooser picks engines from here.
// Tests and users can narrow it with DOTNET_EnableAVX512=0 (AVX2 left), DOTNET_EnableAVX2=0,
// DOTNET_EnableAVX=0 (128-bit vectors only: what ARM64's NEON gives) or DOTNET_EnableHWIntrinsic=0.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

/// <summary>The vector widths the library can run at.</summary>
public enum VectorWidth
{
    /// <summary>No vector hardware offered to .NET: scalar loops.</summary>
    Scalar = 0,
    /// <summary>128-bit vectors: SSE on x64, NEON (AdvSimd) on ARM64.</summary>
    Bits128 = 128,
    /// <summary>256-bit vectors: AVX2 on x64.</summary>
    Bits256 = 256,
    /// <summary>512-bit vectors: AVX-512 on x64.</summary>
    Bits512 = 512,
}

/// <summary>The vector width the kernels run at on this machine, chosen once.</summary>
public static class Simd
{
    /// <summary>512-bit vectors (AVX-512 on x64).</summary>
    public static bool Has512
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.IsHardwareAccelerated;
    }

    /// <summary>256-bit vectors (AVX2 on x64).</summary>
    public static bool Has256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256.IsHardwareAccelerated;
    }

    /// <summary>128-bit vectors (SSE on x64, NEON on ARM64).</summary>
    public static bool Has128
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.IsHardwareAccelerated;
    }

    /// <summary>Vector&lt;float&gt; in hardware, of whatever width.</summary>
    public static bool HasVector
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector.IsHardwareAccelerated;
    }

    /// <summary>The widest vectors in hardware: the width every kernel runs at.</summary>
    public static VectorWidth Widest
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Has512 ? VectorWidth.Bits512 : Has256 ? VectorWidth.Bits256 : Has128 ? VectorWidth.Bits128 : VectorWidth.Scalar;
    }

    /// <summary>Vector registers the kernels can hold values in: 32 with AVX-512 and on ARM64, 16 with AVX2 and SSE.</summary>
    public static int VectorRegisters
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Has512 || System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported ? 32 : 16;
    }

    /// <summary>The widest vectors in hardware, in bits (0: none), for run records and messages.</summary>
    public static int Width
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (int)Widest;
    }

    /// <summary>
    /// Whether the hardware has a fused multiply-add (FMA3 on x64, every ARM64). Where it has, a·b + c
    /// is one rounding (<see cref="MulAdd(float, float, float)"/> and the lanes' MulAdd); where it has
    /// not (x64 with AVX off), two — a software fused multiply-add would cost ten times more.
    /// </summary>
    public static bool Fuses
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
    }

    /// <summary>a·b + c, fused where the hardware fuses (one rounding), else multiplied then added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MulAdd(float a, float b, float c)
    {
        if (Fuses)
        {
            return MathF.FusedMultiplyAdd(a, b, c);
        }
        return (a * b) + c;
    }

    /// <summary>The instruction-set level in words, for headers and run records: e.g. "AVX-512 (512-bit vectors, FMA)".</summary>
    public static string Level
    {
        get
        {
            string fma = Fuses ? ", FMA" : ", no FMA";
            return Widest switch
            {
                VectorWidth.Bits512 => $"AVX-512 (512-bit vectors{fma})",
                VectorWidth.Bits256 => $"AVX2 (256-bit vectors{fma})",
                VectorWidth.Bits128 when System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported => $"NEON (128-bit vectors{fma})",
                VectorWidth.Bits128 => $"SSE (128-bit vectors{fma})",
                _ => "scalar (no vector hardware offered to .NET)",
            };
        }
    }
}
