// How training progress is shown: live progress bars (Spectre.Console) with ETA, loss, accuracy and
// images/s on a terminal; plain lines, one per logging interval, when output is redirected,
// NO_COLOR is set or --plain is given (no escape codes then).
using ScratchNet.Training;
using Spectre.Console;

namespace ScratchNet.Cli;

internal static class Progress
{
    public static bool IsInteractive(TextWriter console, bool plain) =>
        !plain
        && ReferenceEquals(console, Console.Out)
        && !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>The plain line for one logged point.</summary>
    public static string Line(HistoryPoint p, TrainingOptions options) => options.BatchSize == 0
        ? $"iter {p.Step,5}  loss {Commands.Common.Num(p.Loss, "0.0000")}  train {Commands.Common.Percent(p.TrainAccuracy),7}  dev {Dev(p),7}  {Commands.Common.Num(p.Seconds, "0.0")}s"
        : $"epoch {p.Epoch,3}  loss {Commands.Common.Num(p.Loss, "0.0000")}  train {Commands.Common.Percent(p.TrainAccuracy),7}  dev {Dev(p),7}  α {Commands.Common.Num(p.Alpha, "0.######")}  {Commands.Common.Num(p.Seconds, "0.0")}s";

    private static string Dev(HistoryPoint p) => p.DevAccuracy is { } d ? Commands.Common.Percent(d) : "-";

    /// <summary>Runs <paramref name="train"/> under live progress bars: one per epoch, or one for a full-batch run.</summary>
    public static TrainingResult Run(Trainer trainer, TrainingOptions options, Func<TrainingResult> train)
    {
        TrainingResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                ProgressTask? task = null;
                int epoch = 0;
                double epochStart = 0;
                long imagesAtStart = 0;
                string lastDev = "";
                trainer.OnLog = p =>
                {
                    lastDev = p.DevAccuracy is { } d ? $" · dev {Commands.Common.Percent(d)}" : "";
                    if (options.BatchSize > 0 && task is not null)
                    {
                        task.Description = Describe(p.Epoch, options.Epochs, p.Loss, p.TrainAccuracy, null) + lastDev;
                    }
                };
                trainer.OnStep = s =>
                {
                    if (task is null || s.Epoch != epoch)
                    {
                        task?.StopTask();
                        epoch = s.Epoch;
                        epochStart = s.Seconds;
                        imagesAtStart = s.Images;
                        task = context.AddTask(Describe(s.Epoch, s.Epochs, s.Loss, s.Accuracy, null), maxValue: s.Steps);
                    }
                    double seconds = Math.Max(1e-9, s.Seconds - epochStart);
                    double rate = (s.Images - imagesAtStart) / seconds;
                    task.Value = s.Step;
                    if (options.BatchSize == 0 || s.Step < s.Steps)
                    {
                        task.Description = (options.BatchSize == 0
                            ? $"iteration {s.Step}/{s.Steps} · loss {Commands.Common.Num(s.Loss, "0.0000")} · train {Commands.Common.Percent(s.Accuracy)}{lastDev}"
                            : Describe(s.Epoch, s.Epochs, s.Loss, s.Accuracy, rate)).Replace("[", "[[", StringComparison.Ordinal).Replace("]", "]]", StringComparison.Ordinal)
                            + $" · {rate:N0} img/s";
                    }
                };
                result = train();
                task?.StopTask();
            });
        return result!;
    }

    private static string Describe(int epoch, int epochs, double loss, double accuracy, double? rate) =>
        $"epoch {epoch}/{epochs} · loss {Commands.Common.Num(loss, "0.0000")} · train {Commands.Common.Percent(accuracy)}";
}
