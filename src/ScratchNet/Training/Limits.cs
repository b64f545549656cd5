// The bounds every option is checked against, in one place: the options' Validate, the commands'
// messages and their --help read them from here.
namespace ScratchNet.Training;

/// <summary>The limits on sizes checked before any allocation, with messages that give the limit.</summary>
public static class Limits
{
    /// <summary>Units per layer, at most (and pixels per image).</summary>
    public const int MaxUnits = 65536;

    /// <summary>Parameters (weights and biases) a network may have, at most: each costs 4 bytes, its gradient 4 more and Adam's moments 8.</summary>
    public const long MaxParameters = 256L * 1024 * 1024;

    /// <summary>Bytes of activations one step may hold, at most (Z, A, dZ and the input for every row of the step).</summary>
    public const long MaxActivationBytes = 8L << 30;

    /// <summary>Throws when the layer sizes would not fit: a layer's weights over one array, or the whole over <see cref="MaxParameters"/>.</summary>
    public static void CheckLayers(IReadOnlyList<int> sizes)
    {
        long total = 0;
        for (int l = 1; l < sizes.Count; l++)
        {
            long weights = (long)sizes[l - 1] * sizes[l];
            if (weights > Array.MaxLength)
            {
                throw new ArgumentException($"--layers {string.Join(',', sizes)}: layer {l} has {sizes[l - 1]:N0} × {sizes[l]:N0} = {weights:N0} weights; one layer holds at most {Array.MaxLength:N0}. Use narrower layers.");
            }
            total += weights + sizes[l];
        }
        if (total > MaxParameters)
        {
            throw new ArgumentException($"--layers {string.Join(',', sizes)}: {total:N0} parameters; a network here has at most {MaxParameters:N0} (4 bytes each, as many for the gradients and twice that for Adam). Use narrower layers.");
        }
    }

    /// <summary>Throws when the layer list <paramref name="text"/> has more than <see cref="MaxParameters"/> parameters.</summary>
    public static void CheckParameters(string text, long parameters)
    {
        if (parameters > MaxParameters)
        {
            throw new ArgumentException($"--layers {text}: {parameters:N0} parameters; a network here has at most {MaxParameters:N0} (4 bytes each, as many for the gradients and twice that for Adam). Use fewer filters or units.");
        }
    }

    /// <summary>Throws when a step over <paramref name="rows"/> images would need more than <see cref="MaxActivationBytes"/> of activations.</summary>
    public static void CheckActivations(IReadOnlyList<int> sizes, long rows, string how)
    {
        long bytes = rows * sizes.Sum(s => (long)s) * 4 * 4;
        if (bytes > MaxActivationBytes)
        {
            throw new ArgumentException($"A step over {rows:N0} images ({how}) of layers {string.Join(',', sizes)} needs about {bytes / (1L << 30):N0} GiB of activations; at most {MaxActivationBytes >> 30} GiB. Use mini-batches (--batch-size 64) or narrower layers.");
        }
    }

    /// <summary>Threads, at most.</summary>
    public const int MaxThreads = 1024;

    /// <summary>Throws naming <paramref name="option"/> when <paramref name="threads"/> is outside 1..MaxThreads.</summary>
    public static void CheckThreads(int threads, string option = "--threads")
    {
        if (threads < 1 || threads > MaxThreads)
        {
            throw new ArgumentException($"{option} {threads}: must be 1..{MaxThreads}.");
        }
    }
}
