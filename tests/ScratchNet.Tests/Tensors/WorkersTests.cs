// The kernels' worker threads: every piece runs once, errors reach the caller, nesting and
// concurrent callers neither deadlock nor lose work.
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Tensors;

public class WorkersTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Every_piece_runs_exactly_once(int threads)
    {
        int saved = Workers.Threads;
        try
        {
            Workers.Threads = threads;
            for (int round = 0; round < 200; round++)
            {
                int pieces = 1 + (round % 37);
                var counts = new int[pieces];
                Workers.For(pieces, p => Interlocked.Increment(ref counts[p]));
                Assert.All(counts, c => Assert.Equal(1, c));
            }
        }
        finally
        {
            Workers.Threads = saved;
        }
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
