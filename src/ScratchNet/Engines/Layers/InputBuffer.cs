// The input X of a step, in the form the network's first layer reads fastest: sparse rows of
// non-zero pixels for a narrow first layer (the seed network), a dense matrix otherwise (a wide
// first layer reuses each weight across rows in registers, which beats skipping zeros).
using ScratchNet.Data;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Engines.Layers;

internal sealed class InputBuffer
{
    /// <summary>Widest first layer for which the sparse kernels are used (measured: docs/benchmarks.md).</summary>
    public const int MaxSparseOutputs = 32;

    private readonly Matrix? dense;
    private SparseBatch? sparse;

    public InputBuffer(Network network, int features)
    {
        if (UsesSparse(network))
        {
            sparse = new SparseBatch(features);
        }
        else
        {
            dense = new Matrix(0, features);
        }
    }

    public static bool UsesSparse(Network network) => network.Layers[0] is Dense { Outputs: <= MaxSparseOutputs };

    public int Rows => sparse?.Rows ?? dense!.Rows;

    /// <summary>X = images start … start + n − 1.</summary>
    public void Fill(Dataset data, int start, int n)
    {
        if (sparse is not null)
        {
            data.FillSparse(sparse, start, n);
        }
        else
        {
            data.FillBatch(start, n, dense!);
        }
    }

    /// <summary>X = the images at <paramref name="indices"/>; their labels into <paramref name="labels"/>.</summary>
    public void Fill(Dataset data, ReadOnlySpan<int> indices, Span<byte> labels)
    {
        if (sparse is not null)
        {
            data.FillSparse(indices, sparse, labels);
        }
        else
        {
            data.FillBatch(indices, dense!, labels);
        }
    }

    /// <summary>X = the whole of <paramref name="data"/> (its cached sparse form, or a dense copy).</summary>
    public static InputBuffer Whole(Network network, Dataset data)
    {
        var buffer = new InputBuffer(network, data.Features);
        if (buffer.sparse is not null)
        {
            buffer.sparse = data.Sparse;
        }
        else
        {
            data.FillBatch(0, data.Count, buffer.dense!);
        }
        return buffer;
    }

    /// <summary>The sparse form, when this buffer holds one.</summary>
    public SparseBatch? Sparse => sparse;

    public Matrix Forward(Network network, bool training) =>
        sparse is not null ? network.Forward(sparse, training) : network.Forward(dense!, training);
}
