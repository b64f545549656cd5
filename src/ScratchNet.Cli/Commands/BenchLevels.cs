// `scratchnet bench --isa LEVELS`: the standard workloads at several instruction-set levels, each in
// a child process of this program started with the runtime's knob for that level, then one table
// with every level's medians side by side and their ratio to the first level. The runs come in
// rounds; in each round every workload runs at every level in turn (a child per workload and level,
// the order of the levels rotating from round to round), so that the runs a ratio compares are
// seconds apart: the development machines have slow spells that last minutes and would otherwise
// fall on one level's whole run. A ratio is the median of the rounds' own ratios.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ScratchNet.Bench;
using ScratchNet.Serialization;
using ScratchNet.Tensors;
using ScratchNet.Training;

namespace ScratchNet.Cli.Commands;

/// <summary>An instruction-set level: its name on the command line and the runtime knob (and its value) that narrows the machine to it.</summary>
internal sealed record IsaLevel(string Name, string? Knob, string Meaning, string KnobValue = "0")
{
    public static readonly IsaLevel[] All =
    [
        new("native", null, "this machine's widest vectors"),
        new("avx2", "DOTNET_EnableAVX512", "AVX-512 off: 256-bit vectors"),
        // ARM64's shape: NEON's 128-bit vectors with fused multiply-adds (and 32 registers where the machine has AVX-512)
        new("128fma", "DOTNET_PreferredVectorBitWidth", "128-bit vectors with FMA, as ARM64's NEON", "128"),
        new("128", "DOTNET_EnableAVX", "AVX off: 128-bit vectors only, no FMA (x64 before AVX)"),
        new("scalar", "DOTNET_EnableHWIntrinsic", "no vector hardware"),
    ];

    /// <summary>The knob as a child's environment gets it, e.g. DOTNET_EnableAVX512=0; empty for the machine's own level.</summary>
    public string Setting => Knob is null ? "" : $"{Knob}={KnobValue}";

    /// <summary>The runtime's knobs that narrow the instruction set: a child drops them all before its level's is set.</summary>
    public static readonly string[] Knobs =
        ["DOTNET_EnableAVX512", "DOTNET_EnableAVX512F", "DOTNET_EnableAVX2", "DOTNET_EnableAVX", "DOTNET_EnableHWIntrinsic", "DOTNET_PreferredVectorBitWidth"];

    /// <summary>Parses --isa: "all", or names separated by commas.</summary>
    public static IReadOnlyList<IsaLevel> Parse(string value)
    {
        if (value == "all")
        {
            return All;
        }
        var levels = new List<IsaLevel>();
        foreach (string name in value.Split(',', StringSplitOptions.TrimEntries))
        {
            IsaLevel level = All.FirstOrDefault(l => l.Name == name)
                ?? throw new ArgumentException($"--isa {value}: '{name}' is not a level; use all or any of {string.Join(", ", All.Select(l => l.Name))}, separated by commas.");
            if (!levels.Contains(level))
            {
                levels.Add(level);
            }
        }
        return levels;
    }
}

internal static class BenchLevels
{
    /// <summary>A level's merged results (median, min and max over the rounds) and each round's own.</summary>
    private sealed record LevelRun(IsaLevel Level, string VectorLevel, List<BenchmarkResult> Results, List<List<BenchmarkResult>> Rounds);

    private sealed record ChildOutput(string Machine, string VectorLevel, List<BenchmarkResult> Results);

    /// <summary>
    /// Runs the bench <paramref name="rounds"/> times per level, each run in a child process, the levels
    /// in turn within each round, and prints one table; writes the JSON if asked. A level whose run
    /// fails stops the bench: its one-line error goes to <paramref name="error"/> with the level
    /// named, and its exit code is returned.
    /// </summary>
    public static int Run(TextWriter console, TextWriter error, IReadOnlyList<IsaLevel> levels, int rounds, IReadOnlyList<string> workloads, IReadOnlyList<string> childArguments, string? jsonPath)
    {
        console.WriteLine($"ScratchNet bench at {levels.Count} instruction-set level(s) · {rounds} round(s), each workload at the levels in turn · {Machine.Processor}, {Environment.ProcessorCount} cores");
        var outputs = levels.ToDictionary(l => l, _ => new List<ChildOutput>());
        string folder = Directory.CreateTempSubdirectory("scratchnet-bench-").FullName;
        try
        {
            for (int round = 0; round < rounds; round++)
            {
                if (rounds > 1)
                {
                    console.WriteLine($"round {round + 1} of {rounds}");
                }
                var ofRound = levels.ToDictionary(l => l, _ => new List<ChildOutput>());
                foreach (string workload in workloads)
                {
                    for (int i = 0; i < levels.Count; i++)
                    {
                        IsaLevel level = levels[(i + round) % levels.Count];   // the order rotates: no level always runs first
                        string json = Path.Combine(folder, $"{level.Name}-{round}-{workload}.json");
                        console.WriteLine($"  {workload,-13} {level.Name,-7} {(level.Knob is null ? "" : level.Setting + " · ")}{level.Meaning} …");
                        (ChildOutput? output, int exitCode, string why) = RunChild(level, [.. childArguments, "--workloads", workload, "--json", json], json);
                        if (output is null)
                        {
                            error.WriteLine($"error: bench --isa {level.Name}: the {workload} run at this level failed (exit {exitCode}): {why}");
                            return exitCode == ExitCodes.Ok ? ExitCodes.BadInput : exitCode;
                        }
                        console.WriteLine($"                        ran at {output.VectorLevel}");
                        ofRound[level].Add(output);
                    }
                }
                foreach (IsaLevel level in levels)
                {
                    outputs[level].Add(Combine(ofRound[level]));
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        var runs = levels.Select(l => new LevelRun(l, outputs[l][0].VectorLevel, Merge(outputs[l].Select(o => o.Results).ToList()), outputs[l].Select(o => o.Results).ToList())).ToList();
        console.WriteLine();
        Print(console, runs);
        if (jsonPath is not null)
        {
            AtomicFile.WriteText(jsonPath, JsonSerializer.Serialize(new
            {
                machine = Machine.Describe,
                processor = Machine.Processor,
                rounds,
                levels = runs.Select(r => new { name = r.Level.Name, knob = r.Level.Knob, knob_value = r.Level.Knob is null ? null : r.Level.KnobValue, vector_level = r.VectorLevel, results = r.Results, rounds = r.Rounds }),
                ratios = runs.Skip(1).Select(r => new
                {
                    name = r.Level.Name,
                    of = runs[0].Level.Name,
                    workloads = runs[0].Results.Select(row => new { workload = row.Workload, quantity = row.Quantity, ratio = RoundRatio(runs[0], r, row) }),
                }),
            }, TrainingRecord.JsonOptions));
            console.WriteLine($"results written to {jsonPath}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>A round's children at one level as one output: their rows in turn, a row two children both gave (the peak, with cnn-fast and cnn) once.</summary>
    private static ChildOutput Combine(List<ChildOutput> children)
    {
        var rows = new List<BenchmarkResult>();
        foreach (BenchmarkResult row in children.SelectMany(c => c.Results))
        {
            if (!rows.Any(r => r.Workload == row.Workload && r.Quantity == row.Quantity))
            {
                rows.Add(row);
            }
        }
        return children[0] with { Results = rows };
    }

    /// <summary>One result per workload: the median of the rounds' values, the least minimum, the largest maximum.</summary>
    private static List<BenchmarkResult> Merge(List<List<BenchmarkResult>> rounds) =>
        rounds[0].Select(row =>
        {
            var same = rounds.Select(r => r.FirstOrDefault(x => x.Workload == row.Workload && x.Quantity == row.Quantity)).OfType<BenchmarkResult>().ToList();
            return row with
            {
                Median = BenchmarkSuite.Median(same.Select(x => x.Median)),
                Min = same.Min(x => x.Min),
                Max = same.Max(x => x.Max),
                Runs = same.Sum(x => x.Runs),
            };
        }).ToList();

    /// <summary>The same workload and quantity at another level (workload names may differ past " (", e.g. the engine that ran).</summary>
    private static BenchmarkResult? Same(List<BenchmarkResult> results, BenchmarkResult row) =>
        results.FirstOrDefault(r => r.Workload.Split(" (")[0] == row.Workload.Split(" (")[0] && r.Quantity == row.Quantity);

    /// <summary>
    /// The median over the rounds of level ÷ first level for times, sizes and latencies, first ÷
    /// level for rates (above 1 is slower); null for accuracies and where a round lacks the row.
    /// </summary>
    private static double? RoundRatio(LevelRun first, LevelRun level, BenchmarkResult row)
    {
        if (row.Unit == "%")
        {
            return null;
        }
        bool rate = row.Unit.EndsWith("/s", StringComparison.Ordinal) || row.Unit == "GFLOPS";   // images/s, GFLOPS: more is faster
        var ratios = new List<double>();
        for (int r = 0; r < Math.Min(first.Rounds.Count, level.Rounds.Count); r++)
        {
            if (Same(first.Rounds[r], row) is { } a && Same(level.Rounds[r], row) is { } b && a.Median > 0 && b.Median > 0)
            {
                ratios.Add(rate ? a.Median / b.Median : b.Median / a.Median);
            }
        }
        return ratios.Count == 0 ? null : BenchmarkSuite.Median(ratios);
    }

    /// <summary>The child's results, or null with its exit code and the last line it wrote (its error).</summary>
    private static (ChildOutput? Output, int ExitCode, string Why) RunChild(IsaLevel level, IReadOnlyList<string> arguments, string json)
    {
        // This program again: the apphost, or `dotnet ScratchNet.Cli.dll` when started that way.
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("bench --isa: cannot tell which program to start again.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(BenchLevels).Assembly.Location);
        }
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (string knob in IsaLevel.Knobs)
        {
            start.Environment.Remove(knob);   // each level starts from the machine's own, whatever this process was started with
        }
        if (level.Knob is not null)
        {
            start.Environment[level.Knob] = level.KnobValue;
        }
        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"bench --isa {level.Name}: the child process did not start.");
        Task<string> stdout = child.StandardOutput.ReadToEndAsync(), stderr = child.StandardError.ReadToEndAsync();
        child.WaitForExit();
        if (child.ExitCode != 0 || !File.Exists(json))
        {
            string why = stderr.Result.Trim() is { Length: > 0 } e ? e : stdout.Result.Trim();
            string last = why.Split('\n').LastOrDefault("no output").Trim();
            return (null, child.ExitCode, last.StartsWith("error: ", StringComparison.Ordinal) ? last["error: ".Length..] : last);
        }
        return (JsonSerializer.Deserialize<ChildOutput>(File.ReadAllText(json), TrainingRecord.JsonOptions)
            ?? throw new InvalidDataException($"bench --isa {level.Name}: the run wrote no results."), 0, "");
    }

    private static void Print(TextWriter console, List<LevelRun> runs)
    {
        LevelRun first = runs[0];
        string header = $"{"workload",-58} {"quantity",-26}";
        foreach (LevelRun run in runs)
        {
            header += $" {run.Level.Name,14}" + (run == first ? "" : $" {"×",6}");
        }
        console.WriteLine(header);
        foreach (BenchmarkResult row in first.Results)
        {
            string line = $"{Shorten(row.Workload, 58),-58} {Shorten(row.Quantity, 26),-26}";
            foreach (LevelRun run in runs)
            {
                BenchmarkResult? same = Same(run.Results, row);
                line += $" {(same is null ? "—" : Format(same.Median) + " " + row.Unit),14}";
                if (run != first)
                {
                    double? ratio = RoundRatio(first, run, row);
                    line += $" {(ratio is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) + "×" : ""),6}";
                }
            }
            console.WriteLine(line);
        }
        console.WriteLine(first.Rounds.Count == 1
            ? $"× = how many times the time (or 1 / the rate) of {first.Level.Name} ({first.VectorLevel})."
            : $"values: medians over {first.Rounds.Count} rounds; × = the median of each round's ratio to {first.Level.Name} ({first.VectorLevel}): how many times its time (or 1 / its rate).");
    }

    private static string Shorten(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";

    private static string Format(double v) => v >= 1000 ? v.ToString("N0", CultureInfo.InvariantCulture) : v.ToString("0.###", CultureInfo.InvariantCulture);
}
