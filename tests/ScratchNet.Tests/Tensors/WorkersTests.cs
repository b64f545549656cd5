// The kernels' worker threads: every piece runs once, errors reach the caller, nesting and
// concurrent callers neither deadlock nor lose work.
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Tensors;

[Collection(ScratchNet.Tests.Training.ThreadCountTests.Name)]
public class WorkersTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Every_piece_runs_exactly_once(int threads)
    {
        using Workers.ThreadScope scope = Workers.Use(threads);
        for (int round = 0; round < 200; round++)
        {
            int pieces = 1 + (round % 37);
            var counts = new int[pieces];
            Workers.For(pieces, p => Interlocked.Increment(ref counts[p]));
            Assert.All(counts, c => Assert.Equal(1, c));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Pieces_running_at_once_never_share_a_slot_and_slots_stay_below_the_participants(int threads)
    {
        using Workers.ThreadScope scope = Workers.Use(threads);
        for (int round = 0; round < 100; round++)
        {
            int pieces = 1 + (round % 19);
            int participants = Workers.Participants(pieces);
            Assert.Equal(Math.Min(threads, pieces), participants);
            var busy = new int[participants];
            int clashes = 0, outOfRange = 0;
            Workers.For(pieces, p =>
            {
                int slot = Workers.Slot;
                if (slot < 0 || slot >= participants)
                {
                    Interlocked.Increment(ref outOfRange);
                    return;
                }
                if (Interlocked.Exchange(ref busy[slot], 1) != 0)
                {
                    Interlocked.Increment(ref clashes);
                }
                Thread.SpinWait(2000);
                Volatile.Write(ref busy[slot], 0);
                // A call inside a piece of a parallel call runs inline on this thread: one participant, slot 0; then this piece's slot again
                int inner = -1, innerParticipants = Workers.Participants(4);
                Workers.For(4, q => Interlocked.Exchange(ref inner, Math.Max(Volatile.Read(ref inner), Workers.Slot)));
                bool outerParallel = participants > 1;
                if ((outerParallel && (inner != 0 || innerParticipants != 1)) || inner >= innerParticipants || Workers.Slot != slot)
                {
                    Interlocked.Increment(ref outOfRange);
                }
            });
            Assert.Equal(0, clashes);
            Assert.Equal(0, outOfRange);
            Assert.Equal(0, Workers.Slot);
        }
    }

    [Fact]
    public async Task A_thread_scope_belongs_to_its_flow_and_ends_with_its_run()
    {
        int outside = Workers.Threads;
        using (Workers.Use(1))
        {
            Assert.Equal(1, Workers.Threads);
            // Another run beside this one (another flow of execution) sets its own count without changing this one's.
            await Task.Run(() =>
            {
                using Workers.ThreadScope inner = Workers.Use(3);
                Assert.Equal(3, Workers.Threads);
            });
            Assert.Equal(1, Workers.Threads);
            using (Workers.Use(2))
            {
                Assert.Equal(2, Workers.Threads);
            }
            Assert.Equal(1, Workers.Threads);
        }
        Assert.Equal(outside, Workers.Threads);
        Assert.Throws<ArgumentOutOfRangeException>(() => Workers.Use(0));
    }

    [Fact]
    public void An_exception_in_a_piece_reaches_the_caller_and_the_workers_go_on()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Workers.For(16, p =>
        {
            if (p == 11)
            {
                throw new InvalidOperationException("piece 11");
            }
        }));
        Assert.Equal("piece 11", ex.Message);
        int sum = 0;
        Workers.For(10, p => Interlocked.Add(ref sum, p));
        Assert.Equal(45, sum);
    }

    [Fact]
    public void Nested_and_concurrent_calls_complete()
    {
        int total = 0;
        Parallel.For(0, 4, _ =>
        {
            Workers.For(8, p => Workers.For(3, q => Interlocked.Increment(ref total)));
        });
        Assert.Equal(4 * 8 * 3, total);
    }
}
