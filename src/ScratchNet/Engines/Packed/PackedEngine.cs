// The fastest full-batch step, for the seed network's shape with a narrow hidden layer:
// packed byte images X → Dense(H ≤ 16) → g → Dense(O ≤ 16) → softmax with cross-entropy, at any
// vector width (a row of 16 floats is one 512-bit vector, two of 256 or four of 128: Row16).
// Per block of 256 images (in cache):
//   FP  Z1 = W1·X + b1   sparse pixels image by image: one 16-lane FMA (all hidden units) per
//                        non-zero with the pixel's row of W1ᵀ, four accumulators in flight;
//                        dense pixels (inked in a third of the images) 16 images per lane group:
//                        one FMA per pixel and unit, all units' sums in registers;
//       A1 = g(Z1), Z2 = W2·A1 + b2, A2 = softmax(Z2)   16 images at a time, one image per lane;
//   BP  dZ2 = A2 − Y, dW2 += dZ2·A1ᵀ, db2 += dZ2, dZ1 = W2ᵀ·dZ2 ∘ g′(Z1)   (same 16 lanes);
//       dW1 += dZ1·Xᵀ    sparse pixels one by one over the block's column order (dZ1 rows in L1),
//                        dense pixels per lane, the lanes summed once per piece.
// Blocks are grouped into pieces fixed by m alone, each with its own partial gradients, reduced in
// piece order: the same bits whatever the thread count. The same math as the layer-by-layer path
// (tested against it). The chooser gives it full-batch training and inference of byte images from
// 256-bit vectors up (it runs at 128 bits too, where the fused engine is faster on x64;
// PackedEngine.Create picks the width); other shapes run the fused or layer engine. Every lane sees the same operations at every width: where the hardware fuses
// multiply-adds alike, the widths give the same bits (the lane sums too: Row16.Sum adds as Vector512.Sum).
// This file: the step's orchestration (pieces, buffers, weights in, gradients out); the second
// layer's 16-lane groups are in PackedEngine.Group.cs, the first layer's loops in PackedKernels.cs.
using System.Runtime.Intrinsics;
using ScratchNet.Data;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Engines.Packed;

/// <summary>The packed engine, at the widest vectors this machine offers.</summary>
internal abstract class PackedEngine : ITrainingEngine, IInferenceEngine
{
    /// <summary>The engine for a network the chooser found fits (EngineChooser.IsTwoLayerSoftmax, at most 16 units a layer), at this machine's widest vectors.</summary>
    public static PackedEngine Create(Network network) => Create(network, Simd.Widest);

    /// <summary>The engine at <paramref name="width"/>, which this machine must run (tests compare the widths).</summary>
    internal static PackedEngine Create(Network network, VectorWidth width) => width > Simd.Widest
        ? throw new NotSupportedException($"This machine runs vectors of at most {Simd.Width} bits, not {(int)width}.")
        : width switch
    {
        VectorWidth.Bits512 => new PackedEngine<Lanes512, Vector512<float>>(network),
        VectorWidth.Bits256 => new PackedEngine<Lanes256, Vector256<float>>(network),
        VectorWidth.Bits128 => new PackedEngine<Lanes128, Vector128<float>>(network),
        _ => throw new NotSupportedException("The packed engine needs vector hardware (128-bit vectors or wider); the chooser runs the fused engine here."),
    };

    public EngineKind Kind => EngineKind.Packed;

    public StepResult Step(Dataset data) => Run(PackedImages.Of(data), data.Labels);

    public StepResult Step(Dataset data, ReadOnlySpan<int> images) =>
        throw new NotSupportedException("The packed engine steps over whole data sets (full batch); mini-batches run on the layer engine.");

    public void Predict(Dataset data, Matrix A) => Predict(PackedImages.Of(data), A);

    /// <summary>One forward and backward pass over X [m, K] with labels Y: sets every gradient (means over m) and returns the mean loss and the number of correct predictions.</summary>
    public abstract StepResult Run(PackedImages X, byte[] Y);

    /// <summary>Inference only: A [m, O] = softmax(W2·g(W1·X + b1) + b2) for packed images.</summary>
    public abstract void Predict(PackedImages X, Matrix A);
}

/// <summary>The packed engine at one vector width (<typeparamref name="TL"/>).</summary>
internal sealed unsafe partial class PackedEngine<TL, TV> : PackedEngine
    where TL : struct, ILanes<TV>
    where TV : struct
{
    private const int V = PackedImages.Lanes;   // floats per row: hidden units (padded), images per group
    private const int Block = PackedImages.BlockRows;

    private readonly Dense dense1;
    private readonly Activation g;
    private readonly Dense dense2;
    private readonly int K, H, O;
    private readonly AlignedFloats w1t;        // W1ᵀ [K, 16], zero-padded
    private AlignedFloats denseW = AlignedFloats.Empty;   // the dense pixels' rows of W1ᵀ [D, 16], in order
    private readonly AlignedFloats w2v;        // W2 [O·H] with each weight repeated in 16 lanes
    private readonly float[] b1p, b2;          // b1 [16] zero-padded, b2 [O]
    private AlignedFloats partials = AlignedFloats.Empty;   // per piece: PartialSize
    private AlignedFloats scratch = AlignedFloats.Empty;    // per piece: ScratchSize
    private AlignedFloats denseLanes = AlignedFloats.Empty; // per piece: the dense pixels' dW1ᵀ per lane
    private double[] losses = [];
    private int[] correct = [];

    // Per piece: dW1ᵀ [K, 16], per lane dW2 [O·H, 16], db2 [O, 16] and db1 [H, 16].
    private int PartialSize => (K * V) + (O * H * V) + (O * V) + (H * V);

    // Per piece: Z1 → dZ1 of a block [256, 16], per group Z1ᵀ, A1ᵀ, dA1ᵀ → dZ1ᵀ and Z2 → dZ2, each [16, 16],
    // and the block's dZ1ᵀ per group [16 groups, 16, 16] for the dense pixels' gradient.
    private const int ScratchSize = (Block * V) + (4 * V * V) + (PackedImages.Groups * V * V);

    /// <summary>The engine for a network the chooser found fits (EngineChooser.IsTwoLayerSoftmax, at most 16 units a layer).</summary>
    public PackedEngine(Network network)
    {
        dense1 = (Dense)network.Layers[0];
        g = (Activation)network.Layers[1];
        dense2 = (Dense)network.Layers[2];
        K = dense1.Inputs;
        H = dense1.Outputs;
        O = dense2.Outputs;
        w1t = new AlignedFloats(K * V);
        w2v = new AlignedFloats(O * H * V);
        b1p = new float[V];
        b2 = new float[O];
    }

    /// <summary>Grows the per-piece buffers to hold <paramref name="pieces"/> pieces, with <paramref name="lanesSize"/> dense-lane floats each.</summary>
    private void EnsureBuffers(int pieces, long lanesSize)
    {
        partials = partials.AtLeast((long)pieces * PartialSize);
        scratch = scratch.AtLeast((long)pieces * ScratchSize);
        denseLanes = denseLanes.AtLeast(pieces * lanesSize);
        if (losses.Length < pieces)
        {
            losses = new double[pieces];
            correct = new int[pieces];
        }
    }

    /// <inheritdoc/>
    public override StepResult Run(PackedImages X, byte[] Y)
    {
        int m = X.Rows;
        if (X.Cols != K || Y.Length != m)
        {
            throw new ArgumentException($"Packed step: {m} images of {X.Cols} pixels and {Y.Length} labels do not fit a {K}-input network.");
        }
        Refresh(X);
        // Pieces of blocks fixed by m alone (Tensors/Pieces), each with its own partial gradients.
        int pieces = Pieces.Count(X.Blocks * Block);
        int lanesSize = X.DensePixels.Length * V * V;
        EnsureBuffers(pieces, lanesSize);
        Workers.For(pieces, p =>
        {
            int b0 = (int)((long)X.Blocks * p / pieces), b1 = (int)((long)X.Blocks * (p + 1) / pieces);
            (losses[p], correct[p]) = RunPiece(X, Y, b0, b1, partials.Pointer + ((long)p * PartialSize), scratch.Pointer + ((long)p * ScratchSize), denseLanes.Pointer + ((long)p * lanesSize));
        });
        Reduce(pieces, 1f / m);
        return StepResult.FromPieces(losses, correct, pieces, m);
    }

    /// <summary>Copies W1, W2, b1, b2 into the forms the loops read (W1ᵀ also as X's dense pixels' rows).</summary>
    private void Refresh(PackedImages X)
    {
        float* wt = w1t.Pointer;
        new Span<float>(wt, K * V).Clear();
        float[] w1 = dense1.W.Value;
        for (int h = 0; h < H; h++)
        {
            for (int k = 0; k < K; k++)
            {
                wt[(k * V) + h] = w1[(h * K) + k];
            }
        }
        float[] w2 = dense2.W.Value;
        for (int j = 0; j < O * H; j++)
        {
            new Span<float>(w2v.Pointer + (j * V), V).Fill(w2[j]);
        }
        int D = X.DensePixels.Length;
        denseW = denseW.AtLeast(D * V);
        for (int j = 0; j < D; j++)
        {
            new Span<float>(wt + (X.DensePixels[j] * V), V).CopyTo(new Span<float>(denseW.Pointer + (j * V), V));
        }
        Array.Clear(b1p);
        dense1.b.Value.CopyTo(b1p, 0);
        dense2.b.Value.CopyTo(b2, 0);
    }

    private (double Loss, int Correct) RunPiece(PackedImages X, byte[] Y, int firstBlock, int endBlock, float* part, float* work, float* lanes)
    {
        new Span<float>(part, PartialSize).Clear();
        float* dW1t = part, dW2 = dW1t + (K * V), db2 = dW2 + (O * H * V), db1 = db2 + (O * V);
        float* Z1 = work, group = work + (Block * V), dZ1tBlock = group + (4 * V * V);
        double loss = 0;
        int correct = 0;
        int D = X.DensePixels.Length;
        int sparseCount = X.SparsePixels.Length;
        fixed (ushort* rowEntries = X.RowEntries, colEntries = X.ColEntries)
        fixed (int* rowStart = X.RowStart, colStart = X.ColStart, densePixels = X.DensePixels, sparsePixels = X.SparsePixels)
        fixed (float* levels = X.Levels, pb1 = b1p)
        fixed (byte* denseBytes = X.DenseBytes)
        {
            var bias1 = Row16<TL, TV>.Load(pb1);
            float* blockLoss = stackalloc float[V];
            for (int b = firstBlock; b < endBlock; b++)
            {
                int r0 = PackedImages.BlockStart(b), rows = X.BlockEnd(b) - r0;
                // FP  Z1 = W1·X + b1 over the sparse pixels, then A1 … dZ1 16 images at a time; dZ1 replaces Z1
                SparseForward(rowEntries, rowStart, levels, bias1, r0, rows, Z1);
                new Span<float>(blockLoss, V).Clear();
                byte* blockBytes = denseBytes + ((long)b * PackedImages.Groups * D * V);
                for (int i = 0; i < rows; i += V)
                {
                    var dense = new DenseGroup(blockBytes + ((long)(i / V) * D * V), D, dZ1tBlock + ((i / V) * V * V));
                    correct += Group(Z1 + (i * V), Y, r0 + i, rows - i, dense, group, dW2, db2, db1, blockLoss);
                }
                for (int l = 0; l < V; l++)
                {
                    loss += blockLoss[l];
                }
                //     dW1 += dZ1·Xᵀ, pixel by pixel over the block's non-zeros in column order
                int* cols = colStart + ((long)b * (K + 1));
                for (int s = 0; s < sparseCount; s++)
                {
                    int k = sparsePixels[s], e0 = cols[k], e1 = cols[k + 1];
                    if (e1 > e0)
                    {
                        float* dst = dW1t + (k * V);
                        (Row16<TL, TV>.Load(dst) + PackedKernels<TL, TV>.Accumulate(colEntries + e0, e1 - e0, Z1, levels)).Store(dst);
                    }
                }
                //     and over the dense pixels, 16 images per FMA
                PackedKernels<TL, TV>.DenseGradient(blockBytes, D, H, dZ1tBlock, (rows + V - 1) / V, lanes, first: b == firstBlock);
            }
            //     the dense pixels' lanes summed into dW1ᵀ, once per piece
            for (int j = 0; j < D; j++)
            {
                for (int h = 0; h < H; h++)
                {
                    dW1t[(densePixels[j] * V) + h] += Row16<TL, TV>.Load(lanes + ((((long)j * V) + h) * V)).Sum();
                }
            }
        }
        return (loss, correct);
    }

    /// <summary>Z1 rows of block images r0 … r0 + rows − 1: b1 plus their sparse pixels' part, image by image; rows past a short block are zeros.</summary>
    private void SparseForward(ushort* rowEntries, int* rowStart, float* levels, Row16<TL, TV> bias1, int r0, int rows, float* Z1)
    {
        for (int i = 0; i < rows; i++)
        {
            int e0 = rowStart[r0 + i];
            (PackedKernels<TL, TV>.Forward(rowEntries + e0, rowStart[r0 + i + 1] - e0, w1t.Pointer, levels) + bias1).Store(Z1 + (i * V));
        }
        new Span<float>(Z1 + (rows * V), (Block - rows) * V).Clear();
    }

    /// <summary>Gradients = scale · Σ_pieces partial, pieces in order, lanes in order, into the layers' W and b gradients.</summary>
    private void Reduce(int pieces, float scale)
    {
        int size = PartialSize;
        float* first = partials.Pointer;
        // Sum the pieces into the first one, in piece order for every element; chunks of elements in parallel.
        const int Chunk = 2048;
        Workers.For((size + Chunk - 1) / Chunk, c =>
        {
            float* firstChunk = partials.Pointer + ((long)c * Chunk);
            int length = Math.Min(Chunk, size - (c * Chunk));
            for (int p = 1; p < pieces; p++)
            {
                float* part = firstChunk + ((long)p * size);
                for (int j = 0; j < length; j += TL.Count)
                {
                    TL.Store(TL.Add(TL.Load(firstChunk + j), TL.Load(part + j)), firstChunk + j);
                }
            }
        });
        float[] dW1 = dense1.W.Gradient, db1 = dense1.b.Gradient, dW2 = dense2.W.Gradient, db2 = dense2.b.Gradient;
        for (int k = 0; k < K; k++)
        {
            for (int h = 0; h < H; h++)
            {
                dW1[(h * K) + k] = first[(k * V) + h] * scale;
            }
        }
        float* pdW2 = first + (K * V), pdb2 = pdW2 + (O * H * V), pdb1 = pdb2 + (O * V);
        for (int j = 0; j < O * H; j++)
        {
            dW2[j] = LaneSum(pdW2 + (j * V)) * scale;
        }
        for (int o = 0; o < O; o++)
        {
            db2[o] = LaneSum(pdb2 + (o * V)) * scale;
        }
        for (int h = 0; h < H; h++)
        {
            db1[h] = LaneSum(pdb1 + (h * V)) * scale;
        }
    }

    private static float LaneSum(float* lanes)
    {
        float sum = 0f;
        for (int l = 0; l < V; l++)
        {
            sum += lanes[l];
        }
        return sum;
    }
}
