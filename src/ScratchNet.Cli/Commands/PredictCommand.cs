// `scratchnet predict --index N`: one test image drawn as text, its label, and the ten probabilities.
using System.CommandLine;
using ScratchNet.Serialization;
using ScratchNet.Tensors;

namespace ScratchNet.Cli.Commands;

internal static class PredictCommand
{
    public static Command Create()
    {
        var model = Common.ModelOption(required: true);
        var index = new Option<int>("--index") { Description = "Which test image (0-based).", DefaultValueFactory = _ => 0 };
        var data = Common.DataOption();
        var command = new Command("predict", "Show a test image, its true label, and the model's ten probabilities.") { model, index, data };
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            string path = parsed.GetValue(model)!;
            Model loaded = ModelFile.Load(path);
            var test = Common.LoadData(parsed.GetValue(data)).Test;
            EvaluateCommand.CheckInput(loaded, test.Features, path);
            int n = parsed.GetValue(index);
            if (n < 0 || n >= test.Count)
            {
                throw new ArgumentException($"--index {n}: the test set has images 0 to {test.Count - 1}.");
            }
            var X = new Matrix(1, test.Features);
            test.FillBatch(n, 1, X);
            Matrix A = loaded.Network.Predict(X);
            int predicted = ScratchNet.Layers.Network.ArgMax(A.Row(0));
            console.WriteLine($"test image {n}");
            foreach (string line in Common.DrawImage(test.Image(n), test.ImageRows, test.ImageCols))
            {
                console.WriteLine(line);
            }
            console.WriteLine($"true label {test.Labels[n]} · predicted {predicted} {(predicted == test.Labels[n] ? "(correct)" : "(wrong)")}");
            for (int j = 0; j < A.Cols; j++)
            {
                console.WriteLine($"  {j}  {Common.Num(A[0, j], "0.0000")}  {Common.Bar(A[0, j])}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
