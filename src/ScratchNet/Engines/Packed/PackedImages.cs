// Byte images stored compactly once, for the fast full-batch step: only the non-zero pixels, two
// bytes each, in blocks of 256 images and in both orders the first layer needs.
//   Row order (forward, Z1 = W1·X):  per image, entries (step, code): the pixel index advances by
//     step (0..255) from the previous entry (the first from pixel 0) and the pixel's value is
//     Levels[code]. A gap over 255 pixels is bridged by a filler entry (step 255, code 0, value 0),
//     which adds exactly nothing.
//   Column order (weight gradient, dW1 = dZ1·Xᵀ): per block and pixel, entries (row, code) with the
//     row within the block (0..255), rows ascending.
// Levels[code] = code / 255 is the same float every other path computes from a pixel byte, so this
// is the same X, in 4 bytes per non-zero instead of the 11 of float rows plus a float column copy.
// Each image's entries and each column's are padded to a multiple of four with (0, 0) entries,
// value 0 (as a zero pixel in the dense product), so the loops take four at a time, no remainder.
// Pixels inked in a large share of the images (the middle of MNIST: 35 % or more of the images
// for 212 pixels, which hold 76 % of the non-zeros) are kept apart as bytes, 16 images side by
// side: there one FMA serves 16 images of one hidden unit, cheaper than one entry per image.
// Leaves out: values that are not bytes (the general sparse kernels take any floats).
using System.Runtime.CompilerServices;
using ScratchNet.Data;
using ScratchNet.Tensors;

namespace ScratchNet.Engines.Packed;

internal sealed class PackedImages
{
    private static readonly ConditionalWeakTable<Dataset, PackedImages> Packs = [];

    /// <summary>All images of <paramref name="data"/> packed, built on the first call and kept while the data set lives.</summary>
    public static PackedImages Of(Dataset data) => Packs.GetValue(data, d => Pack(d.Count, d.Features, d.Image));

    public const int BlockRows = 256;   // a row within a block fits in a byte
    private const int MaxStep = byte.MaxValue;

    private PackedImages(int rows, int cols, int blocks)
    {
        Rows = rows;
        Cols = cols;
        Blocks = blocks;
        RowStart = new int[rows + 1];
        ColStart = new int[(blocks * (cols + 1)) + 1];
    }

    public int Rows { get; }

    /// <summary>Pixels per image.</summary>
    public int Cols { get; }

    /// <summary>Blocks of <see cref="BlockRows"/> images; block b is rows b·256 … min(m, b·256 + 256) − 1.</summary>
    public int Blocks { get; }

    /// <summary>The value of each code: Levels[c] = c / 255 (Levels[0] = 0, the filler's value).</summary>
    public float[] Levels { get; } = CreateLevels();

    /// <summary>Image i's entries are RowEntries[RowStart[i] .. RowStart[i + 1]).</summary>
    public int[] RowStart { get; }

    /// <summary>Low byte: pixel step from the previous entry; high byte: code.</summary>
    public ushort[] RowEntries { get; private set; } = [];

    /// <summary>Block b, pixel k: ColEntries[ColStart[b·(Cols + 1) + k] .. ColStart[b·(Cols + 1) + k + 1]).</summary>
    public int[] ColStart { get; }

    /// <summary>Low byte: row within the block; high byte: code.</summary>
    public ushort[] ColEntries { get; private set; } = [];

    /// <summary>Non-zero pixels (filler entries not counted).</summary>
    public long NonZeros { get; private set; }

    /// <summary>Bytes held by the packed form.</summary>
    public long Bytes => (2L * (RowEntries.Length + ColEntries.Length)) + DenseBytes.Length + (4L * (RowStart.Length + ColStart.Length));

    /// <summary>First row of block b.</summary>
    public static int BlockStart(int b) => b * BlockRows;

    public int BlockEnd(int b) => Math.Min(Rows, (b + 1) * BlockRows);

    /// <summary>Pixels inked in at least this share of the images are kept as bytes in lanes (<see cref="DenseBytes"/>).</summary>
    public const double DefaultDenseShare = 0.35;

    /// <summary>The pixels kept densely, ascending; their entries are not in the two sparse orders.</summary>
    public int[] DensePixels { get; private set; } = [];

    /// <summary>The other pixels with a non-zero anywhere, ascending: the only columns the sparse order can hold.</summary>
    public int[] SparsePixels { get; private set; } = [];

    /// <summary>
    /// Per block b and group g of 16 images, per dense pixel j, the 16 images' bytes:
    /// DenseBytes[((b·16 + g)·D + j)·16 + lane] with D = DensePixels.Length (0 past the last image).
    /// </summary>
    public byte[] DenseBytes { get; private set; } = [];

    /// <summary>Packs <paramref name="rows"/> images of <paramref name="cols"/> pixels, image(i) giving image i's bytes.</summary>
    public static PackedImages Pack(int rows, int cols, Func<int, ReadOnlySpan<byte>> image, double denseShare = DefaultDenseShare)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        int blocks = (rows + BlockRows - 1) / BlockRows;
        var packed = new PackedImages(rows, cols, blocks);
        int[] rowStart = packed.RowStart, colStart = packed.ColStart;
        int K = cols;
        // Pass 1, per block: non-zeros per pixel; then the dense pixels from their totals.
        Workers.For(blocks, b =>
        {
            Span<int> perPixel = colStart.AsSpan((b * (K + 1)) + 1, K);
            for (int i = BlockStart(b); i < packed.BlockEnd(b); i++)
            {
                ReadOnlySpan<byte> pixels = Checked(image(i), cols, i);
                for (int k = 0; k < pixels.Length; k++)
                {
                    perPixel[k] += pixels[k] != 0 ? 1 : 0;
                }
            }
        });
        var total = new long[K];
        for (int b = 0; b < blocks; b++)
        {
            for (int k = 0; k < K; k++)
            {
                total[k] += colStart[(b * (K + 1)) + 1 + k];
            }
        }
        var isDense = new bool[K];
        var dense = new List<int>();
        for (int k = 0; k < K; k++)
        {
            packed.NonZeros += total[k];
            if (total[k] >= denseShare * rows && total[k] > 0)
            {
                isDense[k] = true;
                dense.Add(k);
            }
        }
        int D = dense.Count;
        packed.DensePixels = [.. dense];
        packed.SparsePixels = [.. Enumerable.Range(0, K).Where(k => total[k] > 0 && !isDense[k])];
        // Pass 2, per image: sparse entries (dense pixels left out, fillers for long gaps).
        Workers.For(blocks, b =>
        {
            for (int i = BlockStart(b); i < packed.BlockEnd(b); i++)
            {
                ReadOnlySpan<byte> pixels = image(i);
                int entries = 0, last = 0;
                for (int k = 0; k < pixels.Length; k++)
                {
                    if (pixels[k] != 0 && !isDense[k])
                    {
                        entries += 1 + Fillers(k - last);
                        last = k;
                    }
                }
                rowStart[i + 1] = RoundUp4(entries);
            }
        });
        // Counts to offsets, in order; every image's and every column's entries rounded up to a multiple of 4.
        long rowTotal = 0, colTotal = 0;
        for (int i = 0; i < rows; i++)
        {
            rowTotal += rowStart[i + 1];
            rowStart[i + 1] = (int)Math.Min(rowTotal, int.MaxValue);
        }
        for (int b = 0; b < blocks; b++)
        {
            int base0 = b * (K + 1);
            colStart[base0] = (int)Math.Min(colTotal, int.MaxValue);
            for (int k = 0; k < K; k++)
            {
                colTotal += isDense[k] ? 0 : RoundUp4(colStart[base0 + k + 1]);
                colStart[base0 + k + 1] = (int)Math.Min(colTotal, int.MaxValue);
            }
        }
        long denseTotal = (long)blocks * Groups * D * Lanes;
        if (colTotal > Array.MaxLength || rowTotal > Array.MaxLength || denseTotal > Array.MaxLength)
        {
            throw new ArgumentException($"{rows} images of {cols} pixels have too many non-zero pixels to pack ({colTotal:N0}); train on fewer images.");
        }
        colStart[^1] = (int)colTotal;
        var rowEntries = new ushort[rowStart[rows]];
        var colEntries = new ushort[colTotal];
        var denseBytes = new byte[denseTotal];
        // Pass 3, per block: fill both sparse orders (a cursor per pixel walks each column) and the dense bytes.
        Workers.For(blocks, b =>
        {
            int r0 = BlockStart(b);
            int[] cursor = colStart[(b * (K + 1))..((b * (K + 1)) + K)];
            for (int i = r0; i < packed.BlockEnd(b); i++)
            {
                ReadOnlySpan<byte> pixels = image(i);
                int e = rowStart[i], last = 0;
                for (int k = 0; k < pixels.Length; k++)
                {
                    byte code = pixels[k];
                    if (code == 0 || isDense[k])
                    {
                        continue;
                    }
                    while (k - last > MaxStep)
                    {
                        rowEntries[e++] = MaxStep;   // filler: step 255, code 0
                        last += MaxStep;
                    }
                    rowEntries[e++] = (ushort)((k - last) | (code << 8));
                    last = k;
                    colEntries[cursor[k]++] = (ushort)((i - r0) | (code << 8));
                }
                int row = i - r0;
                long groupBase = ((((long)b * Groups) + (row / Lanes)) * D * Lanes) + (row % Lanes);
                for (int j = 0; j < D; j++)
                {
                    denseBytes[groupBase + (j * Lanes)] = pixels[packed.DensePixels[j]];
                }
            }
        });
        packed.RowEntries = rowEntries;
        packed.ColEntries = colEntries;
        packed.DenseBytes = denseBytes;
        return packed;
    }

    /// <summary>Images per lane group of the dense bytes (one Vector512 of floats).</summary>
    public const int Lanes = 16;

    /// <summary>Lane groups per block.</summary>
    public const int Groups = BlockRows / Lanes;

    /// <summary>Filler entries before a non-zero pixel <paramref name="gap"/> pixels after the previous entry's (steps are at most 255).</summary>
    private static int Fillers(int gap) => gap > MaxStep ? (gap - 1) / MaxStep : 0;

    private static int RoundUp4(int count) => (count + 3) & ~3;

    private static ReadOnlySpan<byte> Checked(ReadOnlySpan<byte> pixels, int cols, int i) =>
        pixels.Length == cols ? pixels : throw new ArgumentException($"Image {i} has {pixels.Length} pixels, expected {cols}.");

    private static float[] CreateLevels()
    {
        var levels = new float[256];
        for (int c = 0; c < levels.Length; c++)
        {
            levels[c] = c * (1f / 255f);   // the conversion of Dataset.ToFloats
        }
        return levels;
    }
}
