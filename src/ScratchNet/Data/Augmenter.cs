// Data augmentation: every training image of a mini-batch is moved a little before the step sees it,
// a new draw each epoch. "affine": a random rotation (±12°), scaling (±10 %) and shift (±2 px) about
// the image centre; "elastic" adds Simard et al.'s (2003) elastic distortion: a random displacement per
// pixel, U(−1, 1), smoothed by a Gaussian of σ = 4 px and scaled by α = 8 px. Each output pixel is read
// from the original by bilinear interpolation (zero outside). An image's draw depends only on the seed,
// the epoch and its position in the epoch's order: the same bits on any thread count, and a resumed run
// draws what the straight run drew. Dev and test images are never augmented.
using ScratchNet.Tensors;

namespace ScratchNet.Data;

/// <summary>Moves the images of a mini-batch by seeded random affine (and elastic) transforms.</summary>
public sealed class Augmenter
{
    /// <summary>The names --augment takes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["none", "affine", "elastic"];

    /// <summary>Largest shift, in pixels, in each direction.</summary>
    public const float MaxShift = 2f;
    /// <summary>Largest rotation, in degrees, either way.</summary>
    public const float MaxDegrees = 12f;
    /// <summary>Largest change of scale, as a fraction (0.10 = ±10 %).</summary>
    public const float MaxScale = 0.10f;
    /// <summary>σ of the Gaussian that smooths the elastic displacement field, in pixels.</summary>
    public const float ElasticSigma = 4f;
    /// <summary>α, the strength of the elastic displacement, in pixels.</summary>
    public const float ElasticAlpha = 8f;

    private readonly bool elastic;
    private readonly ulong seed;
    private float[][] scratch = [];   // per piece: dx, dy and a work field, [3 · rows·cols], reused every batch
    private byte[] pixels = [];   // the last batch's moved images [m, rows·cols], reused while m stays the same
    private readonly float[] kernel;   // the Gaussian, 2·radius + 1 taps, summing to 1

    /// <summary>An augmenter of kind "none", "affine" or "elastic" whose draws come from <paramref name="seed"/>.</summary>
    public Augmenter(string kind, ulong seed)
    {
        if (kind is not ("affine" or "elastic"))
        {
            throw new ArgumentException($"--augment {kind}: use one of {string.Join(", ", Names)}.");
        }
        elastic = kind == "elastic";
        this.seed = seed;
        int radius = (int)MathF.Ceiling(3 * ElasticSigma);
        kernel = new float[(2 * radius) + 1];
        for (int i = -radius; i <= radius; i++)
        {
            kernel[i + radius] = MathF.Exp(-(i * i) / (2 * ElasticSigma * ElasticSigma));
        }
        float total = kernel.Sum();
        for (int i = 0; i < kernel.Length; i++)
        {
            kernel[i] /= total;
        }
    }

    /// <summary>
    /// The images of <paramref name="source"/> at <paramref name="indices"/>, each moved by its own draw for
    /// (seed, <paramref name="epoch"/>, <paramref name="firstPosition"/> + its place in the batch), as a data
    /// set of their own (its buffer is reused by the next call).
    /// </summary>
    public Dataset Batch(Dataset source, ReadOnlySpan<int> indices, int epoch, int firstPosition)
    {
        int m = indices.Length, size = source.Features;
        if (pixels.Length != m * size)
        {
            pixels = new byte[m * size];
        }
        byte[] output = pixels, labels = new byte[m];
        int[] picked = indices.ToArray();
        for (int k = 0; k < m; k++)
        {
            labels[k] = source.Labels[picked[k]];
        }
        int rows = source.ImageRows, cols = source.ImageCols, pieces = ConvKernels.PieceCount(m);
        if (scratch.Length < pieces || scratch[0].Length < 3 * size)
        {
            scratch = [.. Enumerable.Range(0, pieces).Select(_ => new float[3 * size])];
        }
        Workers.For(pieces, piece =>
        {
            int per = (m + pieces - 1) / pieces;
            Span<float> fields = scratch[piece];
            for (int k = piece * per; k < Math.Min(m, (piece + 1) * per); k++)
            {
                var rng = new Rng(Mix(seed, (ulong)epoch, (ulong)(firstPosition + k)));
                Move(source.Image(picked[k]), rows, cols, rng, output.AsSpan(k * size, size), fields[..size], fields[size..(2 * size)], fields[(2 * size)..(3 * size)]);
            }
        });
        return new Dataset(output, labels, rows, cols, $"{source.Source} (augmented)");
    }

    /// <summary>One image: out(x, y) = in(T⁻¹(x, y) + displacement(x, y)), bilinear, zero outside.</summary>
    private void Move(ReadOnlySpan<byte> image, int rows, int cols, Rng rng, Span<byte> output, Span<float> dx, Span<float> dy, Span<float> work)
    {
        float angle = rng.NextFloat(-MaxDegrees, MaxDegrees) * MathF.PI / 180f;
        float scale = 1f + rng.NextFloat(-MaxScale, MaxScale);
        float shiftX = rng.NextFloat(-MaxShift, MaxShift), shiftY = rng.NextFloat(-MaxShift, MaxShift);
        if (elastic)
        {
            Displacement(rng, rows, cols, dx, work);
            Displacement(rng, rows, cols, dy, work);
        }
        // The inverse map: an output pixel p reads the input at R(−angle)·(p − c − shift)/scale + c.
        float cos = MathF.Cos(angle) / scale, sin = MathF.Sin(angle) / scale;
        float cx = (cols - 1) / 2f, cy = (rows - 1) / 2f;
        for (int y = 0; y < rows; y++)
        {
            for (int x = 0; x < cols; x++)
            {
                float u = x - cx - shiftX, v = y - cy - shiftY;
                float sx = (cos * u) + (sin * v) + cx, sy = (-sin * u) + (cos * v) + cy;
                if (elastic)
                {
                    sx += dx[(y * cols) + x];
                    sy += dy[(y * cols) + x];
                }
                output[(y * cols) + x] = Sample(image, rows, cols, sx, sy);
            }
        }
    }

    /// <summary>A displacement field: U(−1, 1) per pixel, smoothed by the Gaussian (rows, then columns), times α.</summary>
    private void Displacement(Rng rng, int rows, int cols, Span<float> field, Span<float> work)
    {
        for (int i = 0; i < rows * cols; i++)
        {
            work[i] = rng.NextFloat(-1f, 1f);
        }
        int radius = kernel.Length / 2;
        for (int y = 0; y < rows; y++)
        {
            for (int x = 0; x < cols; x++)
            {
                float sum = 0;
                for (int t = -radius; t <= radius; t++)
                {
                    int xx = x + t;
                    if (xx >= 0 && xx < cols)
                    {
                        sum += kernel[t + radius] * work[(y * cols) + xx];
                    }
                }
                field[(y * cols) + x] = sum;
            }
        }
        for (int x = 0; x < cols; x++)
        {
            for (int y = 0; y < rows; y++)
            {
                float sum = 0;
                for (int t = -radius; t <= radius; t++)
                {
                    int yy = y + t;
                    if (yy >= 0 && yy < rows)
                    {
                        sum += kernel[t + radius] * field[(yy * cols) + x];
                    }
                }
                work[(y * cols) + x] = sum;
            }
        }
        for (int i = 0; i < rows * cols; i++)
        {
            field[i] = ElasticAlpha * work[i];
        }
    }

    /// <summary>Bilinear interpolation of the image at (x, y), zero outside, rounded to a byte.</summary>
    private static byte Sample(ReadOnlySpan<byte> image, int rows, int cols, float x, float y)
    {
        int x0 = (int)MathF.Floor(x), y0 = (int)MathF.Floor(y);
        float fx = x - x0, fy = y - y0;
        float value = ((1 - fy) * (((1 - fx) * Pixel(image, rows, cols, x0, y0)) + (fx * Pixel(image, rows, cols, x0 + 1, y0))))
            + (fy * (((1 - fx) * Pixel(image, rows, cols, x0, y0 + 1)) + (fx * Pixel(image, rows, cols, x0 + 1, y0 + 1))));
        return (byte)Math.Clamp(MathF.Round(value), 0f, 255f);
    }

    private static float Pixel(ReadOnlySpan<byte> image, int rows, int cols, int x, int y) =>
        x < 0 || y < 0 || x >= cols || y >= rows ? 0f : image[(y * cols) + x];

    /// <summary>A 64-bit seed for one image's draw from (seed, epoch, position): SplitMix64 steps over the three.</summary>
    private static ulong Mix(ulong a, ulong b, ulong c)
    {
        ulong x = a;
        x = Step(x ^ Step(b + 0x632BE59BD9B4E019UL));
        return Step(x ^ Step(c + 0x9E3779B97F4A7C15UL));

        static ulong Step(ulong z)
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
