// The dense products leave out the chunks of an image batch that are zero (ChunkList): the forward
// product the chunks of k where all of a tile's images are zero, the weight gradient the examples that
// are zero over a pass's columns (or, column by column, every zero value). These tests hold them to the
// bits of the products over everything.
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Tensors;

[Collection(ScratchNet.Tests.Training.ThreadCountTests.Name)]
public class ZeroSkippingTests
{
    /// <summary>
    /// Rows like images: zero but for a band of ink (half its values set) and, in some rows, one lone value
    /// elsewhere (a chunk with a single non-zero, at any place in it); some zeros are −0, which are kept.
    /// </summary>
    internal static Matrix ImageLike(int rows, int cols, Rng rng)
    {
        var X = new Matrix(rows, cols);
        for (int i = 0; i < rows; i++)
        {
            int lo = (int)(rng.NextFloat() * cols), hi = Math.Min(cols, lo + 1 + (int)(rng.NextFloat() * cols / 3));
            for (int j = lo; j < hi; j++)
            {
                X[i, j] = rng.NextFloat() < 0.5f ? rng.NextFloat() : 0f;
            }
            if (rng.NextFloat() < 0.5f)
            {
                X[i, (int)(rng.NextFloat() * cols)] = rng.NextFloat() - 0.5f;
            }
            if (rng.NextFloat() < 0.2f)
            {
                X[i, (int)(rng.NextFloat() * cols)] = -0f;
            }
        }
        return X;
    }

    /// <summary>The same matrix with every +0 made −0: no chunk of it is skipped, and the products must not change.</summary>
    private static Matrix NothingToSkip(Matrix X)
    {
        var Y = new Matrix(X.Rows, X.Cols);
        for (int i = 0; i < X.Storage.Length; i++)
        {
            Y.Storage[i] = BitConverter.SingleToInt32Bits(X.Storage[i]) == 0 ? -0f : X.Storage[i];
        }
        return Y;
    }

    private static void AssertSameBits(Matrix expected, Matrix actual)
    {
        for (int i = 0; i < expected.Rows; i++)
        {
            for (int j = 0; j < expected.Cols; j++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[i, j]) == BitConverter.SingleToInt32Bits(actual[i, j]), $"[{i}, {j}]: {actual[i, j]:R} instead of {expected[i, j]:R}");
            }
        }
    }

    [Theory]
    [InlineData(64, 784, 128)]   // the 784-128-10 epoch's first layer
    [InlineData(7, 785, 17)]     // rows, columns and k past the tiles
    [InlineData(1, 784, 10)]     // one image: its own chunks
    [InlineData(3, 20, 9)]       // fewer rows than a tile
    [InlineData(5, 3, 8)]        // k shorter than a vector: nothing but the tail
    public void The_forward_product_skips_zero_chunks_with_the_bits_of_each_dot_product(int m, int k, int n)
    {
        var rng = new Rng(11);
        Matrix X = ImageLike(m, k, rng), W = TestData.Random(n, k, rng);
        float[] b = TestData.Random(1, n, rng).Span.ToArray();
        Matrix actual = new(m, n), unskipped = new(m, n), reference = new(m, n);
        Kernels.MatMulABt(X, W, b, actual);
        Kernels.MatMulABt(NothingToSkip(X), W, b, unskipped);
        ReferenceKernels.MatMulABt(X, W, b, reference);
        AssertSameBits(unskipped, actual);
        TestData.AssertClose(reference, actual);
        // Kernels.Dot runs over every chunk, zero or not
        KernelTests.AssertEachElementIsItsDot(X, W, b, actual);
    }

    [Theory]
    [InlineData(64, 128, 784)]   // the 784-128-10 epoch's weight gradient
    [InlineData(130, 17, 785)]   // two blocks of examples; columns past the whole passes
    [InlineData(5, 3, 40)]
    [InlineData(300, 10, 33)]
    public void The_weight_gradient_skips_zero_examples_with_the_same_bits(int m, int units, int k)
    {
        var rng = new Rng(12);
        Matrix dZ = TestData.Random(m, units, rng), X = ImageLike(m, k, rng);
        Matrix actual = new(units, k), unskipped = new(units, k), reference = new(units, k);
        Kernels.MatMulAtB(dZ, X, 1f / m, actual);
        Kernels.MatMulAtB(dZ, NothingToSkip(X), 1f / m, unskipped);
        ReferenceKernels.MatMulAtB(dZ, X, 1f / m, reference);
        AssertSameBits(unskipped, actual);
        TestData.AssertClose(reference, actual);
    }

    [Theory]
    [InlineData(64, 128, 784)]   // the 784-128-10 epoch's weight gradient
    [InlineData(200, 40, 785)]   // four words of row bits; units past the eight-vector passes; a short last group of columns
    [InlineData(256, 33, 17)]    // the most rows it takes; one unit past whole vectors
    [InlineData(65, 64, 100)]    // a row past one word
    [InlineData(1, 3, 5)]        // one example, fewer units than a vector
    public void The_weight_gradient_column_by_column_has_the_bits_of_the_tiles_over_everything(int m, int units, int k)
    {
        var rng = new Rng(14);
        Matrix dZ = TestData.Random(m, units, rng), X = ImageLike(m, k, rng);
        X[m - 1, k - 1] = float.NaN;   // a NaN is not zero: its column's sums carry it
        Matrix byColumns = new(units, k), byTiles = new(units, k), reference = new(units, k);
        byColumns.Storage.AsSpan().Fill(float.NaN);   // every element must be written
        Kernels.MatMulAtBByColumns(dZ, X, 1f / m, byColumns);
        // the tiles over a batch with nothing to skip: every example in every pass (−0 has bits)
        Kernels.MatMulAtBByTiles(dZ, NothingToSkip(X), 1f / m, byTiles);
        ReferenceKernels.MatMulAtB(dZ, X, 1f / m, reference);
        AssertSameBits(byTiles, byColumns);
        for (int u = 0; u < units; u++)
        {
            Assert.True(float.IsNaN(byColumns[u, k - 1]));
            for (int i = 0; i < k - 1; i++)
            {
                Assert.Equal(reference[u, i], byColumns[u, i], 1e-4f);
            }
        }
    }

    [Fact]
    public void The_weight_gradient_of_an_image_batch_and_of_a_dense_batch_both_match_the_reference()
    {
        // MatMulAtB chooses by a sample of B: column by column for the image batch, tiles for the dense one
        var rng = new Rng(15);
        Matrix dZ = TestData.Random(64, 128, rng), images = ImageLike(64, 784, rng), dense = TestData.Random(64, 784, rng);
        foreach (Matrix X in new[] { images, dense })
        {
            Matrix actual = new(128, 784), reference = new(128, 784);
            Kernels.MatMulAtB(dZ, X, 1f / 64, actual);
            ReferenceKernels.MatMulAtB(dZ, X, 1f / 64, reference);
            TestData.AssertClose(reference, actual);
        }
    }

    [Fact]
    public void An_all_zero_batch_gives_the_bias_and_a_zero_gradient()
    {
        var rng = new Rng(13);
        Matrix X = new(9, 784), W = TestData.Random(10, 784, rng), dZ = TestData.Random(9, 10, rng);
        float[] b = TestData.Random(1, 10, rng).Span.ToArray();
        Matrix Z = new(9, 10), dW = new(10, 784);
        dW.Storage.AsSpan().Fill(float.NaN);   // every element must be written
        Kernels.MatMulABt(X, W, b, Z);
        Kernels.MatMulAtB(dZ, X, 1f / 9, dW);
        for (int i = 0; i < 9; i++)
        {
            for (int j = 0; j < 10; j++)
            {
                Assert.Equal(b[j], Z[i, j]);
            }
        }
        Assert.All(dW.Storage.AsSpan(0, 10 * 784).ToArray(), v => Assert.Equal(0f, v));
    }
}
