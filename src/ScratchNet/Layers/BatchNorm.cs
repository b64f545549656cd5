// Batch normalisation (Ioffe and Szegedy, 2015), per channel after a convolution (over the m·H·W
// values of each channel), per unit after a dense layer (C units, H = W = 1):
//   training   μ = mean, σ² = (biased) variance over the batch;  x̂ = (x − μ)/√(σ² + ε);  y = γ·x̂ + β
//              running_mean ← (1 − momentum)·running_mean + momentum·μ, running_var likewise with the
//              unbiased variance (PyTorch's convention, so models travel)
//   evaluation x̂ = (x − running_mean)/√(running_var + ε)
// Backward (N = m·H·W values per channel): dγ = (1/m)·Σ dy·x̂, dβ = (1/m)·Σ dy,
//   dx = γ/√(σ² + ε) · (dy − (1/N)·Σ dy − x̂·(1/N)·Σ dy·x̂).
// Each plane is summed in float, the planes in order in double; runs of whole channels are the pieces
// (same bits on any thread count). A dense layer's units (planes of 1) are one piece, row by row.
// Over maps and followed by ReLU, the pair runs as one pass each way (Network): ForwardRectified
// rectifies each plane as it is written, BackwardRectified takes dy = dA where A > 0 as it reads.
using System.Numerics;
using System.Runtime.CompilerServices;
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Batch normalisation with scale γ [C], shift β [C] and running statistics [C].</summary>
public sealed unsafe class BatchNorm : ILayer
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
    public Matrix Forward(Matrix input, bool training) => Forward(input, training, null);

    /// <summary>
    /// ReLU(batch norm(x)) in one pass over maps (planes of more than one value): each plane normalised into
    /// <paramref name="relu"/>'s output and rectified there, while it is in cache, by the ReLU's own function — the bits of
    /// the two layers in turn. <see cref="BackwardRectified"/> must then take the backward pass of both.
    /// </summary>
    internal Matrix ForwardRectified(Matrix input, ReLU relu, bool training) => Forward(input, training, relu);

    /// <summary>Whether <see cref="ForwardRectified"/> applies: maps, not a dense layer's units (planes of one value).</summary>
    internal bool RectifiesMaps => Shape.Plane > 1;

    private Matrix Forward(Matrix input, bool training, ReLU? relu)
    {
        Dense.CheckWidth(input, Shape.Size, "input");
        int m = input.Rows, C = Shape.Channels;
        if (relu is not null && !RectifiesMaps)
        {
            throw new InvalidOperationException("Batch norm over a dense layer's units does not rectify its output; run the ReLU layer.");
        }
        Matrix y = relu is null ? Matrix.Ensure(ref output, m, Shape.Size) : relu.OutputFor(m);
        this.input = input;
        float[] x = input.Storage, yv = y.Storage;
        int pieces = Pieces();
        Workers.For(pieces, piece =>
        {
            int c0 = piece * C / pieces, c1 = (piece + 1) * C / pieces;
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
                    fixed (float* px = x, py = yv)
                    {
                        Normalize(px + at, Shape.Plane, shift[c], invStd[c], gamma.Value[c], beta.Value[c], py + at);
                    }
                    // A = ReLU(y), in place while the plane is in cache
                    relu?.Apply(yv.AsSpan(at, Shape.Plane), yv.AsSpan(at, Shape.Plane));
                }
            }
        });
        return y;
    }

    /// <inheritdoc/>
    public Matrix? Backward(Matrix dOutput, bool computeInputGradient) => Backward<AsGiven>(dOutput, null, computeInputGradient);

    /// <summary>
    /// The backward pass of ReLU(batch norm(x)) after <see cref="ForwardRectified"/>, from dA: dy = dA where A &gt; 0, else 0
    /// (A &gt; 0 exactly where y &gt; 0, ReLU's own test), taken as it is read — the bits of the two layers in turn.
    /// </summary>
    internal Matrix? BackwardRectified(Matrix dA, ReLU relu, bool computeInputGradient) =>
        Backward<WhereRectified>(dA, relu.Output ?? throw new InvalidOperationException("BatchNorm.BackwardRectified called before ForwardRectified."), computeInputGradient);

    private Matrix? Backward<TDy>(Matrix dOutput, Matrix? rectified, bool computeInputGradient)
        where TDy : struct, IGradientIn
    {
        Dense.CheckWidth(dOutput, Shape.Size, "dy");
        Matrix xIn = input ?? throw new InvalidOperationException("BatchNorm.Backward called before Forward.");
        int m = dOutput.Rows, C = Shape.Channels;
        Matrix dx = Matrix.Ensure(ref dInput, m, Shape.Size);
        float[] dy = dOutput.Storage, x = xIn.Storage, dxv = dx.Storage, a = rectified?.Storage ?? dy;
        long N = (long)m * Shape.Plane;
        int pieces = Pieces();
        Workers.For(pieces, piece =>
        {
            int c0 = piece * C / pieces, c1 = (piece + 1) * C / pieces;
            // Σ dy and Σ dy·x̂ over each channel: plane sums in float, added in double
            // Σ dy·x̂ = (1/√(σ² + ε))·(Σ dy·x − μ·Σ dy)
            ChannelDySums<TDy>(dy, a, x, m, c0, c1);
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
                        dxv[at] = scale * (TDy.Read(dy, a, at) - meanDy - ((x[at] + shift[c]) * invStd[c] * meanDyXHat));
                        continue;
                    }
                    // … = scale·dy + ax·x + b with ax = −scale·meanDyXHat/√(σ² + ε), b = ax·(−μ) − scale·meanDy
                    float ax = -scale * meanDyXHat * invStd[c];
                    fixed (float* pdy = dy, pa = a, px = x, pdx = dxv)
                    {
                        InputGradient<TDy>(pdy + at, pa + at, px + at, Shape.Plane, scale, ax, (ax * shift[c]) - (scale * meanDy), pdx + at);
                    }
                }
            }
        });
        return computeInputGradient ? dx : null;
    }

    /// <summary>
    /// Runs of whole channels, one per thread (a channel's sums never depend on the split, so neither do the bits);
    /// runs rather than channel by channel, because neighbouring channels' planes share cache lines. A dense layer's
    /// units (planes of 1) are one piece, row by row.
    /// </summary>
    private int Pieces() => Shape.Plane == 1 ? 1 : Math.Min(Shape.Channels, Workers.Threads);

    /// <summary>For channels [c0, c1): mean[c] = Σ (x − K) and squares[c] = Σ (x − K)², K = the running mean; each plane in float, the planes in order in double.</summary>
    private unsafe void ChannelMoments(float[] x, int m, int c0, int c1)
    {
        fixed (float* px = x)
        {
            for (int c = c0; c < c1; c++)
            {
                // Summed in locals and stored once: neighbouring channels' sums share cache lines, and another thread has them
                double sums = 0, sumsOfSquares = 0;
                for (int n = 0; n < m; n++)
                {
                    var (sum, sumOfSquares) = Moments(px + (n * Shape.Size) + (c * Shape.Plane), Shape.Plane, RunningMean.Value[c]);
                    sums += sum;
                    sumsOfSquares += sumOfSquares;
                }
                mean[c] = sums;
                squares[c] = sumsOfSquares;
            }
        }
    }

    /// <summary>For channels [c0, c1): mean[c] = Σ dy and squares[c] = Σ dy·x; each plane in float, the planes in order in double.</summary>
    private unsafe void ChannelDySums<TDy>(float[] dy, float[] a, float[] x, int m, int c0, int c1)
        where TDy : struct, IGradientIn
    {
        fixed (float* pdy = dy, pa = a, px = x)
        {
            for (int c = c0; c < c1; c++)
            {
                double sums = 0, dots = 0;
                for (int n = 0; n < m; n++)
                {
                    int at = (n * Shape.Size) + (c * Shape.Plane);
                    var (sum, dot) = SumAndDot<TDy>(pdy + at, pa + at, px + at, Shape.Plane);
                    sums += sum;
                    dots += dot;
                }
                mean[c] = sums;
                squares[c] = dots;
            }
        }
    }

    /// <summary>Σ (x − K) and Σ (x − K)² over x[0 … length) in one pass.</summary>
    private static unsafe (float Sum, float SumOfSquares) Moments(float* x, int length, float K)
    {
        int i = 0;
        float sum = 0, squares = 0;
        if (Simd.HasVector && length >= Vector<float>.Count)
        {
            Vector<float> s = Vector<float>.Zero, q = Vector<float>.Zero, k = new(K);
            for (; i + Vector<float>.Count <= length; i += Vector<float>.Count)
            {
                Vector<float> d = Vector.Load(x + i) - k;
                s += d;
                q += d * d;
            }
            sum = Vector.Sum(s);
            squares = Vector.Sum(q);
        }
        for (; i < length; i++)
        {
            float d = x[i] - K;
            sum += d;
            squares += d * d;
        }
        return (sum, squares);
    }

    /// <summary>Σ dy and Σ dy·b over [0 … length) in one pass (dy read through <typeparamref name="TDy"/> from dy and a).</summary>
    private static unsafe (float Sum, float Dot) SumAndDot<TDy>(float* dy, float* a, float* b, int length)
        where TDy : struct, IGradientIn
    {
        int i = 0;
        float sum = 0, dot = 0;
        if (Simd.HasVector && length >= Vector<float>.Count)
        {
            Vector<float> s = Vector<float>.Zero, d = Vector<float>.Zero;
            for (; i + Vector<float>.Count <= length; i += Vector<float>.Count)
            {
                Vector<float> va = TDy.Load(dy + i, a + i);
                s += va;
                d += va * Vector.Load(b + i);
            }
            sum = Vector.Sum(s);
            dot = Vector.Sum(d);
        }
        for (; i < length; i++)
        {
            float v = TDy.Read(dy, a, i);
            sum += v;
            dot += v * b[i];
        }
        return (sum, dot);
    }

    /// <summary>y = γ·x̂ + β with x̂ = (x + shift)·inv over [0 … length), in one pass.</summary>
    private static unsafe void Normalize(float* x, int length, float shift, float inv, float g, float bt, float* y)
    {
        int i = 0;
        if (Simd.HasVector)
        {
            Vector<float> vs = new(shift), vi = new(inv), vg = new(g), vb = new(bt);
            for (; i + Vector<float>.Count <= length; i += Vector<float>.Count)
            {
                Vector<float> h = (Vector.Load(x + i) + vs) * vi;
                ((h * vg) + vb).Store(y + i);
            }
        }
        for (; i < length; i++)
        {
            float h = (x[i] + shift) * inv;
            y[i] = (g * h) + bt;
        }
    }

    /// <summary>dx = scale·dy + ax·x + b over [0 … length) in one pass (dy read through <typeparamref name="TDy"/> from dy and a).</summary>
    private static unsafe void InputGradient<TDy>(float* dy, float* a, float* x, int length, float scale, float ax, float b, float* dx)
        where TDy : struct, IGradientIn
    {
        int i = 0;
        if (Simd.HasVector)
        {
            Vector<float> vs = new(scale), va = new(ax), vb = new(b);
            for (; i + Vector<float>.Count <= length; i += Vector<float>.Count)
            {
                ((TDy.Load(dy + i, a + i) * vs) + (Vector.Load(x + i) * va) + vb).Store(dx + i);
            }
        }
        for (; i < length; i++)
        {
            dx[i] = (scale * TDy.Read(dy, a, i)) + (ax * x[i]) + b;
        }
    }

    /// <summary>How the backward pass reads dy: as given, or from a following ReLU's dA and A.</summary>
    private interface IGradientIn
    {
        static abstract Vector<float> Load(float* dy, float* a);

        static abstract float Read(float[] dy, float[] a, int i);

        static abstract float Read(float* dy, float* a, int i);
    }

    /// <summary>dy as given.</summary>
    private struct AsGiven : IGradientIn
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<float> Load(float* dy, float* a) => Vector.Load(dy);

        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Read(float[] dy, float[] a, int i) => dy[i];

        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Read(float* dy, float* a, int i) => dy[i];
    }

    /// <summary>dy = dA where A &gt; 0, else 0: ReLU's derivative (ReLU.Derivative tests z &gt; 0; A = max(z, 0) is &gt; 0 exactly there).</summary>
    private struct WhereRectified : IGradientIn
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector<float> Load(float* dy, float* a) => Vector.ConditionalSelect(Vector.GreaterThan(Vector.Load(a), Vector<float>.Zero), Vector.Load(dy), Vector<float>.Zero);

        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Read(float[] dy, float[] a, int i) => a[i] > 0f ? dy[i] : 0f;

        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Read(float* dy, float* a, int i) => a[i] > 0f ? dy[i] : 0f;
    }
}
