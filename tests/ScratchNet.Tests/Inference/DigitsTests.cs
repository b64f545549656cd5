// The library's front door, used as a .NET developer would: load a shipped model, predict from
// pixels, floats and image files, train a preset with progress and cancellation, evaluate, save.
using ScratchNet.Data;
using ScratchNet.Images;
using ScratchNet.Training;

namespace ScratchNet.Tests.Inference;

public sealed class DigitsTests
{
    [Fact]
    public void The_best_shipped_model_reads_the_test_digits()
    {
        Digits model = Digits.LoadPretrained();
        Dataset test = TestData.MnistSets.Test;
        int correct = 0;
        for (int i = 0; i < 500; i++)
        {
            DigitPrediction p = model.Predict(test.Image(i));
            Assert.Equal(p.Probabilities.Max(), p.Confidence);
            correct += p.Digit == test.Labels[i] ? 1 : 0;
        }
        Assert.True(correct >= 490, $"{correct} of 500");
        Assert.Contains("test accuracy", model.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Pixels_and_inputs_over_255_give_the_same_answer()
    {
        Digits model = Digits.LoadPretrained("mlp");
        ReadOnlySpan<byte> image = TestData.MnistSets.Test.Image(7);
        float[] inputs = new float[Digits.Pixels];
        Dataset.ToFloats(image, inputs);
        Assert.Equal(model.Predict(image), model.Predict(inputs), (a, b) => a.Digit == b.Digit && a.Probabilities.SequenceEqual(b.Probabilities));
    }

    [Fact]
    public void Wrong_sizes_and_non_finite_inputs_are_refused_with_the_fix()
    {
        Digits model = Digits.LoadPretrained("seed-tuned");
        Assert.Contains("28×28 = 784", Assert.Throws<ArgumentException>(() => model.Predict(new byte[100])).Message, StringComparison.Ordinal);
        float[] inputs = new float[Digits.Pixels];
        inputs[3] = float.NaN;
        Assert.Contains("inputs[3] is NaN", Assert.Throws<ArgumentException>(() => model.Predict(inputs)).Message, StringComparison.Ordinal);
        Assert.Contains("shipped models are", Assert.Throws<ArgumentException>(() => Digits.LoadPretrained("nope")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_image_file_is_read_as_MNIST_digits_were()
    {
        Digits model = Digits.LoadPretrained();
        Dataset test = TestData.MnistSets.Test;
        string path = Path.Combine(TestData.TempDir(), "digit.png");
        // A test digit as a dark-on-light PNG three times its size, as someone would draw it.
        byte[] image = test.Image(0).ToArray();
        var picture = new ScratchNet.Reports.RgbImage(84, 84);
        for (int y = 0; y < 84; y++)
        {
            for (int x = 0; x < 84; x++)
            {
                byte v = (byte)(255 - image[((y / 3) * 28) + (x / 3)]);
                picture.Set(x, y, (v, v, v));
            }
        }
        File.WriteAllBytes(path, picture.ToPng());
        Assert.Equal(test.Labels[0], model.PredictImage(path).Digit);
        Assert.Equal(test.Labels[0], model.PredictImage(File.ReadAllBytes(path), "upload").Digit);
    }

    [Fact]
    public void Train_reports_progress_honours_cancellation_and_round_trips_through_a_file()
    {
        TrainingOptions quick = Presets.Get("seed-tuned") with { Epochs = 2, TrainLimit = 12000, Threads = 1 };
        var points = new List<HistoryPoint>();
        Digits trained = Digits.Train(quick, points.Add);
        Assert.Equal(2, points.Count);
        Assert.True(trained.TestAccuracy > 0.85, $"{trained.TestAccuracy}");

        string path = Path.Combine(TestData.TempDir(), "quick.safetensors");
        trained.Save(path);
        Digits loaded = Digits.Load(path);
        Assert.Equal(trained.Model.Metadata["test_accuracy"], loaded.Model.Metadata["test_accuracy"]);
        Assert.Equal(trained.Evaluate(TestData.MnistSets.Test.Take(1000)).Accuracy, loaded.Evaluate(TestData.MnistSets.Test.Take(1000)).Accuracy);

        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Digits stopped = Digits.Train(quick, cancel: cancel.Token);
        Assert.Equal("true", stopped.Model.Metadata["cancelled"]);
    }

    [Fact]
    public void A_recipe_that_cannot_work_is_refused_before_any_training()
    {
        TrainingOptions bad = Presets.Get("seed-tuned") with { Epochs = 0 };
        Assert.Throws<ArgumentException>(() => Digits.Train(bad));
    }
}
