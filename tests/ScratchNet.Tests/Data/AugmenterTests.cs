// Data augmentation: an image's draw depends only on the seed, the epoch and its position (the same
// bytes on any thread count, new ones each epoch), the moved digit keeps its ink, and the options that
// cannot use it are refused before any work.
using ScratchNet.Data;
using ScratchNet.Tensors;
using ScratchNet.Training;

namespace ScratchNet.Tests.Data;

[Collection(ScratchNet.Tests.Training.ThreadCountTests.Name)]
public class AugmenterTests
{
    private static readonly int[] Images = [.. Enumerable.Range(0, 40)];

    private static byte[] Pixels(Dataset set) => [.. Enumerable.Range(0, set.Count).SelectMany(i => set.Image(i).ToArray())];

    [Theory]
    [InlineData("affine")]
    [InlineData("elastic")]
    public void A_draw_depends_on_seed_epoch_and_position_only(string kind)
    {
        Dataset train = TestData.MnistSets.Train;
        byte[] Run(int threads, int epoch, ulong seed = 1) => TestData.WithThreads(threads, () => Pixels(new Augmenter(kind, seed).Batch(train, Images, epoch, 100)));
        byte[] one = Run(1, 1);
        Assert.Equal(one, Run(3, 1));
        Assert.NotEqual(one, Run(1, 2));
        Assert.NotEqual(one, Run(1, 1, seed: 2));
        Assert.NotEqual(Pixels(train.Subset(Images)), one);
    }

    [Theory]
    [InlineData("affine")]
    [InlineData("elastic")]
    public void A_moved_digit_keeps_its_label_and_most_of_its_ink(string kind)
    {
        Dataset train = TestData.MnistSets.Train;
        Dataset moved = new Augmenter(kind, 7).Batch(train, Images, 1, 0);
        for (int i = 0; i < Images.Length; i++)
        {
            Assert.Equal(train.Labels[i], moved.Labels[i]);
            double before = train.Image(i).ToArray().Sum(b => (double)b), after = moved.Image(i).ToArray().Sum(b => (double)b);
            Assert.InRange(after / before, 0.6, 1.5);   // scaling by ±10 % changes the area by about ±21 %; a shift may push ink off the edge
        }
    }

    [Fact]
    public void Augmentation_needs_mini_batches_and_a_known_kind()
    {
        var full = Assert.Throws<ArgumentException>(() => (Presets.Get("seed") with { Augment = "affine" }).Validate());
        Assert.Contains("--batch-size", full.Message);
        var unknown = Assert.Throws<ArgumentException>(() => (Presets.Get("cnn-fast") with { Augment = "rotate" }).Validate());
        Assert.Contains("none, affine, elastic", unknown.Message);
    }
}
