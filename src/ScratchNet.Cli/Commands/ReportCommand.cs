// `scratchnet report`: the HTML + PNG report of a saved model (and its run's metrics, if given).
using System.CommandLine;
using ScratchNet.Data;
using ScratchNet.Engines;
using ScratchNet.Reports;
using ScratchNet.Serialization;
using ScratchNet.Training;

namespace ScratchNet.Cli.Commands;

internal static class ReportCommand
{
    public static Command Create()
    {
        var model = Common.ModelOption(required: true);
        var metrics = new Option<string?>("--metrics") { Description = "The run's record (train --metrics-json) for loss and accuracy curves.", HelpName = "RUN.json" };
        var output = new Option<string>("--out") { Description = "Folder for index.html, the PNG pictures, metrics.csv and report.json.", HelpName = "DIR", Required = true };
        var data = Common.DataOption();
        var engine = Common.EngineOption("Which engine evaluates the model for the report");
        var command = new Command("report", "Write a report: curves, confusion matrix, per-digit scores, worst mistakes, hidden-unit pictures.") { model, metrics, output, data, engine };
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            string path = parsed.GetValue(model)!;
            if (File.Exists(parsed.GetValue(output)))
            {
                throw new ArgumentException($"--out {parsed.GetValue(output)}: is a file; the report is a folder (index.html, pictures, metrics.csv). Give a folder.");
            }
            Model loaded = ModelFile.Load(path);
            EngineKind kind = Common.Engine(parsed, engine);
            EngineChoice choice = EngineChooser.Choose(loaded.Network, Workload.Inference, kind);   // a forced engine that cannot run the model is refused before any work
            TrainingRecord? record = parsed.GetValue(metrics) is { } metricsPath ? TrainingRecord.Load(metricsPath) : null;
            var test = DataSource.LoadTest(parsed.GetValue(data));
            Common.CheckInput(loaded, test.Features, path);
            Common.CheckDataset(loaded, parsed.GetValue(data), path);
            console.WriteLine($"model {path} ({loaded.Network.Shape}) · engine {choice}");
            ReportWriter.Write(console, loaded, test, record, parsed.GetValue(output)!, path, kind);
            return ExitCodes.Ok;
        }));
        return command;
    }
}
