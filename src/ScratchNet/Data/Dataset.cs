// A labelled set of images kept as bytes (one row of Features pixels per image), and the
// conversions to what the network reads: X = pixels / 255, dense or as sparse rows of non-zeros.
// A subset is a view (an index list over its parent's pixels), so a train/dev split copies no images.
using ScratchNet.Tensors;

namespace ScratchNet.Data;

/// <summary>Images [Count, Features] as bytes 0..255 and their labels.</summary>
public sealed class Dataset
{
    private readonly byte[] pixels;   // the parent's pixels when this is a view
    private readonly int[]? rows;     // image i is pixels row rows[i]; null: image i is row i
    private SparseBatch? sparse;

    /// <summary>A data set of row-major images (<paramref name="imageRows"/> × <paramref name="imageCols"/> bytes each) and their labels; <paramref name="source"/> names it.</summary>
    public Dataset(byte[] pixels, byte[] labels, int imageRows, int imageCols, string source)
    {
        Features = imageRows * imageCols;
        if (pixels.Length != (long)labels.Length * Features)
        {
            throw new ArgumentException($"{pixels.Length} pixels do not make {labels.Length} images of {Features}.");
        }
        this.pixels = pixels;
        Labels = labels;
        ImageRows = imageRows;
        ImageCols = imageCols;
        Source = source;
    }

    private Dataset(Dataset parent, int[] rows, byte[] labels, string source)
    {
        pixels = parent.pixels;
        this.rows = rows;
        Labels = labels;
        ImageRows = parent.ImageRows;
        ImageCols = parent.ImageCols;
        Features = parent.Features;
        Source = source;
    }

    /// <summary>The label of every image (0–9 for digits).</summary>
    public byte[] Labels { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Height of an image in pixels.</summary>
    public int ImageRows { get; }

    /// <summary>Width of an image in pixels.</summary>
    public int ImageCols { get; }

    /// <summary>Pixels per image (784 for MNIST).</summary>
    public int Features { get; }

    /// <summary>Where the data came from, for messages and metadata.</summary>
    public string Source { get; }

    /// <summary>The pixels of image <paramref name="index"/>, row-major, 0 (background) to 255 (ink).</summary>
    public ReadOnlySpan<byte> Image(int index) => pixels.AsSpan((rows is null ? index : rows[index]) * Features, Features);

    /// <summary>Number of classes: the largest label + 1.</summary>
    public int Classes => Labels.Length == 0 ? 0 : Labels.Max() + 1;

    /// <summary>A view of the images at <paramref name="indices"/>, in that order (no pixels are copied).</summary>
    public Dataset Subset(ReadOnlySpan<int> indices, string? source = null)
    {
        var map = new int[indices.Length];
        var labels = new byte[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            map[i] = rows is null ? indices[i] : rows[indices[i]];
            labels[i] = Labels[indices[i]];
        }
        return new Dataset(this, map, labels, source ?? Source);
    }

    /// <summary>The first <paramref name="count"/> images.</summary>
    public Dataset Take(int count)
    {
        int n = Math.Min(count, Count);
        return Subset(Enumerable.Range(0, n).ToArray());
    }

    /// <summary>X [n, Features] = pixels / 255 of images start … start + n − 1, into <paramref name="X"/>.</summary>
    public void FillBatch(int start, int n, Matrix X)
    {
        X.Reshape(n, Features);
        FillRows(n, r => start + r, X);
    }

    /// <summary>X [n, Features] = pixels / 255 of the images at <paramref name="indices"/>.</summary>
    public void FillBatch(ReadOnlySpan<int> indices, Matrix X, Span<byte> labels)
    {
        X.Reshape(indices.Length, Features);
        for (int r = 0; r < indices.Length; r++)
        {
            labels[r] = Labels[indices[r]];
        }
        int[] chosen = System.Buffers.ArrayPool<int>.Shared.Rent(indices.Length);
        indices.CopyTo(chosen);
        FillRows(indices.Length, r => chosen[r], X);
        System.Buffers.ArrayPool<int>.Shared.Return(chosen);
    }

    /// <summary>Row r of X = image <paramref name="image"/>(r) / 255, for r &lt; n, in pieces of rows on every core.</summary>
    /// <remarks>
    /// A mini-batch's images lie anywhere in memory, so filling it waits mostly on memory: one core alone took a fifth
    /// of a 784-128-10 step doing it. Each row is converted alone, so the pieces change no value.
    /// </remarks>
    private void FillRows(int n, Func<int, int> image, Matrix X)
    {
        Workers.For(Pieces.Covering(n, FillRowsPerPiece), piece =>
        {
            for (int r = piece * FillRowsPerPiece, end = Math.Min(n, r + FillRowsPerPiece); r < end; r++)
            {
                ToFloats(Image(image(r)), X.Row(r));
            }
        });
    }

    /// <summary>Images per piece when filling a batch.</summary>
    private const int FillRowsPerPiece = 16;

    /// <summary>x = pixel / 255, the one conversion every path uses (<see cref="PixelFloats"/>: one vector pass).</summary>
    public static void ToFloats(ReadOnlySpan<byte> image, Span<float> x) => PixelFloats.Convert(image, x);

    /// <summary>All images as one sparse batch X [Count, Features] = pixels / 255, non-zeros only (built once).</summary>
    internal SparseBatch Sparse
    {
        get
        {
            if (sparse is null)
            {
                var batch = new SparseBatch(Features);
                FillSparse(batch, 0, Count);
                sparse = batch;
            }
            return sparse;
        }
    }

    /// <summary>Sparse X of images start … start + n − 1 into <paramref name="X"/>.</summary>
    internal void FillSparse(SparseBatch X, int start, int n)
    {
        long nonZeros = 0;
        for (int i = start; i < start + n; i++)
        {
            foreach (byte b in Image(i))
            {
                nonZeros += b != 0 ? 1 : 0;
            }
        }
        X.Clear();
        X.EnsureCapacity(n, (int)Math.Min(nonZeros, int.MaxValue));
        var columns = new ushort[Features];
        var values = new float[Features];
        for (int i = start; i < start + n; i++)
        {
            int count = 0;
            ReadOnlySpan<byte> image = Image(i);
            for (int k = 0; k < image.Length; k++)
            {
                if (image[k] != 0)
                {
                    columns[count] = (ushort)k;
                    values[count++] = image[k] * (1f / 255f);
                }
            }
            X.AppendRow(columns.AsSpan(0, count), values.AsSpan(0, count));
        }
    }

    /// <summary>Sparse X of the images at <paramref name="indices"/>, and their labels.</summary>
    internal void FillSparse(ReadOnlySpan<int> indices, SparseBatch X, Span<byte> labels)
    {
        SparseBatch all = Sparse;
        ReadOnlySpan<int> rowStart = all.RowStart;
        X.Clear();
        for (int r = 0; r < indices.Length; r++)
        {
            int i = indices[r], s0 = rowStart[i], s1 = rowStart[i + 1];
            X.AppendRow(all.Index[s0..s1], all.Value[s0..s1]);
            labels[r] = Labels[i];
        }
    }

    /// <summary>All images as one matrix X [Count, Features].</summary>
    public Matrix ToMatrix()
    {
        var X = new Matrix(Count, Features);
        FillBatch(0, Count, X);
        return X;
    }
}
