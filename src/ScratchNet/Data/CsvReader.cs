// Reads digit images from CSV in the Kaggle digit-recognizer layout: a header row, then one image
// per line — "label,pixel0,…,pixel783" (training) or "pixel0,…,pixel783" (unlabelled test).
// Every error names the file, the line and the column, and what was expected. Lines are read with a
// length cap and their values counted as they are parsed, so a giant line costs no more memory than
// the cap. Leaves out: quoted fields, other separators.
namespace ScratchNet.Data;

/// <summary>Images read from a CSV file; Labels is null for the unlabelled layout.</summary>
public sealed record CsvImages(byte[] Pixels, byte[]? Labels, int Count, int Features, int ImageRows, int ImageCols);

/// <summary>Reads images from CSV in the Kaggle layout (label,pixel0,…,pixel783), streaming and bounded.</summary>
public static class CsvReader
{
    /// <summary>Largest file accepted (1 GiB; Kaggle's train.csv is 73 MB).</summary>
    public const long MaxBytes = 1L << 30;

    /// <exception cref="InvalidDataException">The file is not in the layout; the message names the line and column.</exception>
    public static CsvImages Read(string path)
    {
        ScratchNet.Serialization.InputFile.Check(path, "a CSV file");
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

    /// <summary>Pixel columns a file may have, at most (a layer's largest input).</summary>
    public const int MaxColumns = 65536;

    /// <summary>Characters a header line may hold: "label," and "pixel65535," for every column, with room to spare.</summary>
    public const int MaxHeaderChars = (MaxColumns + 1) * 16;

    /// <summary>Characters a data line may hold per column: "255," with spaces around.</summary>
    public const int MaxCharsPerValue = 8;

    /// <summary>Reads every image of <paramref name="reader"/>; <paramref name="name"/> names it in messages.</summary>
    public static CsvImages Read(TextReader reader, string name)
    {
        char[] buffer = new char[4096];
        int headerLength = ReadLine(reader, ref buffer, MaxHeaderChars, name, 1)
            ?? throw new InvalidDataException($"{name}: the file is empty; expected a header row \"label,pixel0,…,pixel783\".");
        string[] columns = new string(buffer, 0, headerLength).Split(',');
        if (columns.Length > MaxColumns + 1)
        {
            throw new InvalidDataException($"{name}, line 1: {columns.Length:N0} columns; at most {MaxColumns:N0} pixel columns are read.");
        }
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
        // A line longer than its values can be is refused as it is read: a giant line never becomes a string.
        int maxLine = (columns.Length * MaxCharsPerValue) + 64;
        int line = 1, count = 0;
        var values = new int[columns.Length];
        while (ReadLine(reader, ref buffer, maxLine, name, line + 1) is { } length)
        {
            line++;
            ReadOnlySpan<char> text = buffer.AsSpan(0, length);
            if (text.IsWhiteSpace())
            {
                continue;
            }
            // The values, counted and parsed field by field.
            int fields = 0;
            foreach (Range range in text.Split(','))
            {
                if (fields == columns.Length)
                {
                    throw new InvalidDataException($"{name}, line {line}: more values than the header's {columns.Length} columns.");
                }
                bool isLabel = labelled && fields == 0;
                values[fields] = Parse(text[range], isLabel ? 9 : 255, name, line, fields + 1, isLabel ? "label" : columns[fields].Trim());
                fields++;
            }
            if (fields != columns.Length)
            {
                throw new InvalidDataException($"{name}, line {line}: {fields} values where the header has {columns.Length} columns.");
            }
            int first = 0;
            if (labelled)
            {
                labels!.Add((byte)values[0]);
                first = 1;
            }
            for (int c = first; c < fields; c++)
            {
                pixels.Add((byte)values[c]);
            }
            count++;
        }
        if (count == 0)
        {
            throw new InvalidDataException($"{name}: the header is followed by no images.");
        }
        return new CsvImages([.. pixels], labels?.ToArray(), count, features, rows, cols);
    }

    /// <summary>
    /// Reads one line (without its end of line) into <paramref name="buffer"/>, growing it up to
    /// <paramref name="maxChars"/>; returns its length, or null at the end of the file.
    /// </summary>
    /// <exception cref="InvalidDataException">The line is longer than <paramref name="maxChars"/>.</exception>
    private static int? ReadLine(TextReader reader, ref char[] buffer, int maxChars, string name, int line)
    {
        int length = 0, c;
        while ((c = reader.Read()) >= 0)
        {
            if (c == '\n')
            {
                return length > 0 && buffer[length - 1] == '\r' ? length - 1 : length;
            }
            if (length == maxChars)
            {
                throw new InvalidDataException($"{name}, line {line}: over {maxChars:N0} characters, longer than a line of this file's columns can be. Is it a CSV in the Kaggle layout, one image per line?");
            }
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(maxChars, 2L * buffer.Length));
            }
            buffer[length++] = (char)c;
        }
        return length > 0 ? length : null;
    }

    private static int Parse(ReadOnlySpan<char> field, int max, string name, int line, int column, string what)
    {
        ReadOnlySpan<char> text = field.Trim();
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
