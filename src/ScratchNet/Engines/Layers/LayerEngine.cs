// The general engine: any network, layer by layer, each layer's Forward then each layer's Backward
// in reverse (Layers/). X is sparse rows of non-zero pixels when the first layer is narrow, dense
// rows otherwise (InputBuffer). The reference the fused and packed engines are tested against.
//   FP  Z_l = W_l·A_(l−1) + b_l,  A_l = g(Z_l), …,  A_L = softmax(Z_L)  (or σ for mse)
//   BP  dZ_L = A_L − Y,  dW_l = (1/m)·dZ_l·A_(l−1)ᵀ,  db_l = (1/m)·Σ dZ_l,  dZ_(l−1) = W_lᵀ·dZ_l ∘ g′(Z_(l−1))
// Leaves out: the update (the optimiser's).
using ScratchNet.Data;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Engines.Layers;

internal sealed class LayerEngine(Network network) : ITrainingEngine, IInferenceEngine
{
    /// <summary>
    /// Images per forward pass at inference: big enough for the kernels, small enough that a layer's
    /// maps stay in cache between layers (cnn-fast's 8×28×28 maps: 6.4 MB for 256 images). 1,024 gave
    /// cnn-fast 34–38 k images/s, 256 gave 48–53 k (the same outputs: every image's arithmetic is
    /// independent of the batch); the cnn and mlp networks showed no difference beyond the noise.
    /// </summary>
    public const int InferenceBatch = 256;

    private readonly InputBuffer batchX = new(network, network.InputSize);   // a mini-batch's X [m, in]
    private readonly Matrix A = new(0, network.OutputSize);                  // A_L [m, classes]
    private readonly Matrix dZ = new(0, network.OutputSize);                 // dZ_L [m, classes]
    private byte[] batchY = [];                                              // a mini-batch's labels
    private Dataset? wholeSet;                                               // the data set whose X is wholeX
    private InputBuffer? wholeX;

    public EngineKind Kind => EngineKind.Layers;

    public StepResult Step(Dataset data)
    {
        if (!ReferenceEquals(wholeSet, data))
        {
            wholeX = InputBuffer.Whole(network, data);   // X [m, 784]: the notes' X (784 × m), one row per image
            wholeSet = data;
        }
        return Run(wholeX!, data.Labels);
    }

    public StepResult Step(Dataset data, ReadOnlySpan<int> images)
    {
        if (batchY.Length < images.Length)
        {
            batchY = new byte[images.Length];
        }
        Span<byte> Y = batchY.AsSpan(0, images.Length);
        batchX.Fill(data, images, Y);
        return Run(batchX, Y);
    }

    private StepResult Run(InputBuffer X, ReadOnlySpan<byte> Y)
    {
        // FP: Z_l = W_l·A_(l−1) + b_l, A_l = g(Z_l), …, A_L = softmax(Z_L)
        Matrix Z = X.Forward(network, training: true);
        A.Reshape(Z.Rows, network.OutputSize);
        dZ.Reshape(Z.Rows, network.OutputSize);
        double loss = network.Loss.Forward(Z, Y, A);
        int correct = ArgMax.Correct(A, Y);
        // BP: dZ_L = A_L − Y, then every layer in reverse: dW_l, db_l, dZ_(l−1)
        network.Loss.Backward(Z, A, Y, dZ);
        network.Backward(dZ);
        return new StepResult(loss, correct);
    }

    public void Predict(Dataset data, Matrix output)
    {
        CheckOutput(data.Count, output);
        for (int start = 0; start < data.Count; start += InferenceBatch)
        {
            int n = Math.Min(InferenceBatch, data.Count - start);
            batchX.Fill(data, start, n);
            CopyRows(Output(batchX.Forward(network, training: false)), output, start);
        }
    }

    /// <summary>A [m, classes] = the network's output for inputs X [m, in] given as floats (the drawing page's pixels in 0..1).</summary>
    public void Predict(Matrix X, Matrix output)
    {
        CheckOutput(X.Rows, output);
        CopyRows(Output(network.Forward(X, training: false)), output, 0);
    }

    private Matrix Output(Matrix Z)
    {
        A.Reshape(Z.Rows, network.OutputSize);
        network.Loss.Output(Z, A);
        return A;
    }

    private void CheckOutput(int rows, Matrix output)
    {
        if (output.Rows != rows || output.Cols != network.OutputSize)
        {
            throw new ArgumentException($"Predict: the output {output} must be [{rows}, {network.OutputSize}].");
        }
    }

    private static void CopyRows(Matrix from, Matrix to, int firstRow) =>
        from.Span.CopyTo(to.Storage.AsSpan(firstRow * to.Cols, from.Rows * from.Cols));
}
