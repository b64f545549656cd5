// The record of a run: settings, history, final accuracies and time. Written as --metrics-json
// and, in brief, into the model file's metadata.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ScratchNet.Training;

/// <summary>One logged point: after <see cref="Step"/> updates (full-batch iterations or mini-batch steps), at the end of an epoch in mini-batch mode.</summary>
public sealed record HistoryPoint(
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("loss")] double Loss,
    [property: JsonPropertyName("train_accuracy")] double TrainAccuracy,
    [property: JsonPropertyName("dev_accuracy")] double? DevAccuracy,
    [property: JsonPropertyName("alpha")] double Alpha,
    [property: JsonPropertyName("seconds")] double Seconds)
{
    /// <summary>The mean loss on the dev set at this point (null where the dev set was not evaluated).</summary>
    [JsonPropertyName("dev_loss")]
    public double? DevLoss { get; init; }
}

/// <summary>The record of a training run: settings, history, accuracies, times and machine; written as JSON by --metrics-json.</summary>
public sealed class TrainingRecord
{
    /// <summary>The options the run trained with.</summary>
    [JsonPropertyName("settings")]
    public required TrainingOptions Settings { get; init; }

    /// <summary>The data the run trained on.</summary>
    [JsonPropertyName("data")]
    public string Data { get; set; } = "";

    /// <summary>Images trained on.</summary>
    [JsonPropertyName("train_size")]
    public int TrainSize { get; set; }

    /// <summary>Images held out as the dev set.</summary>
    [JsonPropertyName("dev_size")]
    public int DevSize { get; set; }

    /// <summary>Loss and accuracies after each epoch or logged iteration.</summary>
    [JsonPropertyName("history")]
    public List<HistoryPoint> History { get; init; } = [];

    /// <summary>Accuracy on the training images at the end.</summary>
    [JsonPropertyName("train_accuracy")]
    public double TrainAccuracy { get; set; }

    /// <summary>Accuracy on the dev set at the end (null without one).</summary>
    [JsonPropertyName("dev_accuracy")]
    public double? DevAccuracy { get; set; }

    /// <summary>Accuracy on the test set (null when there is none).</summary>
    [JsonPropertyName("test_accuracy")]
    public double? TestAccuracy { get; set; }

    /// <summary>Mean loss on the test set.</summary>
    [JsonPropertyName("test_loss")]
    public double? TestLoss { get; set; }

    /// <summary>With early stopping: the epoch (or iteration) whose parameters were kept.</summary>
    [JsonPropertyName("best_epoch")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? BestEpoch { get; set; }

    /// <summary>The engine that ran the steps (layers, fused or packed) and why the chooser picked it.</summary>
    [JsonPropertyName("engine")]
    public string Engine { get; set; } = "";

    /// <summary>Why the chooser picked the engine.</summary>
    [JsonPropertyName("engine_reason")]
    public string EngineReason { get; set; } = "";

    /// <summary>Seconds spent training (without loading and evaluation).</summary>
    [JsonPropertyName("train_seconds")]
    public double TrainSeconds { get; set; }

    /// <summary>Seconds of the whole run.</summary>
    [JsonPropertyName("seconds")]
    public double Seconds { get; set; }

    /// <summary>The machine in one line: processor, cores, vector level, system, .NET.</summary>
    [JsonPropertyName("machine")]
    public string Machine { get; set; } = Tensors.Machine.Describe;

    /// <summary>The processor the run happened on, as the system names it.</summary>
    [JsonPropertyName("processor")]
    public string Processor { get; set; } = Tensors.Machine.Processor;

    /// <summary>The vector level the kernels ran at, e.g. "AVX-512 (512-bit vectors, FMA)".</summary>
    [JsonPropertyName("vector_level")]
    public string VectorLevel { get; set; } = Tensors.Simd.Level;

    /// <summary>How records are written: indented, snake_case names.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>What a model file trained by this run records about it: preset, seed, settings, accuracies, seconds, data.</summary>
    public Dictionary<string, string> ModelMetadata() => new()
    {
        ["preset"] = Settings.Preset,
        ["seed"] = Settings.Seed.ToString(CultureInfo.InvariantCulture),
        ["settings"] = JsonSerializer.Serialize(Settings, JsonOptions),
        ["train_accuracy"] = TrainAccuracy.ToString("R", CultureInfo.InvariantCulture),
        ["dev_accuracy"] = DevAccuracy?.ToString("R", CultureInfo.InvariantCulture) ?? "",
        ["test_accuracy"] = TestAccuracy?.ToString("R", CultureInfo.InvariantCulture) ?? "",
        ["train_seconds"] = TrainSeconds.ToString("0.###", CultureInfo.InvariantCulture),
        ["best_epoch"] = BestEpoch?.ToString(CultureInfo.InvariantCulture) ?? "",
        ["data"] = Data,
    };

    /// <summary>The record as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a record written by --metrics-json.</summary>
    /// <exception cref="InvalidDataException">The file is not such a record; the message says why.</exception>
    public static TrainingRecord Load(string path)
    {
        ScratchNet.Serialization.InputFile.Check(path, "a metrics file (train --metrics-json)");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: metrics file not found. Write one with 'scratchnet train --metrics-json {path}'.", path);
        }
        try
        {
            TrainingRecord record = JsonSerializer.Deserialize<TrainingRecord>(File.ReadAllText(path), JsonOptions)
                ?? throw new InvalidDataException($"{path}: the file holds no training record.");
            // JSON's null passes the deserialiser where the C# type says never null.
            TrainingOptions? settings = record.Settings;
            bool incomplete = settings is null || record.History is null || record.History.Any(p => p is null)
                || settings.Layers is null || settings.Preset is null || settings.Activation is null || settings.Optimizer is null || settings.Schedule is null || settings.Loss is null;
            return incomplete
                ? throw new InvalidDataException($"{path}: the record has no settings or no history; it was not written by 'scratchnet train --metrics-json'.")
                : record;
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is { } line ? $" (its JSON does not fit at line {line + 1})" : "";
            throw new InvalidDataException($"{path}: not a training record written by 'scratchnet train --metrics-json'{where}.", e);
        }
    }
}
