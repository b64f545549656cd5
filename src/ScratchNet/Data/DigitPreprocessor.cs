// Turns any grey image of one handwritten digit into the 28×28 input MNIST's own images went
// through: light ink on a dark background, cropped to the ink, the longer side scaled to 20 pixels
// (aspect kept, anti-aliased by area averaging), placed in a 28×28 frame with the ink's centre of
// mass on pixel (14, 14), as in MNIST. Leaves out: decoding files (ScratchNet.Images), segmenting several digits.
namespace ScratchNet.Data;

/// <summary>Turns a photo or drawing of one digit into a 28×28 MNIST-style image: ink white on black, fitted into a 20×20 box, centred by its centre of mass.</summary>
public static class DigitPreprocessor
{
    /// <summary>Side of the output image, in pixels.</summary>
    public const int Size = 28;
    /// <summary>Side of the box the digit is scaled into, as MNIST does.</summary>
    public const int Box = 20;

    /// <summary>
    /// The 28×28 MNIST-style image (row-major bytes, ink high) of the grey image <paramref name="grey"/>
    /// [height, width] (0 = black, 255 = white), whichever of ink and background is lighter.
    /// </summary>
    /// <exception cref="InvalidDataException">No ink was found (a blank image).</exception>
    public static byte[] ToMnist(ReadOnlySpan<byte> grey, int width, int height, string name = "image")
    {
        if (width < 1 || height < 1 || grey.Length != width * height)
        {
            throw new ArgumentException($"{name}: {grey.Length} pixels do not make a {width}×{height} image.");
        }
        // Background = the median of the border; ink is whatever differs from it, made light.
        var border = new List<byte>();
        for (int x = 0; x < width; x++)
        {
            border.Add(grey[x]);
            border.Add(grey[((height - 1) * width) + x]);
        }
        for (int y = 0; y < height; y++)
        {
            border.Add(grey[y * width]);
            border.Add(grey[(y * width) + width - 1]);
        }
        border.Sort();
        int background = border[border.Count / 2];
        bool darkInk = background > 127;
        var ink = new float[width * height];
        float max = 0;
        for (int i = 0; i < ink.Length; i++)
        {
            float v = darkInk ? background - grey[i] : grey[i] - background;
            ink[i] = Math.Max(0, v);
            max = Math.Max(max, ink[i]);
        }
        if (max < 32)
        {
            throw new InvalidDataException($"{name}: no ink found — the image is blank or one flat colour. Draw or photograph one digit, dark on light or light on dark.");
        }
        // Ink = pixels above a tenth of the strongest; the bounding box of those.
        float threshold = 0.1f * max;
        int left = width, right = -1, top = height, bottom = -1;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                float v = ink[(y * width) + x];
                if (v >= threshold)
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
                else
                {
                    ink[(y * width) + x] = v < threshold * 0.5f ? 0 : v; // drop faint noise, keep anti-aliased edges
                }
            }
        }
        int boxW = right - left + 1, boxH = bottom - top + 1;
        // Scale the longer side to 20 pixels, keeping the aspect ratio.
        double scale = (double)Box / Math.Max(boxW, boxH);
        int outW = Math.Clamp((int)Math.Round(boxW * scale), 1, Box), outH = Math.Clamp((int)Math.Round(boxH * scale), 1, Box);
        float[] small = Resample(ink, width, left, top, boxW, boxH, outW, outH);
        // Centre of mass of the scaled digit, then shift it to the frame's centre.
        double mass = 0, cx = 0, cy = 0;
        for (int y = 0; y < outH; y++)
        {
            for (int x = 0; x < outW; x++)
            {
                double v = small[(y * outW) + x];
                mass += v;
                cx += v * (x + 0.5);
                cy += v * (y + 0.5);
            }
        }
        cx /= mass;
        cy /= mass;
        // MNIST's centre of mass sits on pixel (14, 14), whose centre is 14.5 in these coordinates.
        const double centre = (Size / 2.0) + 0.5;
        int offsetX = (int)Math.Round(centre - cx), offsetY = (int)Math.Round(centre - cy);
        offsetX = Math.Clamp(offsetX, 0, Size - outW);
        offsetY = Math.Clamp(offsetY, 0, Size - outH);
        float smallMax = small.Max();
        var result = new byte[Size * Size];
        for (int y = 0; y < outH; y++)
        {
            for (int x = 0; x < outW; x++)
            {
                result[((y + offsetY) * Size) + x + offsetX] = (byte)Math.Clamp((int)Math.Round(255 * small[(y * outW) + x] / smallMax), 0, 255);
            }
        }
        return result;
    }

    /// <summary>Area-averaging resample of the box (left, top, boxW, boxH) of src to outW × outH.</summary>
    private static float[] Resample(float[] src, int stride, int left, int top, int boxW, int boxH, int outW, int outH)
    {
        var dst = new float[outW * outH];
        double sx = (double)boxW / outW, sy = (double)boxH / outH;
        for (int oy = 0; oy < outH; oy++)
        {
            double y0 = oy * sy, y1 = (oy + 1) * sy;
            for (int ox = 0; ox < outW; ox++)
            {
                double x0 = ox * sx, x1 = (ox + 1) * sx;
                double sum = 0, area = 0;
                for (int y = (int)y0; y < Math.Min(boxH, (int)Math.Ceiling(y1)); y++)
                {
                    double wy = Math.Min(y + 1, y1) - Math.Max(y, y0);
                    for (int x = (int)x0; x < Math.Min(boxW, (int)Math.Ceiling(x1)); x++)
                    {
                        double w = wy * (Math.Min(x + 1, x1) - Math.Max(x, x0));
                        sum += w * src[((top + y) * stride) + left + x];
                        area += w;
                    }
                }
                dst[(oy * outW) + ox] = area > 0 ? (float)(sum / area) : 0f;
            }
        }
        return dst;
    }
}
