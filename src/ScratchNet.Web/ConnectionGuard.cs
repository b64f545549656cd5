// The connection cap, kept so that a flood of silent connections cannot lock normal clients out.
// Every connection costs a file descriptor, so the server holds at most Cap of them (fitted below the
// open-file limit by ServerLimits). Kestrel's own cap refuses every newcomer once it is full and drops
// a silent connection only after the 10 s header timeout: 1,100 idle sockets under a 1,024-file limit
// kept everyone else waiting. Here, when a connection arrives at the cap, the connections that have
// been idle longest — no request running, nothing answered for at least MinIdle — are closed to make
// room (down to a little under the cap, so that a flood does not sort on every arrival); only when
// none is idle is the newcomer closed instead. A normal client sends its request at once, so it is
// never the idle one; an idle keep-alive connection may be closed under attack, which HTTP allows.
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace ScratchNet.Web;

/// <summary>Holds at most <see cref="Cap"/> connections, closing the longest-idle ones to admit new clients.</summary>
public sealed class ConnectionGuard
{
    private readonly ConcurrentDictionary<string, Entry> open = new(StringComparer.Ordinal);
    private readonly Lock evicting = new();
    private readonly long minIdleTicks;
    private long evicted;
    private long refused;

    /// <summary>A guard of <paramref name="cap"/> connections that closes connections idle at least <paramref name="minIdle"/> to make room.</summary>
    public ConnectionGuard(int cap, TimeSpan minIdle)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cap, 1);
        Cap = cap;
        MinIdle = minIdle;
        minIdleTicks = (long)(minIdle.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>Connections held at once, at most.</summary>
    public int Cap { get; }

    /// <summary>How long a connection must have been idle before it may be closed to make room.</summary>
    public TimeSpan MinIdle { get; }

    /// <summary>Connections open now.</summary>
    public int Open => open.Count;

    /// <summary>Idle connections closed to make room so far.</summary>
    public long Evicted => Interlocked.Read(ref evicted);

    /// <summary>New connections closed because the cap was full of busy ones.</summary>
    public long Refused => Interlocked.Read(ref refused);

    /// <summary>The connection middleware: counts, admits or closes each new connection.</summary>
    public ConnectionDelegate Connections(ConnectionDelegate next) => async connection =>
    {
        if (open.Count >= Cap && !MakeRoom())
        {
            Interlocked.Increment(ref refused);
            connection.Abort(new ConnectionAbortedException("The server is at its connection cap."));
            return;
        }
        var entry = new Entry(connection);
        open[connection.ConnectionId] = entry;
        try
        {
            await next(connection);
        }
        finally
        {
            open.TryRemove(connection.ConnectionId, out _);
        }
    };

    /// <summary>The HTTP middleware: marks a connection busy while one of its requests runs.</summary>
    public async Task Requests(HttpContext context, RequestDelegate next)
    {
        if (context.Connection.Id is not { } id || !open.TryGetValue(id, out Entry? entry))   // an in-memory test host has no connection
        {
            await next(context);
            return;
        }
        Interlocked.Increment(ref entry.InFlight);
        try
        {
            await next(context);
        }
        finally
        {
            Volatile.Write(ref entry.LastActive, Stopwatch.GetTimestamp());
            Interlocked.Decrement(ref entry.InFlight);
        }
    }

    /// <summary>Closes the longest-idle connections, down to a little under the cap; false when none could be closed.</summary>
    private bool MakeRoom()
    {
        lock (evicting)
        {
            int target = Cap - Math.Max(1, Math.Min(64, Cap / 20));
            if (open.Count < Cap)
            {
                return true;   // another arrival made room meanwhile
            }
            long now = Stopwatch.GetTimestamp();
            var idle = open.Values
                .Where(e => Volatile.Read(ref e.InFlight) == 0 && now - Volatile.Read(ref e.LastActive) >= minIdleTicks && !e.Closing)
                .OrderBy(e => Volatile.Read(ref e.LastActive))
                .Take(Math.Max(1, open.Count - target))
                .ToList();
            foreach (Entry e in idle)
            {
                e.Closing = true;
                open.TryRemove(e.Connection.ConnectionId, out _);
                e.Connection.Abort(new ConnectionAbortedException("Closed to make room: idle while the server was at its connection cap."));
            }
            Interlocked.Add(ref evicted, idle.Count);
            return idle.Count > 0;
        }
    }

    private sealed class Entry(ConnectionContext connection)
    {
        public readonly ConnectionContext Connection = connection;
        public long LastActive = Stopwatch.GetTimestamp();
        public int InFlight;
        public bool Closing;
    }
}
