// The fast path for the seed network's shape — sparse X → Dense(H) → g → Dense(O) → softmax with
// cross-entropy — over a large batch: one forward and backward pass per block of 256 images while
// the block is in cache. Per image: Z1 over its non-zero pixels, A1 = g(Z1), Z2, softmax, dZ2 = A2 − Y,
// dW2 and db2 accumulated, dZ1 = W2ᵀ·dZ2 ∘ g′(Z1); then per block dW1 pixel by pixel over the block's
// non-zeros regrouped by pixel. Pieces of rows are fixed by m and reduced in order: the same bits
// whatever the thread count. The same math as the layer engine (tested against it). The chooser
// gives it full-batch training and inference of byte images at every vector width (Width below).
using System.Buffers;
using System.Runtime.Intrinsics;
using ScratchNet.Data;
using ScratchNet.Layers;
using ScratchNet.Losses;
using ScratchNet.Tensors;

namespace ScratchNet.Engines.Fused;

internal sealed unsafe class FusedEngine : ITrainingEngine, IInferenceEngine
{
    private const int Block = PixelMajorBlocks.BlockRows;
    private const int MaxWidth = EngineChooser.FusedMaxOutputs;   // widest layer (padded) the per-image buffers hold

    private readonly Dense dense1;
    private readonly Activation g;
    private readonly Dense dense2;
    private readonly int K, H, Hp, O, Op;
    private readonly float[] W1t, W2t, W2p, b1p, b2p;

    /// <summary>The engine for a network the chooser found fits (EngineChooser.IsTwoLayerSoftmax).</summary>
    public FusedEngine(Network network)
    {
        dense1 = (Dense)network.Layers[0];
        g = (Activation)network.Layers[1];
        dense2 = (Dense)network.Layers[2];
        K = dense1.Inputs;
        H = dense1.Outputs;
        // Hidden rows padded to whole vectors of the width the loops run at: 8 floats at 256 bits, 4 at 128
        // bits and in scalar (10 units: 16 or 12). Padding units are zero and never read back.
        Hp = Width >= VectorWidth.Bits256 ? SparseKernels.Padded(H) : (H + 3) / 4 * 4;
        O = dense2.Outputs;
        Op = SparseKernels.Padded(O);
        W1t = new float[K * Hp];
        W2t = new float[H * Op];
        W2p = new float[O * Hp];
        b1p = new float[Hp];
        b2p = new float[Op];
    }

    public EngineKind Kind => EngineKind.Fused;

    public StepResult Step(Dataset data) => Run(data.Sparse, data.Labels);

    public StepResult Step(Dataset data, ReadOnlySpan<int> images) =>
        throw new NotSupportedException("The fused engine steps over whole data sets (full batch); mini-batches run on the layer engine.");

    public void Predict(Dataset data, Matrix A)
    {
        Refresh();
        Predict(data.Sparse, A);
    }

    /// <summary>One forward and backward pass over X [m, K] with labels Y: sets every gradient (means over m) and returns the mean loss and the number of correct predictions.</summary>
    public StepResult Run(SparseBatch X, byte[] Y)
    {
        int m = X.Rows;
        if (X.Cols != K || Y.Length != m)
        {
            throw new ArgumentException($"Fused step: X {X} and {Y.Length} labels do not fit a {K}-input network.");
        }
        Refresh();
        int pieces = Pieces.Count(m);
        int perPiece = (m + pieces - 1) / pieces;
        var pieceStarts = new int[pieces + 1];
        for (int p = 0; p <= pieces; p++)
        {
            pieceStarts[p] = Math.Min(m, p * perPiece);
        }
        // The non-zeros regrouped by pixel per block of 256 rows: built on the first step, then reused.
        PixelMajorBlocks layout = PixelMajorBlocks.For(X, pieceStarts);
        var firstBlock = new int[pieces + 1];
        for (int p = 0, b = 0; p <= pieces; p++)
        {
            while (b < layout.Blocks && layout.BlockRowStart[b] < pieceStarts[p])
            {
                b++;
            }
            firstBlock[p] = b;
        }
        int dW1Size = K * Hp, dW2Size = O * Hp;
        int stride = dW1Size + dW2Size + Hp + Op; // per piece: dW1ᵀ, dW2, db1, db2
        float[] partials = ArrayPool<float>.Shared.Rent(pieces * stride);
        var losses = new double[pieces];
        var correct = new int[pieces];
        try
        {
            Workers.For(pieces, p =>
            {
                Span<float> part = partials.AsSpan(p * stride, stride);
                part.Clear();
                (losses[p], correct[p]) = Width switch
                {
                    VectorWidth.Bits256 => RunPiece<Lanes256, Vector256<float>>(X, Y, layout, firstBlock[p], firstBlock[p + 1], part, dW1Size, dW2Size),
                    VectorWidth.Bits128 => RunPiece<Lanes128, Vector128<float>>(X, Y, layout, firstBlock[p], firstBlock[p + 1], part, dW1Size, dW2Size),
                    _ => RunPiece<LanesScalar, float>(X, Y, layout, firstBlock[p], firstBlock[p + 1], part, dW1Size, dW2Size),
                };
            });
            Reduce(partials, pieces, stride, dW1Size, dW2Size, 1f / m);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partials);
        }
        return StepResult.FromPieces(losses, correct, pieces, m);
    }

    /// <summary>
    /// Inference only: A [m, O] = softmax(W2·g(W1·X + b1) + b2) for a sparse batch, one pass per
    /// image with nothing but its probabilities written out. Call <see cref="Refresh"/> first when
    /// the weights have changed since the last call.
    /// </summary>
    public void Predict(SparseBatch X, Matrix A)
    {
        if (X.Cols != K || A.Rows != X.Rows || A.Cols != O)
        {
            throw new ArgumentException($"Fused predict: X {X} and A {A} do not fit a {K}-{H}-{O} network.");
        }
        int m = X.Rows;
        const int rowsPerPiece = 512;
        Workers.For((m + rowsPerPiece - 1) / rowsPerPiece, piece =>
        {
            int r0 = piece * rowsPerPiece, r1 = Math.Min(m, r0 + rowsPerPiece);
            switch (Width)
            {
                case VectorWidth.Bits256: PredictRows<Lanes256, Vector256<float>>(X, A, r0, r1); break;
                case VectorWidth.Bits128: PredictRows<Lanes128, Vector128<float>>(X, A, r0, r1); break;
                default: PredictRows<LanesScalar, float>(X, A, r0, r1); break;
            }
        });
    }

    /// <summary>
    /// The width the engine's per-image loops run at: 256-bit vectors where the machine has them, else
    /// 128-bit, else scalar (its rows are padded to 8 floats). Every lane sees the same operations at
    /// each width: the same bits where the hardware fuses multiply-adds.
    /// </summary>
    private static VectorWidth Width
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get => Simd.Widest >= VectorWidth.Bits256 ? VectorWidth.Bits256 : Simd.Widest;
    }

    private void PredictRows<TL, TV>(SparseBatch X, Matrix A, int r0, int r1) where TL : struct, ILanes<TV> where TV : struct
    {
        int L = TL.Count;
        int[] rowStart = X.RowStartArray;
        float* z1 = stackalloc float[MaxWidth];
        float* a1 = stackalloc float[MaxWidth];
        float* z2 = stackalloc float[MaxWidth];
        fixed (float* pw1 = W1t, pw2t = W2t, pb1 = b1p, pb2 = b2p, pv = X.ValueArray, pa = A.Storage)
        fixed (ushort* pi = X.IndexArray)
        {
            var z1Span = new ReadOnlySpan<float>(z1, H);
            var a1Span = new Span<float>(a1, H);
            for (int i = r0; i < r1; i++)
            {
                int e0 = rowStart[i], e1 = rowStart[i + 1];
                for (int n = 0; n < Hp; n += 16)
                {
                    SparseKernels.Gather(pi + e0, pv + e0, e1 - e0, pw1 + n, Hp, Math.Min(16, Hp - n), z1 + n);
                }
                for (int h = 0; h < Hp; h += L)
                {
                    TL.Store(TL.Add(TL.Load(z1 + h), TL.Load(pb1 + h)), z1 + h);
                }
                g.Apply(z1Span, a1Span);
                for (int o = 0; o < Op; o += L)
                {
                    TV acc = TL.Load(pb2 + o);
                    for (int h = 0; h < H; h++)
                    {
                        acc = TL.MulAdd(TL.Create(a1[h]), TL.Load(pw2t + (h * Op) + o), acc);
                    }
                    TL.Store(acc, z2 + o);
                }
                // A2 = softmax(Z2)
                float max = z2[0];
                for (int o = 1; o < O; o++)
                {
                    max = MathF.Max(max, z2[o]);
                }
                float inv = 1f / Softmax.ExpPadded<TL, TV>(z2, O, Op, max);
                float* row = pa + ((long)i * O);
                for (int o = 0; o < O; o++)
                {
                    row[o] = z2[o] * inv;
                }
            }
        }
    }

    /// <summary>Copies W1, W2, b1, b2 into the transposed, padded forms the loops read.</summary>
    public void Refresh()
    {
        var w1 = new Matrix(H, K, dense1.W.Value);
        SparseKernels.TransposePadded(w1, W1t, Hp);
        Array.Clear(W2t);
        Array.Clear(W2p);
        for (int o = 0; o < O; o++)
        {
            for (int h = 0; h < H; h++)
            {
                float w = dense2.W.Value[(o * H) + h];
                W2t[(h * Op) + o] = w;   // W2ᵀ [H, Op]
                W2p[(o * Hp) + h] = w;   // W2 [O, Hp]
            }
        }
        Array.Clear(b1p);
        Array.Clear(b2p);
        dense1.b.Value.CopyTo(b1p, 0);
        dense2.b.Value.CopyTo(b2p, 0);
    }

    private (double Loss, int Correct) RunPiece<TL, TV>(SparseBatch X, byte[] Y, PixelMajorBlocks layout, int firstBlock, int endBlock, Span<float> part, int dW1Size, int dW2Size)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int L = TL.Count;
        int[] rowStart = X.RowStartArray;
        double loss = 0;
        int correct = 0;
        float[] blocks = ArrayPool<float>.Shared.Rent(3 * Block * Hp);   // Z1, A1 and dA1 → dZ1 of one block [rows, Hp]
        float* z2 = stackalloc float[MaxWidth];
        try
        {
            fixed (float* pPart = part, pw1 = W1t, pw2t = W2t, pw2p = W2p, pb1 = b1p, pb2 = b2p, pv = X.ValueArray, pBlocks = blocks, pev = layout.EntryValue)
            fixed (ushort* pi = X.IndexArray)
            fixed (byte* per = layout.EntryRow)
            fixed (int* pcol = layout.ColStart)
            {
                float* dW1t = pPart, dW2 = pPart + dW1Size, db1 = dW2 + dW2Size, db2 = db1 + Hp;
                float* Z1 = pBlocks, A1 = pBlocks + (Block * Hp), dZ1 = pBlocks + (2 * Block * Hp);
                for (int b = firstBlock; b < endBlock; b++)
                {
                    int r0 = layout.BlockRowStart[b], r1 = layout.BlockRowStart[b + 1], rows = r1 - r0;
                    // FP  Z1 = W1·X + b1 over each image's non-zero pixels
                    for (int i = r0; i < r1; i++)
                    {
                        int e0 = rowStart[i], e1 = rowStart[i + 1];
                        float* z1 = Z1 + ((i - r0) * Hp);
                        for (int n = 0; n < Hp; n += 16)
                        {
                            SparseKernels.Gather(pi + e0, pv + e0, e1 - e0, pw1 + n, Hp, Math.Min(16, Hp - n), z1 + n);
                        }
                        for (int h = 0; h < Hp; h += L)
                        {
                            TL.Store(TL.Add(TL.Load(z1 + h), TL.Load(pb1 + h)), z1 + h);
                        }
                    }
                    //     A1 = g(Z1), the whole block at once (padding columns are never read back)
                    g.Apply(new ReadOnlySpan<float>(Z1, rows * Hp), new Span<float>(A1, rows * Hp));
                    for (int i = 0; i < rows; i++)
                    {
                        float* a1 = A1 + (i * Hp), da1 = dZ1 + (i * Hp);
                        //     Z2 = W2·A1 + b2
                        for (int o = 0; o < Op; o += L)
                        {
                            TV acc = TL.Load(pb2 + o);
                            for (int h = 0; h < H; h++)
                            {
                                acc = TL.MulAdd(TL.Create(a1[h]), TL.Load(pw2t + (h * Op) + o), acc);
                            }
                            TL.Store(acc, z2 + o);
                        }
                        //     A2 = softmax(Z2); loss += log Σ exp(z2 − max) + max − z2[y]
                        int y = Y[r0 + i];
                        float zy = z2[y], max = z2[0];
                        int best = 0;
                        for (int o = 1; o < O; o++)
                        {
                            if (z2[o] > max)
                            {
                                max = z2[o];
                                best = o;
                            }
                        }
                        float sum = Softmax.ExpPadded<TL, TV>(z2, O, Op, max);
                        loss += max + Math.Log(sum) - zy;
                        correct += best == y ? 1 : 0;
                        // BP  dZ2 = A2 − Y (in place), db2 += dZ2
                        TV inv = TL.Create(1f / sum);
                        z2[y] -= sum; // (e_y − sum)/sum = A2[y] − 1
                        for (int o = 0; o < Op; o += L)
                        {
                            TV dz2 = TL.Multiply(TL.Load(z2 + o), inv);
                            TL.Store(dz2, z2 + o);
                            TL.Store(TL.Add(TL.Load(db2 + o), dz2), db2 + o);
                        }
                        //     dW2 += dZ2·A1ᵀ;  dA1 = W2ᵀ·dZ2
                        for (int h = 0; h < Hp; h += L)
                        {
                            TV a = TL.Load(a1 + h), d = default;
                            for (int o = 0; o < O; o++)
                            {
                                TV dz = TL.Create(z2[o]);
                                float* row = dW2 + (o * Hp) + h;
                                TL.Store(TL.MulAdd(dz, a, TL.Load(row)), row);
                                d = TL.MulAdd(dz, TL.Load(pw2p + (o * Hp) + h), d);
                            }
                            TL.Store(d, da1 + h);
                        }
                    }
                    //     dZ1 = dA1 ∘ g′(Z1), in place over the block; padding columns stay 0 (dA1 is 0 there)
                    var dA1 = new Span<float>(dZ1, rows * Hp);
                    g.Derivative(new ReadOnlySpan<float>(Z1, rows * Hp), new ReadOnlySpan<float>(A1, rows * Hp), dA1, dA1);
                    //     db1 += Σ dZ1
                    for (int i = 0; i < rows; i++)
                    {
                        for (int h = 0; h < Hp; h += L)
                        {
                            TL.Store(TL.Add(TL.Load(db1 + h), TL.Load(dZ1 + (i * Hp) + h)), db1 + h);
                        }
                    }
                    //     dW1 += dZ1·Xᵀ, pixel by pixel over the block's non-zeros (regrouped once per batch)
                    int* cols = pcol + ((long)b * (K + 1));
                    for (int k = 0; k < K; k++)
                    {
                        int e0 = cols[k], e1 = cols[k + 1];
                        if (e1 > e0)
                        {
                            SparseKernels.AccumulatePixel(per + e0, pev + e0, e1 - e0, dZ1, Hp, dW1t + (k * Hp));
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(blocks);
        }
        return (loss, correct);
    }

    /// <summary>Gradients = scale · Σ_pieces partial, pieces in order, into the layers' W and b gradients.</summary>
    private void Reduce(float[] partials, int pieces, int stride, int dW1Size, int dW2Size, float scale)
    {
        float[] dW1 = dense1.W.Gradient, db1 = dense1.b.Gradient, dW2 = dense2.W.Gradient, db2 = dense2.b.Gradient;
        Workers.For(H, h =>
        {
            for (int k = 0; k < K; k++)
            {
                float sum = partials[(k * Hp) + h];
                for (int p = 1; p < pieces; p++)
                {
                    sum += partials[(p * stride) + (k * Hp) + h];
                }
                dW1[(h * K) + k] = sum * scale;
            }
        });
        float Sum(int offset)
        {
            float sum = partials[offset];
            for (int p = 1; p < pieces; p++)
            {
                sum += partials[(p * stride) + offset];
            }
            return sum * scale;
        }
        for (int o = 0; o < O; o++)
        {
            for (int h = 0; h < H; h++)
            {
                dW2[(o * H) + h] = Sum(dW1Size + (o * Hp) + h);
            }
            db2[o] = Sum(dW1Size + dW2Size + Hp + o);
        }
        for (int h = 0; h < H; h++)
        {
            db1[h] = Sum(dW1Size + dW2Size + h);
        }
    }
}
