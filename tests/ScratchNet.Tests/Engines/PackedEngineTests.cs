// The packed images and the packed two-layer step (the fastest full-batch path) against the plain
// forms: packing loses no pixel, the step's loss, accuracy and gradients equal the layer-by-layer
// path on awkward shapes (1, 7, 33, 784, 1000 inputs; 1, 10, 16 units; 1 … 5,000 images, blank
// and fully inked images among them), and one and two threads give the same bits.
using ScratchNet.Data;
using ScratchNet.Layers;
using ScratchNet.Tensors;
using ScratchNet.Engines;
using ScratchNet.Engines.Packed;

namespace ScratchNet.Tests.Engines;

[Collection(ScratchNet.Tests.Training.ThreadCountTests.Name)]
public class PackedEngineTests
{
    /// <summary>m random byte images of k pixels, about a fifth inked; image 0 is blank and image 1 (if any) fully inked at 255.</summary>
    private static Dataset RandomImages(int m, int k, int classes, int seed)
    {
        var rng = new Rng((ulong)seed);
        var pixels = new byte[m * k];
        var labels = new byte[m];
        for (int i = 0; i < m; i++)
        {
            labels[i] = (byte)rng.NextInt(classes);
            for (int p = 0; p < k; p++)
            {
                byte value = rng.NextFloat() < 0.2f ? (byte)(1 + rng.NextInt(255)) : (byte)0;
                pixels[(i * k) + p] = i == 0 ? (byte)0 : i == 1 ? (byte)255 : value;
            }
        }
        return new Dataset(pixels, labels, 1, k, "random");
    }

    [Theory]
    [InlineData(1, 1, 0.35)]
    [InlineData(5, 7, 0.35)]
    [InlineData(300, 33, 0.1)]    // most pixels kept densely
    [InlineData(300, 33, 2.0)]    // none
    [InlineData(600, 784, 0.19)]  // some
    [InlineData(3, 1000, 2.0)]    // gaps over 255 pixels need filler entries
    public void Packing_keeps_every_pixel(int m, int k, double denseShare)
    {
        Dataset data = RandomImages(m, k, 10, m + k);
        PackedImages packed = PackedImages.Pack(m, k, data.Image, denseShare);
        var fromRows = new byte[m * k];
        for (int i = 0; i < m; i++)
        {
            int pixel = 0;
            for (int e = packed.RowStart[i]; e < packed.RowStart[i + 1]; e++)
            {
                pixel += packed.RowEntries[e] & 0xFF;
                int code = packed.RowEntries[e] >> 8;
                if (code != 0)
                {
                    Assert.Equal(0, fromRows[(i * k) + pixel]);
                    fromRows[(i * k) + pixel] = (byte)code;
                }
            }
        }
        var fromColumns = new byte[m * k];
        for (int b = 0; b < packed.Blocks; b++)
        {
            for (int p = 0; p < k; p++)
            {
                int previous = -1;
                for (int e = packed.ColStart[(b * (k + 1)) + p]; e < packed.ColStart[(b * (k + 1)) + p + 1]; e++)
                {
                    int row = packed.ColEntries[e] & 0xFF, code = packed.ColEntries[e] >> 8;
                    if (code == 0)
                    {
                        continue;   // padding
                    }
                    Assert.True(row > previous, "rows ascend within a column");
                    previous = row;
                    fromColumns[((PackedImages.BlockStart(b) + row) * k) + p] = (byte)code;
                }
            }
        }
        int D = packed.DensePixels.Length;
        for (int i = 0; i < m; i++)
        {
            Assert.Equal(0, (packed.RowStart[i + 1] - packed.RowStart[i]) % 4);
            int b = i / PackedImages.BlockRows, g = i % PackedImages.BlockRows / PackedImages.Lanes, lane = i % PackedImages.Lanes;
            for (int j = 0; j < D; j++)
            {
                byte code = packed.DenseBytes[((((b * PackedImages.Groups) + g) * D) + j) * PackedImages.Lanes + lane];
                int pixel = packed.DensePixels[j];
                Assert.Equal(0, fromRows[(i * k) + pixel]);
                fromRows[(i * k) + pixel] = code;
                fromColumns[(i * k) + pixel] = code;
            }
        }
        for (int c = 0; c + 1 < packed.ColStart.Length; c++)
        {
            Assert.Equal(0, (packed.ColStart[c + 1] - packed.ColStart[c]) % 4);
        }
        byte[] original = Enumerable.Range(0, m).SelectMany(i => data.Image(i).ToArray()).ToArray();
        Assert.Equal(original, fromRows);
        Assert.Equal(original, fromColumns);
        Assert.Equal(original.Count(b => b != 0), packed.NonZeros);
        for (int c = 0; c < 256; c++)
        {
            Assert.Equal(c * (1f / 255f), packed.Levels[c]);   // the conversion of Dataset.ToFloats
        }
    }

    [Theory]
    [InlineData(0, 2000)]        // first pixel at 0, then gaps of 510, 511 and 767 pixels
    [InlineData(1999, 2000)]     // a lone pixel far from pixel 0
    [InlineData(255, 300)]
    [InlineData(256, 300)]
    public void Long_gaps_are_bridged_exactly(int firstPixel, int k)
    {
        var pixels = new byte[2 * k];
        pixels[firstPixel] = 200;
        foreach (int p in new[] { firstPixel + 510, firstPixel + 1021, firstPixel + 1788 })
        {
            if (p < k)
            {
                pixels[p] = 17;
            }
        }
        pixels[k + k - 1] = 255;   // image 1: only its last pixel
        var data = new Dataset(pixels, [3, 4], 1, k, "gaps");
        PackedImages packed = PackedImages.Pack(2, k, data.Image, denseShare: 2.0);   // all sparse
        for (int i = 0; i < 2; i++)
        {
            var decoded = new byte[k];
            int pixel = 0;
            for (int e = packed.RowStart[i]; e < packed.RowStart[i + 1]; e++)
            {
                pixel += packed.RowEntries[e] & 0xFF;
                Assert.InRange(pixel, 0, k - 1);
                if (packed.RowEntries[e] >> 8 is var code and not 0)
                {
                    decoded[pixel] = (byte)code;
                }
            }
            Assert.Equal(data.Image(i).ToArray(), decoded);
        }
    }

    [Theory]
    [InlineData("relu", 1, 1, 10, 2, 0.35)]
    [InlineData("relu", 7, 10, 5, 10, 0.35)]
    [InlineData("tanh", 33, 16, 64, 16, 0.1)]
    [InlineData("sigmoid", 784, 3, 300, 7, 0.19)]
    [InlineData("leaky_relu", 784, 10, 257, 10, 0.15)]
    [InlineData("relu", 1000, 16, 1, 10, 2.0)]
    [InlineData("relu", 784, 10, 5000, 10, 0.19)]
    [InlineData("relu", 784, 10, 5000, 10, 2.0)]
    public void Packed_step_equals_the_layer_by_layer_step(string activation, int inputs, int hidden, int m, int classes, double denseShare)
    {
        Dataset data = RandomImages(m, inputs, classes, inputs + hidden + m);
        var network = Network.CreateDense([inputs, hidden, classes], activation);
        network.Initialize(Initializer.He, new Rng(5));
        if (!Simd.Has128)
        {
            Assert.NotEqual(EngineKind.Packed, EngineChooser.Choose(network, Workload.FullBatchTraining).Kind);   // no vectors: this machine takes the other engines
            return;
        }
        var step = PackedEngine.Create(network);
        PackedImages packed = PackedImages.Pack(m, inputs, data.Image, denseShare);
        (double loss, int correct) = step.Run(packed, data.Labels);
        var gradients = network.Parameters.Select(p => p.Gradient.ToArray()).ToList();

        Matrix Z = network.Forward(data.ToMatrix(), training: true);
        var A = new Matrix(m, classes);
        var dZ = new Matrix(m, classes);
        double expectedLoss = network.Loss.Forward(Z, data.Labels, A);
        int expectedCorrect = ArgMax.Correct(A, data.Labels);
        network.Loss.Backward(Z, A, data.Labels, dZ);
        network.Backward(dZ);

        Assert.True(Math.Abs(expectedLoss - loss) <= 1e-5 * Math.Max(1, expectedLoss), $"loss {loss}, layer path {expectedLoss}");
        Assert.Equal(expectedCorrect, correct);
        TestData.AssertGradientsClose(network, gradients, "packed");
    }

    [Theory]
    [InlineData("relu", 10, 0.35)]
    [InlineData("sigmoid", 16, 0.2)]
    [InlineData("tanh", 3, 2.0)]
    public void Packed_inference_equals_the_layer_by_layer_probabilities(string activation, int hidden, double denseShare)
    {
        var test = TestData.MnistSets.Test.Take(3000);
        var network = Network.CreateDense([784, hidden, 10], activation);
        network.Initialize(Initializer.He, new Rng(9));
        if (!Simd.Has128)
        {
            return;   // no vector hardware here: the packed engine does not run
        }
        var fast = new Matrix(test.Count, 10);
        PackedEngine.Create(network).Predict(PackedImages.Pack(test.Count, 784, test.Image, denseShare), fast);
        float[] expected = TestData.Predict(network, test.ToMatrix()).Span.ToArray();
        float[] actual = fast.Span.ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) < 1e-5f, $"element {i}: {expected[i]} vs {actual[i]}");
        }
    }

    [Fact]
    public void Packed_step_gives_the_same_bits_with_one_and_two_threads()
    {
        var data = TestData.MnistSets.Train.Take(9000);
        var network = Network.CreateDense([784, 10, 10], "relu");
        network.Initialize(Initializer.SeedUniform, new Rng(4));
        if (!Simd.Has128)
        {
            return;   // no vector hardware here: FusedEngineTests cover the engine this machine takes
        }
        (List<float[]>, double) Run(int threads) => TestData.WithThreads(threads, () =>
        {
            (double loss, _) = PackedEngine.Create(network).Step(data);
            return (network.Parameters.Select(p => p.Gradient.ToArray()).ToList(), loss);
        });
        (List<float[]> one, double lossOne) = Run(1);
        (List<float[]> two, double lossTwo) = Run(2);
        Assert.Equal(lossOne, lossTwo);
        for (int p = 0; p < one.Count; p++)
        {
            Assert.Equal(one[p], two[p]);
        }
    }

    /// <summary>The widths this machine runs: its widest and every narrower one (128 bits and up).</summary>
    private static IEnumerable<VectorWidth> Widths() =>
        new[] { VectorWidth.Bits512, VectorWidth.Bits256, VectorWidth.Bits128 }.Where(w => w <= Simd.Widest);

    [Theory]
    [InlineData("relu", 784, 10, 5000, 0.19)]
    [InlineData("tanh", 33, 16, 300, 0.1)]
    [InlineData("sigmoid", 1000, 3, 257, 2.0)]
    public void Every_vector_width_gives_the_same_bits(string activation, int inputs, int hidden, int m, double denseShare)
    {
        if (!Simd.Fuses || !Simd.Has128)
        {
            return;   // without fused multiply-adds the lanes round differently from a fusing width; without vectors no width runs
        }
        Dataset data = RandomImages(m, inputs, 10, inputs + m);
        var network = Network.CreateDense([inputs, hidden, 10], activation);
        network.Initialize(Initializer.He, new Rng(6));
        PackedImages packed = PackedImages.Pack(m, inputs, data.Image, denseShare);
        var probabilities = new Matrix(m, 10);
        (List<float[]> Gradients, double Loss, int Correct, float[] Probabilities) Run(VectorWidth width)
        {
            PackedEngine engine = PackedEngine.Create(network, width);
            (double loss, int correct) = engine.Run(packed, data.Labels);
            engine.Predict(packed, probabilities);
            return (network.Parameters.Select(p => p.Gradient.ToArray()).ToList(), loss, correct, probabilities.Span.ToArray());
        }
        var widest = Run(Simd.Widest);
        foreach (VectorWidth width in Widths())
        {
            var other = Run(width);
            Assert.Equal(widest.Loss, other.Loss);
            Assert.Equal(widest.Correct, other.Correct);
            Assert.Equal(widest.Probabilities, other.Probabilities);
            for (int p = 0; p < widest.Gradients.Count; p++)
            {
                Assert.True(widest.Gradients[p].AsSpan().SequenceEqual(other.Gradients[p]), $"{width}: parameter {p} differs from {Simd.Widest}");
            }
        }
    }
}
