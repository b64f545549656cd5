// The kernels at the machine's widest vectors against their own scalar form, bit for bit (every lane
// sees the same operations at every width), and the runtime's instruction-set knobs against what
// Simd reports. tests/every-level.sh runs these (with the rest of the suite) under
// DOTNET_EnableAVX512=0, DOTNET_EnableAVX2=0, DOTNET_EnableAVX=0 and DOTNET_EnableHWIntrinsic=0.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Tensors;

public unsafe class VectorWidthTests
{
    [Fact]
    public void Simd_reports_the_level_the_runtime_was_told()
    {
        static bool Off(string knob) => Environment.GetEnvironmentVariable("DOTNET_" + knob) == "0";
        if (Off("EnableHWIntrinsic"))
        {
            Assert.Equal(VectorWidth.Scalar, Simd.Widest);
            Assert.False(Simd.Fuses);
        }
        else if (RuntimeInformation.ProcessArchitecture == Architecture.X64 && (Off("EnableAVX") || Off("EnableAVX2")))
        {
            Assert.Equal(VectorWidth.Bits128, Simd.Widest);
        }
        else if (Off("EnableAVX512"))
        {
            Assert.True(Simd.Widest <= VectorWidth.Bits256, Simd.Level);
        }
        else if (Environment.GetEnvironmentVariable("DOTNET_PreferredVectorBitWidth") == "128")
        {
            // ARM64's shape on x64 (bench --isa 128fma): 128-bit vectors, the fused multiply-add kept
            Assert.Equal(VectorWidth.Bits128, Simd.Widest);
            Assert.Equal(System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported, Simd.Fuses);
            Assert.Contains("FMA", Simd.Level);
        }
        Assert.Contains(Simd.Width switch { 512 => "512-bit", 256 => "256-bit", 128 => "128-bit", _ => "scalar" }, Simd.Level);
    }

    public static TheoryData<int, int> Widths() => new() { { 8, 0 }, { 8, 1 }, { 12, 5 }, { 12, 150 }, { 16, 7 }, { 24, 150 }, { 32, 2 }, { 40, 33 }, { 64, 9 }, { 64, 150 }, { 128, 61 } };

    [Theory]
    [MemberData(nameof(Widths))]
    public void The_sparse_gather_gives_its_scalar_bits_at_every_width(int width, int count)
    {
        var rng = new Rng(7);
        (ushort[] columns, float[] values) = Entries(count, 50, rng);
        float[] w = Random(50 * width, rng);
        var fast = new float[width];
        var scalar = new float[width];
        fixed (ushort* pc = columns)
        fixed (float* pv = values, pw = w, pf = fast, ps = scalar)
        {
            if (width == 128)
            {
                SparseKernels.GatherWide(pc, pv, count, pw, width, pf);
                ScalarWide(pc, pv, count, pw, width, ps);
            }
            else
            {
                SparseKernels.Gather(pc, pv, count, pw, width, width, pf);
                Assert.Equal(width, SparseKernels.Gather<LanesScalar, float>(pc, pv, count, pw, width, 0, width, ps));
            }
        }
        Assert.Equal(scalar, fast);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void The_pixel_accumulation_gives_its_scalar_bits_at_every_width(int width, int count)
    {
        var rng = new Rng(8);
        var rows = new byte[count];
        var values = Random(count, rng);
        for (int e = 0; e < count; e++)
        {
            rows[e] = (byte)rng.NextInt(200);
        }
        float[] dz = Random(200 * width, rng);
        float[] fast = Random(width, rng);
        var scalar = (float[])fast.Clone();
        fixed (byte* pr = rows)
        fixed (float* pv = values, pd = dz, pf = fast, ps = scalar)
        {
            SparseKernels.AccumulatePixel(pr, pv, count, pd, width, pf);
            if (width == 64)
            {
                // A strip of 64: one accumulator per lane, entries in order.
                for (int n = 0; n < 64; n++)
                {
                    float s = 0f;
                    for (int e = 0; e < count; e++)
                    {
                        s = Simd.MulAdd(values[e], dz[(rows[e] * 64) + n], s);
                    }
                    ps[n] += s;
                }
            }
            else
            {
                Assert.Equal(width, SparseKernels.AccumulatePairs<LanesScalar, float>(pr, pv, count, pd, width, 0, ps));
            }
        }
        Assert.Equal(scalar, fast);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 3, 7)]
    [InlineData(64, 10, 128)]
    [InlineData(37, 129, 61)]
    [InlineData(300, 17, 45)]
    public void The_dense_product_gives_the_bits_of_multiply_adds_in_order(int m, int k, int n)
    {
        // C = A·B: each element a chain of multiply-adds over k in order, whichever vectors hold its column.
        var rng = new Rng(9);
        Matrix a = TestData.Random(m, k, rng), b = TestData.Random(k, n, rng), c = new(m, n);
        Kernels.MatMulAB(a, b, c);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float s = 0f;
                for (int q = 0; q < k; q++)
                {
                    s = Simd.MulAdd(a[i, q], b[q, j], s);
                }
                Assert.Equal(s, c[i, j]);
            }
        }
    }

    [Fact]
    public void Exp_at_the_widest_vectors_gives_the_scalar_bits()
    {
        var rng = new Rng(10);
        float[] x = Random(64, rng);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] *= 90f;
        }
        var y = new float[64];
        fixed (float* px = x, py = y)
        {
            switch (Simd.Widest)
            {
                case VectorWidth.Bits512: for (int i = 0; i < 64; i += 16) Exponential.Exp(Vector512.Load(px + i)).Store(py + i); break;
                case VectorWidth.Bits256: for (int i = 0; i < 64; i += 8) Exponential.Exp(Vector256.Load(px + i)).Store(py + i); break;
                case VectorWidth.Bits128: for (int i = 0; i < 64; i += 4) Exponential.Exp(Vector128.Load(px + i)).Store(py + i); break;
                default: for (int i = 0; i < 64; i++) py[i] = Exponential.Exp(px[i]); break;
            }
        }
        for (int i = 0; i < 64; i++)
        {
            Assert.Equal(Exponential.Exp(x[i]), y[i]);
        }
    }

    private static void ScalarWide(ushort* columns, float* values, int count, float* w, int ldw, float* acc)
    {
        for (int n = 0; n < 128; n++)
        {
            float s = 0f;
            for (int e = 0; e < count; e++)
            {
                s = Simd.MulAdd(values[e], w[(columns[e] * ldw) + n], s);
            }
            acc[n] = s;
        }
    }

    private static (ushort[] Columns, float[] Values) Entries(int count, int columns, Rng rng)
    {
        var c = new ushort[count];
        for (int e = 0; e < count; e++)
        {
            c[e] = (ushort)rng.NextInt(columns);
        }
        return (c, Random(count, rng));
    }

    private static float[] Random(int length, Rng rng)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = (rng.NextFloat() * 2f) - 1f;
        }
        return x;
    }
}
