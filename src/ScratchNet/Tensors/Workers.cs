// Runs independent pieces of work on up to Threads threads. Pieces are fixed by the shapes alone,
// never by the thread count, so results are bit-identical whatever Threads is.
// The helpers are long-lived threads that spin briefly between calls and then sleep: a training
// step makes many small parallel calls, and the thread pool's start-up per call cost more than the
// work itself (measured: docs/benchmarks.md). The thread count is scoped to a run (Use), not a
// global: a run that sets 1 thread is not changed by another run beside it in the same process.
// Leaves out: nested parallelism (runs inline).
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace ScratchNet.Tensors;

/// <summary>Runs pieces of work in parallel on up to <see cref="Threads"/> threads (default: all cores).</summary>
public static class Workers
{
    private static readonly object Gate = new();   // one parallel call at a time
    private static readonly object Sync = new();   // guards generation for sleeping helpers
    private static readonly List<Thread> Helpers = [];
    private static readonly AsyncLocal<int> Scoped = new();   // the thread count of the run in this flow; 0: none set
    private static long generation;
    private static Job? current;

    [ThreadStatic]
    private static bool insidePiece;

    [ThreadStatic]
    private static int slot;

    private sealed class Job(Action<int> body, int pieces, int helpers)
    {
        public readonly Action<int> Body = body;
        public readonly int Pieces = pieces;
        public readonly int Helpers = helpers;  // helpers allowed to join (Threads − 1)
        public int Joined;
        public int Next;
        public int Done;
        public ExceptionDispatchInfo? Error;
    }

    /// <summary>Most threads the kernels called from here may use: the innermost <see cref="Use"/> scope's, else all cores.</summary>
    public static int Threads => Scoped.Value > 0 ? Scoped.Value : Environment.ProcessorCount;

    /// <summary>Most threads a parallel call may use, from here until the returned scope is disposed (in this flow of execution only).</summary>
    public static ThreadScope Use(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var scope = new ThreadScope(Scoped.Value);
        Scoped.Value = threads;
        return scope;
    }

    /// <summary>Puts the thread count back as it was before <see cref="Use"/>.</summary>
    public readonly struct ThreadScope(int previous) : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose() => Scoped.Value = previous;
    }

    /// <summary>
    /// How many threads a call of <see cref="For"/> with <paramref name="pieces"/> pieces made here would run on: the
    /// number of <see cref="Slot"/> values its pieces can see (scratch buffers per thread rather than per piece).
    /// </summary>
    public static int Participants(int pieces) => insidePiece ? 1 : Math.Max(1, Math.Min(Threads, pieces));

    /// <summary>
    /// Inside a piece: which of the call's <see cref="Participants"/> threads runs it (0: the caller), so that pieces on
    /// one thread can share its scratch buffers; 0 outside a parallel call and when a call runs inline.
    /// </summary>
    public static int Slot => slot;

    /// <summary>Runs body(p) for every piece p in [0, pieces), in parallel when Threads &gt; 1.</summary>
    public static void For(int pieces, Action<int> body)
    {
        if (pieces <= 0)
        {
            return;
        }
        int helpers = Math.Min(Threads, pieces) - 1;
        if (helpers == 0 || insidePiece)
        {
            // Inline: one thread, slot 0 (an outer call's other threads never touch this call's scratch)
            int outer = slot;
            slot = 0;
            try
            {
                for (int p = 0; p < pieces; p++)
                {
                    body(p);
                }
            }
            finally
            {
                slot = outer;
            }
            return;
        }
        lock (Gate)
        {
            EnsureHelpers(helpers);
            var job = new Job(body, pieces, helpers);
            lock (Sync)
            {
                current = job;
                generation++;
                Monitor.PulseAll(Sync);
            }
            Work(job, 0);
            var spin = new SpinWait();
            while (Volatile.Read(ref job.Done) < pieces)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
            lock (Sync)
            {
                current = null;
            }
            job.Error?.Throw();
        }
    }

    private static void Work(Job job, int participant)
    {
        bool wasInside = insidePiece;
        int outer = slot;
        insidePiece = true;
        slot = participant;
        try
        {
            int p;
            while ((p = Interlocked.Increment(ref job.Next) - 1) < job.Pieces)
            {
                try
                {
                    job.Body(p);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref job.Error, ExceptionDispatchInfo.Capture(e), null);
                }
                Interlocked.Increment(ref job.Done);
            }
        }
        finally
        {
            insidePiece = wasInside;
            slot = outer;
        }
    }

    private static void EnsureHelpers(int count)
    {
        while (Helpers.Count < count)
        {
            var thread = new Thread(HelperLoop) { IsBackground = true, Name = $"ScratchNet worker {Helpers.Count + 1}" };
            Helpers.Add(thread);
            thread.Start();
        }
    }

    private static void HelperLoop()
    {
        long seen = Volatile.Read(ref generation);
        long spinTicks = Stopwatch.Frequency / 5000; // spin 200 µs before sleeping
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            var spin = new SpinWait();
            while (Volatile.Read(ref generation) == seen && Stopwatch.GetTimestamp() - start < spinTicks)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
            Job? job;
            lock (Sync)
            {
                while (generation == seen)
                {
                    Monitor.Wait(Sync);
                }
                seen = generation;
                job = current;
            }
            if (job is not null && Interlocked.Increment(ref job.Joined) is var joined && joined <= job.Helpers)
            {
                Work(job, joined);
            }
        }
    }
}
