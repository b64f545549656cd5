// Decodes PNG, JPEG and BMP files (any size up to the limits, colour or grey) to grey pixels with
// StbImageSharp, refusing before decoding what would hang or exhaust memory: files over 20 MB,
// images over 4096×4096, JPEGs whose segment lengths run past the end of the data (a known input
// that makes the decoder spin forever), and JPEGs whose scans × pixels are over a budget (the
// decoder's time grows with both). What is left is decoded from a stream that checks, every few
// hundred reads, a time budget and the caller's cancellation (a client that went away), so that no
// decode outlives either. Leaves out: WebP, animation (first frame only).
using StbImageSharp;

namespace ScratchNet.Images;

/// <summary>Decodes PNG, JPEG and BMP files within a size, pixel and time budget (JPEGs walked to their end first).</summary>
public static class ImageDecoder
{
    /// <summary>Largest image file accepted, in bytes (20 MB).</summary>
    public const long MaxBytes = 20L * 1024 * 1024;
    /// <summary>Largest width or height accepted, in pixels.</summary>
    public const int MaxSide = 4096;

    /// <summary>Longest a decode may run; the largest real photos take a fraction of it.</summary>
    public static readonly TimeSpan MaxDecodeTime = TimeSpan.FromSeconds(5);

    /// <summary>Grey pixels [height, width] (0 black … 255 white) of the image file <paramref name="bytes"/>.</summary>
    /// <exception cref="InvalidDataException">Not a PNG, JPEG or BMP; corrupt; or over the limits. The message names <paramref name="name"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled while decoding.</exception>
    public static (byte[] Grey, int Width, int Height) Decode(ReadOnlySpan<byte> bytes, string name, CancellationToken cancel = default) =>
        Decode(bytes, name, MaxDecodeTime, cancel);

    internal static (byte[] Grey, int Width, int Height) Decode(ReadOnlySpan<byte> bytes, string name, TimeSpan budget, CancellationToken cancel)
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
        if (info is not { } header)
        {
            throw new InvalidDataException($"{name}: the {format} header is corrupt and cannot be read.");
        }
        // A top-down BMP records a negative height (rows stored top first); the decoder handles it.
        var size = (Width: header.Width, Height: format == "BMP" && header.Height < 0 && header.Height > int.MinValue ? -header.Height : header.Height);
        if (size.Width < 1 || size.Height < 1 || size.Width > MaxSide || size.Height > MaxSide)
        {
            throw new InvalidDataException($"{name}: {size.Width}×{size.Height} pixels; images must be between 1×1 and {MaxSide}×{MaxSide}. Crop or shrink it.");
        }
        ImageResult image;
        try
        {
            using var stream = new BudgetStream(data, budget, cancel);
            image = ImageResult.FromStream(stream, ColorComponents.GreyAlpha);
        }
        catch (TimeoutException)
        {
            throw new InvalidDataException($"{name}: decoding the {format} ran past its time budget of {budget.TotalSeconds:0.#} s and was stopped. Save the digit as a smaller PNG.");
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

    /// <summary>Scans a JPEG may hold: a progressive colour JPEG has about 10 (libjpeg's default script).</summary>
    public const int MaxJpegScans = 32;

    /// <summary>Scans × pixels a JPEG may cost: the decoder passes over the whole image once per scan (about 0.1 s per 4096×4096 scan).</summary>
    public const long MaxJpegScanPixels = 200L * 1000 * 1000;

    /// <summary>
    /// Walks every JPEG marker segment to the end, before the decoder sees the file: every length must stay
    /// inside the data, a frame header must come before the first scan and Huffman tables with it, and the
    /// scans are counted against <see cref="MaxJpegScans"/> and <see cref="MaxJpegScanPixels"/> — the
    /// decoder's time grows with scans × pixels, so a small file of many scans over a large frame would
    /// otherwise hold a core for minutes.
    /// </summary>
    private static void CheckJpegSegments(ReadOnlySpan<byte> b, string name)
    {
        int at = 2, scans = 0;
        long pixels = 0;
        bool huffman = false;
        while (true)
        {
            while (at < b.Length && b[at] == 0xFF)
            {
                at++; // fill bytes
            }
            if (at >= b.Length)
            {
                if (scans > 0)
                {
                    return; // image data without the closing marker: the decoder reads what is there
                }
                throw new InvalidDataException($"{name}: the JPEG data ends before its image data starts (truncated file).");
            }
            byte marker = b[at++];
            if (marker == 0xD9)
            {
                if (scans > 0)
                {
                    return;
                }
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
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC && length >= 7)
            {
                // Frame header: precision, height, width.
                pixels = (long)((b[at + 3] << 8) | b[at + 4]) * ((b[at + 5] << 8) | b[at + 6]);
            }
            huffman |= marker == 0xC4;
            if (marker == 0xDA)
            {
                if (pixels == 0)
                {
                    throw new InvalidDataException($"{name}: the JPEG has image data before its frame header (corrupt).");
                }
                if (!huffman)
                {
                    throw new InvalidDataException($"{name}: the JPEG has no Huffman tables before its image data (corrupt, or not a still image).");
                }
                scans++;
                if (scans > MaxJpegScans || scans * pixels > MaxJpegScanPixels)
                {
                    throw new InvalidDataException($"{name}: the JPEG has {scans} or more scans over {pixels:N0} pixels, over the decoding budget ({MaxJpegScans} scans, {MaxJpegScanPixels:N0} scan-pixels). Save it as PNG, or as a baseline JPEG.");
                }
                // Skip the entropy-coded data to the next marker: 0xFF followed by neither 0x00 (a stuffed byte) nor a restart marker.
                at += length;
                while (at + 1 < b.Length && !(b[at] == 0xFF && b[at + 1] != 0x00 && b[at + 1] is not (>= 0xD0 and <= 0xD7)))
                {
                    at++;
                }
                if (at + 1 >= b.Length)
                {
                    return; // the data runs to the end without a closing marker
                }
                continue;
            }
            at += length;
        }
    }
}
