// `scratchnet predict --index N`: one test image drawn as text, its label, and the ten probabilities.
using System.CommandLine;
using ScratchNet.Serialization;
using ScratchNet.Data;
using ScratchNet.Images;
using ScratchNet.Tensors;
using ScratchNet.Training;

namespace ScratchNet.Cli.Commands;

internal static class PredictCommand
{
    public static Command Create()
    {
        var model = Common.ModelOption(required: true);
        var index = new Option<int>("--index") { Description = "Which test image (0-based), when no image files are given.", DefaultValueFactory = _ => 0 };
        var data = Common.DataOption();
        var images = new Argument<string[]>("images") { Description = "PNG, JPEG or BMP files of one digit each (any size, colour or grey).", Arity = ArgumentArity.ZeroOrMore };
        var show = new Option<bool>("--show") { Description = "Also draw the 28×28 input the network saw, as text." };
        var csv = new Option<string?>("--csv") { Description = "Predict every image of a CSV file (Kaggle layout, with or without labels) and write a submission file.", HelpName = "FILE.csv" };
        var submission = new Option<string>("--submission") { Description = "Where --csv writes \"ImageId,Label\" lines.", HelpName = "PATH", DefaultValueFactory = _ => "submission.csv" };
        var command = new Command("predict", "Predict the digit in your own images, or show a test image with its ten probabilities.") { model, index, data, images, show, csv, submission };
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            string path = parsed.GetValue(model)!;
            Model loaded = ModelFile.Load(path);
            string[] files = parsed.GetValue(images) ?? [];
            if (files.Length > 0)
            {
                return PredictFiles(console, loaded, files, parsed.GetValue(show));
            }
            if (parsed.GetValue(csv) is { } csvPath)
            {
                return PredictCsv(console, loaded, csvPath, parsed.GetValue(submission)!);
            }
            var test = Common.LoadTestSet(parsed.GetValue(data));
            EvaluateCommand.CheckInput(loaded, test.Features, path);
            int n = parsed.GetValue(index);
            if (n < 0 || n >= test.Count)
            {
                throw new ArgumentException($"--index {n}: the test set has images 0 to {test.Count - 1}.");
            }
            var X = new Matrix(1, test.Features);
            test.FillBatch(n, 1, X);
            Matrix A = loaded.Network.Predict(X);
            int predicted = ScratchNet.Layers.ArgMax.Of(A.Row(0));
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

    /// <summary>Every image of a CSV file: a Kaggle submission ("ImageId,Label", ids from 1), and the accuracy when it has labels.</summary>
    private static int PredictCsv(TextWriter console, Model model, string path, string output)
    {
        CsvImages images = CsvReader.Read(path);
        if (images.Features != model.Network.InputSize)
        {
            throw new ArgumentException($"{path}: images of {images.Features} pixels; the model takes {model.Network.InputSize}.");
        }
        var lines = new System.Text.StringBuilder("ImageId,Label\n");
        int correct = 0;
        for (int i = 0; i < images.Count; i++)
        {
            Prediction p = Predictor.Predict(model.Network, images.Pixels.AsSpan(i * images.Features, images.Features));
            lines.Append(i + 1).Append(',').Append(p.Digit).Append('\n');
            correct += images.Labels is { } labels && labels[i] == p.Digit ? 1 : 0;
        }
        ScratchNet.Serialization.AtomicFile.WriteText(output, lines.ToString());
        console.WriteLine($"{images.Count:N0} predictions written to {output}" + (images.Labels is null ? "" : $" (accuracy {Common.Percent((double)correct / images.Count)} against the file's labels)"));
        return ExitCodes.Ok;
    }

    /// <summary>Each image through the MNIST preprocessing, then the network: the top three digits.</summary>
    private static int PredictFiles(TextWriter console, Model model, string[] files, bool show)
    {
        if (model.Network.InputSize != DigitPreprocessor.Size * DigitPreprocessor.Size)
        {
            throw new ArgumentException($"The model takes {model.Network.InputSize} inputs; image files need a 784-input (28×28) model.");
        }
        int failures = 0;
        foreach (string file in files)
        {
            try
            {
                byte[] input = ImageInput.Load(file);
                Prediction prediction = Predictor.Predict(model.Network, input);
                var top = prediction.Top(3);
                console.WriteLine($"{file}: {top[0].Digit} ({Common.Percent(top[0].Probability)})  then {top[1].Digit} ({Common.Percent(top[1].Probability)}), {top[2].Digit} ({Common.Percent(top[2].Probability)})");
                if (show)
                {
                    foreach (string line in Common.DrawImage(input, DigitPreprocessor.Size, DigitPreprocessor.Size))
                    {
                        console.WriteLine(line);
                    }
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // One bad file does not stop the others; the exit code says something failed.
                console.WriteLine($"{file}: error: {e.Message}");
                failures++;
            }
        }
        return failures == 0 ? ExitCodes.Ok : ExitCodes.BadInput;
    }
}
