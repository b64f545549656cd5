// What each output class is called: digits for MNIST, the ten garments for Fashion-MNIST (as its
// authors name them). A model records its names ("classes" in its metadata) so that predict,
// evaluate, report and the page say "Ankle boot", not "9", for a Fashion-MNIST model.
namespace ScratchNet.Data;

/// <summary>The names of a model's classes (digits 0–9 unless its metadata names others).</summary>
public static class ClassNames
{
    /// <summary>The ten digits, the classes of MNIST.</summary>
    public static IReadOnlyList<string> Digits { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>Fashion-MNIST's labels 0–9 (Xiao, Rasul and Vollgraf, 2017).</summary>
    public static IReadOnlyList<string> FashionMnist { get; } = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The names for the data at <paramref name="dataPath"/> (null: the shipped MNIST): Fashion-MNIST's for a folder named after it, digits otherwise.</summary>
    public static IReadOnlyList<string> For(string? dataPath) =>
        dataPath is not null && Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dataPath))).Contains("fashion", StringComparison.OrdinalIgnoreCase)
            ? FashionMnist
            : Digits;

    /// <summary>The names a model's metadata records, or digits (0, 1, …) for <paramref name="classes"/> outputs when it records none.</summary>
    public static IReadOnlyList<string> Of(IReadOnlyDictionary<string, string> metadata, int classes) =>
        metadata.TryGetValue("classes", out string? names) && names.Split(',') is { } list && list.Length == classes
            ? list
            : [.. Enumerable.Range(0, classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>How a class is shown: its number, and its name when that is not the number itself.</summary>
    public static string Show(IReadOnlyList<string> names, int c) =>
        names[c] == c.ToString(System.Globalization.CultureInfo.InvariantCulture) ? names[c] : $"{c} ({names[c]})";
}
