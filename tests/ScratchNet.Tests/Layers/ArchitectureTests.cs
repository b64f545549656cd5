// The layer-list syntax: what it builds, that the text it writes back parses to the same layers, and
// that anything it cannot parse or that does not fit is refused naming the item, its position and the fix.
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Layers;

public class ArchitectureTests
{
    [Fact]
    public void A_layer_list_builds_the_layers_with_their_map_shapes()
    {
        IReadOnlyList<LayerSpec> specs = Architecture.Parse("conv32k3,bn,relu,pool,conv64k3s2valid,relu,gap,10", 784);
        Assert.Equal(["conv", "batchnorm", "relu", "maxpool", "conv", "relu", "gap", "dense"], specs.Select(s => s.Type));
        Assert.Equal(new MapShape(1, 28, 28), specs[0].Map);
        Assert.Equal((32 * 28 * 28, 3, 1, 1), (specs[0].Outputs, specs[0].Kernel!.Value, specs[0].Stride!.Value, specs[0].Padding!.Value));
        Assert.Equal(new MapShape(32, 14, 14), specs[4].Map);
        Assert.Equal(64 * 6 * 6, specs[4].Outputs);   // (14 − 3)/2 + 1 = 6
        Assert.Equal(64, specs[6].Outputs);
        Assert.Equal((64, 10), (specs[7].Inputs, specs[7].Outputs));
    }

    [Fact]
    public void A_dense_layer_after_maps_gets_a_flatten_and_text_round_trips()
    {
        const string text = "conv8k5p1,pool,bn,relu,dropout0.25,dense128,tanh,10";
        IReadOnlyList<LayerSpec> specs = Architecture.Parse(text, 784);
        Assert.Contains(specs, s => s.Type == "flatten" && s.Map == new MapShape(8, 13, 13));
        string written = Architecture.Text(specs);
        Assert.Equal("conv8k5p1,pool,bn,relu,dropout0.25,flatten,dense128,tanh,10", written);
        Assert.Equal(specs, Architecture.Parse(written, 784));
    }

    [Fact]
    public void Sizes_alone_are_not_a_layer_list()
    {
        Assert.False(Architecture.IsLayerList("784,128,10"));
        Assert.True(Architecture.IsLayerList("dense128,10"));
    }

    [Theory]
    [InlineData("conv8k3,pool,pool,pool,pool,pool,10", "item 6 'pool'", "cannot pool 8×1×1 maps")]
    [InlineData("dense64,conv8k3,10", "item 2 'conv8k3'", "put it before the first dense")]
    [InlineData("conv8k3,relu,softmax,10", "item 3 'softmax'", "is not a layer")]
    [InlineData("conv8k4,10", "item 1 'conv8k4'", "even kernel")]
    [InlineData("conv8k9,10", "item 1 'conv8k9'", "a kernel of 1..7")]
    [InlineData("conv8k3s3,10", "item 1 'conv8k3s3'", "stride 1 or 2")]
    [InlineData("conv8k3,pool,relu", "ends with 'relu'", "end with a dense layer")]
    [InlineData("conv8k3,pool", "ends with 8×14×14 maps", "finish with the class scores")]
    [InlineData("784,conv8k3,10", "item 2 'conv8k3' is not a positive whole number", "it comes from the data")]
    [InlineData("conv8k3,,10", "item 2 is empty", "single commas")]
    [InlineData("bn,10", "item 1 'bn'", "after a convolution or a dense layer")]
    [InlineData("conv8k3,dropout1.5,10", "item 2 'dropout1.5'", "[0, 1)")]
    [InlineData("conv8k7valid,conv8k7valid,conv8k7valid,conv8k7valid,conv8k7valid,10", "item 5 'conv8k7valid'", "does not fit 8×4×4 maps")]
    public void What_cannot_be_built_is_refused_naming_the_item_and_the_fix(string text, string where, string fix)
    {
        var e = Assert.Throws<ArgumentException>(() => Architecture.Parse(text, 784));
        Assert.Contains(where, e.Message);
        Assert.Contains(fix, e.Message);
        Assert.StartsWith($"--layers {text}:", e.Message);
    }

    [Fact]
    public void Maps_need_square_images()
    {
        var e = Assert.Throws<ArgumentException>(() => Architecture.Parse("conv8k3,10", 785));
        Assert.Contains("needs square images", e.Message);
    }

    [Fact]
    public void A_spec_that_does_not_fit_is_refused_by_the_builder()
    {
        LayerSpec good = Architecture.Parse("conv8k3,10", 784)[0];
        Assert.IsType<Conv2D>(Architecture.Create(good));
        Assert.Throws<ArgumentException>(() => Architecture.Create(good with { Outputs = 5 }));
        Assert.Throws<ArgumentException>(() => Architecture.Create(good with { Channels = 2 }));
        Assert.Throws<ArgumentException>(() => Architecture.Create(good with { Kernel = 0 }));
        Assert.Throws<ArgumentException>(() => Architecture.Create(good with { Padding = 3 }));
        Assert.Throws<ArgumentException>(() => Architecture.Create(new LayerSpec("batchnorm", 8, 8) { Channels = 8, Height = 1, Width = 1, Epsilon = 0 }));
    }
}
