// The front door of the library for a .NET developer: a digit classifier to load (a file or a shipped
// pretrained model), train (a preset or your own layer list, with progress and cancellation),
// ask (pixels or a span of inputs), evaluate and save. Everything below it — layers, engines,
// kernels — stays reachable for those who want it, but nothing here needs it.
using ScratchNet.Data;
using ScratchNet.Inference;
using ScratchNet.Layers;
using ScratchNet.Serialization;
using ScratchNet.Training;

namespace ScratchNet;

/// <summary>What a classifier says about one image.</summary>
/// <param name="Digit">The most probable class.</param>
/// <param name="Confidence">Its probability.</param>
/// <param name="Probabilities">Every class's probability, by class.</param>
public sealed record DigitPrediction(int Digit, float Confidence, IReadOnlyList<float> Probabilities);

/// <summary>A trained handwritten-digit classifier: load or train one, then predict, evaluate and save.</summary>
/// <example>
/// <code>
/// Digits model = Digits.LoadPretrained();
/// DigitPrediction p = model.Predict(pixels);   // 784 bytes, 28×28 row-major, ink high
/// Console.WriteLine($"{p.Digit} ({p.Confidence:P1})");
/// </code>
/// </example>
public sealed class Digits
{
    /// <summary>Pixels of an input image: 28 × 28.</summary>
    public const int Pixels = 28 * 28;

    private readonly Lock gate = new();
    private readonly Predictor predictor;

    /// <summary>A classifier for a loaded model.</summary>
    /// <exception cref="ArgumentException">The model does not take 28×28 images.</exception>
    public Digits(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Network.InputSize != Pixels)
        {
            throw new ArgumentException($"The model takes {model.Network.InputSize} inputs; a digit classifier takes 28×28 = {Pixels} pixels.", nameof(model));
        }
        Model = model;
        predictor = new Predictor(model.Network);
    }

    /// <summary>The model: network and metadata (preset, seed, accuracies, settings).</summary>
    public Model Model { get; }

    /// <summary>The network's layers in one line, e.g. "784-128-10" or a layer list.</summary>
    public string Shape => Model.Network.Shape;

    /// <summary>The test accuracy recorded when the model was trained, if it was.</summary>
    public double? TestAccuracy =>
        double.TryParse(Model.Metadata.GetValueOrDefault("test_accuracy"), System.Globalization.CultureInfo.InvariantCulture, out double a) ? a : null;

    /// <summary>Loads a model file written by <see cref="Save"/> or <c>scratchnet train</c>, checking every part of it.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a valid model; the message says why.</exception>
    public static Digits Load(string path) => new(ModelFile.Load(path));

    /// <summary>Loads a shipped pretrained model — the best one, or the one named (<c>cnn</c>, <c>cnn-fast</c>, <c>mlp</c>, <c>seed-tuned</c>) — after checking its pinned SHA-256.</summary>
    public static Digits LoadPretrained(string? name = null) =>
        new(PretrainedModels.Load(name is null ? PretrainedModels.Best : PretrainedModels.Get(name)));

    /// <summary>
    /// Trains a network on the shipped MNIST (or <paramref name="data"/>: an IDX folder or a Kaggle-layout CSV)
    /// with the recipe <paramref name="options"/> — a preset such as <c>Presets.Get("mlp")</c>, changed with
    /// <c>with { … }</c> — and tests it on the test set.
    /// </summary>
    /// <param name="options">The recipe; checked before any work (<see cref="ArgumentException"/> names what is wrong).</param>
    /// <param name="progress">Called on the training thread after every epoch (or logged full-batch iteration) with the loss and accuracies so far.</param>
    /// <param name="data">Where the images come from; null for the shipped MNIST.</param>
    /// <param name="cancel">Stops training after the current step; the network trained so far is returned.</param>
    public static Digits Train(TrainingOptions options, Action<HistoryPoint>? progress = null, string? data = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();   // before the data is loaded: a bad recipe costs nothing
        TrainTest sets = DataSource.Load(data);
        var trainer = new Trainer(options);
        trainer.OnLog = progress;
        TrainingResult result = trainer.Train(sets.Train, sets.Test, cancel);
        Dictionary<string, string> metadata = result.Record.ModelMetadata();
        metadata["cancelled"] = result.Cancelled ? "true" : "false";
        return new Digits(new Model(result.Network, metadata));
    }

    /// <summary>Trains the preset named <paramref name="preset"/> (seed, seed-tuned, mlp, cnn-fast, cnn) on the shipped MNIST.</summary>
    public static Digits Train(string preset, Action<HistoryPoint>? progress = null, CancellationToken cancel = default) =>
        Train(Presets.Get(preset), progress, null, cancel);

    /// <summary>The digit in one 28×28 image: 784 bytes, row-major, 0 = background, 255 = ink (MNIST's convention).</summary>
    /// <exception cref="ArgumentException">Not 784 pixels.</exception>
    public DigitPrediction Predict(ReadOnlySpan<byte> pixels)
    {
        CheckLength(pixels.Length);
        lock (gate)
        {
            return From(predictor.Predict(pixels));
        }
    }

    /// <summary>The digit in one 28×28 image given as 784 inputs in [0, 1] (pixels / 255).</summary>
    /// <exception cref="ArgumentException">Not 784 values, or a value that is not finite.</exception>
    public DigitPrediction Predict(ReadOnlySpan<float> inputs)
    {
        CheckLength(inputs.Length);
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!float.IsFinite(inputs[i]))
            {
                throw new ArgumentException($"inputs[{i}] is {inputs[i]}; give finite values, pixels / 255.", nameof(inputs));
            }
        }
        lock (gate)
        {
            return From(predictor.Predict(inputs));
        }
    }

    /// <summary>Accuracy, loss and confusion matrix on the shipped MNIST test set (or the test set of <paramref name="data"/>).</summary>
    public Evaluation Evaluate(string? data = null) => Evaluate(DataSource.LoadTest(data));

    /// <summary>Accuracy, loss and confusion matrix on <paramref name="test"/>.</summary>
    public Evaluation Evaluate(Dataset test)
    {
        ArgumentNullException.ThrowIfNull(test);
        lock (gate)
        {
            return Evaluator.Evaluate(Model.Network, test);
        }
    }

    /// <summary>Saves the model (safetensors with ScratchNet's metadata), atomically: an old file stays whole until the new one is complete.</summary>
    public void Save(string path) => ModelFile.Save(path, Model.Network, Model.Metadata);

    /// <inheritdoc/>
    public override string ToString() => TestAccuracy is { } a ? $"{Shape} ({100 * a:0.00}% test accuracy)" : Shape;

    private static void CheckLength(int length)
    {
        if (length != Pixels)
        {
            throw new ArgumentException($"Got {length} values; a digit image is 28×28 = {Pixels} pixels, row-major.");
        }
    }

    private static DigitPrediction From(Prediction p) => new(p.Digit, p.Probabilities[p.Digit], p.Probabilities);
}
