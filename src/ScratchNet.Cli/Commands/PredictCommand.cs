// `scratchnet predict`: the digit in image files, every row of a CSV file, or one test image drawn as
// text with its ten probabilities (--index). All through the inference engine the chooser picks.
using System.CommandLine;
using ScratchNet.Serialization;
using ScratchNet.Data;
using ScratchNet.Images;
using ScratchNet.Tensors;
using ScratchNet.Engines;
using ScratchNet.Inference;

namespace ScratchNet.Cli.Commands;

internal static class PredictCommand
{
    public static Command Create()
    {
        var model = Common.ModelOption(required: false);
        var index = new Option<int>("--index") { Description = "Which test image (0-based), when no image files are given.", DefaultValueFactory = _ => 0 };
        var data = Common.DataOption();
        var images = new Argument<string[]>("images") { Description = "PNG, JPEG or BMP files of one digit each (any size, colour or grey).", Arity = ArgumentArity.ZeroOrMore };
        var show = new Option<bool>("--show") { Description = "Also draw the 28×28 input the network saw, as text." };
        var csv = new Option<string?>("--csv") { Description = "Predict every image of a CSV file (Kaggle layout, with or without labels) and write a submission file.", HelpName = "FILE.csv" };
        var submission = new Option<string>("--submission") { Description = "Where --csv writes \"ImageId,Label\" lines.", HelpName = "PATH", DefaultValueFactory = _ => "submission.csv" };
        var engine = Common.EngineOption();
        var command = new Command("predict", "Predict the digit in your own images, or show a test image with its ten probabilities.") { model, index, data, images, show, csv, submission, engine };
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            (string path, Model loaded) = Common.LoadModelOrShipped(parsed.GetValue(model), console);
            EngineKind kind = Common.Engine(parsed, engine);
            EngineChoice choice = EngineChooser.Choose(loaded.Network, Workload.Inference, kind);   // a forced engine that cannot run the model is refused before any work
            string[] files = parsed.GetValue(images) ?? [];
            // One source of images at a time: options that would be ignored are an error.
            bool indexGiven = parsed.GetResult(index) is { Implicit: false }, csvGiven = parsed.GetValue(csv) is not null;
            if (files.Length > 0 && (indexGiven || csvGiven))
            {
                throw new ArgumentException($"{(indexGiven ? "--index" : "--csv")} and image files both say which images to predict; give one.");
            }
            if (indexGiven && csvGiven)
            {
                throw new ArgumentException("--index and --csv both say which images to predict; give one.");
            }
            if (parsed.GetValue(show) && files.Length == 0)
            {
                throw new ArgumentException("--show draws the 28×28 inputs of image files; give image files (the --index image is always drawn).");
            }
            if (files.Length > 0)
            {
                return PredictFiles(console, loaded, files, parsed.GetValue(show), kind);
            }
            if (parsed.GetValue(csv) is { } csvPath)
            {
                return PredictCsv(console, loaded, csvPath, parsed.GetValue(submission)!, kind);
            }
            var test = DataSource.LoadTest(parsed.GetValue(data));
            Common.CheckInput(loaded, test.Features, path);
            Common.CheckDataset(loaded, parsed.GetValue(data), path);
            int n = parsed.GetValue(index);
            if (n < 0 || n >= test.Count)
            {
                throw new ArgumentException($"--index {n}: the test set has images 0 to {test.Count - 1}.");
            }
            Matrix A = Evaluator.Probabilities(loaded.Network, test.Subset([n]), kind);
            int predicted = ArgMax.Of(A.Row(0));
            console.WriteLine($"test image {n} · engine {choice}");
            foreach (string line in Common.DrawImage(test.Image(n), test.ImageRows, test.ImageCols))
            {
                console.WriteLine(line);
            }
            IReadOnlyList<string> names = ClassNames.Of(loaded.Metadata, A.Cols);
            console.WriteLine($"true label {ClassNames.Show(names, test.Labels[n])} · predicted {ClassNames.Show(names, predicted)} {(predicted == test.Labels[n] ? "(correct)" : "(wrong)")}");
            for (int j = 0; j < A.Cols; j++)
            {
                console.WriteLine($"  {ClassNames.Show(names, j),-16}  {Common.Num(A[0, j], "0.0000")}  {Common.Bar(A[0, j])}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Every image of a CSV file: a Kaggle submission ("ImageId,Label", ids from 1), and the accuracy when it has labels.</summary>
    private static int PredictCsv(TextWriter console, Model model, string path, string output, EngineKind engine)
    {
        CsvImages images = CsvReader.Read(path);
        if (images.Features != model.Network.InputSize)
        {
            throw new ArgumentException($"{path}: images of {images.Features} pixels; the model takes {model.Network.InputSize}.");
        }
        var lines = new System.Text.StringBuilder("ImageId,Label\n");
        int correct = 0;
        Matrix A = Evaluator.Probabilities(model.Network, new Dataset(images.Pixels, images.Labels ?? new byte[images.Count], 1, images.Features, path), engine);
        for (int i = 0; i < images.Count; i++)
        {
            int digit = ArgMax.Of(A.Row(i));
            lines.Append(i + 1).Append(',').Append(digit).Append('\n');
            correct += images.Labels is { } labels && labels[i] == digit ? 1 : 0;
        }
        ScratchNet.Serialization.AtomicFile.WriteText(output, lines.ToString());
        console.WriteLine($"{images.Count:N0} predictions written to {output}" + (images.Labels is null ? "" : $" (accuracy {Common.Percent((double)correct / images.Count)} against the file's labels)"));
        return ExitCodes.Ok;
    }

    /// <summary>Each image through the MNIST preprocessing, then the network: the top three digits.</summary>
    private static int PredictFiles(TextWriter console, Model model, string[] files, bool show, EngineKind engine)
    {
        const int side = DigitPreprocessor.Size, pixels = side * side;
        if (model.Network.InputSize != pixels)
        {
            throw new ArgumentException($"The model takes {model.Network.InputSize} inputs; image files need a 784-input (28×28) model.");
        }
        // Every file read first (one bad file does not stop the others), then all the images through the engine at once.
        var inputs = new byte[files.Length][];
        var errors = new string?[files.Length];
        for (int f = 0; f < files.Length; f++)
        {
            try
            {
                inputs[f] = ImageInput.Load(files[f]);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                errors[f] = e.Message;
            }
        }
        int[] read = [.. Enumerable.Range(0, files.Length).Where(f => errors[f] is null)];
        var images = new Dataset([.. read.SelectMany(f => inputs[f])], new byte[read.Length], side, side, "image files");
        Matrix A = Evaluator.Probabilities(model.Network, images, engine);
        int failures = 0;
        for (int f = 0, r = 0; f < files.Length; f++)
        {
            string file = files[f];
            if (errors[f] is { } error)
            {
                console.WriteLine($"{file}: error: {error}");
                failures++;
                continue;
            }
            byte[] input = inputs[f];
            var prediction = new Prediction(ArgMax.Of(A.Row(r)), A.Row(r).ToArray(), []);
            r++;
            var top = prediction.Top(3);
            IReadOnlyList<string> names = ClassNames.Of(model.Metadata, A.Cols);
            console.WriteLine($"{file}: {ClassNames.Show(names, top[0].Digit)} ({Common.Probability(top[0].Probability)})  then {ClassNames.Show(names, top[1].Digit)} ({Common.Probability(top[1].Probability)}), {ClassNames.Show(names, top[2].Digit)} ({Common.Probability(top[2].Probability)})");
            if (show)
            {
                foreach (string line in Common.DrawImage(input, DigitPreprocessor.Size, DigitPreprocessor.Size))
                {
                    console.WriteLine(line);
                }
            }
        }
        return failures == 0 ? ExitCodes.Ok : ExitCodes.BadInput;
    }
}
