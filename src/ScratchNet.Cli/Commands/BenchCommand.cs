// `scratchnet bench`: the standard workloads, medians over several runs with min–max, and --json.
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ScratchNet.Bench;
using ScratchNet.Data;
using ScratchNet.Engines;
using ScratchNet.Serialization;
using ScratchNet.Training;

namespace ScratchNet.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create()
    {
        var runs = new Option<int>("--runs") { Description = "Runs per workload; the table shows the median and the range. With --isa: rounds, each running every level once in turn, and each ratio the median of the rounds' ratios.", DefaultValueFactory = _ => 3 };
        var threads = new Option<int>("--threads") { Description = "Threads to compute with.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON.", HelpName = "PATH" };
        var quick = new Option<bool>("--quick") { Description = "Shortened workloads, to check that the command works (not for quoting)." };
        var data = Common.DataOption();
        var engine = Common.EngineOption("Which engine runs the seed recipe and inference (the mini-batch epoch always runs on layers)");
        var isa = new Option<string>("--isa")
        {
            Description = "Instruction-set levels to run at, each in a child process: all, or any of native, avx2, 128fma (128-bit vectors with FMA: ARM64's NEON), 128 (SSE: no FMA), scalar separated by commas.",
            DefaultValueFactory = _ => "native",
            HelpName = "LEVELS",
        };
        var workloads = new Option<string>("--workloads")
        {
            Description = $"Which workloads to run: all, or any of {string.Join(", ", BenchmarkSuite.WorkloadNames)} separated by commas (peak also runs with cnn-fast and cnn: their yardstick).",
            DefaultValueFactory = _ => "all",
            HelpName = "LIST",
        };
        var command = new Command("bench", "Time the standard workloads: seed recipe, a mini-batch epoch, an mlp epoch, cnn-fast and cnn training, the multiply-add peak, inference (seed and cnn-fast networks), memory.") { runs, threads, json, quick, data, engine, isa, workloads };
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            int n = parsed.GetValue(runs), t = parsed.GetValue(threads);
            if (n < 1 || n > 100)
            {
                throw new ArgumentException($"--runs {n}: use 1..100.");
            }
            Limits.CheckThreads(t);
            EngineKind kind = Common.Engine(parsed, engine);
            IReadOnlyList<IsaLevel> levels = IsaLevel.Parse(parsed.GetValue(isa)!);
            string workloadList = parsed.GetValue(workloads)!;
            IReadOnlySet<string> chosen = BenchmarkSuite.ParseWorkloads(workloadList);
            var seedNetwork = Presets.Get("seed").CreateNetwork();
            EngineChooser.Choose(seedNetwork, Workload.FullBatchTraining, kind);   // a forced engine that cannot run the workloads is refused before any work
            EngineChooser.Choose(seedNetwork, Workload.Inference, kind);
            if (levels.Count > 1 || levels[0].Knob is not null)
            {
                string? jsonPath = parsed.GetValue(json);
                if (jsonPath is not null)
                {
                    AtomicFile.CheckWritable(jsonPath, "--json");
                }
                List<string> childArguments = ["bench", "--runs", "1", "--threads", t.ToString(CultureInfo.InvariantCulture), "--engine", EngineChoice.Name(kind)];
                if (parsed.GetValue(quick))
                {
                    childArguments.Add("--quick");
                }
                if (parsed.GetValue(data) is { } dataPath)
                {
                    childArguments.AddRange(["--data", Path.GetFullPath(dataPath)]);
                }
                // one workload at a time, at every level in turn: peak runs with cnn-fast and cnn (their yardstick)
                List<string> each = [.. BenchmarkSuite.WorkloadNames.Where(w => chosen.Contains(w) && !(w == "peak" && (chosen.Contains("cnn-fast") || chosen.Contains("cnn"))))];
                return BenchLevels.Run(console, parsed.InvocationConfiguration.Error, levels, n, each, childArguments, jsonPath);
            }
            var sets = DataSource.Load(parsed.GetValue(data));
            console.WriteLine($"ScratchNet bench · {n} run(s) per workload · threads {t}{(parsed.GetValue(quick) ? " · quick (not for quoting)" : "")}");
            console.WriteLine($"machine: {ScratchNet.Tensors.Machine.Describe}");
            console.WriteLine();
            console.WriteLine($"{"workload",-52} {"quantity",-34} {"median",14} {"min – max",26}  note");
            var suite = new BenchmarkSuite(sets, n, t, parsed.GetValue(quick), kind)
            {
                Workloads = chosen,
                OnResult = r => console.WriteLine($"{r.Workload,-52} {r.Quantity,-34} {Format(r.Median) + " " + r.Unit,14} {Format(r.Min) + " – " + Format(r.Max),26}  {r.Note}"),
            };
            List<BenchmarkResult> results = suite.Run();
            if (parsed.GetValue(json) is { } path)
            {
                AtomicFile.WriteText(path, JsonSerializer.Serialize(new { machine = ScratchNet.Tensors.Machine.Describe, vectorLevel = ScratchNet.Tensors.Simd.Level, threads = t, runs = n, results }, TrainingRecord.JsonOptions));
                console.WriteLine($"results written to {path}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static string Format(double v) => v >= 1000 ? v.ToString("N0", CultureInfo.InvariantCulture) : v.ToString("0.###", CultureInfo.InvariantCulture);
}
