// Writes a file so that readers see either the old file or the complete new one, never a part:
// a temporary file in the same folder, flushed to disk, then renamed over the target. The temporary
// file is removed on every failure, and temporaries that a killed process left beside the same
// target are removed on the next write. Errors name the target, not the temporary file.
using System.Diagnostics;
using System.Globalization;

namespace ScratchNet.Serialization;

/// <summary>Writes files atomically: a temporary file beside the target, flushed, then renamed over it — never a half-written file.</summary>
public static class AtomicFile
{
    /// <exception cref="IOException">The file could not be written; the message names it and says the old one is untouched.</exception>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        string name = Path.GetFileName(full);
        string temp = Path.Combine(folder, $".{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(folder);
            RemoveStale(folder, name);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            string reason = e.Message.Replace(temp, "its temporary file", StringComparison.Ordinal).TrimEnd('.');
            throw new IOException($"{full}: could not be written ({reason}); {(File.Exists(full) ? "the previous file is untouched" : "nothing was written")}.", e);
        }
    }

    /// <summary>
    /// Checks, before any work, that <paramref name="path"/> can be written: its folder is created if need be
    /// and a probe file is created and deleted there. The target itself is not touched.
    /// </summary>
    /// <exception cref="IOException">The folder cannot be written; the message names the target and the option.</exception>
    public static void CheckWritable(string path, string option)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        string probe = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.probe.tmp");
        try
        {
            if (Directory.Exists(full))
            {
                throw new IOException("it is a folder");
            }
            Directory.CreateDirectory(folder);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
            }
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(probe);
            throw new IOException($"{option} {path}: cannot be written there ({e.Message.Replace(probe, "a test file", StringComparison.Ordinal).TrimEnd('.')}); checked before any work, so nothing was done. Choose a folder you can write to.", e);
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 to <paramref name="path"/>, atomically.</summary>
    public static void WriteText(string path, string text) => Write(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Removes ".NAME.PID.*.tmp" files beside NAME whose process is no longer running (a kill during a write leaves them).</summary>
    private static void RemoveStale(string folder, string name)
    {
        string prefix = $".{name}.";
        foreach (string stale in Directory.EnumerateFiles(folder, $"{prefix}*.tmp"))
        {
            string rest = Path.GetFileName(stale)[prefix.Length..];
            int dot = rest.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && int.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != Environment.ProcessId && !IsRunning(pid))
            {
                TryDelete(stale);
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temporary file is removed by the next write of the same target.
        }
    }
}
