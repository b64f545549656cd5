// Writes the HTML report of a model and says where it went: shared by `report` and `train --report`,
// so that no command calls into another.
using ScratchNet.Data;
using ScratchNet.Engines;
using ScratchNet.Reports;
using ScratchNet.Serialization;
using ScratchNet.Training;

namespace ScratchNet.Cli.Commands;

internal static class ReportWriter
{
    public static void Write(TextWriter console, Model model, Dataset test, TrainingRecord? record, string folder, string modelName, EngineKind engine = EngineKind.Auto)
    {
        ReportSummary summary = ReportBuilder.Build(model, test, record, folder, Path.GetFileName(modelName), engine);
        console.WriteLine($"report written to {Path.Combine(folder, "index.html")} ({summary.Files.Count} files; test accuracy {Common.Percent(summary.TestAccuracy)})");
    }
}
