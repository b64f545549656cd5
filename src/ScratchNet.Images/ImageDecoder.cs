// Decodes PNG, JPEG and BMP files (any size up to the limits, colour or grey) to grey pixels with
// StbImageSharp, refusing before decoding what would hang or exhaust memory: files over 20 MB,
// images over 4096×4096, and JPEGs whose segment lengths run past the end of the data (a known
// input that makes the decoder spin forever). Leaves out: WebP, animation (first frame only).
using StbImageSharp;

namespace ScratchNet.Images;

public static class ImageDecoder
{
    public const long MaxBytes = 20L * 1024 * 1024;
    public const int MaxSide = 4096;

    /// <summary>Grey pixels [height, width] (0 black … 255 white) of the image file <paramref name="bytes"/>.</summary>
    /// <exception cref="InvalidDataException">Not a PNG, JPEG or BMP; corrupt; or over the limits. The message names <paramref name="name"/>.</exception>
    public static (byte[] Grey, int Width, int Height) Decode(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length > MaxBytes)
        {
            throw new InvalidDataException($"{name}: {bytes.Length:N0} bytes is over the {MaxBytes / (1024 * 1024)} MB limit for an image. Use a smaller file.");
        }
        string format = Sniff(bytes) ?? throw new InvalidDataException($"{name}: not a PNG, JPEG or BMP image (its first bytes are not any of theirs). Save the digit as PNG, JPEG or BMP.");
        if (format == "JPEG")
        {
            CheckJpegSegments(bytes, name);
        }
        byte[] data = bytes.ToArray();
        ImageInfo? info;
        try
        {
            using var stream = new MemoryStream(data);
            info = ImageInfo.FromStream(stream);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NotSupportedException or OverflowException)
        {
            throw new InvalidDataException($"{name}: the {format} data is corrupt and cannot be read.", e);
        }
        if (info is not { } size)
        {
            throw new InvalidDataException($"{name}: the {format} header is corrupt and cannot be read.");
        }
        if (size.Width < 1 || size.Height < 1 || size.Width > MaxSide || size.Height > MaxSide)
        {
            throw new InvalidDataException($"{name}: {size.Width}×{size.Height} pixels; images must be between 1×1 and {MaxSide}×{MaxSide}. Crop or shrink it.");
        }
        ImageResult image;
        try
        {
            image = ImageResult.FromMemory(data, ColorComponents.GreyAlpha);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or NotSupportedException or OverflowException or NullReferenceException)
        {
            throw new InvalidDataException($"{name}: the {format} data is corrupt and cannot be decoded.", e);
        }
        if (image.Width != size.Width || image.Height != size.Height || image.Data.Length < image.Width * image.Height * 2)
        {
            throw new InvalidDataException($"{name}: the {format} data is inconsistent with its header.");
        }
        // Composite over white, so that dark ink on a transparent background reads as dark on light.
        var grey = new byte[image.Width * image.Height];
        for (int i = 0; i < grey.Length; i++)
        {
            int g = image.Data[2 * i], a = image.Data[(2 * i) + 1];
            grey[i] = (byte)(((g * a) + (255 * (255 - a)) + 127) / 255);
        }
        return (grey, image.Width, image.Height);
    }

    private static string? Sniff(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 8 && b[0] == 0x89 && b[1] == 0x50 && b[2] == 0x4E && b[3] == 0x47)
        {
            return "PNG";
        }
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        {
            return "JPEG";
        }
        if (b.Length >= 2 && b[0] == (byte)'B' && b[1] == (byte)'M')
        {
            return "BMP";
        }
        return null;
    }

    /// <summary>Walks the JPEG marker segments up to the start of scan; every length must stay inside the data.</summary>
    private static void CheckJpegSegments(ReadOnlySpan<byte> b, string name)
    {
        int at = 2;
        while (true)
        {
            while (at < b.Length && b[at] == 0xFF)
            {
                at++; // fill bytes
            }
            if (at >= b.Length)
            {
                throw new InvalidDataException($"{name}: the JPEG data ends before its image data starts (truncated file).");
            }
            byte marker = b[at++];
            if (marker == 0xD9)
            {
                throw new InvalidDataException($"{name}: the JPEG ends before any image data.");
            }
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                continue; // markers without a length
            }
            if (at + 2 > b.Length)
            {
                throw new InvalidDataException($"{name}: the JPEG is truncated inside a segment header.");
            }
            int length = (b[at] << 8) | b[at + 1];
            if (length < 2 || at + length > b.Length)
            {
                throw new InvalidDataException($"{name}: a JPEG segment claims {length} bytes, past the end of the file (corrupt or truncated).");
            }
            if (marker == 0xDA)
            {
                return; // start of scan: the rest is entropy-coded data
            }
            at += length;
        }
    }
}
