// `scratchnet evaluate`: accuracy, loss and confusion matrix of a saved model on the test set.
using System.CommandLine;
using ScratchNet.Serialization;
using ScratchNet.Data;
using ScratchNet.Engines;
using ScratchNet.Inference;

namespace ScratchNet.Cli.Commands;

internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = Common.ModelOption(required: true);
        var data = Common.DataOption();
        var engine = Common.EngineOption();
        var command = new Command("evaluate", "Test accuracy, loss and confusion matrix of a saved model.") { model, data, engine };
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            string path = parsed.GetValue(model)!;
            Model loaded = ModelFile.Load(path);
            EngineChoice choice = EngineChooser.Choose(loaded.Network, Workload.Inference, Common.Engine(parsed, engine));
            var test = DataSource.LoadTest(parsed.GetValue(data));
            Common.CheckInput(loaded, test.Features, path);
            Common.CheckDataset(loaded, parsed.GetValue(data), path);
            Evaluation result = Evaluator.Evaluate(loaded.Network, test, EngineChooser.CreateInference(loaded.Network, choice));
            console.WriteLine($"model {path} ({loaded.Network.Shape}, preset {loaded.Metadata.GetValueOrDefault("preset", "?")}) · engine {choice}");
            console.WriteLine($"test accuracy {Common.Percent(result.Accuracy)} ({Correct(result):N0} of {result.Count:N0}) · loss {Common.Num(result.Loss, "0.0000")}");
            IReadOnlyList<string> names = ClassNames.Of(loaded.Metadata, loaded.Network.OutputSize);
            if (!names.SequenceEqual(ClassNames.Of(new Dictionary<string, string>(), names.Count)))
            {
                console.WriteLine("classes: " + string.Join(", ", names.Select((name, c) => $"{c} {name}")));
            }
            console.WriteLine();
            foreach (string line in ConfusionLines(result.Confusion))
            {
                console.WriteLine(line);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static int Correct(Evaluation e)
    {
        int sum = 0;
        for (int i = 0; i < e.Confusion.GetLength(0); i++)
        {
            sum += e.Confusion[i, i];
        }
        return sum;
    }

    /// <summary>The confusion matrix as text: rows = true digit, columns = predicted digit.</summary>
    public static IEnumerable<string> ConfusionLines(int[,] confusion)
    {
        int n = confusion.GetLength(0);
        yield return "confusion matrix (rows = true digit, columns = predicted digit)";
        yield return "true\\pred " + string.Concat(Enumerable.Range(0, n).Select(j => $"{j,6}")) + "   recall";
        for (int t = 0; t < n; t++)
        {
            int rowSum = 0;
            for (int p = 0; p < n; p++)
            {
                rowSum += confusion[t, p];
            }
            string recall = rowSum == 0 ? "-" : Common.Percent((double)confusion[t, t] / rowSum);
            yield return $"{t,9} " + string.Concat(Enumerable.Range(0, n).Select(p => $"{confusion[t, p],6}")) + $"   {recall,7}";
        }
    }
}
