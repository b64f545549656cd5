// Each optimiser's first three steps against values worked out by hand from its paper's algorithm
// (W = [1, −2], b = [0.5], gradients fixed per step), and learning rate schedules.
using ScratchNet.Layers;
using ScratchNet.Optimizers;

namespace ScratchNet.Tests.Optimizers;

public class OptimizerTests
{
    private static readonly (float[] dW, float[] db)[] Gradients =
    [
        ([0.1f, -0.2f], [0.3f]),
        ([0.05f, 0.1f], [-0.1f]),
        ([-0.2f, 0f], [0.2f]),
    ];

    private static List<double[]> Run(IOptimizer optimizer, float lr)
    {
        var W = new Parameter("W", 1, 2);
        var b = new Parameter("b", 1);
        W.Value[0] = 1f;
        W.Value[1] = -2f;
        b.Value[0] = 0.5f;
        var after = new List<double[]>();
        foreach (var (dW, db) in Gradients)
        {
            dW.CopyTo(W.Gradient, 0);
            db.CopyTo(b.Gradient, 0);
            optimizer.Step([W, b], lr);
            after.Add([W.Value[0], W.Value[1], b.Value[0]]);
        }
        return after;
    }

    public static TheoryData<string, double[][]> Cases() => new()
    {
        // θ ← θ − α·dθ
        { "sgd", [[0.99, -1.98, 0.47], [0.985, -1.99, 0.48], [1.005, -1.99, 0.46]] },
        // dθ + λθ with λ = 0.01
        { "sgd-wd", [[0.989, -1.978, 0.4695], [0.983011, -1.986022, 0.4790305], [1.002028, -1.984036, 0.4585515]] },
        // v ← μv + g, θ ← θ − αv (μ = 0.9)
        { "momentum", [[0.99, -1.98, 0.47], [0.976, -1.972, 0.453], [0.9834, -1.9648, 0.4177]] },
        // θ ← θ − α(g + μv)
        { "nesterov", [[0.981, -1.962, 0.443], [0.9634, -1.9648, 0.4377], [0.99006, -1.95832, 0.38593]] },
        // Kingma & Ba, Algorithm 1, α = 0.01
        { "adam", [[0.99, -1.99, 0.49], [0.9806782, -1.9873366, 0.4859978], [0.9827418, -1.9852778, 0.479967]] },
        // Loshchilov & Hutter, α = 0.01, λ = 0.1
        { "adamw", [[0.989, -1.988, 0.4895], [0.9786892, -1.9833486, 0.4850083], [0.9797741, -1.9793065, 0.4784924]] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void First_three_steps_match_the_papers_algorithm(string name, double[][] expected)
    {
        var (optimizer, lr) = name switch
        {
            "sgd" => ((IOptimizer)new Sgd(), 0.1f),
            "sgd-wd" => (new Sgd(weightDecay: 0.01f), 0.1f),
            "momentum" => (new Momentum(0.9f), 0.1f),
            "nesterov" => (new Momentum(0.9f, nesterov: true), 0.1f),
            "adam" => (new Adam(), 0.01f),
            "adamw" => (new AdamW(weightDecay: 0.1f), 0.01f),
            _ => throw new ArgumentException(name),
        };
        List<double[]> actual = Run(optimizer, lr);
        for (int step = 0; step < 3; step++)
        {
            for (int k = 0; k < 3; k++)
            {
                Assert.True(Math.Abs(expected[step][k] - actual[step][k]) < 2e-6, $"{name} step {step + 1} value {k}: expected {expected[step][k]}, got {actual[step][k]}");
            }
        }
    }

    [Theory]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void Stateful_optimisers_move_biases_with_their_state(string name)
    {
        var b = new Parameter("b", 3);
        IOptimizer optimizer = ScratchNet.Optimizers.Optimizers.Create(name);
        b.Gradient.AsSpan().Fill(1f);
        optimizer.Step([b], 0.1f);
        float afterFirst = b.Value[0];
        Array.Clear(b.Gradient);
        optimizer.Step([b], 0.1f); // zero gradient: only the state (velocity, moments) moves b
        Assert.True(afterFirst < 0f);
        Assert.True(b.Value[0] < afterFirst, $"{name}: the bias did not move on its state");
    }

    [Theory]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void State_that_decays_below_the_smallest_normal_float_is_stored_as_zero(string name)
    {
        // 37 values: vector lanes at every width and a scalar remainder. One small gradient, then none:
        // the state decays geometrically through float's subnormal range, where x64 takes a microcode
        // assist per vector instruction; it must go from normal straight to 0.
        var w = new Parameter("W", 37);
        w.Value.AsSpan().Fill(0.5f);
        IOptimizer optimizer = ScratchNet.Optimizers.Optimizers.Create(name);
        w.Gradient.AsSpan().Fill(1e-20f);
        optimizer.Step([w], 0.01f);
        Array.Clear(w.Gradient);
        float[][] state = [.. optimizer.State([w]).Values.Select(s => s[0])];
        Assert.Contains(state, s => s[0] != 0f);
        for (int step = 0; step < 2000; step++)
        {
            optimizer.Step([w], 0.01f);
            foreach (float[] s in state)
            {
                Assert.DoesNotContain(s, float.IsSubnormal);
            }
        }
        Assert.All(state, s => Assert.All(s, x => Assert.Equal(0f, x)));
        Assert.All(w.Value, x => Assert.True(float.IsNormal(x)));

        // NaN is kept, not flushed: a diverged run still shows as NaN
        w.Gradient.AsSpan().Fill(float.NaN);
        optimizer.Step([w], 0.01f);
        Assert.All(state[0], x => Assert.True(float.IsNaN(x)));
    }

    [Fact]
    public void Schedules_follow_their_formulas()
    {
        Assert.Equal(0.1f, Schedules.Rate("constant", 0.1f, 5, 10));
        Assert.Equal(0.1f * 0.7f * 0.7f, Schedules.Rate("step", 0.1f, 2.5, 10, stepSize: 1, gamma: 0.7f), 6);
        Assert.Equal(0.1f, Schedules.Rate("cosine", 0.1f, 0, 10), 6);
        Assert.Equal(0.05f, Schedules.Rate("cosine", 0.1f, 5, 10), 6);
        Assert.Equal(0f, Schedules.Rate("cosine", 0.1f, 10, 10), 6);
        Assert.Throws<ArgumentException>(() => Schedules.Rate("linear", 0.1f, 0, 1));
    }

    [Theory]
    [InlineData(-1, 0f)]                        // all finite
    [InlineData(0, float.NaN)]                  // the first chunk
    [InlineData(40_000, float.PositiveInfinity)] // the third chunk of 16,384 values
    [InlineData(99_999, float.NegativeInfinity)] // the last value of the last chunk
    [InlineData(100_003, float.NaN)]            // the second parameter (the bias)
    public void The_divergence_guards_finite_check_reads_every_chunk_of_every_parameter(int at, float value)
    {
        var W = new Parameter("W", 100, 1000);
        var b = new Parameter("b", 10);
        W.Value.AsSpan().Fill(3e38f);            // near float's limit, finite: the check is of finiteness, not of size (a sum would overflow)
        b.Value.AsSpan().Fill(-2f);
        if (at >= 100_000)
        {
            b.Value[at - 100_000] = value;
        }
        else if (at >= 0)
        {
            W.Value[at] = value;
        }
        bool finite = TestData.WithThreads(2, () => ScratchNet.Optimizers.Optimizers.AllFinite([W, b]));
        Assert.Equal(at < 0, finite);
    }
}
