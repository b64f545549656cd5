// The record of a run: settings, history, final accuracies and time. Written as --metrics-json
// and, in brief, into the model file's metadata.
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

public sealed class TrainingRecord
{
    [JsonPropertyName("settings")]
    public required TrainingOptions Settings { get; init; }

    [JsonPropertyName("data")]
    public string Data { get; set; } = "";

    [JsonPropertyName("train_size")]
    public int TrainSize { get; set; }

    [JsonPropertyName("dev_size")]
    public int DevSize { get; set; }

    [JsonPropertyName("history")]
    public List<HistoryPoint> History { get; init; } = [];

    [JsonPropertyName("train_accuracy")]
    public double TrainAccuracy { get; set; }

    [JsonPropertyName("dev_accuracy")]
    public double? DevAccuracy { get; set; }

    [JsonPropertyName("test_accuracy")]
    public double? TestAccuracy { get; set; }

    [JsonPropertyName("test_loss")]
    public double? TestLoss { get; set; }

    /// <summary>With early stopping: the epoch (or iteration) whose parameters were kept.</summary>
    [JsonPropertyName("best_epoch")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? BestEpoch { get; set; }

    /// <summary>The engine that ran the steps (layers, fused or packed) and why the chooser picked it.</summary>
    [JsonPropertyName("engine")]
    public string Engine { get; set; } = "";

    [JsonPropertyName("engine_reason")]
    public string EngineReason { get; set; } = "";

    [JsonPropertyName("train_seconds")]
    public double TrainSeconds { get; set; }

    [JsonPropertyName("seconds")]
    public double Seconds { get; set; }

    [JsonPropertyName("machine")]
    public string Machine { get; set; } = Tensors.Machine.Describe;

    /// <summary>The processor the run happened on, as the system names it.</summary>
    [JsonPropertyName("processor")]
    public string Processor { get; set; } = Tensors.Machine.Processor;

    /// <summary>The vector level the kernels ran at, e.g. "AVX-512 (512-bit vectors, FMA)".</summary>
    [JsonPropertyName("vector_level")]
    public string VectorLevel { get; set; } = Tensors.Simd.Level;

    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

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
