// The fastest full-batch step, for the seed network's shape with a narrow hidden layer:
// packed byte images X → Dense(H ≤ 16) → g → Dense(O ≤ 16) → softmax with cross-entropy, on
// AVX-512. Per block of 256 images (in cache):
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
// (tested against it). Other shapes and machines use FusedTwoLayerStep.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Training;

internal sealed unsafe class PackedTwoLayerStep
{
    private const int V = 16;                  // floats per Vector512: hidden units (padded), images per group
    private const int BlocksPerPiece = 8;      // 2,048 images
    private const int MaxPieces = 32;
    private const int Block = PackedImages.BlockRows;

    private readonly Dense dense1;
    private readonly Activation g;
    private readonly Dense dense2;
    private readonly int K, H, O;
    private readonly AlignedFloats w1t;        // W1ᵀ [K, 16], zero-padded
    private readonly AlignedFloats w2v;        // W2 [O·H] with each weight repeated in 16 lanes
    private readonly float[] b1p, b2;          // b1 [16] zero-padded, b2 [O]
    private AlignedFloats partials = new(0);
    private AlignedFloats scratch = new(0);
    private AlignedFloats denseLanes = new(0);
    private long denseLanesCapacity;
    private int pieceCapacity;
    private double[] losses = [];
    private int[] correct = [];

    // Per piece: dW1ᵀ [K, 16], per lane dW2 [O·H, 16], db2 [O, 16] and db1 [H, 16].
    private int PartialSize => (K * V) + (O * H * V) + (O * V) + (H * V);

    // Per piece: Z1 → dZ1 of a block [256, 16], per group Z1ᵀ, A1ᵀ, dA1ᵀ → dZ1ᵀ and Z2 → dZ2, each [16, 16],
    // and the block's dZ1ᵀ per group [16 groups, 16, 16] for the dense pixels' gradient.
    private const int ScratchSize = (Block * V) + (4 * V * V) + (PackedImages.Groups * V * V);

    private PackedTwoLayerStep(Network network)
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

    /// <summary>The step for <paramref name="network"/>, or null when its shape or this machine (no AVX-512) is not one this path handles.</summary>
    public static PackedTwoLayerStep? TryCreate(Network network) =>
        FusedTwoLayerStep.IsTwoLayerSoftmax(network, V) && Vector512.IsHardwareAccelerated ? new PackedTwoLayerStep(network) : null;

    /// <summary>One forward and backward pass over X [m, K] with labels Y: sets every gradient (means over m) and returns the mean loss and the number of correct predictions.</summary>
    public (double Loss, int Correct) Run(PackedImages X, byte[] Y)
    {
        int m = X.Rows;
        if (X.Cols != K || Y.Length != m)
        {
            throw new ArgumentException($"Packed step: {m} images of {X.Cols} pixels and {Y.Length} labels do not fit a {K}-input network.");
        }
        Refresh();
        int pieces = Math.Clamp(X.Blocks / BlocksPerPiece, 1, MaxPieces);
        if (pieces > pieceCapacity)
        {
            partials = new AlignedFloats(pieces * PartialSize);
            scratch = new AlignedFloats(pieces * ScratchSize);
            pieceCapacity = pieces;
        }
        int lanesSize = X.DensePixels.Length * V * V;   // per piece: the dense pixels' dW1ᵀ per lane
        if ((long)pieces * lanesSize > denseLanesCapacity)
        {
            denseLanes = new AlignedFloats(pieces * lanesSize);
            denseLanesCapacity = pieces * lanesSize;
        }
        if (losses.Length < pieces)
        {
            losses = new double[pieces];
            correct = new int[pieces];
        }
        Workers.For(pieces, p =>
        {
            int b0 = (int)((long)X.Blocks * p / pieces), b1 = (int)((long)X.Blocks * (p + 1) / pieces);
            (losses[p], correct[p]) = RunPiece(X, Y, b0, b1, partials.Pointer + ((long)p * PartialSize), scratch.Pointer + ((long)p * ScratchSize), denseLanes.Pointer + ((long)p * lanesSize));
        });
        Reduce(pieces, 1f / m);
        return FusedTwoLayerStep.MeanLoss(losses, correct, pieces, m);
    }

    /// <summary>Copies W1, W2, b1, b2 into the forms the loops read.</summary>
    private void Refresh()
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
            Vector512.Create(w2[j]).Store(w2v.Pointer + (j * V));
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
            var bias1 = Vector512.Load(pb1);
            for (int b = firstBlock; b < endBlock; b++)
            {
                int r0 = PackedImages.BlockStart(b), rows = X.BlockEnd(b) - r0;
                // FP  Z1 = W1·X + b1 over the sparse pixels, then A1 … dZ1 16 images at a time; dZ1 replaces Z1
                SparseForward(rowEntries, rowStart, levels, bias1, r0, rows, Z1);
                Vector512<float> blockLoss = default;
                byte* blockBytes = denseBytes + ((long)b * PackedImages.Groups * D * V);
                for (int i = 0; i < rows; i += V)
                {
                    var dense = new DenseGroup(blockBytes + ((long)(i / V) * D * V), D, densePixels, dZ1tBlock + ((i / V) * V * V));
                    correct += Group(Z1 + (i * V), Labels(Y, r0 + i, rows - i), dense, group, dW2, db2, db1, ref blockLoss);
                }
                for (int l = 0; l < V; l++)
                {
                    loss += blockLoss.GetElement(l);
                }
                //     dW1 += dZ1·Xᵀ, pixel by pixel over the block's non-zeros in column order
                int* cols = colStart + ((long)b * (K + 1));
                for (int s = 0; s < sparseCount; s++)
                {
                    int k = sparsePixels[s], e0 = cols[k], e1 = cols[k + 1];
                    if (e1 > e0)
                    {
                        float* dst = dW1t + (k * V);
                        (Vector512.Load(dst) + Accumulate(colEntries + e0, e1 - e0, Z1, levels)).Store(dst);
                    }
                }
                //     and over the dense pixels, 16 images per FMA
                DenseGradient(blockBytes, D, dZ1tBlock, (rows + V - 1) / V, lanes, first: b == firstBlock);
            }
            //     the dense pixels' lanes summed into dW1ᵀ, once per piece
            for (int j = 0; j < D; j++)
            {
                for (int h = 0; h < H; h++)
                {
                    dW1t[(densePixels[j] * V) + h] += Vector512.Sum(Vector512.Load(lanes + ((((long)j * V) + h) * V)));
                }
            }
        }
        return (loss, correct);
    }

    /// <summary>Z1 rows of block images r0 … r0 + rows − 1: b1 plus their sparse pixels' part, image by image; rows past a short block are zeros.</summary>
    private void SparseForward(ushort* rowEntries, int* rowStart, float* levels, Vector512<float> bias1, int r0, int rows, float* Z1)
    {
        for (int i = 0; i < rows; i++)
        {
            int e0 = rowStart[r0 + i];
            (Forward(rowEntries + e0, rowStart[r0 + i + 1] - e0, w1t.Pointer, levels) + bias1).Store(Z1 + (i * V));
        }
        new Span<float>(Z1 + (rows * V), (Block - rows) * V).Clear();
    }

    /// <summary>The labels of images first … first + 15 as lanes, −1 past the <paramref name="left"/> images there are.</summary>
    private static Vector512<int> Labels(byte[] Y, int first, int left)
    {
        if (left >= V)
        {
            return Avx512F.ConvertToVector512Int32(Vector128.Create(Y, first));
        }
        Span<int> lanes = stackalloc int[V];
        for (int l = 0; l < V; l++)
        {
            lanes[l] = l < left ? Y[first + l] : -1;
        }
        return Vector512.Create<int>(lanes);
    }

    /// <summary>Σ over the entries of Levels[code]·w[pixel] (pixel advancing by each entry's step): one image's Z1 − b1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Forward(ushort* e, int count, float* w, float* levels)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        float* p = w;
        int n = 0;
        for (; n < count; n += 4)   // count is a multiple of 4 (PackedImages pads)
        {
            uint u0 = e[n], u1 = e[n + 1], u2 = e[n + 2], u3 = e[n + 3];
            p += (u0 & 0xFF) * V;
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u0 >> 8]), Vector512.Load(p), a0);
            p += (u1 & 0xFF) * V;
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u1 >> 8]), Vector512.Load(p), a1);
            p += (u2 & 0xFF) * V;
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u2 >> 8]), Vector512.Load(p), a2);
            p += (u3 & 0xFF) * V;
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u3 >> 8]), Vector512.Load(p), a3);
        }
        return (a0 + a1) + (a2 + a3);
    }

    /// <summary>Σ over one pixel's entries of Levels[code]·dZ1[row]: the pixel's row of dW1ᵀ from one block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Accumulate(ushort* e, int count, float* dZ1, float* levels)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int n = 0;
        for (; n < count; n += 4)   // count is a multiple of 4 (PackedImages pads)
        {
            uint u0 = e[n], u1 = e[n + 1], u2 = e[n + 2], u3 = e[n + 3];
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u0 >> 8]), Vector512.Load(dZ1 + ((u0 & 0xFF) * V)), a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u1 >> 8]), Vector512.Load(dZ1 + ((u1 & 0xFF) * V)), a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u2 >> 8]), Vector512.Load(dZ1 + ((u2 & 0xFF) * V)), a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(levels[u3 >> 8]), Vector512.Load(dZ1 + ((u3 & 0xFF) * V)), a3);
        }
        return (a0 + a1) + (a2 + a3);
    }

    /// <summary>
    /// The second layer and the way back to dZ1 for the 16 images whose Z1 rows start at z1, one image
    /// per lane (lanes whose label is −1 are missing images and add nothing): adds their losses to
    /// <paramref name="loss"/>, returns how many were right, adds to dW2, db2 and db1 (per lane) and
    /// overwrites the Z1 rows with dZ1.
    /// </summary>
    private int Group(float* z1, Vector512<int> y, DenseGroup dense, float* work, float* dW2, float* db2, float* db1, ref Vector512<float> loss)
    {
        float* z1t = work, a1t = z1t + (V * V), da1t = a1t + (V * V), z2 = da1t + (V * V);
        Logits(z1, dense, work);
        int correct;
        float* pw2 = w2v.Pointer;
        {
            //     A2 = softmax(Z2); loss = max + log Σ exp(z2 − max) − z2[y]; the prediction is the first largest
            Vector512<float> max = Vector512.Load(z2), zy = default, sum = default;
            for (int o = 1; o < O; o++)
            {
                max = Vector512.Max(max, Vector512.Load(z2 + (o * V)));
            }
            Vector512<int> best = Vector512.Create(O - 1);
            for (int o = O - 1; o >= 0; o--)
            {
                Vector512<float> z = Vector512.Load(z2 + (o * V));
                best = Vector512.ConditionalSelect(Vector512.Equals(z, max).AsInt32(), Vector512.Create(o), best);
                zy = Vector512.ConditionalSelect(Vector512.Equals(y, Vector512.Create(o)).AsSingle(), z, zy);
                Vector512<float> e = Exp(z - max);
                e.Store(z2 + (o * V));
                sum += e;
            }
            Vector512<int> present = Vector512.GreaterThanOrEqual(y, Vector512<int>.Zero);
            Vector512<float> valid = present.AsSingle();
            loss += (max + Vector512.Log(sum) - zy) & valid;
            correct = BitOperations.PopCount((uint)(Vector512.Equals(best, y) & present).ExtractMostSignificantBits());
            // BP  dZ2 = A2 − Y (0 for missing images), db2 += dZ2, dW2 += dZ2·A1ᵀ
            Vector512<float> inv = Vector512<float>.One / sum;
            for (int o = 0; o < O; o++)
            {
                Vector512<float> oneHot = Vector512.Equals(y, Vector512.Create(o)).AsSingle() & Vector512<float>.One;
                Vector512<float> dz2 = ((Vector512.Load(z2 + (o * V)) * inv) - oneHot) & valid;
                dz2.Store(z2 + (o * V));
                (Vector512.Load(db2 + (o * V)) + dz2).Store(db2 + (o * V));
                float* acc = dW2 + (o * H * V);
                for (int h = 0; h < H; h++)
                {
                    Vector512.FusedMultiplyAdd(dz2, Vector512.Load(a1t + (h * V)), Vector512.Load(acc + (h * V))).Store(acc + (h * V));
                }
            }
            //     dA1 = W2ᵀ·dZ2
            for (int h = 0; h < H; h++)
            {
                Vector512<float> acc = default;
                for (int o = 0; o < O; o++)
                {
                    acc = Vector512.FusedMultiplyAdd(Vector512.Load(pw2 + (((o * H) + h) * V)), Vector512.Load(z2 + (o * V)), acc);
                }
                acc.Store(da1t + (h * V));
            }
        }
        //     dZ1 = dA1 ∘ g′(Z1), db1 += dZ1 (per lane), then back in rows over Z1 (padding units stay 0)
        var dZ1t = new Span<float>(da1t, H * V);
        g.Derivative(new ReadOnlySpan<float>(z1t, H * V), new ReadOnlySpan<float>(a1t, H * V), dZ1t, dZ1t);
        for (int h = 0; h < H; h++)
        {
            Vector512<float> dz1 = Vector512.Load(da1t + (h * V));
            (Vector512.Load(db1 + (h * V)) + dz1).Store(db1 + (h * V));
            dz1.Store(dense.DZ1t + (h * V));
        }
        Transpose.Block16(da1t, V, z1, V);   // rows H … 15 of dZ1ᵀ are 0
        return correct;
    }

    /// <summary>
    /// For the 16 images whose Z1 rows (sparse part, with b1) start at z1: Z1ᵀ plus the dense
    /// pixels' part, A1ᵀ = g(Z1ᵀ) and Z2 = W2·A1 + b2, one image per lane, into the first, second and
    /// fourth [16, 16] of work.
    /// </summary>
    private void Logits(float* z1, DenseGroup dense, float* work)
    {
        float* z1t = work, a1t = z1t + (V * V), z2 = a1t + (2 * V * V);
        Transpose.Block16(z1, V, z1t, V);
        DenseForward(dense, z1t);
        g.Apply(new ReadOnlySpan<float>(z1t, H * V), new Span<float>(a1t, H * V));
        float* pw2 = w2v.Pointer;
        fixed (float* pb2 = b2)
        {
            for (int o = 0; o < O; o++)
            {
                Vector512<float> acc = Vector512.Create(pb2[o]);
                for (int h = 0; h < H; h++)
                {
                    acc = Vector512.FusedMultiplyAdd(Vector512.Load(pw2 + (((o * H) + h) * V)), Vector512.Load(a1t + (h * V)), acc);
                }
                acc.Store(z2 + (o * V));
            }
        }
    }

    /// <summary>
    /// Inference only: A [m, O] = softmax(W2·g(W1·X + b1) + b2) for packed images, block by block
    /// (the forward half of <see cref="Run"/>, nothing kept but the probabilities).
    /// </summary>
    public void Predict(PackedImages X, Matrix A)
    {
        if (X.Cols != K || A.Rows != X.Rows || A.Cols != O)
        {
            throw new ArgumentException($"Packed predict: {X.Rows} images of {X.Cols} pixels and A {A} do not fit a {K}-{H}-{O} network.");
        }
        Refresh();
        int pieces = Math.Min(X.Blocks, MaxPieces);
        if (pieces > pieceCapacity)
        {
            partials = new AlignedFloats(pieces * PartialSize);
            scratch = new AlignedFloats(pieces * ScratchSize);
            pieceCapacity = pieces;
        }
        float[] a = A.Storage;
        Workers.For(pieces, p =>
        {
            int b0 = (int)((long)X.Blocks * p / pieces), b1 = (int)((long)X.Blocks * (p + 1) / pieces);
            float* Z1 = scratch.Pointer + ((long)p * ScratchSize), work = Z1 + (Block * V);
            int D = X.DensePixels.Length;
            fixed (ushort* rowEntries = X.RowEntries)
            fixed (int* rowStart = X.RowStart, densePixels = X.DensePixels)
            fixed (float* levels = X.Levels, pb1 = b1p, pa = a)
            fixed (byte* denseBytes = X.DenseBytes)
            {
                var bias1 = Vector512.Load(pb1);
                for (int b = b0; b < b1; b++)
                {
                    int r0 = PackedImages.BlockStart(b), rows = X.BlockEnd(b) - r0;
                    SparseForward(rowEntries, rowStart, levels, bias1, r0, rows, Z1);
                    byte* blockBytes = denseBytes + ((long)b * PackedImages.Groups * D * V);
                    for (int i = 0; i < rows; i += V)
                    {
                        Logits(Z1 + (i * V), new DenseGroup(blockBytes + ((long)(i / V) * D * V), D, densePixels, null), work);
                        float* z2 = work + (3 * V * V);
                        Vector512<float> max = Vector512.Load(z2), sum = default;
                        for (int o = 1; o < O; o++)
                        {
                            max = Vector512.Max(max, Vector512.Load(z2 + (o * V)));
                        }
                        for (int o = 0; o < O; o++)
                        {
                            Vector512<float> e = Exp(Vector512.Load(z2 + (o * V)) - max);
                            e.Store(z2 + (o * V));
                            sum += e;
                        }
                        Vector512<float> inv = Vector512<float>.One / sum;
                        for (int o = 0; o < O; o++)
                        {
                            (Vector512.Load(z2 + (o * V)) * inv).Store(z2 + (o * V));
                        }
                        float* row = pa + ((long)(r0 + i) * O);
                        for (int l = 0; l < Math.Min(V, rows - i); l++)
                        {
                            for (int o = 0; o < O; o++)
                            {
                                row[(l * O) + o] = z2[(o * V) + l];
                            }
                        }
                    }
                }
            }
        });
    }

    /// <summary>One lane group's dense pixels: their bytes [D, 16], the pixel numbers, and where its dZ1ᵀ [H, 16] goes.</summary>
    private readonly struct DenseGroup(byte* bytes, int d, int* pixels, float* dZ1t)
    {
        public byte* Bytes { get; } = bytes;

        public int D { get; } = d;

        public int* Pixels { get; } = pixels;

        public float* DZ1t { get; } = dZ1t;
    }

    /// <summary>The 16 images' values of dense pixel j: bytes widened to floats, times 1/255 (the same floats as <see cref="PackedImages.Levels"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lanes(byte* bytes) =>
        Vector512.ConvertToSingle(Avx512F.ConvertToVector512Int32(Vector128.Load(bytes))) * Vector512.Create(1f / 255f);

    /// <summary>
    /// Z1ᵀ[h] += W1[h, k]·x_k for each dense pixel k, 16 images per FMA, all units' sums in registers
    /// over all the pixels (units past H are skipped in groups; the layer has at most 16).
    /// </summary>
    private void DenseForward(DenseGroup dense, float* z)
    {
        float* wt = w1t.Pointer;
        byte* bytes = dense.Bytes;
        int* pixels = dense.Pixels;
        int units = H;
        Vector512<float> a0 = Vector512.Load(z), a1 = Vector512.Load(z + 16), a2 = Vector512.Load(z + 32), a3 = Vector512.Load(z + 48);
        Vector512<float> a4 = Vector512.Load(z + 64), a5 = Vector512.Load(z + 80), a6 = Vector512.Load(z + 96), a7 = Vector512.Load(z + 112);
        Vector512<float> a8 = Vector512.Load(z + 128), a9 = Vector512.Load(z + 144), a10 = Vector512.Load(z + 160), a11 = Vector512.Load(z + 176);
        Vector512<float> a12 = Vector512.Load(z + 192), a13 = Vector512.Load(z + 208), a14 = Vector512.Load(z + 224), a15 = Vector512.Load(z + 240);
        for (int j = 0; j < dense.D; j++)
        {
            Vector512<float> x = Lanes(bytes + (j * V));
            float* w = wt + (pixels[j] * V);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(w[0]), x, a0);
            if (units > 1)
            {
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(w[1]), x, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(w[2]), x, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(w[3]), x, a3);
            }
            if (units > 4)
            {
                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(w[4]), x, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(w[5]), x, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.Create(w[6]), x, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.Create(w[7]), x, a7);
            }
            if (units > 8)
            {
                a8 = Vector512.FusedMultiplyAdd(Vector512.Create(w[8]), x, a8);
                a9 = Vector512.FusedMultiplyAdd(Vector512.Create(w[9]), x, a9);
            }
            if (units > 10)
            {
                a10 = Vector512.FusedMultiplyAdd(Vector512.Create(w[10]), x, a10);
                a11 = Vector512.FusedMultiplyAdd(Vector512.Create(w[11]), x, a11);
            }
            if (units > 12)
            {
                a12 = Vector512.FusedMultiplyAdd(Vector512.Create(w[12]), x, a12);
                a13 = Vector512.FusedMultiplyAdd(Vector512.Create(w[13]), x, a13);
                a14 = Vector512.FusedMultiplyAdd(Vector512.Create(w[14]), x, a14);
                a15 = Vector512.FusedMultiplyAdd(Vector512.Create(w[15]), x, a15);
            }
        }
        a0.Store(z); a1.Store(z + 16); a2.Store(z + 32); a3.Store(z + 48);
        a4.Store(z + 64); a5.Store(z + 80); a6.Store(z + 96); a7.Store(z + 112);
        a8.Store(z + 128); a9.Store(z + 144); a10.Store(z + 160); a11.Store(z + 176);
        a12.Store(z + 192); a13.Store(z + 208); a14.Store(z + 224); a15.Store(z + 240);
    }

    /// <summary>
    /// For each dense pixel k, per lane: dW1ᵀ lanes[k, h] += Σ over the block's groups of x_k·dZ1ᵀ[h],
    /// 16 images per FMA, all units' sums in registers; the lanes are summed once per piece.
    /// dZ1ᵀ rows past H are zeros and their lanes are never read back.
    /// </summary>
    private void DenseGradient(byte* blockBytes, int D, float* dZ1tBlock, int groups, float* lanes, bool first)
    {
        int units = H;
        for (int j = 0; j < D; j++)
        {
            // The piece's first block starts the sums (no clearing pass); later blocks add to them.
            float* acc = lanes + ((long)j * V * V);
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
            if (!first)
            {
                a0 = Vector512.Load(acc); a1 = Vector512.Load(acc + 16); a2 = Vector512.Load(acc + 32); a3 = Vector512.Load(acc + 48);
                a4 = Vector512.Load(acc + 64); a5 = Vector512.Load(acc + 80); a6 = Vector512.Load(acc + 96); a7 = Vector512.Load(acc + 112);
                a8 = Vector512.Load(acc + 128); a9 = Vector512.Load(acc + 144); a10 = Vector512.Load(acc + 160); a11 = Vector512.Load(acc + 176);
                a12 = Vector512.Load(acc + 192); a13 = Vector512.Load(acc + 208); a14 = Vector512.Load(acc + 224); a15 = Vector512.Load(acc + 240);
            }
            for (int g = 0; g < groups; g++)
            {
                Vector512<float> x = Lanes(blockBytes + ((((long)g * D) + j) * V));
                float* dz = dZ1tBlock + (g * V * V);
                a0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz), a0);
                if (units > 1)
                {
                    a1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 48), a3);
                }
                if (units > 4)
                {
                    a4 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 64), a4);
                    a5 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 80), a5);
                    a6 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 96), a6);
                    a7 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 112), a7);
                }
                if (units > 8)
                {
                    a8 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 128), a8);
                    a9 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 144), a9);
                }
                if (units > 10)
                {
                    a10 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 160), a10);
                    a11 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 176), a11);
                }
                if (units > 12)
                {
                    a12 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 192), a12);
                    a13 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 208), a13);
                    a14 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 224), a14);
                    a15 = Vector512.FusedMultiplyAdd(x, Vector512.Load(dz + 240), a15);
                }
            }
            a0.Store(acc); a1.Store(acc + 16); a2.Store(acc + 32); a3.Store(acc + 48);
            a4.Store(acc + 64); a5.Store(acc + 80); a6.Store(acc + 96); a7.Store(acc + 112);
            a8.Store(acc + 128); a9.Store(acc + 144); a10.Store(acc + 160); a11.Store(acc + 176);
            a12.Store(acc + 192); a13.Store(acc + 208); a14.Store(acc + 224); a15.Store(acc + 240);
        }
    }

    /// <summary>
    /// e^x for x ≤ 0 (softmax's z − max), in float: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by the
    /// degree-7 polynomial of Cephes' expf (relative error about 1e-7), times 2^n built in the
    /// exponent bits. Below −87.3 the result is clamped to e^−87.3 ≈ 1.2e-38 (the true value is
    /// smaller still and adds nothing to a sum that includes e^0 = 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Max(x, Vector512.Create(-87.3f));
        Vector512<float> n = Vector512.Floor(Vector512.FusedMultiplyAdd(x, Vector512.Create(1.44269504088896341f), Vector512.Create(0.5f)));
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        Vector512<float> p = Vector512.Create(1.9875691500E-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894E-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459E-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201E-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        Vector512<int> scale = (Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23;
        return p * scale.AsSingle();
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
                for (int j = 0; j < length; j += V)
                {
                    (Vector512.Load(firstChunk + j) + Vector512.Load(part + j)).Store(firstChunk + j);
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

    /// <summary>A pinned float buffer whose first element is 64-byte aligned (one cache line, one Vector512).</summary>
    private sealed class AlignedFloats
    {
        private readonly float[] storage;

        public AlignedFloats(int length)
        {
            storage = GC.AllocateArray<float>(length + V, pinned: true);
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(storage));
            Pointer = (float*)((address + 63) & ~(nint)63);
        }

        public float* Pointer { get; }
    }
}
