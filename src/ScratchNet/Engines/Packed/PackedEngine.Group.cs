// The packed engine's second layer, 16 images at a time, one image per lane (a lane group is one
// 512-bit vector, or taken in parts of 8 or 4 lanes at the narrower widths):
//   Z1ᵀ = (Z1 rows)ᵀ + the dense pixels' part,  A1ᵀ = g(Z1ᵀ),  Z2 = W2·A1 + b2,  A2 = softmax(Z2)
//   dZ2 = A2 − Y,  dW2 += dZ2·A1ᵀ,  db2 += dZ2,  dA1 = W2ᵀ·dZ2,  dZ1 = dA1 ∘ g′(Z1),  db1 += dZ1
// and the inference pass that stops at A2. Leaves out: the first layer (PackedKernels.cs).
using ScratchNet.Losses;
using ScratchNet.Tensors;

namespace ScratchNet.Engines.Packed;

internal sealed unsafe partial class PackedEngine<TL, TV>
{
    /// <summary>
    /// The second layer and the way back to dZ1 for the 16 images whose Z1 rows start at z1 (labels
    /// Y[first …], <paramref name="left"/> images there; lanes past them are missing images and add
    /// nothing): adds their losses to <paramref name="loss"/> (per lane), returns how many were right,
    /// adds to dW2, db2 and db1 (per lane) and overwrites the Z1 rows with dZ1.
    /// </summary>
    private int Group(float* z1, byte[] Y, int first, int left, DenseGroup dense, float* work, float* dW2, float* db2, float* db1, float* loss)
    {
        float* z1t = work, a1t = z1t + (V * V), da1t = a1t + (V * V), z2 = da1t + (V * V);
        Logits(z1, dense, work);
        float* labels = stackalloc float[V];   // −1: no image in this lane
        for (int l = 0; l < V; l++)
        {
            labels[l] = l < left ? Y[first + l] : -1f;
        }
        float correct = 0;
        float* pw2 = w2v.Pointer;
        for (int part = 0; part < V; part += TL.Count)
        {
            float* z = z2 + part;
            TV y = TL.Load(labels + part);
            //     A2 = softmax(Z2); loss = max + log Σ exp(z2 − max) − z2[y]; the prediction is the first largest
            TV max = Softmax.MaxLanes<TL, TV>(z, O), zy = default;
            TV best = TL.Create(O - 1);
            for (int o = O - 1; o >= 0; o--)
            {
                TV zo = TL.Load(z + (o * V));
                best = TL.Select(TL.Equal(zo, max), TL.Create(o), best);
                zy = TL.Select(TL.Equal(y, TL.Create(o)), zo, zy);
            }
            TV sum = Softmax.ExpLanes<TL, TV>(z, O, max);
            TL.Store(TL.Add(TL.Load(loss + part), TL.IfNonNegative(y, TL.Subtract(TL.Add(max, TL.Log(sum)), zy), default)), loss + part);
            correct += TL.Sum(TL.Select(TL.Equal(best, y), TL.Create(1f), default));   // a missing image's −1 is never a class
            // BP  dZ2 = A2 − Y (0 for missing images), db2 += dZ2, dW2 += dZ2·A1ᵀ
            TV inv = TL.Divide(TL.Create(1f), sum);
            for (int o = 0; o < O; o++)
            {
                TV oneHot = TL.Select(TL.Equal(y, TL.Create(o)), TL.Create(1f), default);
                TV dz2 = TL.IfNonNegative(y, TL.Subtract(TL.Multiply(TL.Load(z + (o * V)), inv), oneHot), default);
                TL.Store(dz2, z + (o * V));
                TL.Store(TL.Add(TL.Load(db2 + (o * V) + part), dz2), db2 + (o * V) + part);
                float* acc = dW2 + (o * H * V) + part;
                for (int h = 0; h < H; h++)
                {
                    TL.Store(TL.MulAdd(dz2, TL.Load(a1t + (h * V) + part), TL.Load(acc + (h * V))), acc + (h * V));
                }
            }
            //     dA1 = W2ᵀ·dZ2
            for (int h = 0; h < H; h++)
            {
                TV acc = default;
                for (int o = 0; o < O; o++)
                {
                    acc = TL.MulAdd(TL.Load(pw2 + (((o * H) + h) * V)), TL.Load(z + (o * V)), acc);
                }
                TL.Store(acc, da1t + (h * V) + part);
            }
        }
        //     dZ1 = dA1 ∘ g′(Z1), db1 += dZ1 (per lane), then back in rows over Z1 (padding units stay 0)
        var dZ1t = new Span<float>(da1t, H * V);
        g.Derivative(new ReadOnlySpan<float>(z1t, H * V), new ReadOnlySpan<float>(a1t, H * V), dZ1t, dZ1t);
        for (int h = 0; h < H; h++)
        {
            Row16<TL, TV> dz1 = Row16<TL, TV>.Load(da1t + (h * V));
            (Row16<TL, TV>.Load(db1 + (h * V)) + dz1).Store(db1 + (h * V));
            dz1.Store(dense.DZ1t + (h * V));
        }
        Transpose.Block16(da1t, V, z1, V);   // rows H … 15 of dZ1ᵀ are 0
        return (int)correct;
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
        PackedKernels<TL, TV>.DenseForward(dense.Bytes, dense.D, denseW.Pointer, H, z1t);
        g.Apply(new ReadOnlySpan<float>(z1t, H * V), new Span<float>(a1t, H * V));
        float* pw2 = w2v.Pointer;
        fixed (float* pb2 = b2)
        {
            for (int part = 0; part < V; part += TL.Count)
            {
                for (int o = 0; o < O; o++)
                {
                    TV acc = TL.Create(pb2[o]);
                    for (int h = 0; h < H; h++)
                    {
                        acc = TL.MulAdd(TL.Load(pw2 + (((o * H) + h) * V)), TL.Load(a1t + (h * V) + part), acc);
                    }
                    TL.Store(acc, z2 + (o * V) + part);
                }
            }
        }
    }

    /// <summary>
    /// Inference only: A [m, O] = softmax(W2·g(W1·X + b1) + b2) for packed images, block by block
    /// (the forward half of <see cref="Run"/>, nothing kept but the probabilities).
    /// </summary>
    public override void Predict(PackedImages X, Matrix A)
    {
        if (X.Cols != K || A.Rows != X.Rows || A.Cols != O)
        {
            throw new ArgumentException($"Packed predict: {X.Rows} images of {X.Cols} pixels and A {A} do not fit a {K}-{H}-{O} network.");
        }
        Refresh(X);
        int pieces = Math.Min(X.Blocks, Pieces.Max);   // nothing is summed across pieces: any cut gives the same bits
        EnsureBuffers(pieces, 0);
        float[] a = A.Storage;
        Workers.For(pieces, p =>
        {
            int b0 = (int)((long)X.Blocks * p / pieces), b1 = (int)((long)X.Blocks * (p + 1) / pieces);
            float* Z1 = scratch.Pointer + ((long)p * ScratchSize), work = Z1 + (Block * V);
            int D = X.DensePixels.Length;
            fixed (ushort* rowEntries = X.RowEntries)
            fixed (int* rowStart = X.RowStart)
            fixed (float* levels = X.Levels, pb1 = b1p, pa = a)
            fixed (byte* denseBytes = X.DenseBytes)
            {
                var bias1 = Row16<TL, TV>.Load(pb1);
                for (int b = b0; b < b1; b++)
                {
                    int r0 = PackedImages.BlockStart(b), rows = X.BlockEnd(b) - r0;
                    SparseForward(rowEntries, rowStart, levels, bias1, r0, rows, Z1);
                    byte* blockBytes = denseBytes + ((long)b * PackedImages.Groups * D * V);
                    for (int i = 0; i < rows; i += V)
                    {
                        Logits(Z1 + (i * V), new DenseGroup(blockBytes + ((long)(i / V) * D * V), D, null), work);
                        float* z2 = work + (3 * V * V);
                        for (int part = 0; part < V; part += TL.Count)
                        {
                            float* z = z2 + part;
                            TV inv = TL.Divide(TL.Create(1f), Softmax.ExpLanes<TL, TV>(z, O, Softmax.MaxLanes<TL, TV>(z, O)));
                            for (int o = 0; o < O; o++)
                            {
                                TL.Store(TL.Multiply(TL.Load(z + (o * V)), inv), z + (o * V));
                            }
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

    /// <summary>One lane group's dense pixels: their bytes [D, 16] and where its dZ1ᵀ [H, 16] goes.</summary>
    private readonly struct DenseGroup(byte* bytes, int d, float* dZ1t)
    {
        public byte* Bytes { get; } = bytes;

        public int D { get; } = d;

        public float* DZ1t { get; } = dZ1t;
    }
}
