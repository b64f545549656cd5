// Network.Forward runs two kinds of layer pairs as one pass: a convolution followed by max pooling
// (the product's rows pooled as they come, the convolution's maps never written), and batch norm
// over maps followed by ReLU (each plane rectified as it is normalised; Network.Backward then runs
// the pair's backward pass as one, dy taken from dA and A as it is read). Both must give the bits
// of the layers run one after the other: the outputs, and every gradient of the backward pass. Values drawn from a few levels make ties in most windows (the
// first in reading order must win, as in MaxPool2D); odd map sizes drop a row and a column; a NaN
// and −0 in the input reach the pooling and the rectifier.
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Layers;

public class FusedLayerPairsTests
{
    [Theory]
    [InlineData("conv8k3,pool,bn,relu,conv16k3,pool,bn,relu,dense64,relu,10", 784, 32, true, false)]
    [InlineData("conv8k3,pool,bn,relu,conv16k3,pool,bn,relu,dense64,relu,10", 784, 5, false, false)]
    [InlineData("conv3k5,pool,conv17k3,pool,10", 169, 5, true, true)]
    [InlineData("conv4k3valid,pool,conv5k1,pool,10", 225, 3, true, true)]
    [InlineData("conv6k7,pool,relu,conv3k3,pool,10", 121, 64, true, true)]
    [InlineData("conv2k3,pool,10", 16, 1, false, true)]
    [InlineData("conv5k3,bn,relu,pool,dense12,bn,relu,10", 100, 6, true, false)]
    [InlineData("conv3k3,pool,bn,relu,conv4k3s2,bn,relu,gap,10", 196, 4, true, false)]
    [InlineData("conv2k3,pool,bn,relu,10", 144, 3, true, true)]
    [InlineData("conv4k3,pool,conv6k3,pool,10", 1156, 7, true, true)]
    public void Fused_pairs_give_the_bits_of_the_layers_in_turn(string layers, int features, int m, bool training, bool withNaN)
    {
        IReadOnlyList<LayerSpec> specs = Architecture.Parse(layers, features);
        Network fused = Network.Create(specs), apart = Network.Create(specs);
        fused.Initialize(Initializer.He, new Rng(3));
        apart.CopyParametersFrom(fused);
        // Weights and inputs on a few levels: many windows hold equal values after the convolution
        var rng = new Rng(7);
        foreach (Parameter p in fused.Parameters)
        {
            for (int i = 0; i < p.Value.Length; i++)
            {
                p.Value[i] = (rng.NextInt(5) - 2) * 0.25f;
            }
        }
        apart.CopyParametersFrom(fused);
        var X = new Matrix(m, features);
        for (int i = 0; i < X.Span.Length; i++)
        {
            X.Span[i] = rng.NextInt(4) * 0.5f;
        }
        if (withNaN)
        {
            X.Span[features / 2] = float.NaN;   // one example's maps (batch norm spreads it over its channel, every example)
        }
        X.Span[^1] = -0f;
        var first = (Conv2D)fused.Layers[0];
        Assert.True(ConvKernels.PoolsProduct(first.Shape, training), "the first convolution should pool its own product here");

        Matrix zFused = fused.Forward(X, training);
        Matrix current = X;
        foreach (ILayer layer in apart.Layers)
        {
            current = layer.Forward(current, training);
        }
        Assert.Equal(Bits(current.Span), Bits(zFused.Span));
        if (!training)
        {
            return;
        }

        var dZ = new Matrix(m, fused.OutputSize);
        for (int i = 0; i < dZ.Span.Length; i++)
        {
            dZ.Span[i] = (rng.NextInt(9) - 4) * 0.125f;
        }
        fused.Backward(dZ);
        Matrix? d = dZ;
        for (int i = apart.Layers.Count - 1; i >= 0 && d is not null; i--)
        {
            d = apart.Layers[i].Backward(d, computeInputGradient: i > 0);
        }
        for (int p = 0; p < fused.Parameters.Count; p++)
        {
            Assert.Equal(Bits(apart.Parameters[p].Gradient), Bits(fused.Parameters[p].Gradient));
        }
    }

    [Fact]
    public void Pairs_that_cannot_run_as_one_are_left_to_their_layers()
    {
        // 7×7 outputs: the training forward pass unrolls (and keeps) columns for the weight gradient; evaluation pools
        var shape = new ConvShape(new MapShape(4, 7, 7), 8, 3, 1, 1);
        Assert.False(ConvKernels.PoolsProduct(shape, training: true));
        Assert.True(ConvKernels.PoolsProduct(shape, training: false));
        var conv = new Conv2D(shape.Input, 8, 3, 1, 1);
        Assert.Null(conv.ForwardPooled(new Matrix(2, shape.Input.Size), new MaxPool2D(shape.Output), training: true));
        // Batch norm over a dense layer's units (planes of one value) leaves ReLU to its layer
        Assert.False(new BatchNorm(new MapShape(12, 1, 1)).RectifiesMaps);
        Assert.True(new BatchNorm(new MapShape(2, 3, 3)).RectifiesMaps);
    }

    [Fact]
    public void A_relu_whose_output_batch_norm_wrote_cannot_run_its_own_backward_pass()
    {
        var norm = new BatchNorm(new MapShape(2, 3, 3));
        var relu = new ReLU(18);
        norm.ForwardRectified(new Matrix(2, 18), relu, training: true);
        Assert.Throws<InvalidOperationException>(() => relu.Backward(new Matrix(2, 18), computeInputGradient: true));
    }

    private static int[] Bits(ReadOnlySpan<float> values)
    {
        var bits = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            bits[i] = BitConverter.SingleToInt32Bits(values[i]);
        }
        return bits;
    }
}
