// The fast convolution kernels against the definition (ReferenceConvolution) on awkward shapes —
// kernels 1/3/5/7, maps 1×1 to 28×28, odd sizes, stride 2, same and valid padding, 1/3/17 channels,
// batches 1/5/64 — plus a hand-computed 2-channel example and thread-count independence.
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Tensors;

[Collection(ScratchNet.Tests.Training.ThreadCountTests.Name)]
public class ConvKernelTests
{
    // (m, C, H, W, O, K, stride, padding)
    public static TheoryData<int, int, int, int, int, int, int, int> Shapes() => new()
    {
        { 1, 1, 1, 1, 1, 1, 1, 0 },     // 1×1 map, 1×1 kernel (pointwise: no unrolling)
        { 5, 3, 1, 1, 4, 3, 1, 1 },     // 1×1 map, 3×3 same: only the centre tap sees data
        { 1, 1, 28, 28, 8, 3, 1, 1 },   // the first layer of a CNN
        { 5, 3, 7, 9, 17, 5, 1, 2 },    // odd, non-square maps, 5×5 same
        { 5, 17, 6, 5, 3, 3, 2, 1 },    // stride 2, same
        { 5, 3, 11, 11, 5, 7, 1, 0 },   // 7×7 valid
        { 5, 3, 13, 13, 5, 7, 2, 3 },   // 7×7 stride 2 same, odd map
        { 64, 3, 14, 14, 17, 3, 1, 1 }, // a mini-batch: 16 pieces
        { 64, 1, 28, 28, 3, 5, 2, 0 },  // stride 2 valid on the image
        { 5, 17, 4, 4, 3, 1, 2, 0 },    // 1×1 stride 2
        { 5, 3, 5, 5, 2, 4, 1, 0 },     // an even kernel, valid
        { 9, 2, 3, 3, 3, 3, 1, 0 },     // the output is 1×1
        { 5, 2, 6, 7, 3, 5, 1, 1 },     // 5×5 with padding 1: neither same nor valid
        { 3, 2, 5, 4, 3, 3, 1, 2 },     // 3×3 with padding 2: the output is larger than the input
    };

    private static (ConvShape Shape, float[] X, float[] W, float[] b, float[] dZ) Case(int m, int C, int H, int W, int O, int K, int stride, int padding, ulong seed)
    {
        var shape = new ConvShape(new MapShape(C, H, W), O, K, stride, padding);
        var rng = new Rng(seed);
        return (shape,
            TestData.Random(m, shape.Input.Size, rng, zeroFraction: 0.3f).Span.ToArray(),
            TestData.Random(O, shape.Patch, rng).Span.ToArray(),
            TestData.Random(1, O, rng).Span.ToArray(),
            TestData.Random(m, shape.Output.Size, rng).Span.ToArray());
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_matches_the_definition(int m, int C, int H, int W, int O, int K, int stride, int padding)
    {
        var (shape, X, Wt, b, _) = Case(m, C, H, W, O, K, stride, padding, 1);
        float[] expected = new float[m * shape.Output.Size], actual = new float[expected.Length];
        ReferenceConvolution.Forward(X, Wt, b, shape, m, expected);
        ConvKernels.Forward(X, Wt, b, shape, m, actual, new ConvWorkspace());
        AssertClose(expected, actual, shape.Patch);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Weight_gradient_matches_the_definition(int m, int C, int H, int W, int O, int K, int stride, int padding)
    {
        var (shape, X, _, _, dZ) = Case(m, C, H, W, O, K, stride, padding, 2);
        float[] expectedW = new float[O * shape.Patch], actualW = new float[expectedW.Length];
        float[] expectedB = new float[O], actualB = new float[O];
        ReferenceConvolution.WeightGradient(X, dZ, shape, m, 1f / m, expectedW, expectedB);
        ConvKernels.WeightGradient(X, dZ, shape, m, 1f / m, actualW, actualB, new ConvWorkspace());
        AssertClose(expectedW, actualW, shape.Output.Plane);
        AssertClose(expectedB, actualB, shape.Output.Plane);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Weight_gradient_from_the_columns_a_training_pass_kept_matches_the_definition(int m, int C, int H, int W, int O, int K, int stride, int padding)
    {
        var (shape, X, Wt, b, dZ) = Case(m, C, H, W, O, K, stride, padding, 4);
        float[] expectedW = new float[O * shape.Patch], actualW = new float[expectedW.Length];
        float[] expectedB = new float[O], actualB = new float[O];
        var work = new ConvWorkspace();
        ConvKernels.Forward(X, Wt, b, shape, m, new float[m * shape.Output.Size], work, keepColumns: true);
        ReferenceConvolution.WeightGradient(X, dZ, shape, m, 1f / m, expectedW, expectedB);
        ConvKernels.WeightGradient(X, dZ, shape, m, 1f / m, actualW, actualB, work);
        AssertClose(expectedW, actualW, shape.Output.Plane);
        AssertClose(expectedB, actualB, shape.Output.Plane);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_training_pass_gives_the_bits_of_an_evaluation_pass(int m, int C, int H, int W, int O, int K, int stride, int padding)
    {
        // Training may unroll and keep the columns where evaluation shifts the maps: each output is still one chain
        // of multiply-adds in (c, i, j) order, then the bias.
        var (shape, X, Wt, b, _) = Case(m, C, H, W, O, K, stride, padding, 5);
        float[] training = new float[m * shape.Output.Size], evaluation = new float[training.Length];
        ConvKernels.Forward(X, Wt, b, shape, m, training, new ConvWorkspace(), keepColumns: true);
        ConvKernels.Forward(X, Wt, b, shape, m, evaluation, new ConvWorkspace(), keepColumns: false);
        Assert.Equal(evaluation, training);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Input_gradient_matches_the_definition(int m, int C, int H, int W, int O, int K, int stride, int padding)
    {
        var (shape, _, Wt, _, dZ) = Case(m, C, H, W, O, K, stride, padding, 3);
        float[] expected = new float[m * shape.Input.Size], actual = new float[expected.Length];
        Array.Fill(actual, float.NaN);  // every element must be written
        ReferenceConvolution.InputGradient(dZ, Wt, shape, m, expected);
        ConvKernels.InputGradient(dZ, Wt, shape, m, actual, new ConvWorkspace());
        AssertClose(expected, actual, O * K * K);
    }

    [Fact]
    public void A_two_channel_example_computed_by_hand()
    {
        // One 2×3×3 input, one 2×2 filter per channel, stride 1, no padding → one 2×2 output map.
        //   channel 0: 1 2 3 / 4 5 6 / 7 8 9        W[0,0] = [1 0; 0 −1]   (top-left minus bottom-right)
        //   channel 1: all ones                      W[0,1] = [0.5 0.5; 0.5 0.5]   b = 10
        // Z[0,0] = (1 − 5) + 2 + 10 = 8, and the same for every position: (a − (a + 4)) + 2 + 10 = 8.
        // With channel 1 = 0 1 2 / 3 4 5 / 6 7 8 instead: Z[y,x] = −4 + 0.5·(4 sums) + 10:
        //   (0+1+3+4)/2 = 4 → 10, (1+2+4+5)/2 = 6 → 12, (3+4+6+7)/2 = 10 → 16, (4+5+7+8)/2 = 12 → 18.
        var shape = new ConvShape(new MapShape(2, 3, 3), 1, 2, 1, 0);
        float[] X = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        float[] W = [1, 0, 0, -1, 0.5f, 0.5f, 0.5f, 0.5f];
        float[] b = [10];
        float[] Z = new float[4];
        ConvKernels.Forward(X, W, b, shape, 1, Z, new ConvWorkspace());
        Assert.Equal([10f, 12f, 16f, 18f], Z);
        // dZ = ones: dW[0,c,i,j] = Σ over the 4 positions of X[c, y + i, x + j]; db = 4.
        float[] dW = new float[8], db = new float[1];
        ConvKernels.WeightGradient(X, [1, 1, 1, 1], shape, 1, 1f, dW, db, new ConvWorkspace());
        Assert.Equal([12f, 16f, 24f, 28f, 8f, 12f, 20f, 24f], dW);
        Assert.Equal([4f], db);
        // dX[c, u, v] = Σ of the weights that touch (u, v): channel 0's corners get 1 or −1, its centre 1 − 1 = 0.
        float[] dX = new float[18];
        ConvKernels.InputGradient([1, 1, 1, 1], W, shape, 1, dX, new ConvWorkspace());
        Assert.Equal([1f, 1f, 0f, 1f, 0f, -1f, 0f, -1f, -1f, 0.5f, 1f, 0.5f, 1f, 2f, 1f, 0.5f, 1f, 0.5f], dX);
    }

    [Fact]
    public void The_same_bits_on_one_and_on_three_threads()
    {
        var (shape, X, W, b, dZ) = Case(64, 3, 14, 14, 17, 3, 1, 1, 4);
        float[][] Run(int threads)
        {
            using var _ = Workers.Use(threads);
            var work = new ConvWorkspace();
            float[] Z = new float[64 * shape.Output.Size], dW = new float[W.Length], db = new float[b.Length], dX = new float[X.Length];
            ConvKernels.Forward(X, W, b, shape, 64, Z, work);
            ConvKernels.WeightGradient(X, dZ, shape, 64, 1f / 64, dW, db, work);
            ConvKernels.InputGradient(dZ, W, shape, 64, dX, work);
            return [Z, dW, db, dX];
        }
        float[][] one = Run(1), three = Run(3);
        for (int i = 0; i < one.Length; i++)
        {
            Assert.Equal(one[i], three[i]);
        }
    }

    [Fact]
    public void One_image_gets_the_same_bits_as_in_a_batch_on_any_thread_count()
    {
        // A single image (one piece, its filters shared out between the threads) against the same image in a batch of 16.
        var (shape, X, W, b, _) = Case(16, 5, 9, 9, 36, 3, 1, 1, 4);
        float[] batch = new float[16 * shape.Output.Size];
        ConvKernels.Forward(X, W, b, shape, 16, batch, new ConvWorkspace());
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var _ = Workers.Use(threads);
            for (int n = 0; n < 16; n += 5)
            {
                float[] z = new float[shape.Output.Size];
                ConvKernels.Forward(X.AsSpan(n * shape.Input.Size, shape.Input.Size).ToArray(), W, b, shape, 1, z, new ConvWorkspace());
                Assert.Equal(batch.AsSpan(n * shape.Output.Size, shape.Output.Size).ToArray(), z);
            }
        }
    }

    /// <summary>Float sums of <paramref name="terms"/> products against double ones: a tolerance that grows with the sum's length.</summary>
    private static void AssertClose(float[] expected, float[] actual, int terms)
    {
        float tolerance = 1e-5f * MathF.Max(8, terms);
        for (int i = 0; i < expected.Length; i++)
        {
            float scale = MathF.Max(1f, MathF.Abs(expected[i]));
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance * scale, $"element {i}: expected {expected[i]}, got {actual[i]} (tolerance {tolerance * scale})");
        }
    }
}
