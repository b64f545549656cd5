// An optimiser updates every parameter from its gradient, in one flat loop over all parameters,
// weights and biases alike (state such as momentum applies to biases exactly as to weights).
// Moments and velocities that decay below float's smallest normal number are stored as 0 (FlushTiny).
using System.Numerics;
using ScratchNet.Layers;

namespace ScratchNet.Optimizers;

/// <summary>Updates every parameter from its gradient.</summary>
public interface IOptimizer
{
    /// <summary>Name in model files and on the command line.</summary>
    string Name { get; }

    /// <summary>One update of every parameter with learning rate <paramref name="alpha"/>.</summary>
    void Step(IReadOnlyList<Parameter> parameters, float alpha);

    /// <summary>Steps taken so far (Adam's t); saved in checkpoints.</summary>
    int Steps { get; set; }

    /// <summary>The optimiser's per-parameter state by name ("m", "v", "velocity"), one array per parameter; empty for plain SGD.</summary>
    IReadOnlyDictionary<string, float[][]> State(IReadOnlyList<Parameter> parameters);
}

/// <summary>Creates optimisers by name, with each one's paper default learning rate.</summary>
public static class Optimizers
{
    /// <summary>The names the command line takes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sgd", "momentum", "nesterov", "adam", "adamw"];

    /// <summary>The learning rate a run uses when none is given: the paper's or the common default.</summary>
    public static float DefaultAlpha(string name) => name switch
    {
        "sgd" => 0.1f,
        "momentum" or "nesterov" => 0.01f,
        "adam" or "adamw" => 0.001f,
        _ => throw Unknown(name),
    };

    /// <param name="name">sgd, momentum, nesterov, adam or adamw.</param>
    /// <param name="momentum">μ for momentum and nesterov.</param>
    /// <param name="weightDecay">λ: L2 penalty added to the gradient (sgd, momentum, adam) or decoupled decay (adamw; 0 means its default 0.01).</param>
    public static IOptimizer Create(string name, float momentum = 0.9f, float weightDecay = 0f) => name switch
    {
        "sgd" => new Sgd(weightDecay),
        "momentum" => new Momentum(momentum, nesterov: false, weightDecay),
        "nesterov" => new Momentum(momentum, nesterov: true, weightDecay),
        "adam" => new Adam(weightDecay: weightDecay),
        "adamw" => new AdamW(weightDecay: weightDecay > 0 ? weightDecay : AdamW.DefaultWeightDecay),
        _ => throw Unknown(name),
    };

    /// <summary>float's smallest normal number, 2⁻¹²⁶ ≈ 1.18e−38.</summary>
    internal const float SmallestNormal = 1.17549435E-38f;

    /// <summary>
    /// x, or 0 where |x| &lt; 2⁻¹²⁶ (NaN kept). A moment or velocity whose gradient has stopped decays
    /// geometrically (×0.9 a step) into float's subnormal range and stays there for ~150 steps; on x64
    /// every vector instruction that meets a subnormal takes a microcode assist (~100 cycles), which made
    /// Adam's step 3–5× slower in a cnn-fast epoch (7 % of its moments were subnormal). Such a moment
    /// moves no weight (α·10⁻³⁸ vanishes against any weight above 10⁻³⁰), so it is stored as 0 — the
    /// flush-to-zero that GPUs and many CPU libraries run with, done here per value, the same on every
    /// machine and thread count.
    /// </summary>
    internal static Vector<float> FlushTiny(Vector<float> x) =>
        Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(x), new Vector<float>(SmallestNormal)), Vector<float>.Zero, x);

    /// <summary>The scalar <see cref="FlushTiny(Vector{float})"/>, for the loops' remainders.</summary>
    internal static float FlushTiny(float x) => Math.Abs(x) < SmallestNormal ? 0f : x;

    private static ArgumentException Unknown(string name) =>
        new($"Unknown optimizer '{name}'. Use {string.Join(", ", Names)}.");

    /// <summary>
    /// Runs <paramref name="update"/>(parameter index, start, length) over every parameter in chunks
    /// of 16,384 elements, in parallel; element-wise updates make the result thread-independent.
    /// </summary>
    internal static void ForEachChunk(IReadOnlyList<Parameter> parameters, Action<int, int, int> update)
    {
        const int chunk = 16_384;
        var items = new List<(int Parameter, int Start)>();
        for (int i = 0; i < parameters.Count; i++)
        {
            for (int start = 0; start < parameters[i].Count; start += chunk)
            {
                items.Add((i, start));
            }
        }
        Tensors.Workers.For(items.Count, item =>
        {
            var (i, start) = items[item];
            update(i, start, Math.Min(chunk, parameters[i].Count - start));
        });
    }

    /// <summary>Whether every parameter's every value is finite (no NaN, no ±∞), read in parallel chunks.</summary>
    internal static bool AllFinite(IReadOnlyList<Parameter> parameters)
    {
        int bad = 0;
        ForEachChunk(parameters, (i, start, length) =>
        {
            if (!Tensors.Finite.All(parameters[i].Value.AsSpan(start, length)))
            {
                Volatile.Write(ref bad, 1);
            }
        });
        return bad == 0;
    }

    /// <summary>Per-parameter state arrays, created on the first step, one float[] per parameter.</summary>
    internal static float[][] State(ref float[][]? state, IReadOnlyList<Parameter> parameters)
    {
        if (state is null)
        {
            state = new float[parameters.Count][];
            for (int i = 0; i < parameters.Count; i++)
            {
                state[i] = new float[parameters[i].Count];
            }
        }
        else if (state.Length != parameters.Count)
        {
            throw new InvalidOperationException("The optimiser was used with a different parameter list.");
        }
        return state;
    }
}
