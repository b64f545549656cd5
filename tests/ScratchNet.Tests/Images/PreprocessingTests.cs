// Own images to MNIST inputs: synthetic digits off-centre, inverted, tiny and huge land centred
// and scaled like MNIST's; MNIST's own images saved as PNG predict as they do in memory; hostile
// files get clear errors, fast.
using System.Diagnostics;
using ScratchNet.Cli;
using ScratchNet.Data;
using ScratchNet.Images;
using ScratchNet.Reports;
using ScratchNet.Training;
using ScratchNet.Inference;

namespace ScratchNet.Tests.Images;

public class PreprocessingTests
{
    /// <summary>A white (255) image with a black (0) filled rectangle, or the reverse.</summary>
    private static byte[] Canvas(int width, int height, int x0, int y0, int w, int h, bool darkInk = true)
    {
        var grey = new byte[width * height];
        Array.Fill(grey, darkInk ? (byte)255 : (byte)0);
        for (int y = y0; y < y0 + h; y++)
        {
            for (int x = x0; x < x0 + w; x++)
            {
                grey[(y * width) + x] = darkInk ? (byte)0 : (byte)255;
            }
        }
        return grey;
    }

    private static (int Left, int Right, int Top, int Bottom, double Cx, double Cy) Measure(byte[] mnist)
    {
        int left = 28, right = -1, top = 28, bottom = -1;
        double mass = 0, cx = 0, cy = 0;
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                byte v = mnist[(y * 28) + x];
                if (v > 0)
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                    mass += v;
                    cx += v * (x + 0.5);
                    cy += v * (y + 0.5);
                }
            }
        }
        return (left, right, top, bottom, cx / mass, cy / mass);
    }

    [Fact]
    public void An_off_centre_digit_is_cropped_scaled_to_20_pixels_and_centred_by_mass()
    {
        // A 10×40 bar in the top-left corner of a 200×100 page.
        byte[] mnist = DigitPreprocessor.ToMnist(Canvas(200, 100, 5, 3, 10, 40), 200, 100);
        var m = Measure(mnist);
        Assert.Equal(20, m.Bottom - m.Top + 1);   // the longer side is 20 pixels
        Assert.Equal(5, m.Right - m.Left + 1);    // the aspect ratio is kept: 10/40 × 20
        Assert.InRange(m.Cx, 14.0, 15.0);
        Assert.InRange(m.Cy, 14.0, 15.0);
        Assert.Equal(255, mnist.Max());
    }

    [Fact]
    public void Inverted_colours_give_the_same_input()
    {
        byte[] dark = DigitPreprocessor.ToMnist(Canvas(120, 90, 70, 20, 30, 12), 120, 90);
        byte[] light = DigitPreprocessor.ToMnist(Canvas(120, 90, 70, 20, 30, 12, darkInk: false), 120, 90);
        Assert.Equal(dark, light);
        var m = Measure(dark);
        Assert.Equal(20, m.Right - m.Left + 1);
        Assert.Equal(8, m.Bottom - m.Top + 1);
    }

    [Fact]
    public void Tiny_and_huge_images_are_scaled_to_the_same_box()
    {
        byte[] tiny = DigitPreprocessor.ToMnist(Canvas(6, 7, 2, 1, 2, 5), 6, 7);
        byte[] huge = DigitPreprocessor.ToMnist(Canvas(3000, 3000, 900, 300, 800, 2000), 3000, 3000);
        foreach (byte[] image in new[] { tiny, huge })
        {
            var m = Measure(image);
            Assert.Equal(20, m.Bottom - m.Top + 1);
            Assert.Equal(8, m.Right - m.Left + 1);
            Assert.InRange(m.Cx, 14.0, 15.0);
        }
    }

    [Fact]
    public void A_blank_image_is_rejected()
    {
        var ex = Assert.Throws<InvalidDataException>(() => DigitPreprocessor.ToMnist(Canvas(50, 50, 0, 0, 0, 0), 50, 50, "blank.png"));
        Assert.Contains("blank.png: no ink found", ex.Message);
    }

    private static string SavePng(byte[] grey, int width, int height, string path, bool darkInk = false)
    {
        var image = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte v = grey[(y * width) + x];
                if (darkInk)
                {
                    v = (byte)(255 - v);
                }
                image.Set(x, y, (v, v, v));
            }
        }
        File.WriteAllBytes(path, image.ToPng());
        return path;
    }

    private static readonly Lazy<ScratchNet.Layers.Network> Model = new(() =>
        new Trainer(Presets.Get("mlp") with { Epochs = 1 }).Train(TestData.MnistSets.Train, null).Network);

    [Fact]
    public void Mnist_test_images_saved_as_png_predict_as_they_do_in_memory()
    {
        string dir = TestData.TempDir();
        var test = TestData.MnistSets.Test;
        int same = 0;
        const int count = 200;
        for (int i = 0; i < count; i++)
        {
            // Saved the way a person would: dark ink on white, at 3× size.
            byte[] big = new byte[84 * 84];
            ReadOnlySpan<byte> image = test.Image(i);
            for (int y = 0; y < 84; y++)
            {
                for (int x = 0; x < 84; x++)
                {
                    big[(y * 84) + x] = image[(y / 3 * 28) + (x / 3)];
                }
            }
            string path = SavePng(big, 84, 84, Path.Combine(dir, $"{i}.png"), darkInk: true);
            int fromFile = Predictor.Predict(Model.Value, ImageInput.Load(path)).Digit;
            int inMemory = Predictor.Predict(Model.Value, image).Digit;
            same += fromFile == inMemory ? 1 : 0;
        }
        Assert.True(same >= count * 0.97, $"{same} of {count} agree");
    }

    [Fact]
    public void Predict_on_image_files_prints_the_top_three_and_the_input()
    {
        string dir = TestData.TempDir();
        string model = Path.Combine(dir, "m.safetensors");
        ScratchNet.Serialization.ModelFile.Save(model, Model.Value);
        string png = SavePng(Canvas(60, 80, 27, 10, 6, 60), 60, 80, Path.Combine(dir, "one.png"));
        var output = new StringWriter();
        int code = CliApp.Run(["predict", "--model", model, png, "--show"], output, new StringWriter());
        Assert.Equal(0, code);
        string text = output.ToString();
        Assert.StartsWith($"{png}: 1 (", text);
        Assert.Contains("then", text);
        Assert.Contains("@@", text);

        string garbage = Path.Combine(dir, "notes.txt");
        File.WriteAllText(garbage, "not an image");
        output = new StringWriter();
        code = CliApp.Run(["predict", "--model", model, garbage, png], output, new StringWriter());
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("notes.txt: error:", output.ToString());
        Assert.Contains("not a PNG, JPEG or BMP", output.ToString());
        Assert.Contains($"{png}: 1 (", output.ToString());
    }

    public static TheoryData<string, byte[], string> HostileFiles()
    {
        byte[] png = new RgbImage(30, 30).ToPng();
        byte[] hugeHeader = (byte[])png.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(hugeHeader.AsSpan(16), 5000);
        byte[] jpegHang = [0xff, 0xd8, 0xff, 0xe0, 0x3f, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, .. new byte[21]];
        return new TheoryData<string, byte[], string>
        {
            { "text", "hello"u8.ToArray(), "not a PNG, JPEG or BMP" },
            { "empty", [], "not a PNG, JPEG or BMP" },
            { "truncated png", png[..40], "corrupt" },
            { "huge dimensions", hugeHeader, "between 1×1 and 4096×4096" },
            { "jpeg whose segment runs past the end", jpegHang, "past the end of the file" },
            { "jpeg with no image data", [0xff, 0xd8, 0xff, 0xd9], "ends before any image data" },
            { "blank png", png, "no ink found" },
        };
    }

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void Hostile_files_get_a_clear_error_fast(string what, byte[] bytes, string expected)
    {
        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<InvalidDataException>(() => ImageInput.FromBytes(bytes, what));
        Assert.Contains(expected, ex.Message);
        Assert.StartsWith(what, ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{what} took {clock.Elapsed.TotalSeconds:0.0} s");   // a hang guard, not a speed claim
    }

    [Fact]
    public void Files_over_20_MB_are_refused_before_reading()
    {
        string path = Path.Combine(TestData.TempDir(), "big.png");
        using (var f = File.Create(path))
        {
            f.SetLength(ImageDecoder.MaxBytes + 1);
        }
        var ex = Assert.Throws<InvalidDataException>(() => ImageInput.Load(path));
        Assert.Contains("over the 20 MB limit", ex.Message);
    }
}
