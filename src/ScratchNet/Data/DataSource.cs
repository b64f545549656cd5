// Where a command's images come from, in one place: the shipped MNIST (checksums verified), an IDX
// folder in MNIST's layout, or a CSV file in the Kaggle layout, with an optional separate test set.
// Every command that reads data (train, evaluate, predict, explain, report, bench) goes through here.
namespace ScratchNet.Data;

/// <summary>Where training and test images come from: the shipped MNIST, an IDX folder or a CSV file.</summary>
public static class DataSource
{
    /// <summary>Whether <paramref name="path"/> names a CSV file (by its extension).</summary>
    public static bool IsCsv(string? path) => path is not null && path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The training and test sets of <paramref name="data"/> (null: the shipped MNIST; a folder: an IDX
    /// set, checksum-verified when it is the shipped folder; FILE.csv: a labelled CSV with no test set),
    /// the test set replaced by <paramref name="testData"/> when given.
    /// </summary>
    public static TrainTest Load(string? data, string? testData = null)
    {
        TrainTest sets;
        if (IsCsv(data))
        {
            Dataset train = CsvReader.ReadDataset(data!);
            sets = new TrainTest(train, train.Take(0));
        }
        else
        {
            sets = LoadIdx(data);
        }
        return testData is null ? sets : sets with { Test = LoadTest(testData) };
    }

    /// <summary>The images to evaluate on: a labelled CSV file, or the test half of an IDX folder (null: the shipped MNIST).</summary>
    public static Dataset LoadTest(string? data) => IsCsv(data) ? CsvReader.ReadDataset(data!) : LoadIdx(data).Test;

    private static TrainTest LoadIdx(string? folder)
    {
        if (folder is null)
        {
            return MnistData.LoadShipped();
        }
        string? shipped = MnistData.FindShippedDirectory();
        bool isShipped = shipped is not null && Path.GetFullPath(folder).TrimEnd('/') == Path.GetFullPath(shipped).TrimEnd('/');
        return MnistData.Load(folder, verifyPinned: isShipped);
    }
}
