// The sparse first-layer kernels against the naive dense reference on awkward shapes, including
// images with no ink and images with every pixel set, and thread-count independence.
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Tensors;

[Collection(ScratchNet.Tests.Training.ThreadCountTests.Name)]
public class SparseKernelTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int inputs in new[] { 1, 7, 33, 784 })
        {
            foreach (int units in new[] { 1, 10, 17, 128, 200 })
            {
                foreach (int batch in new[] { 1, 5, 64, 2500 })
                {
                    if ((long)inputs * units * batch <= 40_000_000)
                    {
                        data.Add(batch, inputs, units);
                    }
                }
            }
        }
        return data;
    }

    private static SparseBatch Images(int m, int k, Rng rng)
    {
        Matrix dense = TestData.Random(m, k, rng, zeroFraction: 0.8f);
        if (m > 2)
        {
            dense.Row(0).Clear();        // no ink
            dense.Row(1).Fill(1f);       // every pixel set
        }
        return SparseBatch.FromDense(dense);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_matches_the_dense_reference(int m, int k, int n)
    {
        var rng = new Rng(31);
        SparseBatch X = Images(m, k, rng);
        Matrix W = TestData.Random(n, k, rng);
        float[] b = TestData.Random(1, n, rng).Span.ToArray();
        var Wt = new float[k * SparseKernels.Padded(n)];
        SparseKernels.TransposePadded(W, Wt);
        Matrix expected = new(m, n), actual = new(m, n);
        ReferenceKernels.MatMulABt(X.ToDense(), W, b, expected);
        SparseKernels.MatMulABt(X, Wt, b, actual);
        TestData.AssertClose(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Weight_gradient_matches_the_dense_reference(int m, int k, int n)
    {
        var rng = new Rng(32);
        SparseBatch X = Images(m, k, rng);
        Matrix dZ = TestData.Random(m, n, rng);
        Matrix expected = new(n, k), actual = new(n, k);
        ReferenceKernels.MatMulAtB(dZ, X.ToDense(), 1f / m, expected);
        SparseKernels.MatMulAtB(dZ, X, 1f / m, actual);
        TestData.AssertClose(expected, actual);
        // A second call reuses the cached pixel-major layout.
        SparseKernels.MatMulAtB(dZ, X, 1f / m, actual);
        TestData.AssertClose(expected, actual);
    }

    [Fact]
    public void A_refilled_batch_rebuilds_its_layout()
    {
        var rng = new Rng(33);
        var X = new SparseBatch(20);
        Matrix first = TestData.Random(300, 20, rng, zeroFraction: 0.5f), second = TestData.Random(300, 20, rng, zeroFraction: 0.5f);
        Matrix dZ = TestData.Random(300, 3, rng);
        foreach (Matrix dense in new[] { first, second })
        {
            X.Clear();
            for (int i = 0; i < dense.Rows; i++)
            {
                X.AppendRow(dense.Row(i));
            }
            Matrix expected = new(3, 20), actual = new(3, 20);
            ReferenceKernels.MatMulAtB(dZ, dense, 1f, expected);
            SparseKernels.MatMulAtB(dZ, X, 1f, actual);
            TestData.AssertClose(expected, actual);
        }
    }

    [Theory]
    [InlineData(1, 1, 1f)]
    [InlineData(16, 16, 1f)]
    [InlineData(10, 784, 1f)]
    [InlineData(128, 784, 0.5f)]
    [InlineData(33, 47, 1f / 64)]
    [InlineData(784, 200, 1f / 3)]
    public unsafe void Blocked_transpose_equals_the_element_by_element_one(int rows, int cols, float scale)
    {
        var rng = new Rng((ulong)(rows * cols));
        Matrix src = TestData.Random(rows, cols, rng);
        int ld = cols + 3, ldDst = rows + 5;   // strides wider than the rows, as in padded layouts
        var padded = new float[rows * ld];
        for (int r = 0; r < rows; r++)
        {
            src.Row(r).CopyTo(padded.AsSpan(r * ld));
        }
        var dst = new float[cols * ldDst];
        Array.Fill(dst, 7f);   // elements outside the transpose stay as they were
        fixed (float* s = padded, d = dst)
        {
            Transpose.Matrix(s, rows, cols, ld, d, ldDst, scale);
        }
        for (int c = 0; c < cols; c++)
        {
            for (int r = 0; r < ldDst; r++)
            {
                float expected = r < rows ? src[r, c] * scale : 7f;
                Assert.Equal(expected, dst[(c * ldDst) + r]);
            }
        }
    }

    [Fact]
    public void Results_are_bit_identical_with_one_and_two_threads()
    {
        var rng = new Rng(34);
        SparseBatch X = Images(7000, 784, rng);
        Matrix W = TestData.Random(10, 784, rng), dZ = TestData.Random(7000, 10, rng);
        var Wt = new float[784 * 16];
        SparseKernels.TransposePadded(W, Wt);
        (float[] Z, float[] dW) Run(int threads) => TestData.WithThreads(threads, () =>
        {
            Matrix Z = new(7000, 10), dW = new(10, 784);
            SparseKernels.MatMulABt(X, Wt, null, Z);
            SparseKernels.MatMulAtB(dZ, X, 1f / 7000, dW);
            return (Z.Span.ToArray(), dW.Span.ToArray());
        });
        var one = Run(1);
        var two = Run(2);
        Assert.Equal(one.Z, two.Z);
        Assert.Equal(one.dW, two.dW);
    }

    [Fact]
    public void Dataset_sparse_rows_equal_the_dense_batch()
    {
        var data = TestData.MnistSets.Test.Take(50);
        Matrix dense = new(0, 784);
        data.FillBatch(0, 50, dense);
        Assert.Equal(dense.Span.ToArray(), data.Sparse.ToDense().Span.ToArray());
        var batch = new SparseBatch(784);
        byte[] labels = new byte[3];
        data.FillSparse([4, 0, 9], batch, labels);
        Assert.Equal(data.Sparse.ToDense().Row(9).ToArray(), batch.ToDense().Row(2).ToArray());
        Assert.Equal(data.Labels[4], labels[0]);
    }
}
