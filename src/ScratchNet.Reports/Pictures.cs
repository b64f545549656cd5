// Pictures of what the network sees and learned: MNIST digits and each hidden unit's incoming
// weights as 28×28 images, a convolution's filters and feature maps (blue negative, white zero,
// red positive), upscaled, in a grid.
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Reports;

/// <summary>Image grids of the report: hidden units' weights as 28×28 pictures, filters, feature maps, mistaken digits.</summary>
public static class Pictures
{
    private static readonly (byte, byte, byte) Background = (255, 255, 255);

    /// <summary>A grey digit (ink dark on white), each pixel drawn as scale × scale.</summary>
    public static RgbImage Digit(ReadOnlySpan<byte> pixels, int rows, int cols, int scale)
    {
        var image = new RgbImage(cols * scale, rows * scale);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                byte v = (byte)(255 - pixels[(r * cols) + c]);
                for (int dy = 0; dy < scale; dy++)
                {
                    for (int dx = 0; dx < scale; dx++)
                    {
                        image.Set((c * scale) + dx, (r * scale) + dy, (v, v, v));
                    }
                }
            }
        }
        return image;
    }

    /// <summary>The incoming weights of the first <paramref name="units"/> units of <paramref name="layer"/>, one tile each.</summary>
    public static RgbImage Weights(Dense layer, int rows, int cols, int units, int scale, int perRow)
    {
        units = Math.Min(units, layer.Outputs);
        return Tiles([.. Enumerable.Range(0, units).Select(u => new ReadOnlyMemory<float>(layer.W.Value, u * layer.Inputs, layer.Inputs))], rows, cols, scale, perRow);
    }

    /// <summary>The first convolution's filters as seen by its first input channel, one K×K tile each.</summary>
    public static RgbImage Filters(Conv2D conv, int scale, int perRow)
    {
        ConvShape s = conv.Shape;
        int perFilter = s.Patch, kk = s.Kernel * s.Kernel;
        return Tiles([.. Enumerable.Range(0, s.Filters).Select(o => new ReadOnlyMemory<float>(conv.W.Value, o * perFilter, kk))], s.Kernel, s.Kernel, scale, perRow);
    }

    /// <summary>Feature maps of <paramref name="examples"/> examples: one row per example, one tile per channel.</summary>
    public static RgbImage FeatureMaps(MapShape map, Matrix values, int examples, int scale)
    {
        var tiles = new List<ReadOnlyMemory<float>>();
        for (int n = 0; n < Math.Min(examples, values.Rows); n++)
        {
            for (int c = 0; c < map.Channels; c++)
            {
                tiles.Add(new ReadOnlyMemory<float>(values.Storage, (n * map.Size) + (c * map.Plane), map.Plane));
            }
        }
        return Tiles(tiles, map.Height, map.Width, scale, map.Channels);
    }

    /// <summary>Tiles of rows × cols values in a grid, each coloured against its own largest magnitude (blue negative, white zero, red positive).</summary>
    public static RgbImage Tiles(IReadOnlyList<ReadOnlyMemory<float>> tiles, int rows, int cols, int scale, int perRow)
    {
        const int gap = 4;
        int count = tiles.Count;
        int gridRows = (count + perRow - 1) / perRow;
        int tileW = cols * scale, tileH = rows * scale;
        var image = new RgbImage((Math.Min(count, perRow) * (tileW + gap)) + gap, (gridRows * (tileH + gap)) + gap);
        image.Fill(Background);
        for (int u = 0; u < count; u++)
        {
            ReadOnlySpan<float> w = tiles[u].Span;
            float max = 1e-12f;
            foreach (float v in w)
            {
                max = MathF.Max(max, MathF.Abs(v));
            }
            int x0 = gap + (u % perRow * (tileW + gap)), y0 = gap + (u / perRow * (tileH + gap));
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    var color = Diverging(w[(r * cols) + c] / max);
                    for (int dy = 0; dy < scale; dy++)
                    {
                        for (int dx = 0; dx < scale; dx++)
                        {
                            image.Set(x0 + (c * scale) + dx, y0 + (r * scale) + dy, color);
                        }
                    }
                }
            }
        }
        return image;
    }

    /// <summary>−1 → blue, 0 → white, +1 → red.</summary>
    public static (byte R, byte G, byte B) Diverging(float t)
    {
        t = Math.Clamp(t, -1f, 1f);
        byte fade = (byte)(255 * (1 - MathF.Abs(t)));
        return t >= 0 ? ((byte)255, fade, fade) : (fade, fade, (byte)255);
    }
}
