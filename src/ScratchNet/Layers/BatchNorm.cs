// Batch normalisation (Ioffe and Szegedy, 2015), per channel after a convolution (over the m·H·W
// values of each channel), per unit after a dense layer (C units, H = W = 1):
//   training   μ = mean, σ² = (biased) variance over the batch;  x̂ = (x − μ)/√(σ² + ε);  y = γ·x̂ + β
//              running_mean ← (1 − momentum)·running_mean + momentum·μ, running_var likewise with the
//              unbiased variance (PyTorch's convention, so models travel)
//   evaluation x̂ = (x − running_mean)/√(running_var + ε)
// Backward (N = m·H·W values per channel): dγ = (1/m)·Σ dy·x̂, dβ = (1/m)·Σ dy,
//   dx = γ/√(σ² + ε) · (dy − (1/N)·Σ dy − x̂·(1/N)·Σ dy·x̂).
// Each channel is summed in order in double; channels are independent pieces (same bits on any thread count).
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Batch normalisation with scale γ [C], shift β [C] and running statistics [C].</summary>
public sealed class BatchNorm : ILayer
{
    private Matrix? output;  // y [m, C·H·W]
    private Matrix? xHat;    // x̂ [m, C·H·W], kept from a training Forward for Backward
    private Matrix? dInput;  // [m, C·H·W]
    private readonly float[] invStd;  // 1/√(σ² + ε) of the last training batch, per channel

    public BatchNorm(MapShape shape, float epsilon = 1e-5f, float momentum = 0.1f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shape.Size, 1);
        if (!(epsilon > 0f && float.IsFinite(epsilon)) || !(momentum >= 0f && momentum <= 1f))
        {
            throw new ArgumentException($"Batch norm needs ε > 0 (got {epsilon}) and momentum in [0, 1] (got {momentum}).");
        }
        Shape = shape;
        Epsilon = epsilon;
        Momentum = momentum;
        int C = shape.Channels;
        gamma = new Parameter("gamma", C);
        beta = new Parameter("beta", C);
        RunningMean = new Parameter("running_mean", C);
        RunningVar = new Parameter("running_var", C);
        Array.Fill(gamma.Value, 1f);
        Array.Fill(RunningVar.Value, 1f);
        invStd = new float[C];
        Parameters = [gamma, beta];
        State = [RunningMean, RunningVar];
    }

    /// <summary>The maps normalised: C channels of H × W (a dense layer's C units: C × 1 × 1).</summary>
    public MapShape Shape { get; }

    public float Epsilon { get; }

    public float Momentum { get; }

    /// <summary>Scale γ [C].</summary>
    public Parameter gamma { get; }

    /// <summary>Shift β [C].</summary>
    public Parameter beta { get; }

    public Parameter RunningMean { get; }

    public Parameter RunningVar { get; }

    public LayerSpec Spec => new LayerSpec("batchnorm", Shape.Size, Shape.Size) { Epsilon = Epsilon, Momentum = Momentum }.WithMap(Shape);

    public IReadOnlyList<Parameter> Parameters { get; }

    public IReadOnlyList<Parameter> State { get; }

    public Matrix Forward(Matrix input, bool training)
    {
        Dense.CheckWidth(input, Shape.Size, "input");
        int m = input.Rows, plane = Shape.Plane, size = Shape.Size;
        Matrix y = Matrix.Ensure(ref output, m, size);
        Matrix xh = Matrix.Ensure(ref xHat, m, size);
        float[] x = input.Storage, yv = y.Storage, xhv = xh.Storage;
        long N = (long)m * plane;
        Workers.For(Shape.Channels, c =>
        {
            float mean, inv;
            if (training)
            {
                // μ and σ² of channel c over the batch, in double
                double sum = 0;
                ForEachPlane(m, c, (offset) =>
                {
                    for (int k = 0; k < plane; k++)
                    {
                        sum += x[offset + k];
                    }
                });
                double mu = sum / N, squares = 0;
                ForEachPlane(m, c, (offset) =>
                {
                    for (int k = 0; k < plane; k++)
                    {
                        double d = x[offset + k] - mu;
                        squares += d * d;
                    }
                });
                double variance = squares / N;
                mean = (float)mu;
                inv = (float)(1 / Math.Sqrt(variance + Epsilon));
                invStd[c] = inv;
                RunningMean.Value[c] = (float)(((1 - Momentum) * RunningMean.Value[c]) + (Momentum * mu));
                RunningVar.Value[c] = (float)(((1 - Momentum) * RunningVar.Value[c]) + (Momentum * (N > 1 ? squares / (N - 1) : variance)));
            }
            else
            {
                mean = RunningMean.Value[c];
                inv = 1f / MathF.Sqrt(RunningVar.Value[c] + Epsilon);
            }
            float g = gamma.Value[c], bt = beta.Value[c];
            // x̂ = (x − μ)/√(σ² + ε);  y = γ·x̂ + β
            ForEachPlane(m, c, (offset) =>
            {
                for (int k = 0; k < plane; k++)
                {
                    float h = (x[offset + k] - mean) * inv;
                    xhv[offset + k] = h;
                    yv[offset + k] = (g * h) + bt;
                }
            });
        });
        return y;
    }

    public Matrix? Backward(Matrix dOutput, bool computeInputGradient)
    {
        Dense.CheckWidth(dOutput, Shape.Size, "dy");
        Matrix xh = xHat ?? throw new InvalidOperationException("BatchNorm.Backward called before Forward.");
        int m = dOutput.Rows, plane = Shape.Plane, size = Shape.Size;
        Matrix dx = Matrix.Ensure(ref dInput, m, size);
        float[] dy = dOutput.Storage, xhv = xh.Storage, dxv = dx.Storage;
        long N = (long)m * plane;
        Workers.For(Shape.Channels, c =>
        {
            // Σ dy and Σ dy·x̂ over channel c, in double
            double sumDy = 0, sumDyXHat = 0;
            ForEachPlane(m, c, (offset) =>
            {
                for (int k = 0; k < plane; k++)
                {
                    sumDy += dy[offset + k];
                    sumDyXHat += (double)dy[offset + k] * xhv[offset + k];
                }
            });
            // dγ = (1/m)·Σ dy·x̂,  dβ = (1/m)·Σ dy   (gradients of the mean loss)
            gamma.Gradient[c] = (float)(sumDyXHat / m);
            beta.Gradient[c] = (float)(sumDy / m);
            if (computeInputGradient)
            {
                // dx = γ/√(σ² + ε) · (dy − Σdy/N − x̂·Σ(dy·x̂)/N)
                float scale = gamma.Value[c] * invStd[c], meanDy = (float)(sumDy / N), meanDyXHat = (float)(sumDyXHat / N);
                ForEachPlane(m, c, (offset) =>
                {
                    for (int k = 0; k < plane; k++)
                    {
                        dxv[offset + k] = scale * (dy[offset + k] - meanDy - (xhv[offset + k] * meanDyXHat));
                    }
                });
            }
        });
        return computeInputGradient ? dx : null;
    }

    /// <summary>Calls <paramref name="body"/> with the offset of channel c's plane in each of the m examples, in order.</summary>
    private void ForEachPlane(int m, int c, Action<int> body)
    {
        for (int n = 0; n < m; n++)
        {
            body((n * Shape.Size) + (c * Shape.Plane));
        }
    }
}
