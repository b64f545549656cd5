// The machine a run happened on, in words, for headers and run records: the processor's name (what
// the operating system calls it), its cores and the vector level the kernels run at (Simd.Level).
using System.Runtime.InteropServices;

namespace ScratchNet.Tensors;

/// <summary>The machine a run happens on, in words.</summary>
public static class Machine
{
    /// <summary>The processor's name, e.g. "Intel(R) Xeon(R) Processor"; the architecture where the system does not say.</summary>
    public static string Processor { get; } = ReadProcessor();

    /// <summary>One line: processor, cores, vector level, operating system, .NET.</summary>
    public static string Describe =>
        $"{Processor}, {Environment.ProcessorCount} cores, {Simd.Level}, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";

    private static string ReadProcessor()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            {
                foreach (string line in File.ReadLines("/proc/cpuinfo"))
                {
                    // x64: "model name : …"; some ARM64 kernels: "Model name" or only "CPU part".
                    int colon = line.IndexOf(':');
                    if (colon > 0 && line[..colon].Trim() is "model name" or "Model name" or "Hardware")
                    {
                        return line[(colon + 1)..].Trim();
                    }
                }
            }
            if (OperatingSystem.IsWindows() && Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") is { Length: > 0 } id)
            {
                return id;
            }
        }
        catch (IOException)
        {
            // fall through: the architecture is still worth saying
        }
        catch (UnauthorizedAccessException)
        {
        }
        return $"{RuntimeInformation.ProcessArchitecture} processor";
    }
}
