// Image files for the front door: Digits.PredictImage("my-digit.png").
namespace ScratchNet.Images;

/// <summary>Predicts from image files (PNG, JPEG, BMP of one digit, any size, colour or grey).</summary>
public static class DigitsImageExtensions
{
    /// <summary>
    /// The digit in the image file at <paramref name="path"/>: decoded within the size and time budget,
    /// then prepared as MNIST's digits were (ink made white on black, fitted into 20×20, centred in 28×28).
    /// </summary>
    /// <exception cref="InvalidDataException">Not an image this library reads, or over its limits; the message says which.</exception>
    public static DigitPrediction PredictImage(this Digits digits, string path)
    {
        ArgumentNullException.ThrowIfNull(digits);
        return digits.Predict(ImageInput.Load(path));
    }

    /// <summary>The digit in an image file's bytes (e.g. an upload); <paramref name="name"/> names it in messages.</summary>
    public static DigitPrediction PredictImage(this Digits digits, ReadOnlySpan<byte> file, string name)
    {
        ArgumentNullException.ThrowIfNull(digits);
        return digits.Predict(ImageInput.FromBytes(file, name));
    }
}
