// What the machine's vector units can do: independent chains of fused multiply-adds at the widest
// vectors the kernels use, on one or more threads at once, in GFLOPS (a multiply-add is two). The
// yardstick for "how far from the hardware" in `scratchnet bench`: a network's arithmetic divided by
// this rate is the time no implementation on this machine can beat.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

/// <summary>The machine's peak rate of fused multiply-adds, measured.</summary>
public static unsafe class FmaPeak
{
    /// <summary>
    /// GFLOPS of <paramref name="threads"/> threads each running independent multiply-add chains for about
    /// <paramref name="duration"/>: 16 chains where there are 32 vector registers, else 12 (enough to hide the
    /// latency of two pipelines), at the widest vectors in hardware.
    /// </summary>
    public static double Measure(int threads, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        // Rounds per call, sized from a short trial so that a call lasts about the duration.
        Chains(1 << 16);
        var trial = Stopwatch.StartNew();
        Chains(1 << 20);
        double perRound = trial.Elapsed.TotalSeconds / (1 << 20);
        long rounds = Math.Max(1 << 16, (long)(duration.TotalSeconds / perRound));
        double total = 0;
        object gate = new();
        using (Workers.Use(threads))
        {
            Workers.For(threads, _ =>
            {
                var clock = Stopwatch.StartNew();
                double done = Chains(rounds);
                double rate = done / clock.Elapsed.TotalSeconds;
                lock (gate)
                {
                    total += rate;
                }
            });
        }
        return total / 1e9;
    }

    /// <summary>Runs the chains for <paramref name="rounds"/> rounds; returns the floating-point operations done.</summary>
    private static double Chains(long rounds)
    {
        float* seed = stackalloc float[32];
        for (int i = 0; i < 32; i++)
        {
            seed[i] = i < 16 ? 0.999f : 1e-3f;
        }
        int lanes = Simd.Widest switch
        {
            VectorWidth.Bits512 => Chains<Lanes512, Vector512<float>>(seed, rounds),
            VectorWidth.Bits256 => Chains<Lanes256, Vector256<float>>(seed, rounds),
            VectorWidth.Bits128 => Chains<Lanes128, Vector128<float>>(seed, rounds),
            _ => Chains<LanesScalar, float>(seed, rounds),
        };
        return 2.0 * lanes * rounds;
    }

    /// <summary>The chains at one width; returns the lanes multiplied-and-added per round (the results go back to <paramref name="io"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Chains<TL, TV>(float* io, long rounds) where TL : struct, ILanes<TV> where TV : struct
    {
        bool sixteen = Simd.VectorRegisters >= 32;
        TV x = TL.Load(io), y = TL.Load(io + 16);
        TV c0 = x, c1 = y, c2 = x, c3 = y, c4 = x, c5 = y, c6 = x, c7 = y, c8 = x, c9 = y, c10 = x, c11 = y;
        TV c12 = x, c13 = y, c14 = x, c15 = y;
        for (long r = 0; r < rounds; r++)
        {
            c0 = TL.MulAdd(c0, x, y); c1 = TL.MulAdd(c1, x, y); c2 = TL.MulAdd(c2, x, y); c3 = TL.MulAdd(c3, x, y);
            c4 = TL.MulAdd(c4, x, y); c5 = TL.MulAdd(c5, x, y); c6 = TL.MulAdd(c6, x, y); c7 = TL.MulAdd(c7, x, y);
            c8 = TL.MulAdd(c8, x, y); c9 = TL.MulAdd(c9, x, y); c10 = TL.MulAdd(c10, x, y); c11 = TL.MulAdd(c11, x, y);
            if (sixteen)
            {
                c12 = TL.MulAdd(c12, x, y); c13 = TL.MulAdd(c13, x, y); c14 = TL.MulAdd(c14, x, y); c15 = TL.MulAdd(c15, x, y);
            }
        }
        TV sum = TL.Add(TL.Add(TL.Add(c0, c1), TL.Add(c2, c3)), TL.Add(TL.Add(c4, c5), TL.Add(c6, c7)));
        sum = TL.Add(sum, TL.Add(TL.Add(c8, c9), TL.Add(c10, c11)));
        sum = TL.Add(sum, TL.Add(TL.Add(c12, c13), TL.Add(c14, c15)));
        TL.Store(sum, io);
        return TL.Count * (sixteen ? 16 : 12);
    }
}
