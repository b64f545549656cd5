// Loading a data folder: the shipped MNIST with its pinned checksums, and folders with a missing
// file, mismatched counts or a corrupted file.
using ScratchNet.Data;

namespace ScratchNet.Tests.Data;

public class MnistDataTests
{
    [Fact]
    public void The_shipped_set_loads_with_the_known_class_counts()
    {
        TrainTest sets = TestData.MnistSets;
        Assert.Equal(60_000, sets.Train.Count);
        Assert.Equal(10_000, sets.Test.Count);
        Assert.Equal(784, sets.Train.Features);
        int[] trainCounts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
        int[] testCounts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];
        Assert.Equal(trainCounts, Enumerable.Range(0, 10).Select(d => sets.Train.Labels.Count(l => l == d)));
        Assert.Equal(testCounts, Enumerable.Range(0, 10).Select(d => sets.Test.Labels.Count(l => l == d)));
    }

    private static string Folder(int trainImages = 6, int trainLabels = 6, bool gzip = true, string? skip = null)
    {
        string dir = TestData.TempDir();
        void Put(string name, byte[] raw)
        {
            if (name == skip)
            {
                return;
            }
            if (gzip)
            {
                File.WriteAllBytes(Path.Combine(dir, name + ".gz"), IdxReaderTests.Gzip(raw));
            }
            else
            {
                File.WriteAllBytes(Path.Combine(dir, name), raw);
            }
        }
        Put(MnistData.TrainImages, IdxReaderTests.Images(trainImages, 28, 28));
        Put(MnistData.TrainLabels, IdxReaderTests.Labels(trainLabels));
        Put(MnistData.TestImages, IdxReaderTests.Images(4, 28, 28));
        Put(MnistData.TestLabels, IdxReaderTests.Labels(4));
        return dir;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_folder_in_mnist_layout_loads(bool gzip)
    {
        TrainTest sets = MnistData.Load(Folder(gzip: gzip), verifyPinned: false);
        Assert.Equal(6, sets.Train.Count);
        Assert.Equal(4, sets.Test.Count);
    }

    [Fact]
    public void Image_and_label_count_mismatch_is_rejected()
    {
        var ex = Assert.Throws<InvalidDataException>(() => MnistData.Load(Folder(trainImages: 6, trainLabels: 5), verifyPinned: false));
        Assert.Contains("holds 6 images", ex.Message);
        Assert.Contains("5 labels", ex.Message);
    }

    [Fact]
    public void A_missing_file_is_named_with_the_fix()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => MnistData.Load(Folder(skip: MnistData.TestLabels), verifyPinned: false));
        Assert.Contains("missing t10k-labels-idx1-ubyte", ex.Message);
        Assert.Throws<DirectoryNotFoundException>(() => MnistData.Load("/nonexistent-scratchnet-folder", verifyPinned: false));
    }

    [Fact]
    public void Files_that_differ_from_the_pinned_mnist_fail_the_checksum()
    {
        var ex = Assert.Throws<InvalidDataException>(() => MnistData.Load(Folder(), verifyPinned: true));
        Assert.Contains("checksum mismatch", ex.Message);
        Assert.Contains(MnistData.PinnedSha256[MnistData.TrainImages], ex.Message);
    }

    [Fact]
    public void Labels_above_nine_are_rejected()
    {
        string dir = Folder();
        File.WriteAllBytes(Path.Combine(dir, MnistData.TrainLabels + ".gz"), IdxReaderTests.Gzip(IdxReaderTests.Idx(1, [6], [1, 2, 3, 4, 5, 200])));
        var ex = Assert.Throws<InvalidDataException>(() => MnistData.Load(dir, verifyPinned: false));
        Assert.Contains("label 5 is 200", ex.Message);
    }
}
