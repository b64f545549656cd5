// The bounds every option is checked against, in one place: the options' Validate, the commands'
// messages and their --help read them from here.
namespace ScratchNet.Training;

public static class Limits
{
    /// <summary>Units per layer, at most (and pixels per image).</summary>
    public const int MaxUnits = 65536;

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
