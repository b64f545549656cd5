// The limits `serve` runs under, set deliberately rather than left to the framework's defaults:
// how many connections it holds (each costs a file descriptor), how long a connection may stay
// silent before sending its request line and headers, and how long an idle keep-alive connection
// is kept. The connection cap is fitted below the process's open-file limit, less the descriptors it
// already holds (its loaded assemblies alone hold about 180) and a reserve, so that a flood of idle
// connections meets the cap, never descriptor exhaustion, which stopped the server outright; at the
// cap, ConnectionGuard closes the longest-idle connections to admit new clients (Kestrel's own cap,
// a little higher, is the backstop: it refuses every newcomer and drops silent ones only after the
// header timeout), and AcceptThrottle keeps the sockets accepted but not yet disposed within that
// backstop, so that a burst waits in the kernel's backlog.
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ScratchNet.Web;

public static partial class ServerLimits
{
    /// <summary>Connections held at once, at most (further ones are closed at once); lowered to fit the open-file limit.</summary>
    public const int MaxConnections = 10_000;

    /// <summary>Descriptors kept free beyond those held at start-up, for everything but connections (assemblies loaded later, files, the log).</summary>
    private const int ReservedDescriptors = 256;

    /// <summary>How long a new or kept-alive connection may take to send its request line and headers.</summary>
    public static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long an idle keep-alive connection is kept.</summary>
    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(15);

    /// <summary>A connection idle this long may be closed to make room when the server is at its cap.</summary>
    public static readonly TimeSpan EvictableAfter = TimeSpan.FromSeconds(1);

    /// <summary>The connection cap for this process: its open-file limit less the descriptors it holds now and a reserve, at most <see cref="MaxConnections"/>.</summary>
    public static int ConnectionCap() => ConnectionCap(OpenFileLimit(), OpenDescriptors());

    /// <summary>
    /// The connection cap under an open-file limit of <paramref name="limit"/> with <paramref name="open"/> descriptors held:
    /// Kestrel's backstop (<see cref="Backstop"/> above it) and the reserve's other half still fit under the limit.
    /// </summary>
    public static int ConnectionCap(long limit, int open) => (int)Math.Clamp(limit - open - ReservedDescriptors, 64, MaxConnections);

    /// <summary>How far above the guard's cap Kestrel's own cap, the backstop, sits.</summary>
    public const int Backstop = ReservedDescriptors / 2;

    /// <summary>Descriptors this process holds now (Linux: /proc/self/fd, macOS: /dev/fd); 0 where it cannot tell.</summary>
    public static int OpenDescriptors()
    {
        string? dir = OperatingSystem.IsLinux() ? "/proc/self/fd" : OperatingSystem.IsMacOS() ? "/dev/fd" : null;
        try
        {
            return dir is null || !Directory.Exists(dir) ? 0 : Directory.EnumerateFileSystemEntries(dir).Count();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Sets Kestrel's limits and puts <paramref name="guard"/> in front of every endpoint's connections.</summary>
    public static void Apply(KestrelServerOptions kestrel, long maxBodyBytes, ConnectionGuard guard)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        Apply(kestrel.Limits, maxBodyBytes);
        kestrel.Limits.MaxConcurrentConnections = guard.Cap + Backstop;   // the backstop, above the guard's cap
        kestrel.ConfigureEndpointDefaults(listen => listen.Use(guard.Connections));
    }

    /// <summary>Sets Kestrel's limits: connections (fitted to the open-file limit), header and keep-alive timeouts, request body size.</summary>
    public static void Apply(KestrelServerLimits limits, long maxBodyBytes)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.MaxConcurrentConnections = ConnectionCap();
        limits.MaxConcurrentUpgradedConnections = 0;
        limits.RequestHeadersTimeout = HeadersTimeout;
        limits.KeepAliveTimeout = KeepAliveTimeout;
        limits.MaxRequestBodySize = maxBodyBytes;
    }

    /// <summary>This process's soft open-file limit (the .NET runtime raises it to the hard limit at start-up); 1,024 where it cannot be read.</summary>
    public static long OpenFileLimit()
    {
        int resource = OperatingSystem.IsLinux() ? 7 : OperatingSystem.IsMacOS() ? 8 : -1;   // RLIMIT_NOFILE
        try
        {
            return resource >= 0 && GetRLimit(resource, out RLimit limit) == 0 ? (long)Math.Min(limit.Current, int.MaxValue) : 1024;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return 1024;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

}
