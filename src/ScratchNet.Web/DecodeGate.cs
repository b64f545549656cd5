// Image decoding is the server's one costly step (a small PNG can declare 4096×4096 pixels: about
// 250 MB and a second of work), so it runs behind a gate: at most one decode per core at a time, a
// request that waits longer than the queue timeout is answered 503, a request whose client has gone
// is not decoded (and a decode whose client goes away stops at its next read: the token reaches
// the decoder), and after a large decode, once none is running, the memory is given back.
namespace ScratchNet.Web;

public sealed class DecodeGate(int slots, TimeSpan queueTimeout) : IDisposable
{
    private readonly SemaphoreSlim free = new(slots, slots);
    private int inFlight;
    private int peak;

    /// <summary>One decode per core but one (a core stays free for drawings and the page); a request waits at most 10 s for its turn.</summary>
    public static DecodeGate Default() => new(Math.Max(1, Environment.ProcessorCount - 1), TimeSpan.FromSeconds(10));

    /// <summary>Decodes of at least this many pixels are followed by a compacting collection when no other decode runs.</summary>
    public const long LargePixels = 4L << 20;

    public int Slots { get; } = slots;

    /// <summary>The most decodes that ran at once so far (for tests and diagnostics).</summary>
    public int Peak => Volatile.Read(ref peak);

    /// <summary>
    /// Runs <paramref name="decode"/> (which returns its result and the pixels it decoded, and stops when the
    /// token it is given is cancelled) when a slot is free; default when none became free within the queue timeout.
    /// </summary>
    /// <exception cref="OperationCanceledException">The client went away before its turn or during the decode.</exception>
    public async Task<(T Result, bool Ran)> Run<T>(Func<CancellationToken, (T Result, long Pixels)> decode, CancellationToken aborted)
    {
        if (!await free.WaitAsync(queueTimeout, aborted))
        {
            return (default!, false);
        }
        try
        {
            aborted.ThrowIfCancellationRequested();
            InterlockedMax(ref peak, Interlocked.Increment(ref inFlight));
            (T Result, long Pixels) done;
            try
            {
                done = await Task.Run(() => decode(aborted), CancellationToken.None);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
            if (done.Pixels >= LargePixels && Volatile.Read(ref inFlight) == 0)
            {
                // Give the decoder's large buffers back in the background (a blocking collection would pause every request).
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Optimized, blocking: false);
            }
            return (done.Result, true);
        }
        finally
        {
            free.Release();
        }
    }

    public void Dispose() => free.Dispose();

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
