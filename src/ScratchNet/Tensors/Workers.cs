// Runs independent pieces of work on up to Threads threads. Pieces are fixed by the shapes alone,
// never by the thread count, so results are bit-identical whatever Threads is.
namespace ScratchNet.Tensors;

/// <summary>The thread count used by every kernel (default: all cores).</summary>
public static class Workers
{
    private static int threads = Environment.ProcessorCount;

    /// <summary>Maximum number of threads kernels may use; at least 1.</summary>
    public static int Threads
    {
        get => threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            threads = value;
        }
    }

    /// <summary>Runs body(p) for every piece p in [0, pieces), in parallel when Threads &gt; 1.</summary>
    public static void For(int pieces, Action<int> body)
    {
        if (pieces <= 0)
        {
            return;
        }
        if (threads == 1 || pieces == 1)
        {
            for (int p = 0; p < pieces; p++)
            {
                body(p);
            }
            return;
        }
        Parallel.For(0, pieces, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }
}
