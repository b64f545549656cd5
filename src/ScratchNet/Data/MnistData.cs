// Finds and loads an IDX data set in MNIST's layout (train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each raw or .gz), checking the shipped MNIST
// files against their pinned SHA-256. Leaves out: downloading.
namespace ScratchNet.Data;

/// <summary>The training and test sets of one data set.</summary>
public sealed record TrainTest(Dataset Train, Dataset Test);

/// <summary>Finds and loads MNIST-layout IDX data sets, verifying the shipped files' checksums.</summary>
public static class MnistData
{
    /// <summary>File name of the training images.</summary>
    public const string TrainImages = "train-images-idx3-ubyte";
    /// <summary>File name of the training labels.</summary>
    public const string TrainLabels = "train-labels-idx1-ubyte";
    /// <summary>File name of the test images.</summary>
    public const string TestImages = "t10k-images-idx3-ubyte";
    /// <summary>File name of the test labels.</summary>
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>SHA-256 of the four decompressed MNIST files (DESIGN.md §3).</summary>
    public static IReadOnlyDictionary<string, string> PinnedSha256 { get; } = new Dictionary<string, string>
    {
        [TrainImages] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        [TrainLabels] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        [TestImages] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        [TestLabels] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    };

    /// <summary>The shipped data folder, data/mnist, looked for above the working folder and above the program.</summary>
    public static string? FindShippedDirectory()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "data", "mnist");
                if (File.Exists(Path.Combine(candidate, TrainImages + ".gz")))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    /// <summary>Loads the shipped MNIST, verifying every file's pinned SHA-256.</summary>
    public static TrainTest LoadShipped()
    {
        string dir = FindShippedDirectory() ?? throw new DirectoryNotFoundException(
            "The shipped MNIST folder data/mnist was not found above the working folder. Run from the repository, or pass --data DIR.");
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), dir);
        return Load(relative.StartsWith("..", StringComparison.Ordinal) ? dir : relative, verifyPinned: true);
    }

    /// <summary>Loads the four files of <paramref name="directory"/> (each raw, or gzip with .gz).</summary>
    public static TrainTest Load(string directory, bool verifyPinned)
    {
        if (File.Exists(directory))
        {
            throw new InvalidDataException($"{directory}: is a file; --data takes a folder of IDX files (train-images-idx3-ubyte[.gz], …) or a .csv file in the Kaggle layout.");
        }
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"{directory}: folder not found. Pass --data DIR with a folder holding {TrainImages}, {TrainLabels}, {TestImages} and {TestLabels} (raw or .gz).");
        }
        Dataset train = LoadPair(directory, TrainImages, TrainLabels, verifyPinned);
        Dataset test = LoadPair(directory, TestImages, TestLabels, verifyPinned);
        if (train.Features != test.Features)
        {
            throw new InvalidDataException($"{directory}: training images are {train.ImageRows}×{train.ImageCols} but test images are {test.ImageRows}×{test.ImageCols}; both sets must have the same image size.");
        }
        return new TrainTest(train, test);
    }

    /// <summary>Loads one images file and its labels file and checks that they agree.</summary>
    public static Dataset LoadPair(string directory, string imagesName, string labelsName, bool verifyPinned)
    {
        string imagesPath = Locate(directory, imagesName);
        string labelsPath = Locate(directory, labelsName);
        IdxFile images = IdxReader.Read(imagesPath, 3, verifyPinned ? PinnedSha256.GetValueOrDefault(imagesName) : null);
        IdxFile labels = IdxReader.Read(labelsPath, 1, verifyPinned ? PinnedSha256.GetValueOrDefault(labelsName) : null);
        if (images.Dimensions[0] != labels.Dimensions[0])
        {
            throw new InvalidDataException($"{imagesPath} holds {images.Dimensions[0]:N0} images but {labelsPath} holds {labels.Dimensions[0]:N0} labels; they must match. Check that both files come from the same data set.");
        }
        for (int i = 0; i < labels.Data.Length; i++)
        {
            if (labels.Data[i] > 9)
            {
                throw new InvalidDataException($"{labelsPath}: label {i} is {labels.Data[i]}; digit data sets have labels 0 to 9.");
            }
        }
        return new Dataset(images.Data, labels.Data, images.Dimensions[1], images.Dimensions[2], imagesPath);
    }

    private static string Locate(string directory, string name)
    {
        string raw = Path.Combine(directory, name);
        if (File.Exists(raw))
        {
            return raw;
        }
        string gz = raw + ".gz";
        if (File.Exists(gz))
        {
            return gz;
        }
        throw new FileNotFoundException($"{directory}: missing {name} (or {name}.gz). A data folder needs {TrainImages}, {TrainLabels}, {TestImages} and {TestLabels}, raw or gzip; restore the file or point --data at a complete folder.", gz);
    }
}
