// Batch normalisation (Ioffe and Szegedy, 2015), per channel after a convolution (over the m·H·W
// values of each channel), per unit after a dense layer (C units, H = W = 1):
//   training   μ = mean, σ² = (biased) variance over the batch;  x̂ = (x − μ)/√(σ² + ε);  y = γ·x̂ + β
//              running_mean ← (1 − momentum)·running_mean + momentum·μ, running_var likewise with the
//              unbiased variance (PyTorch's convention, so models travel)
//   evaluation x̂ = (x − running_mean)/√(running_var + ε)
// Backward (N = m·H·W values per channel): dγ = (1/m)·Σ dy·x̂, dβ = (1/m)·Σ dy,
//   dx = γ/√(σ² + ε) · (dy − (1/N)·Σ dy − x̂·(1/N)·Σ dy·x̂).
// Each plane is summed in float, the planes in order in double; channels are independent pieces
// (same bits on any thread count). A dense layer's units (planes of 1) are one piece, row by row.
using System.Numerics;
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Batch normalisation with scale γ [C], shift β [C] and running statistics [C].</summary>
public sealed class BatchNorm : ILayer
{
    private Matrix? output;  // y [m, C·H·W]
    private Matrix? input;   // x [m, C·H·W], kept from Forward: x̂ = (x − μ)/√(σ² + ε) is linear in x, so Backward works from x (no x̂ buffer to write and read)
    private Matrix? dInput;  // [m, C·H·W]
    private readonly float[] invStd;   // 1/√(σ² + ε) of the last batch, per channel
    private readonly float[] shift;    // −μ of the last batch (or −running_mean), per channel
    private readonly double[] mean;    // per channel: μ in Forward, Σ dy in Backward
    private readonly double[] squares; // per channel: Σ (x − μ)² in Forward, Σ dy·x̂ in Backward

    /// <summary>Batch normalisation over the channels of <paramref name="shape"/> (a dense layer's units as C × 1 × 1).</summary>
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
        shift = new float[C];
        mean = new double[C];
        squares = new double[C];
        Parameters = [gamma, beta];
        State = [RunningMean, RunningVar];
    }

    /// <summary>The maps normalised: C channels of H × W (a dense layer's C units: C × 1 × 1).</summary>
    public MapShape Shape { get; }

    /// <summary>ε added to the variance before its square root.</summary>
    public float Epsilon { get; }

    /// <summary>Momentum μ of the running statistics: new = (1 − μ)·old + μ·batch.</summary>
    public float Momentum { get; }

    /// <summary>Scale γ [C].</summary>
    public Parameter gamma { get; }

    /// <summary>Shift β [C].</summary>
    public Parameter beta { get; }

    /// <summary>Running mean per channel, used at evaluation.</summary>
    public Parameter RunningMean { get; }

    /// <summary>Running (unbiased) variance per channel, used at evaluation.</summary>
    public Parameter RunningVar { get; }

    /// <inheritdoc/>
    public LayerSpec Spec => new LayerSpec("batchnorm", Shape.Size, Shape.Size) { Epsilon = Epsilon, Momentum = Momentum }.WithMap(Shape);

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> State { get; }

    /// <inheritdoc/>
    public Matrix Forward(Matrix input, bool training)
    {
        Dense.CheckWidth(input, Shape.Size, "input");
        int m = input.Rows, C = Shape.Channels;
        Matrix y = Matrix.Ensure(ref output, m, Shape.Size);
        this.input = input;
        float[] x = input.Storage, yv = y.Storage;
        Workers.For(Shape.Plane == 1 ? 1 : C, piece =>
        {
            int c0 = Shape.Plane == 1 ? 0 : piece, c1 = Shape.Plane == 1 ? C : piece + 1;
            if (training)
            {
                // μ and σ² (biased) of each channel over the batch, from Σ (x − K) and Σ (x − K)² about
                // K = the running mean (close to μ, so the subtraction loses nothing): plane sums in float, added in double
                ChannelMoments(x, m, c0, c1);
                long N = (long)m * Shape.Plane;
                for (int c = c0; c < c1; c++)
                {
                    double shifted = mean[c] / N;
                    mean[c] = RunningMean.Value[c] + shifted;
                    double variance = Math.Max(0, (squares[c] / N) - (shifted * shifted));
                    squares[c] = variance * N;
                    invStd[c] = (float)(1 / Math.Sqrt(variance + Epsilon));
                    RunningMean.Value[c] = (float)(((1 - Momentum) * RunningMean.Value[c]) + (Momentum * mean[c]));
                    RunningVar.Value[c] = (float)(((1 - Momentum) * RunningVar.Value[c]) + (Momentum * (N > 1 ? squares[c] / (N - 1) : variance)));
                    shift[c] = (float)-mean[c];
                }
            }
            else
            {
                for (int c = c0; c < c1; c++)
                {
                    invStd[c] = 1f / MathF.Sqrt(RunningVar.Value[c] + Epsilon);
                    shift[c] = -RunningMean.Value[c];
                }
            }
            // x̂ = (x − μ)/√(σ² + ε);  y = γ·x̂ + β
            for (int n = 0; n < m; n++)
            {
                for (int c = c0; c < c1; c++)
                {
                    int at = (n * Shape.Size) + (c * Shape.Plane);
                    if (Shape.Plane == 1)
                    {
                        float h = (x[at] + shift[c]) * invStd[c];
                        yv[at] = (gamma.Value[c] * h) + beta.Value[c];
                        continue;
                    }
                    Normalize(x.AsSpan(at, Shape.Plane), shift[c], invStd[c], gamma.Value[c], beta.Value[c], yv.AsSpan(at, Shape.Plane));
                }
            }
        });
        return y;
    }

    /// <inheritdoc/>
    public Matrix? Backward(Matrix dOutput, bool computeInputGradient)
    {
        Dense.CheckWidth(dOutput, Shape.Size, "dy");
        Matrix xIn = input ?? throw new InvalidOperationException("BatchNorm.Backward called before Forward.");
        int m = dOutput.Rows, C = Shape.Channels;
        Matrix dx = Matrix.Ensure(ref dInput, m, Shape.Size);
        float[] dy = dOutput.Storage, x = xIn.Storage, dxv = dx.Storage;
        long N = (long)m * Shape.Plane;
        Workers.For(Shape.Plane == 1 ? 1 : C, piece =>
        {
            int c0 = Shape.Plane == 1 ? 0 : piece, c1 = Shape.Plane == 1 ? C : piece + 1;
            // Σ dy and Σ dy·x̂ over each channel: plane sums in float, added in double
            // Σ dy·x̂ = (1/√(σ² + ε))·(Σ dy·x − μ·Σ dy)
            ChannelDySums(dy, x, m, c0, c1);
            for (int c = c0; c < c1; c++)
            {
                squares[c] = invStd[c] * (squares[c] + (shift[c] * mean[c]));
                // dγ = (1/m)·Σ dy·x̂,  dβ = (1/m)·Σ dy   (gradients of the mean loss)
                gamma.Gradient[c] = (float)(squares[c] / m);
                beta.Gradient[c] = (float)(mean[c] / m);
            }
            if (!computeInputGradient)
            {
                return;
            }
            // dx = γ/√(σ² + ε) · (dy − Σdy/N − x̂·Σ(dy·x̂)/N)
            for (int n = 0; n < m; n++)
            {
                for (int c = c0; c < c1; c++)
                {
                    float scale = gamma.Value[c] * invStd[c], meanDy = (float)(mean[c] / N), meanDyXHat = (float)(squares[c] / N);
                    int at = (n * Shape.Size) + (c * Shape.Plane);
                    if (Shape.Plane == 1)
                    {
                        dxv[at] = scale * (dy[at] - meanDy - ((x[at] + shift[c]) * invStd[c] * meanDyXHat));
                        continue;
                    }
                    // … = scale·dy + a·x + b with a = −scale·meanDyXHat/√(σ² + ε), b = a·(−μ) − scale·meanDy
                    float a = -scale * meanDyXHat * invStd[c];
                    InputGradient(dy.AsSpan(at, Shape.Plane), x.AsSpan(at, Shape.Plane), scale, a, (a * shift[c]) - (scale * meanDy), dxv.AsSpan(at, Shape.Plane));
                }
            }
        });
        return computeInputGradient ? dx : null;
    }

    /// <summary>For channels [c0, c1): mean[c] = Σ (x − K) and squares[c] = Σ (x − K)², K = the running mean; each plane in float, the planes in order in double.</summary>
    private void ChannelMoments(float[] x, int m, int c0, int c1)
    {
        Array.Clear(mean, c0, c1 - c0);
        Array.Clear(squares, c0, c1 - c0);
        for (int n = 0; n < m; n++)
        {
            for (int c = c0; c < c1; c++)
            {
                var (sum, sumOfSquares) = Moments(x.AsSpan((n * Shape.Size) + (c * Shape.Plane), Shape.Plane), RunningMean.Value[c]);
                mean[c] += sum;
                squares[c] += sumOfSquares;
            }
        }
    }

    /// <summary>For channels [c0, c1): mean[c] = Σ dy and squares[c] = Σ dy·x; each plane in float, the planes in order in double.</summary>
    private void ChannelDySums(float[] dy, float[] x, int m, int c0, int c1)
    {
        Array.Clear(mean, c0, c1 - c0);
        Array.Clear(squares, c0, c1 - c0);
        for (int n = 0; n < m; n++)
        {
            for (int c = c0; c < c1; c++)
            {
                int at = (n * Shape.Size) + (c * Shape.Plane);
                var (sum, dot) = SumAndDot(dy.AsSpan(at, Shape.Plane), x.AsSpan(at, Shape.Plane));
                mean[c] += sum;
                squares[c] += dot;
            }
        }
    }

    /// <summary>Σ (x − K) and Σ (x − K)² in one pass.</summary>
    private static (float Sum, float SumOfSquares) Moments(ReadOnlySpan<float> x, float K)
    {
        int i = 0;
        float sum = 0, squares = 0;
        if (Simd.HasVector && x.Length >= Vector<float>.Count)
        {
            Vector<float> s = Vector<float>.Zero, q = Vector<float>.Zero, k = new(K);
            for (; i + Vector<float>.Count <= x.Length; i += Vector<float>.Count)
            {
                Vector<float> d = new Vector<float>(x[i..]) - k;
                s += d;
                q += d * d;
            }
            sum = Vector.Sum(s);
            squares = Vector.Sum(q);
        }
        for (; i < x.Length; i++)
        {
            float d = x[i] - K;
            sum += d;
            squares += d * d;
        }
        return (sum, squares);
    }

    /// <summary>Σ a and Σ a·b in one pass.</summary>
    private static (float Sum, float Dot) SumAndDot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int i = 0;
        float sum = 0, dot = 0;
        if (Simd.HasVector && a.Length >= Vector<float>.Count)
        {
            Vector<float> s = Vector<float>.Zero, d = Vector<float>.Zero;
            for (; i + Vector<float>.Count <= a.Length; i += Vector<float>.Count)
            {
                var va = new Vector<float>(a[i..]);
                s += va;
                d += va * new Vector<float>(b[i..]);
            }
            sum = Vector.Sum(s);
            dot = Vector.Sum(d);
        }
        for (; i < a.Length; i++)
        {
            sum += a[i];
            dot += a[i] * b[i];
        }
        return (sum, dot);
    }

    /// <summary>y = γ·x̂ + β with x̂ = (x + shift)·inv, in one pass.</summary>
    private static void Normalize(ReadOnlySpan<float> x, float shift, float inv, float g, float bt, Span<float> y)
    {
        int i = 0;
        if (Simd.HasVector)
        {
            Vector<float> vs = new(shift), vi = new(inv), vg = new(g), vb = new(bt);
            for (; i + Vector<float>.Count <= x.Length; i += Vector<float>.Count)
            {
                Vector<float> h = (new Vector<float>(x[i..]) + vs) * vi;
                ((h * vg) + vb).CopyTo(y[i..]);
            }
        }
        for (; i < x.Length; i++)
        {
            float h = (x[i] + shift) * inv;
            y[i] = (g * h) + bt;
        }
    }

    /// <summary>dx = scale·dy + a·x + b in one pass.</summary>
    private static void InputGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float scale, float a, float b, Span<float> dx)
    {
        int i = 0;
        if (Simd.HasVector)
        {
            Vector<float> vs = new(scale), va = new(a), vb = new(b);
            for (; i + Vector<float>.Count <= dy.Length; i += Vector<float>.Count)
            {
                ((new Vector<float>(dy[i..]) * vs) + (new Vector<float>(x[i..]) * va) + vb).CopyTo(dx[i..]);
            }
        }
        for (; i < dy.Length; i++)
        {
            dx[i] = (scale * dy[i]) + (a * x[i]) + b;
        }
    }
}
