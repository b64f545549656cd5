// `scratchnet compare`: several runs side by side — one plot of their dev accuracy, and a table of
// their final figures.
using System.CommandLine;
using ScratchNet.Reports;
using ScratchNet.Training;

namespace ScratchNet.Cli.Commands;

internal static class CompareCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "Run records written by train --metrics-json.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--out") { Description = "Where to save the plot of the runs' dev accuracy. Default: beside the first run's record, as NAME.compare.png.", HelpName = "PNG" };
        var command = new Command("compare", "Compare runs: a plot of their dev accuracy curves and a table of final figures.") { runs, output };
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            var loaded = parsed.GetValue(runs)!.Select(path => (Name: Path.GetFileNameWithoutExtension(path), Record: TrainingRecord.Load(path))).ToList();
            console.WriteLine($"{"run",-24} {"preset",-11} {"network",-18} {"optimizer",-9} {"test acc",9} {"dev acc",9} {"test loss",9} {"seconds",8}");
            foreach (var (name, r) in loaded)
            {
                console.WriteLine($"{name,-24} {r.Settings.Preset,-11} {(r.Settings.Architecture is null ? string.Join('-', r.Settings.Layers) + " " + r.Settings.Activation : r.Settings.Architecture),-18} {r.Settings.Optimizer,-9} {(r.TestAccuracy is { } t ? Common.Percent(t) : "-"),9} {(r.DevAccuracy is { } d ? Common.Percent(d) : "-"),9} {(r.TestLoss is { } l ? Common.Num(l, "0.0000") : "-"),9} {Common.Num(r.TrainSeconds, "0.0"),8}");
            }
            // Without --out the plot goes beside the first run's record, never into whatever folder the shell is in.
            string first = parsed.GetValue(runs)![0];
            string png = parsed.GetValue(output) ?? Path.ChangeExtension(first, null) + ".compare.png";
            string? folder = Path.GetDirectoryName(Path.GetFullPath(png));
            if (folder is not null)
            {
                Directory.CreateDirectory(folder);
            }
            Charts.Compare(loaded, png);
            console.WriteLine($"plot written to {png}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
