// The IDX reader on synthetic files: valid raw and gzip, and every malformed case with its message.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using ScratchNet.Data;

namespace ScratchNet.Tests.Data;

public class IdxReaderTests
{
    private readonly string dir = TestData.TempDir();

    internal static byte[] Idx(byte dims, int[] shape, byte[] payload, byte type = 0x08)
    {
        var bytes = new byte[4 + (4 * shape.Length) + payload.Length];
        bytes[2] = type;
        bytes[3] = dims;
        for (int d = 0; d < shape.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * d)), shape[d]);
        }
        payload.CopyTo(bytes, 4 + (4 * shape.Length));
        return bytes;
    }

    internal static byte[] Images(int count, int rows = 2, int cols = 3) =>
        Idx(3, [count, rows, cols], Enumerable.Range(0, count * rows * cols).Select(i => (byte)(i * 7)).ToArray());

    internal static byte[] Labels(int count) => Idx(1, [count], Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray());

    internal static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest))
        {
            gz.Write(raw);
        }
        return output.ToArray();
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Reads_raw_and_gzip_images()
    {
        byte[] raw = Images(4);
        IdxFile a = IdxReader.Read(Write("a", raw), 3);
        IdxFile b = IdxReader.Read(Write("b.gz", Gzip(raw)), 3);
        Assert.Equal([4, 2, 3], a.Dimensions);
        Assert.Equal(a.Data, b.Data);
        Assert.Equal(24, a.Data.Length);
        Assert.Equal(7, a.Data[1]);
    }

    [Fact]
    public void Checks_the_sha256_of_the_decompressed_bytes()
    {
        byte[] raw = Labels(5);
        string good = Convert.ToHexStringLower(SHA256.HashData(raw));
        Assert.Equal(5, IdxReader.Read(Write("l.gz", Gzip(raw)), 1, good).Data.Length);
        string bad = new('0', 64);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(Write("l2", raw), 1, bad));
        Assert.Contains("checksum mismatch", ex.Message);
        Assert.Contains(good, ex.Message);
        Assert.Contains("l2", ex.Message);
    }

    [Fact]
    public void A_labels_file_passed_as_images_is_named_as_such()
    {
        string path = Write("labels-as-images", Labels(5));
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path, 3));
        Assert.Contains(path, ex.Message);
        Assert.Contains("wrong IDX magic number 0x00000801", ex.Message);
        Assert.Contains("found a labels file", ex.Message);
        Assert.Contains("swapped", ex.Message);
    }

    [Fact]
    public void Truncated_files_are_rejected_at_every_length()
    {
        byte[] raw = Images(3);
        for (int length = 0; length < raw.Length; length++)
        {
            string path = Write($"t{length}", raw[..length]);
            var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path, 3));
            Assert.StartsWith(path, ex.Message);
            Assert.Contains("truncated", ex.Message);
            string gzPath = Write($"t{length}.gz", Gzip(raw[..length]));
            var gzEx = Assert.Throws<InvalidDataException>(() => IdxReader.Read(gzPath, 3));
            Assert.Contains("truncated", gzEx.Message);
        }
    }

    [Fact]
    public void A_truncated_gzip_stream_is_rejected()
    {
        byte[] gz = Gzip(Images(50, 10, 10));
        string path = Write("cut.gz", gz[..(gz.Length / 2)]);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path, 3));
        Assert.StartsWith(path, ex.Message);
    }

    [Fact]
    public void Extra_bytes_after_the_data_are_rejected()
    {
        byte[] raw = [.. Images(2), 1, 2, 3];
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(Write("long", raw), 3));
        Assert.Contains("wrong length", ex.Message);
        var gzEx = Assert.Throws<InvalidDataException>(() => IdxReader.Read(Write("long.gz", Gzip(raw)), 3));
        Assert.Contains("longer than its header says", gzEx.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Non_positive_dimensions_are_rejected(int count)
    {
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(Write("d", Idx(3, [count, 28, 28], [])), 3));
        Assert.Contains("must be positive", ex.Message);
    }

    [Fact]
    public void A_header_claiming_huge_sizes_is_rejected_before_allocating()
    {
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(Write("huge", Idx(3, [int.MaxValue, 28, 28], [1, 2, 3])), 3));
        Assert.Contains("header is corrupt", ex.Message);
        var ex2 = Assert.Throws<InvalidDataException>(() => IdxReader.Read(Write("big", Idx(3, [1_000_000, 28, 28], [1, 2, 3])), 3));
        Assert.Contains("truncated", ex2.Message);
    }

    [Fact]
    public void Other_element_types_and_garbage_are_rejected()
    {
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(Write("f", Idx(3, [1, 1, 1], [0, 0, 0, 0], type: 0x0D)), 3));
        Assert.Contains("element type 0x0d", ex.Message);
        var ex2 = Assert.Throws<InvalidDataException>(() => IdxReader.Read(Write("png", [0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]), 3));
        Assert.Contains("not an IDX file", ex2.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        string path = Path.Combine(dir, "nope");
        var ex = Assert.Throws<FileNotFoundException>(() => IdxReader.Read(path, 1));
        Assert.Contains(path, ex.Message);
    }
}
