// Fast kernels against the naive reference on awkward shapes, and thread-count independence.
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Tensors;

[Collection(ScratchNet.Tests.Training.ThreadCountTests.Name)]
public class KernelTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var (m, k, n) in new[] { (1, 1, 1), (1, 7, 1), (5, 33, 10), (7, 784, 17), (64, 784, 10), (33, 128, 128), (3, 17, 7), (130, 10, 784), (2100, 20, 10), (4500, 9, 3), (6200, 33, 17), (8192, 10, 64) })   // the last three: 2, 3 and 4 pieces of examples in MatMulAtB
        {
            data.Add(m, k, n);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatMulABt_matches_reference(int m, int k, int n)
    {
        var rng = new Rng(1);
        Matrix X = TestData.Random(m, k, rng, zeroFraction: 0.5f), W = TestData.Random(n, k, rng);
        float[] b = TestData.Random(1, n, rng).Span.ToArray();
        Matrix expected = new(m, n), actual = new(m, n);
        ReferenceKernels.MatMulABt(X, W, b, expected);
        Kernels.MatMulABt(X, W, b, actual);
        TestData.AssertClose(expected, actual);
    }

    [Theory]
    [InlineData(64, 784, 128)]   // the 784-128-10 epoch's first layer: every tile 4 × 8
    [InlineData(7, 785, 17)]     // rows, columns and k past the tiles
    [InlineData(9, 13, 24)]
    [InlineData(130, 10, 784)]
    [InlineData(4, 7, 8)]        // k shorter than a vector: no paired loop at all
    public void Every_product_has_the_bits_of_its_own_dot_product(int m, int k, int n)
    {
        // Whatever tile computes it (4 × 2 at 256 bits, or 4 × 8 on 512-bit vectors over B packed in pairs), each
        // element is the one dot product Kernels.Dot gives, then the bias: the same bits on AVX2 and AVX-512.
        var rng = new Rng(5);
        Matrix X = TestData.Random(m, k, rng), W = TestData.Random(n, k, rng);
        float[] b = TestData.Random(1, n, rng).Span.ToArray();
        Matrix actual = new(m, n);
        Kernels.MatMulABt(X, W, b, actual);
        AssertEachElementIsItsDot(X, W, b, actual);
    }

    /// <summary>Z [i, j] has the bits of Kernels.Dot(X row i, W row j) + b[j] (the dot over every chunk, zero or not).</summary>
    internal static unsafe void AssertEachElementIsItsDot(Matrix X, Matrix W, float[] b, Matrix Z)
    {
        int k = X.Cols;
        fixed (float* px = X.Storage, pw = W.Storage)
        {
            for (int i = 0; i < Z.Rows; i++)
            {
                for (int j = 0; j < Z.Cols; j++)
                {
                    float expected = Kernels.Dot(px + ((long)i * k), pw + ((long)j * k), k) + b[j];
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(Z[i, j]), $"[{i}, {j}]: {Z[i, j]:R} instead of {expected:R}");
                }
            }
        }
    }

    [Theory]
    [InlineData(784, 512)]
    [InlineData(37, 9)]
    [InlineData(3, 2)]
    public void One_row_gives_the_same_bits_as_that_row_in_a_batch(int k, int n)
    {
        // A single image (one row: its own kernel) must get the same bits as in a batch of 4-row tiles.
        var rng = new Rng(3);
        Matrix X = TestData.Random(5, k, rng), W = TestData.Random(n, k, rng);
        float[] b = TestData.Random(1, n, rng).Span.ToArray();
        Matrix batch = new(5, n);
        Kernels.MatMulABt(X, W, b, batch);
        for (int r = 0; r < 5; r++)
        {
            var one = new Matrix(1, k, X.Row(r).ToArray());
            Matrix single = new(1, n);
            Kernels.MatMulABt(one, W, b, single);
            Assert.Equal(batch.Row(r).ToArray(), single.Row(0).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatMulAB_matches_reference(int m, int k, int n)
    {
        var rng = new Rng(2);
        Matrix dZ = TestData.Random(m, n, rng), W = TestData.Random(n, k, rng);
        Matrix expected = new(m, k), actual = new(m, k);
        ReferenceKernels.MatMulAB(dZ, W, expected);
        Kernels.MatMulAB(dZ, W, actual);
        TestData.AssertClose(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatMulAtB_matches_reference(int m, int k, int n)
    {
        var rng = new Rng(3);
        Matrix dZ = TestData.Random(m, n, rng), X = TestData.Random(m, k, rng, zeroFraction: 0.8f);
        Matrix expected = new(n, k), actual = new(n, k);
        ReferenceKernels.MatMulAtB(dZ, X, 1f / m, expected);
        Kernels.MatMulAtB(dZ, X, 1f / m, actual);
        TestData.AssertClose(expected, actual);
    }

    [Fact]
    public void ColumnSums_matches_reference()
    {
        var rng = new Rng(4);
        Matrix dZ = TestData.Random(37, 13, rng);
        float[] expected = new float[13], actual = new float[13];
        ReferenceKernels.ColumnSums(dZ, 0.5f, expected);
        Kernels.ColumnSums(dZ, 0.5f, actual);
        for (int j = 0; j < 13; j++)
        {
            Assert.Equal(expected[j], actual[j], 4);
        }
    }

    [Fact]
    public void Images_with_no_ink_and_all_ink_give_reference_results()
    {
        var W = TestData.Random(10, 784, new Rng(5));
        var X = new Matrix(3, 784);
        X.Row(1).Fill(1f);            // every pixel set
        X.Row(2)[400] = 0.5f;          // one pixel
        Matrix expected = new(3, 10), actual = new(3, 10);
        ReferenceKernels.MatMulABt(X, W, null, expected);
        Kernels.MatMulABt(X, W, null, actual);
        TestData.AssertClose(expected, actual);
        for (int j = 0; j < 10; j++)
        {
            Assert.Equal(0f, actual[0, j]);
        }
    }

    [Theory]
    [InlineData(5000, 784, 10)]
    [InlineData(300, 129, 70)]
    [InlineData(9000, 70, 20)]    // 4 pieces of examples in MatMulAtB, reduced in order
    public void Results_are_bit_identical_with_one_to_four_threads(int m, int k, int n)
    {
        var rng = new Rng(6);
        Matrix X = TestData.Random(m, k, rng, zeroFraction: 0.8f), W = TestData.Random(n, k, rng), dZ = TestData.Random(m, n, rng);
        float[] b = new float[n];
        (float[] z, float[] dw, float[] dx) Run(int threads) => TestData.WithThreads(threads, () =>
        {
            Matrix Z = new(m, n), dW = new(n, k), dX = new(m, k);
            Kernels.MatMulABt(X, W, b, Z);
            Kernels.MatMulAtB(dZ, X, 1f / m, dW);
            Kernels.MatMulAB(dZ, W, dX);
            return (Z.Span.ToArray(), dW.Span.ToArray(), dX.Span.ToArray());
        });
        var one = Run(1);
        foreach (int threads in new[] { 2, 3, 4 })
        {
            var other = Run(threads);
            Assert.Equal(one.z, other.z);
            Assert.Equal(one.dw, other.dw);
            Assert.Equal(one.dx, other.dx);
        }
    }

    [Fact]
    public void Mismatched_shapes_are_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => Kernels.MatMulABt(new Matrix(2, 3), new Matrix(4, 5), null, new Matrix(2, 4)));
        Assert.Contains("shapes do not fit", ex.Message);
    }
}
