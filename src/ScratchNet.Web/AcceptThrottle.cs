// Holds the listener's accept loop while the server holds as many sockets as its descriptors allow.
// The connection caps (ConnectionGuard, Kestrel's backstop) act on connections already accepted, and
// a refused or evicted connection keeps its descriptor until it is disposed: a burst of silent
// connections could be accepted faster than they were closed and leave the process no descriptor at
// all for a moment. Starting a thread needs two (measured: Thread.Start throws OutOfMemoryException
// with fewer free), so the thread pool's next thread failed and the runtime aborted ("Out of memory.",
// exit 134). Here every accepted socket holds a permit until it is disposed; at the limit the next
// accept waits, and the connections queue in the kernel's backlog instead of in the process.
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace ScratchNet.Web;

/// <summary>A listener factory that holds at most <see cref="Limit"/> accepted sockets not yet disposed, waiting for one to go beyond that.</summary>
public sealed class AcceptThrottle(IConnectionListenerFactory inner, int limit) : IConnectionListenerFactory, IDisposable
{
    private readonly SemaphoreSlim room = new(Math.Max(1, limit), Math.Max(1, limit));

    /// <summary>Accepted sockets not yet disposed, at most.</summary>
    public int Limit { get; } = Math.Max(1, limit);

    /// <summary>Accepted sockets not yet disposed, now.</summary>
    public int Live => Limit - room.CurrentCount;

    /// <inheritdoc/>
    public void Dispose() => room.Dispose();

    /// <inheritdoc/>
    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        new Listener(await inner.BindAsync(endpoint, cancellationToken).ConfigureAwait(false), this);

    private sealed class Listener(IConnectionListener inner, AcceptThrottle owner) : IConnectionListener
    {
        private readonly CancellationTokenSource unbound = new();   // wakes an accept that waits for room, so that a stop never hangs on it

        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            using (var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, unbound.Token))
            {
                try
                {
                    await owner.room.WaitAsync(either.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (unbound.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    return null;   // unbound while waiting: no more connections, as the inner listener would say
                }
            }
            ConnectionContext? connection;
            try
            {
                connection = await inner.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                owner.room.Release();
                throw;
            }
            if (connection is null)
            {
                owner.room.Release();   // the listener was unbound
                return null;
            }
            return new Counted(connection, owner.room);
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            unbound.Cancel();
            return inner.UnbindAsync(cancellationToken);
        }

        public ValueTask DisposeAsync()
        {
            unbound.Dispose();
            return inner.DisposeAsync();
        }
    }

    /// <summary>An accepted connection that gives its permit back once, when it has been disposed (its socket closed).</summary>
    private sealed class Counted(ConnectionContext inner, SemaphoreSlim room) : ConnectionContext
    {
        private int released;

        public override string ConnectionId { get => inner.ConnectionId; set => inner.ConnectionId = value; }

        public override IFeatureCollection Features => inner.Features;

        public override IDictionary<object, object?> Items { get => inner.Items; set => inner.Items = value; }

        public override IDuplexPipe Transport { get => inner.Transport; set => inner.Transport = value; }

        public override CancellationToken ConnectionClosed { get => inner.ConnectionClosed; set => inner.ConnectionClosed = value; }

        public override EndPoint? LocalEndPoint { get => inner.LocalEndPoint; set => inner.LocalEndPoint = value; }

        public override EndPoint? RemoteEndPoint { get => inner.RemoteEndPoint; set => inner.RemoteEndPoint = value; }

        public override void Abort(ConnectionAbortedException abortReason) => inner.Abort(abortReason);

        public override void Abort() => inner.Abort();

        public override async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                if (Interlocked.Exchange(ref released, 1) == 0)
                {
                    room.Release();
                }
                await base.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
