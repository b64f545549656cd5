// Learning-rate schedules, as functions of training progress t measured in epochs (fractional
// within an epoch; in full-batch mode one iteration is one epoch).
//   constant:  α(t) = α0
//   step:      α(t) = α0·γ^⌊t / s⌋                       (PyTorch StepLR; s epochs, factor γ)
//   cosine:    α(t) = α0·½·(1 + cos(π·t / T))             (Loshchilov and Hutter, 2017, SGDR without restarts; T = total epochs)
namespace ScratchNet.Optimizers;

/// <summary>Learning-rate schedules: constant, step decay, cosine.</summary>
public static class Schedules
{
    /// <summary>The names the command line takes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["constant", "step", "cosine"];

    /// <summary>The learning rate at progress <paramref name="t"/> of <paramref name="total"/> epochs.</summary>
    public static float Rate(string schedule, float alpha0, double t, double total, int stepSize = 1, float gamma = 0.7f) => schedule switch
    {
        "constant" => alpha0,
        "step" => (float)(alpha0 * Math.Pow(gamma, Math.Floor(t / Math.Max(1, stepSize)))),
        "cosine" => (float)(alpha0 * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(t, total) / Math.Max(total, 1e-9)))),
        _ => throw new ArgumentException($"Unknown schedule '{schedule}'. Use {string.Join(", ", Names)}."),
    };
}
