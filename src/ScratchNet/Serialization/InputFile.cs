// The checks every reader makes on a path before opening it: a folder where a file is expected is
// named as such, and a file that reports no length — empty, or not a regular file at all (/dev/zero,
// a named pipe) — is refused before it is opened, so that a device cannot stream gigabytes into a
// reader and a pipe cannot block it forever. A path that does not exist is left to the reader, whose
// message says how to make the file.
namespace ScratchNet.Serialization;

/// <summary>Checks an input file before it is read: a regular file, within its size limit.</summary>
public static class InputFile
{
    /// <summary>Throws when <paramref name="path"/> is a folder, or a file that reports no bytes; <paramref name="what"/> names what was expected (e.g. "a model file").</summary>
    /// <exception cref="InvalidDataException">The path is a folder, an empty file, a device or a pipe.</exception>
    public static void Check(string path, string what)
    {
        if (Directory.Exists(path))
        {
            throw new InvalidDataException($"{path}: is a folder; {what} is a file. Give the file's path.");
        }
        var info = new FileInfo(path);
        if (info.Exists && info.Length == 0)
        {
            throw new InvalidDataException($"{path}: is empty (a truncated copy?), or is not a regular file (a device or a pipe); {what} must be a regular file with data in it.");
        }
    }
}
