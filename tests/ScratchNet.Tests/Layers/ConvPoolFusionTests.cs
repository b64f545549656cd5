// A convolution followed by max pooling runs as one pass in Network.Forward (the product's rows
// pooled as they come, the convolution's maps never written). It must give the bits of the two
// layers run one after the other: the pooled maps, and, through the pooling's winners, every
// gradient of the backward pass. Values drawn from a few levels make ties in most windows (the
// first in reading order must win, as in MaxPool2D); odd map sizes drop a row and a column; a NaN
// (where no batch norm spreads it to every example) and −0 in the input reach the pooling.
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Layers;

public class ConvPoolFusionTests
{
    [Theory]
    [InlineData("conv8k3,pool,bn,relu,conv16k3,pool,bn,relu,dense64,relu,10", 784, 32, true)]
    [InlineData("conv8k3,pool,bn,relu,conv16k3,pool,bn,relu,dense64,relu,10", 784, 5, false)]
    [InlineData("conv3k5,pool,conv17k3,pool,10", 169, 5, true)]
    [InlineData("conv4k3valid,pool,conv5k1,pool,10", 225, 3, true)]
    [InlineData("conv6k7,pool,relu,conv3k3,pool,10", 121, 64, true)]
    [InlineData("conv2k3,pool,10", 16, 1, false)]
    public void Convolution_pooling_its_own_product_gives_the_bits_of_the_two_layers_in_turn(string layers, int features, int m, bool training)
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
        if (m > 1 && !layers.Contains("bn", StringComparison.Ordinal))
        {
            X.Span[features / 2] = float.NaN;   // one example's maps, where batch norm would not spread it over the batch
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
        apart.Backward(dZ);
        for (int p = 0; p < fused.Parameters.Count; p++)
        {
            Assert.Equal(Bits(apart.Parameters[p].Gradient), Bits(fused.Parameters[p].Gradient));
        }
    }

    [Fact]
    public void A_training_pass_that_unrolls_columns_leaves_pooling_to_the_pooling_layer()
    {
        // 7×7 outputs: the training forward pass unrolls (and keeps) columns for the weight gradient; evaluation pools
        var shape = new ConvShape(new MapShape(4, 7, 7), 8, 3, 1, 1);
        Assert.False(ConvKernels.PoolsProduct(shape, training: true));
        Assert.True(ConvKernels.PoolsProduct(shape, training: false));
        var conv = new Conv2D(shape.Input, 8, 3, 1, 1);
        Assert.Null(conv.ForwardPooled(new Matrix(2, shape.Input.Size), new MaxPool2D(shape.Output), training: true));
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
