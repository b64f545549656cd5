// What a file seems to be, from its first bytes: for errors that name what the user gave ("it seems
// to be JSON") instead of describing how it fails to parse. Leaves out: any format beyond the few a
// user of this tool is likely to pass by mistake.
namespace ScratchNet.Serialization;

/// <summary>Names what a file seems to be from its first bytes, for error messages.</summary>
public static class FileKind
{
    /// <summary>What a file that is not a model seems to be, from its first bytes: JSON, gzip, PNG, text; null when it looks like nothing known.</summary>
    public static string? Guess(ReadOnlySpan<byte> bytes, string name)
    {
        ReadOnlySpan<byte> start = bytes[..Math.Min(bytes.Length, 512)];
        int first = start.IndexOfAnyExcept(" \t\r\n"u8);
        if (start.Length >= 2 && start[0] == 0x1F && start[1] == 0x8B)
        {
            return "gzip-compressed data (an IDX file from data/mnist?)";
        }
        if (start.Length >= 4 && start[0] == 0x89 && start[1] == (byte)'P' && start[2] == (byte)'N' && start[3] == (byte)'G')
        {
            return "a PNG image";
        }
        if (first >= 0 && start[first] is (byte)'{' or (byte)'[')
        {
            return name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || start.IndexOf("\"settings\""u8) >= 0
                ? "JSON (a --metrics-json run record?)"
                : "JSON";
        }
        if (start.Length >= 4 && start[0] == 0 && start[1] == 0 && start[2] == 0x08)
        {
            return "an IDX data file";
        }
        if (System.Text.Unicode.Utf8.IsValid(start) && !start.ContainsAnyInRange((byte)0, (byte)8))
        {
            return "a text file";
        }
        return null;
    }
}
