// An image file (or its bytes) to the network's 28×28 input: decode, then MNIST's preprocessing.
using ScratchNet.Data;

namespace ScratchNet.Images;

/// <summary>An image file, or its bytes, as the network's 28×28 input: decoded, then prepared as MNIST's digits were.</summary>
public static class ImageInput
{
    /// <summary>The 28×28 input (bytes, ink high) for the image file at <paramref name="path"/>.</summary>
    public static byte[] Load(string path)
    {
        ScratchNet.Serialization.InputFile.Check(path, "an image");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found.", path);
        }
        long length = new FileInfo(path).Length;
        if (length > ImageDecoder.MaxBytes)
        {
            throw new InvalidDataException($"{path}: {length:N0} bytes is over the {ImageDecoder.MaxBytes / (1024 * 1024)} MB limit for an image. Use a smaller file.");
        }
        return FromBytes(File.ReadAllBytes(path), path);
    }

    /// <summary>The 28×28 input for an image file's bytes; <paramref name="name"/> names it in messages.</summary>
    public static byte[] FromBytes(ReadOnlySpan<byte> bytes, string name) => FromBytes(bytes, name, out _);

    /// <summary>The 28×28 input for an image file's bytes, and how many pixels the file held (what decoding it cost); <paramref name="cancel"/> stops the decode (a client that went away).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was cancelled while decoding.</exception>
    public static byte[] FromBytes(ReadOnlySpan<byte> bytes, string name, out long pixels, CancellationToken cancel = default)
    {
        var (grey, width, height) = ImageDecoder.Decode(bytes, name, cancel);
        pixels = (long)width * height;
        return DigitPreprocessor.ToMnist(grey, width, height, name);
    }
}
