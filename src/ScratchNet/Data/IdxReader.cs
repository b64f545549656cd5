// Reads IDX files (MNIST's format), raw or gzip: big-endian magic 0x0000 0x08 <dims>, then one
// int32 per dimension, then unsigned bytes. Checks magic, dimensions, exact length and, when given,
// the SHA-256 of the decompressed bytes. Leaves out: element types other than unsigned byte.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace ScratchNet.Data;

/// <summary>The dimensions and unsigned-byte contents of one IDX file.</summary>
public sealed record IdxFile(string Path, int[] Dimensions, byte[] Data);

/// <summary>Reads IDX files (the MNIST format), raw or gzip, with every size checked before allocation.</summary>
public static class IdxReader
{
    /// <summary>Largest payload accepted: the most bytes .NET holds in one array (2,147,483,591; not 2³¹ − 1).</summary>
    public static readonly long MaxPayload = Array.MaxLength;

    /// <summary>
    /// Reads <paramref name="path"/> (gzip detected by its magic bytes) and checks that it holds
    /// <paramref name="expectedDimensions"/> dimensions of unsigned bytes, exactly as long as its
    /// header says, with SHA-256 <paramref name="expectedSha256"/> (hex, of the decompressed bytes) when given.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Anything in the file is not as expected; the message says what and how to fix it.</exception>
    public static IdxFile Read(string path, int expectedDimensions, string? expectedSha256 = null)
    {
        ScratchNet.Serialization.InputFile.Check(path, "an IDX file");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found. Check the path, or pass --data DIR with a folder holding the four IDX files.", path);
        }
        using FileStream file = File.OpenRead(path);
        return Read(file, path, expectedDimensions, expectedSha256);
    }

    /// <summary>Reads IDX data (raw or gzip) from <paramref name="source"/>; <paramref name="name"/> names it in messages.</summary>
    /// <exception cref="InvalidDataException">Anything in the data is not as expected; the message says what and how to fix it.</exception>
    public static IdxFile Read(Stream source, string name, int expectedDimensions, string? expectedSha256 = null)
    {
        string path = name;
        Span<byte> sniff = stackalloc byte[2];
        int sniffed = source.CanSeek ? ReadFully(source, sniff) : 0;
        if (source.CanSeek)
        {
            source.Position = 0;
        }
        bool gzip = sniffed == 2 && sniff[0] == 0x1f && sniff[1] == 0x8b;
        using Stream stream = gzip ? new GZipStream(source, CompressionMode.Decompress, leaveOpen: true) : new NonClosing(source);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            return ReadStream(path, stream, gzip, expectedDimensions, expectedSha256, hash, source.CanSeek ? source.Length : 0);
        }
        catch (InvalidDataException e) when (gzip && !e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            // GZipStream's own message ("The archive entry was compressed using an unsupported compression method", …).
            throw new InvalidDataException($"{path}: the gzip data is corrupt ({e.Message}). Replace the file with a good copy.", e);
        }
    }

    /// <summary>Lets a raw stream be disposed without closing the caller's stream.</summary>
    private sealed class NonClosing(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static IdxFile ReadStream(string path, Stream stream, bool gzip, int expectedDimensions, string? expectedSha256, IncrementalHash hash, long compressedLength)
    {
        string what = expectedDimensions == 1 ? "labels" : "images";
        Span<byte> magic = stackalloc byte[4];
        int got = ReadFully(stream, magic);
        if (got < 4)
        {
            throw new InvalidDataException($"{path}: truncated: the file has {got} bytes, too few for the 4-byte IDX magic number. Replace the file with a complete copy.");
        }
        hash.AppendData(magic);
        if (magic[0] != 0 || magic[1] != 0)
        {
            string hint = gzip ? "" : " If it is compressed, it must be gzip.";
            throw new InvalidDataException($"{path}: not an IDX file: the magic number starts with 0x{magic[0]:x2}{magic[1]:x2}, expected 0x0000.{hint}");
        }
        if (magic[2] != 0x08)
        {
            throw new InvalidDataException($"{path}: IDX element type 0x{magic[2]:x2} is not supported; expected 0x08 (unsigned byte), as in MNIST.");
        }
        int dims = magic[3];
        if (dims != expectedDimensions)
        {
            string expected = expectedDimensions == 1 ? "a labels file (magic 0x00000801, 1 dimension)" : $"an images file (magic 0x0000080{expectedDimensions}, {expectedDimensions} dimensions)";
            string found = dims == 1 ? "a labels file" : dims == 3 ? "an images file" : $"{dims} dimensions";
            throw new InvalidDataException($"{path}: wrong IDX magic number 0x0000080{dims:x}: expected {expected}, found {found}. Check that images and labels files are not swapped.");
        }
        Span<byte> header = stackalloc byte[4 * dims];
        got = ReadFully(stream, header);
        if (got < header.Length)
        {
            throw new InvalidDataException($"{path}: truncated: the header needs {4 + header.Length} bytes, the file has {4 + got}. Replace the file with a complete copy.");
        }
        hash.AppendData(header);
        int[] dimensions = new int[dims];
        long payload = 1;
        for (int d = 0; d < dims; d++)
        {
            dimensions[d] = BinaryPrimitives.ReadInt32BigEndian(header[(4 * d)..]);
            if (dimensions[d] <= 0)
            {
                throw new InvalidDataException($"{path}: dimension {d} of the header is {dimensions[d]}; every dimension must be positive.");
            }
            payload *= dimensions[d];
            if (payload > MaxPayload)
            {
                throw new InvalidDataException($"{path}: the header's dimensions ({string.Join(" × ", dimensions[..(d + 1)])}…) describe more than {MaxPayload:N0} bytes, the most one array holds; the header is corrupt.");
            }
        }
        long headerBytes = 4 + header.Length;
        if (stream.CanSeek)
        {
            // Raw file: check the length before allocating anything the header asks for.
            long actual = stream.Length - headerBytes;
            if (actual != payload)
            {
                throw LengthError(path, what, dimensions, headerBytes, payload, actual);
            }
        }
        byte[] data;
        if (stream.CanSeek)
        {
            data = new byte[payload];
            got = ReadFully(stream, data);
        }
        else
        {
            // Compressed: the length is unknown until the data ends. Trust the header's size only as far
            // as the compressed size makes plausible (100× it, far above gzip's ratio on images), and
            // beyond that grow the buffer with the data actually read.
            data = new byte[Math.Min(payload, Math.Max(1 << 20, 100 * compressedLength))];
            got = 0;
            while (true)
            {
                got += ReadFully(stream, data.AsSpan(got));
                if (got < data.Length || data.Length == payload)
                {
                    break;
                }
                Array.Resize(ref data, (int)Math.Min(payload, 2L * data.Length));
            }
        }
        if (got < payload)
        {
            throw LengthError(path, what, dimensions, headerBytes, payload, got);
        }
        Span<byte> extra = stackalloc byte[1];
        if (ReadFully(stream, extra) > 0)
        {
            throw new InvalidDataException($"{path}: the file is longer than its header says ({headerBytes + payload:N0} bytes for {string.Join(" × ", dimensions)}). Replace the file with a good copy.");
        }
        hash.AppendData(data);
        if (expectedSha256 is not null)
        {
            string actualHash = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (!string.Equals(actualHash, expectedSha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{path}: checksum mismatch: expected SHA-256 {expectedSha256}, found {actualHash}. The file is corrupt or not the pinned MNIST file; restore it (git checkout -- data/mnist) or pass --data DIR to use other data.");
            }
        }
        return new IdxFile(path, dimensions, data);
    }

    private static InvalidDataException LengthError(string path, string what, int[] dims, long headerBytes, long expected, long found) =>
        new($"{path}: truncated or wrong length: the header promises {string.Join(" × ", dims)} = {expected:N0} bytes of {what} after the {headerBytes}-byte header, found {found:N0}. Replace the file with a complete copy.");

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        return total;
    }
}
