// Image bytes to the network's inputs, x = pixel / 255, in one vector pass (Tensors/PixelFloats):
// every byte value and every length's remainder against the plain definition, and a batch filled
// on both cores (Dataset.FillBatch, in pieces of rows) against its rows converted one by one.
using ScratchNet.Data;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Data;

public class PixelFloatsTests
{
    [Fact]
    public void Every_byte_value_and_every_remainder_gives_the_definitions_bits()
    {
        for (int length = 0; length <= 300; length++)
        {
            var bytes = new byte[length];
            for (int i = 0; i < length; i++)
            {
                bytes[i] = (byte)((i * 97) + length);   // all 256 values over the longer lengths
            }
            var x = new float[length + 1];
            x[length] = -7f;                          // past the pixels: left alone
            Dataset.ToFloats(bytes, x);
            for (int i = 0; i < length; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(bytes[i] * (1f / 255f)), BitConverter.SingleToInt32Bits(x[i]));
            }
            Assert.Equal(-7f, x[length]);
        }
    }

    [Fact]
    public void Too_little_room_is_an_error_not_a_partial_write()
    {
        var ex = Assert.Throws<ArgumentException>(() => Dataset.ToFloats(new byte[10], new float[9]));
        Assert.Contains("10 pixels", ex.Message);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(17, 2)]
    [InlineData(64, 2)]
    [InlineData(100, 1)]
    public void A_batch_filled_in_pieces_is_its_rows_converted_one_by_one(int rows, int threads)
    {
        Dataset train = TestData.MnistSets.Train;
        var rng = new Rng((ulong)rows);
        int[] indices = [.. Enumerable.Range(0, rows).Select(_ => (int)(rng.NextDouble() * train.Count))];
        var X = new Matrix(1, train.Features);
        var labels = new byte[rows];
        TestData.WithThreads(threads, () =>
        {
            train.FillBatch(indices, X, labels);
            return 0;
        });
        Assert.Equal(rows, X.Rows);
        var expected = new float[train.Features];
        for (int r = 0; r < rows; r++)
        {
            Dataset.ToFloats(train.Image(indices[r]), expected);
            Assert.Equal(expected, X.Row(r).ToArray());
            Assert.Equal(train.Labels[indices[r]], labels[r]);
        }
        // Images in order (the evaluation's fill)
        var Y = new Matrix(1, train.Features);
        TestData.WithThreads(threads, () =>
        {
            train.FillBatch(5, rows, Y);
            return 0;
        });
        for (int r = 0; r < rows; r++)
        {
            Dataset.ToFloats(train.Image(5 + r), expected);
            Assert.Equal(expected, Y.Row(r).ToArray());
        }
    }
}
