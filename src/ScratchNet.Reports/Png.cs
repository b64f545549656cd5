// A minimal PNG writer for the report's image grids (hidden-unit weights, mistaken digits): 8-bit
// RGB, one zlib-compressed IDAT chunk, CRC-32 per chunk. Leaves out: reading, palettes, interlacing.
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ScratchNet.Reports;

/// <summary>An RGB image and its PNG encoding.</summary>
public sealed class RgbImage(int width, int height)
{
    /// <summary>Width in pixels.</summary>
    public int Width { get; } = width;

    /// <summary>Height in pixels.</summary>
    public int Height { get; } = height;

    /// <summary>RGB bytes, row-major, three per pixel.</summary>
    public byte[] Pixels { get; } = new byte[width * height * 3];

    /// <summary>Sets pixel (<paramref name="x"/>, <paramref name="y"/>) to <paramref name="color"/>.</summary>
    public void Set(int x, int y, (byte R, byte G, byte B) color)
    {
        int at = ((y * Width) + x) * 3;
        Pixels[at] = color.R;
        Pixels[at + 1] = color.G;
        Pixels[at + 2] = color.B;
    }

    /// <summary>Sets every pixel to <paramref name="color"/>.</summary>
    public void Fill((byte R, byte G, byte B) color)
    {
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                Set(x, y, color);
            }
        }
    }

    /// <summary>The image as PNG bytes (8-bit RGB).</summary>
    public byte[] ToPng()
    {
        using var output = new MemoryStream();
        output.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Height);
        header[8] = 8;  // bit depth
        header[9] = 2;  // colour type: RGB
        WriteChunk(output, "IHDR", header);
        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            {
                for (int y = 0; y < Height; y++)
                {
                    z.WriteByte(0); // filter: none
                    z.Write(Pixels, y * Width * 3, Width * 3);
                }
            }
            WriteChunk(output, "IDAT", raw.ToArray());
        }
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        output.Write(length);
        byte[] typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        uint crc = Crc32(Crc32(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(length, crc);
        output.Write(length);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        return c;
    }).ToArray();

    private static uint Crc32(uint crc, byte[] data)
    {
        foreach (byte b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return crc;
    }

    /// <summary>Width and height from a PNG's IHDR chunk (for tests and checks).</summary>
    public static (int Width, int Height) ReadSize(ReadOnlySpan<byte> png)
    {
        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (png.Length < 24 || !png[..8].SequenceEqual(signature) || Encoding.ASCII.GetString(png.Slice(12, 4)) != "IHDR")
        {
            throw new InvalidDataException("Not a PNG file.");
        }
        return (BinaryPrimitives.ReadInt32BigEndian(png[16..]), BinaryPrimitives.ReadInt32BigEndian(png[20..]));
    }
}
