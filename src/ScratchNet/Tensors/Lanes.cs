// One vector width's float operations behind one interface, so that a kernel is written once, as a
// generic method over ILanes, and the JIT compiles it for each width it is called at (the type
// arguments are structs: every call is specialised and inlined, no interface dispatch remains):
//   Lanes512  Vector512<float>, 16 lanes (AVX-512)
//   Lanes256  Vector256<float>,  8 lanes (AVX2)
//   Lanes128  Vector128<float>,  4 lanes (SSE on x64, NEON on ARM64)
// Simd.Widest says which one a machine runs. A lane sees the same operations at every width: the
// element-wise kernels give the same bits at 128, 256 and 512 bits; only horizontal sums (Sum) group
// lanes by width. MulAdd fuses where the hardware does (Simd.Fuses), as the scalar Simd.MulAdd:
// MultiplyAddEstimate is one fused instruction there and a multiply then an add elsewhere (a
// software fused multiply-add would cost ten times more), and as one call it keeps the JIT's
// operands in registers.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ScratchNet.Tensors;

/// <summary>The float operations of one vector width <typeparamref name="TV"/>.</summary>
internal unsafe interface ILanes<TV> where TV : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    static abstract TV Load(float* p);

    static abstract void Store(TV v, float* p);

    /// <summary>Every lane = x.</summary>
    static abstract TV Create(float x);

    /// <summary>a·b + c per lane, fused where the hardware fuses.</summary>
    static abstract TV MulAdd(TV a, TV b, TV c);

    static abstract TV Add(TV a, TV b);

    static abstract TV Subtract(TV a, TV b);

    static abstract TV Multiply(TV a, TV b);

    static abstract TV Divide(TV a, TV b);

    static abstract TV Max(TV a, TV b);

    static abstract TV Min(TV a, TV b);

    static abstract TV Abs(TV a);

    /// <summary>Per lane: <paramref name="yes"/> where <paramref name="test"/> ≥ 0, else <paramref name="no"/>.</summary>
    static abstract TV IfNonNegative(TV test, TV yes, TV no);

    static abstract TV Floor(TV a);

    /// <summary>2ⁿ per lane for whole n in [−126, 127], built in the exponent bits.</summary>
    static abstract TV Pow2(TV n);

    /// <summary>e^x per lane: the library's one exp (Exponential).</summary>
    static abstract TV Exp(TV x);

    /// <summary>Lanes 0 … count − 1 of v, the others 0.</summary>
    static abstract TV KeepFirst(TV v, int count);

    /// <summary>The sum of the lanes.</summary>
    static abstract float Sum(TV v);

    /// <summary>Per lane: all bits set where a = b, else 0 (a mask for <see cref="Select"/>).</summary>
    static abstract TV Equal(TV a, TV b);

    /// <summary>Per lane: <paramref name="yes"/> where <paramref name="mask"/> is set (all bits), else <paramref name="no"/>.</summary>
    static abstract TV Select(TV mask, TV yes, TV no);

    /// <summary>ln x per lane (the runtime's vector logarithm).</summary>
    static abstract TV Log(TV x);

    /// <summary>Count bytes at p (0 … 255) as floats, one per lane.</summary>
    static abstract TV FromBytes(byte* p);
}

internal unsafe struct Lanes512 : ILanes<Vector512<float>>
{
    public static int Count => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> v, float* p) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Create(float x) => Vector512.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MulAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> IfNonNegative(Vector512<float> test, Vector512<float> yes, Vector512<float> no) => Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(test, Vector512<float>.Zero), yes, no);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Floor(Vector512<float> a) => Vector512.Floor(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Pow2(Vector512<float> n) => ((Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Exp(Vector512<float> x) => Exponential.Exp<Lanes512, Vector512<float>>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> KeepFirst(Vector512<float> v, int count) =>
        Vector512.ConditionalSelect(Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle(), v, default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> v) => Vector512.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Equal(Vector512<float> a, Vector512<float> b) => Vector512.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Select(Vector512<float> mask, Vector512<float> yes, Vector512<float> no) => Vector512.ConditionalSelect(mask, yes, no);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Log(Vector512<float> x) => Vector512.Log(x);

    /// <summary>16 bytes widened twice (bytes → 16-bit → 32-bit) and converted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FromBytes(byte* p) =>
        Vector512.ConvertToSingle(Vector512.WidenLower(Vector512.WidenLower(Vector128.Load(p).ToVector256Unsafe().ToVector512Unsafe())).AsInt32());
}

internal unsafe struct Lanes256 : ILanes<Vector256<float>>
{
    public static int Count => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> v, float* p) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Create(float x) => Vector256.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> IfNonNegative(Vector256<float> test, Vector256<float> yes, Vector256<float> no) => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(test, Vector256<float>.Zero), yes, no);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Floor(Vector256<float> a) => Vector256.Floor(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Pow2(Vector256<float> n) => ((Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Exp(Vector256<float> x) => Exponential.Exp<Lanes256, Vector256<float>>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> KeepFirst(Vector256<float> v, int count) =>
        Vector256.ConditionalSelect(Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle(), v, default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> v) => Vector256.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Equal(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> yes, Vector256<float> no) => Vector256.ConditionalSelect(mask, yes, no);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Log(Vector256<float> x) => Vector256.Log(x);

    /// <summary>8 bytes (one 64-bit load) widened twice and converted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> FromBytes(byte* p) =>
        Vector256.ConvertToSingle(Vector256.WidenLower(Vector256.WidenLower(Vector128.CreateScalarUnsafe(*(ulong*)p).AsByte().ToVector256Unsafe())).AsInt32());
}

internal unsafe struct Lanes128 : ILanes<Vector128<float>>
{
    public static int Count => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* p) => Vector128.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<float> v, float* p) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Create(float x) => Vector128.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MulAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Min(Vector128<float> a, Vector128<float> b) => Vector128.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Abs(Vector128<float> a) => Vector128.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> IfNonNegative(Vector128<float> test, Vector128<float> yes, Vector128<float> no) => Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(test, Vector128<float>.Zero), yes, no);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Floor(Vector128<float> a) => Vector128.Floor(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Pow2(Vector128<float> n) => ((Vector128.ConvertToInt32(n) + Vector128.Create(127)) << 23).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Exp(Vector128<float> x) => Exponential.Exp<Lanes128, Vector128<float>>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> KeepFirst(Vector128<float> v, int count) =>
        Vector128.ConditionalSelect(Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle(), v, default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> v) => Vector128.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Equal(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Select(Vector128<float> mask, Vector128<float> yes, Vector128<float> no) => Vector128.ConditionalSelect(mask, yes, no);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Log(Vector128<float> x) => Vector128.Log(x);

    /// <summary>4 bytes (one 32-bit load) widened twice and converted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FromBytes(byte* p) =>
        Vector128.ConvertToSingle(Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(uint*)p).AsByte())).AsInt32());
}

/// <summary>One float as a "vector" of one lane: the generic kernels' scalar form (no vector hardware, and remainders).</summary>
internal unsafe struct LanesScalar : ILanes<float>
{
    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Load(float* p) => *p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(float v, float* p) => *p = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Create(float x) => x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MulAdd(float a, float b, float c) => Simd.MulAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Subtract(float a, float b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float a, float b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Divide(float a, float b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float a, float b) => MathF.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Min(float a, float b) => MathF.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Abs(float a) => MathF.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float IfNonNegative(float test, float yes, float no) => test >= 0f ? yes : no;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Floor(float a) => MathF.Floor(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Pow2(float n) => BitConverter.Int32BitsToSingle(((int)n + 127) << 23);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Exp(float x) => Exponential.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float KeepFirst(float v, int count) => count > 0 ? v : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(float v) => v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Equal(float a, float b) => a == b ? BitConverter.Int32BitsToSingle(-1) : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Select(float mask, float yes, float no) => BitConverter.SingleToInt32Bits(mask) != 0 ? yes : no;

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Log(float x) => MathF.Log(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float FromBytes(byte* p) => *p;
}
