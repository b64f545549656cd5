// The bytes of an image as a read-only stream that the decoder reads as it goes, checking every
// 256 reads whether the decode has run past its time budget (TimeoutException) or the caller has
// cancelled it (OperationCanceledException). The decoder cannot be stopped from outside; this is
// how it stops itself: a decode of crafted data keeps reading, so it meets the check soon.
using System.Diagnostics;

namespace ScratchNet.Images;

internal sealed class BudgetStream(byte[] data, TimeSpan budget, CancellationToken cancel) : MemoryStream(data, writable: false)
{
    private const int CheckEvery = 256;

    private readonly long deadline = Stopwatch.GetTimestamp() + (long)(budget.TotalSeconds * Stopwatch.Frequency);
    private int reads;

    public override int Read(byte[] buffer, int offset, int count)
    {
        Check();
        return base.Read(buffer, offset, count);
    }

    public override int Read(Span<byte> buffer)
    {
        Check();
        return base.Read(buffer);
    }

    public override int ReadByte()
    {
        Check();
        return base.ReadByte();
    }

    private void Check()
    {
        if (++reads % CheckEvery != 0)
        {
            return;
        }
        cancel.ThrowIfCancellationRequested();
        if (Stopwatch.GetTimestamp() > deadline)
        {
            throw new TimeoutException("The image decode ran past its time budget.");
        }
    }
}
