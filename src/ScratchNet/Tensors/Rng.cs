// The project's own seeded random generator (xoshiro256**, seeded by SplitMix64), so that a seed
// gives the same numbers on every .NET version. Leaves out: cryptographic use.
namespace ScratchNet.Tensors;

/// <summary>xoshiro256** by Blackman and Vigna (https://prng.di.unimi.it/), seeded with SplitMix64.</summary>
public sealed class Rng
{
    private ulong s0, s1, s2, s3;

    /// <summary>A generator whose state is derived from <paramref name="seed"/> (SplitMix64 into xoshiro256**).</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        s0 = SplitMix64(ref x);
        s1 = SplitMix64(ref x);
        s2 = SplitMix64(ref x);
        s3 = SplitMix64(ref x);
    }

    private static ulong SplitMix64(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        ulong z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64() => Step(ref s0, ref s1, ref s2, ref s3);

    /// <summary>One xoshiro256** step on the state (a, b, c, d): its output.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ulong Step(ref ulong a, ref ulong b, ref ulong c, ref ulong d)
    {
        ulong result = ulong.RotateLeft(b * 5, 7) * 9;
        ulong t = b << 17;
        c ^= a;
        d ^= b;
        b ^= c;
        a ^= d;
        c ^= t;
        d = ulong.RotateLeft(d, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 24 random bits (every float32 step in that range).</summary>
    public float NextFloat() => ToFloat(NextUInt64());

    /// <summary>
    /// <paramref name="dest"/>[i] = the i-th next <see cref="NextFloat()"/>, in order — the same numbers and the same state
    /// after as that many calls, with the state kept in registers for the run.
    /// </summary>
    public void NextFloats(Span<float> dest)
    {
        ulong a = s0, b = s1, c = s2, d = s3;
        for (int i = 0; i < dest.Length; i++)
        {
            dest[i] = ToFloat(Step(ref a, ref b, ref c, ref d));
        }
        (s0, s1, s2, s3) = (a, b, c, d);
    }

    private static float ToFloat(ulong bits) => (bits >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [low, high).</summary>
    public float NextFloat(float low, float high) => low + ((high - low) * NextFloat());

    /// <summary>Uniform integer in [0, n), without modulo bias (Lemire's method).</summary>
    public int NextInt(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ulong bound = (ulong)n;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            UInt128 product = (UInt128)r * bound;
            if ((ulong)product >= threshold)
            {
                return (int)(product >> 64);
            }
        }
    }

    /// <summary>Standard normal sample (Box–Muller).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary>The generator's state, to save and restore it.</summary>
    public ulong[] GetState() => [s0, s1, s2, s3];

    /// <summary>Restores a state saved from <see cref="GetState"/> (four words, not all zero).</summary>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4)
        {
            throw new ArgumentException("Rng state has 4 words.", nameof(state));
        }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3]);
    }
}
