// Compares builds of the library on a noisy machine: each build's ScratchNet.dll is loaded into its
// own AssemblyLoadContext in this one process, and one workload runs on each build in turn, round
// after round (ABBA order), so that the machine's slow spells, which last minutes, fall on all of them
// alike. Prints each build's median and minimum and the median of its per-round ratio to the first.
// Usage: dotnet run -c Release --project bench/ScratchNet.Alternate -- <workload> <threads> <rounds> <build dir> <build dir> …
//   workload: epoch (784-128-10, batch 64, SGD: `scratchnet bench`'s), or a preset's name (one epoch of it)
//   build dir: a folder holding a build's ScratchNet.dll (dotnet build src/ScratchNet.Cli -c Release -o DIR)
using System.Reflection;
using ScratchNet.Alternate;

if (args.Length < 4 || !int.TryParse(args[1], out int threads) || !int.TryParse(args[2], out int rounds) || threads < 1 || rounds < 1)
{
    Console.Error.WriteLine("Usage: ScratchNet.Alternate <epoch|PRESET> <threads ≥ 1> <rounds ≥ 1> <build dir> [<build dir> …]");
    return 2;
}
string workload = args[0];
string[] builds = args[3..];
foreach (string dir in builds.Where(d => !File.Exists(Path.Combine(d, "ScratchNet.dll"))))
{
    Console.Error.WriteLine($"{dir}: no ScratchNet.dll there. Build one with: dotnet build src/ScratchNet.Cli -c Release -o {dir}");
    return 2;
}
// This assembly again in each build's context: there its reference to ScratchNet resolves to that build.
string self = typeof(Workload).Assembly.Location;
MethodInfo[] runs = [.. builds.Select(dir => new BuildContext(dir).LoadFromAssemblyPath(self).GetType(typeof(Workload).FullName!)!.GetMethod(nameof(Workload.Seconds))!)];
double Run(int b) => (double)runs[b].Invoke(null, [workload, threads])!;
for (int b = 0; b < runs.Length; b++)
{
    Run(b);   // warm-up: data loaded, code compiled
}
var seconds = builds.Select(_ => new List<double>()).ToArray();
for (int r = 0; r < rounds; r++)
{
    for (int i = 0; i < runs.Length; i++)
    {
        int b = r % 2 == 0 ? i : runs.Length - 1 - i;
        seconds[b].Add(Run(b));
    }
}
Console.WriteLine($"{workload}, {threads} threads, {rounds} rounds, seconds of training:");
for (int b = 0; b < builds.Length; b++)
{
    double ratio = Median([.. seconds[b].Zip(seconds[0], (x, first) => x / first)]);
    Console.WriteLine($"  {builds[b]}: median {Median(seconds[b]):0.000} s, min {seconds[b].Min():0.000} s, ×{ratio:0.000} the first (median of rounds) [{string.Join(' ', seconds[b].Select(s => s.ToString("0.000")))}]");
}
return 0;

static double Median(List<double> x)
{
    var s = x.Order().ToList();
    return s.Count % 2 == 1 ? s[s.Count / 2] : (s[(s.Count / 2) - 1] + s[s.Count / 2]) / 2;
}
