// Reads digit images from CSV in the Kaggle digit-recognizer layout: a header row, then one image
// per line — "label,pixel0,…,pixel783" (training) or "pixel0,…,pixel783" (unlabelled test).
// Every error names the file, the line and the column, and what was expected.
// Leaves out: quoted fields, other separators.
namespace ScratchNet.Data;

/// <summary>Images read from a CSV file; Labels is null for the unlabelled layout.</summary>
public sealed record CsvImages(byte[] Pixels, byte[]? Labels, int Count, int Features, int ImageRows, int ImageCols);

public static class CsvReader
{
    /// <summary>Largest file accepted (1 GiB; Kaggle's train.csv is 73 MB).</summary>
    public const long MaxBytes = 1L << 30;

    /// <exception cref="InvalidDataException">The file is not in the layout; the message names the line and column.</exception>
    public static CsvImages Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found.", path);
        }
        if (new FileInfo(path).Length > MaxBytes)
        {
            throw new InvalidDataException($"{path}: over the {MaxBytes >> 30} GiB limit for a CSV file.");
        }
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    public static CsvImages Read(TextReader reader, string name)
    {
        string header = reader.ReadLine() ?? throw new InvalidDataException($"{name}: the file is empty; expected a header row \"label,pixel0,…,pixel783\".");
        string[] columns = header.Split(',');
        bool labelled = columns[0].Trim().Equals("label", StringComparison.OrdinalIgnoreCase);
        int features = columns.Length - (labelled ? 1 : 0);
        for (int c = 0; c < features; c++)
        {
            string expected = $"pixel{c}";
            string found = columns[c + (labelled ? 1 : 0)].Trim();
            if (!found.Equals(expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{name}, line 1, column {c + (labelled ? 2 : 1)}: header \"{Clip(found)}\" where \"{expected}\" was expected. The layout is \"label,pixel0,…,pixel783\" (or without label for test files).");
            }
        }
        if (features < 1)
        {
            throw new InvalidDataException($"{name}, line 1: the header names no pixel columns.");
        }
        int side = (int)Math.Round(Math.Sqrt(features));
        (int rows, int cols) = side * side == features ? (side, side) : (1, features);
        var pixels = new List<byte>(features * 1024);
        var labels = labelled ? new List<byte>(1024) : null;
        int line = 1, count = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0 || string.IsNullOrWhiteSpace(text))
            {
                continue;
            }
            string[] fields = text.Split(',');
            if (fields.Length != columns.Length)
            {
                throw new InvalidDataException($"{name}, line {line}: {fields.Length} values where the header has {columns.Length} columns.");
            }
            int first = 0;
            if (labelled)
            {
                labels!.Add((byte)Parse(fields[0], 9, name, line, 1, "label"));
                first = 1;
            }
            for (int c = first; c < fields.Length; c++)
            {
                pixels.Add((byte)Parse(fields[c], 255, name, line, c + 1, columns[c].Trim()));
            }
            count++;
        }
        if (count == 0)
        {
            throw new InvalidDataException($"{name}: the header is followed by no images.");
        }
        return new CsvImages([.. pixels], labels?.ToArray(), count, features, rows, cols);
    }

    private static int Parse(string field, int max, string name, int line, int column, string what)
    {
        ReadOnlySpan<char> text = field.AsSpan().Trim();
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int value) || value > max)
        {
            throw new InvalidDataException($"{name}, line {line}, column {column} ({Clip(what)}): \"{Clip(text.ToString())}\" is not a whole number from 0 to {max}.");
        }
        return value;
    }

    private static string Clip(string s) => s.Length <= 20 ? s : s[..20] + "…";

    /// <summary>A labelled CSV file as a Dataset.</summary>
    public static Dataset ReadDataset(string path)
    {
        CsvImages images = Read(path);
        if (images.Labels is null)
        {
            throw new InvalidDataException($"{path}: the file has no label column, so it cannot be trained or tested on. Give a file whose header starts with \"label\".");
        }
        return new Dataset(images.Pixels, images.Labels, images.ImageRows, images.ImageCols, path);
    }
}
