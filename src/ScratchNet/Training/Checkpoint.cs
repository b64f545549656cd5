// A training checkpoint: the model file of the network so far, plus everything the trainer needs to
// go on exactly as if it had never stopped — completed epochs or iterations, the random generators'
// states, the shuffled order, the optimiser's moments, the history and the early-stopping memory.
// Written atomically like any model file, and loadable as a plain model too.
using System.Text.Json;
using System.Text.Json.Serialization;
using ScratchNet.Layers;
using ScratchNet.Serialization;

namespace ScratchNet.Training;

/// <summary>The trainer's state between two steps.</summary>
public sealed class TrainerState
{
    /// <summary>Epochs (mini-batch) or iterations (full batch) completed.</summary>
    [JsonPropertyName("completed")] public int Completed { get; set; }
    /// <summary>State of the main random generator.</summary>
    [JsonPropertyName("rng")] public ulong[] Rng { get; set; } = [];
    /// <summary>State of each dropout layer's generator.</summary>
    [JsonPropertyName("dropout_rng")] public ulong[][] DropoutRng { get; set; } = [];
    /// <summary>Steps the optimiser has taken.</summary>
    [JsonPropertyName("optimizer_steps")] public int OptimizerSteps { get; set; }
    /// <summary>Loss and accuracies after each epoch or logged iteration so far.</summary>
    [JsonPropertyName("history")] public List<HistoryPoint> History { get; set; } = [];
    /// <summary>Early stopping: the best dev accuracy so far.</summary>
    [JsonPropertyName("best_accuracy")] public double BestAccuracy { get; set; } = double.NegativeInfinity;
    /// <summary>Early stopping: the epoch of the best dev accuracy.</summary>
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; set; }
    /// <summary>Early stopping: epochs since the best.</summary>
    [JsonPropertyName("since_best")] public int SinceBest { get; set; }
    /// <summary>The loss of the first step (the divergence check compares with it).</summary>
    [JsonPropertyName("first_loss")] public double FirstLoss { get; set; } = double.NaN;
    /// <summary>Training seconds so far.</summary>
    [JsonPropertyName("seconds")] public double Seconds { get; set; }
    /// <summary>The shuffled order of the training images (mini-batches).</summary>
    [JsonIgnore] public int[]? Order { get; set; }
    /// <summary>The optimiser's moments, by name, one array per parameter.</summary>
    [JsonIgnore] public Dictionary<string, float[][]> OptimizerState { get; set; } = [];
    /// <summary>Early stopping: the values of the best model so far.</summary>
    [JsonIgnore] public float[][]? Best { get; set; }
}

/// <summary>Writes and reads training checkpoints: a model file plus the trainer's state.</summary>
public static class Checkpoint
{
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Writes the checkpoint atomically (temporary file, flush, rename).</summary>
    public static void Save(string path, Network network, TrainingOptions options, TrainerState state)
    {
        var tensors = new Dictionary<string, float[]>();
        if (state.Order is { } order)
        {
            tensors["state.order"] = order.Select(i => (float)i).ToArray(); // indices below 2²⁴ are exact
        }
        foreach (var (name, arrays) in state.OptimizerState)
        {
            for (int i = 0; i < arrays.Length; i++)
            {
                tensors[$"state.optimizer.{name}.{i}"] = arrays[i];
            }
        }
        if (state.Best is { } best)
        {
            for (int i = 0; i < best.Length; i++)
            {
                tensors[$"state.best.{i}"] = best[i];
            }
        }
        var metadata = new Dictionary<string, string>
        {
            ["preset"] = options.Preset,
            ["settings"] = JsonSerializer.Serialize(options, TrainingRecord.JsonOptions),
            ["checkpoint"] = JsonSerializer.Serialize(state, Json),
        };
        ModelFile.Save(path, network, metadata, tensors);
    }

    /// <summary>Reads a checkpoint written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Not a checkpoint, or its parts do not fit together.</exception>
    public static (Network Network, TrainingOptions Options, TrainerState State) Load(string path)
    {
        Model model = ModelFile.Load(path);
        if (!model.Metadata.TryGetValue("checkpoint", out string? stateJson) || !model.Metadata.TryGetValue("settings", out string? settingsJson))
        {
            throw new InvalidDataException($"{path}: a model file, not a checkpoint: it holds no trainer state. Checkpoints are written by 'scratchnet train --checkpoint-every N'.");
        }
        try
        {
            TrainingOptions options = JsonSerializer.Deserialize<TrainingOptions>(settingsJson, TrainingRecord.JsonOptions)
                ?? throw new InvalidDataException($"{path}: the checkpoint's settings are empty.");
            TrainerState state = JsonSerializer.Deserialize<TrainerState>(stateJson, Json)
                ?? throw new InvalidDataException($"{path}: the checkpoint's state is empty.");
            // Field by field: a crafted checkpoint must not crash, hang or quietly train on the wrong images.
            options.Validate();
            int planned = options.BatchSize == 0 ? options.Iterations : options.Epochs;
            string? problem =
                state.Rng is null || state.Rng.Length != 4 ? "the random generator's state is not 4 words"
                : state.Rng.All(w => w == 0) ? "the random generator's state is all zero (it would repeat one number forever)"
                : state.DropoutRng is null || state.DropoutRng.Any(r => r is null || r.Length != 4 || r.All(w => w == 0)) ? "a dropout generator's state is invalid"
                : state.Completed < 0 || state.Completed > planned ? $"it says {state.Completed} steps or epochs are done, outside 0..{planned}"
                : state.OptimizerSteps < 0 ? "the optimiser's step count is negative"
                : state.History is null || state.History.Any(h => h is null) ? "its history is invalid"
                : null;
            if (problem is not null)
            {
                throw new InvalidDataException($"{path}: the checkpoint's state is inconsistent: {problem}. Start afresh without --resume, or resume from a checkpoint written by 'scratchnet train'.");
            }
            var extras = model.State;
            if (extras.TryGetValue("state.order", out float[]? order))
            {
                // The shuffled order must be a permutation of 0..n − 1 (checked against the training set when resuming).
                var seen = new bool[order.Length];
                foreach (float v in order)
                {
                    if (!(v >= 0 && v < order.Length && v == MathF.Floor(v)) || seen[(int)v])
                    {
                        throw new InvalidDataException($"{path}: the checkpoint's image order is not a permutation of 0..{order.Length - 1}. Start afresh without --resume.");
                    }
                    seen[(int)v] = true;
                }
                state.Order = order.Select(v => (int)v).ToArray();
            }
            int count = model.Network.Parameters.Count;
            foreach (string name in extras.Keys.Where(k => k.StartsWith("state.optimizer.", StringComparison.Ordinal)).Select(k => k.Split('.')[2]).Distinct())
            {
                state.OptimizerState[name] = Enumerable.Range(0, count).Select(i => extras.TryGetValue($"state.optimizer.{name}.{i}", out float[]? a) && a.Length == model.Network.Parameters[i].Count
                    ? a : throw new InvalidDataException($"{path}: the optimiser's '{name}' state does not fit the network.")).ToArray();
            }
            if (extras.ContainsKey("state.best.0"))
            {
                state.Best = Enumerable.Range(0, model.Network.Values.Count).Select(i => extras.TryGetValue($"state.best.{i}", out float[]? a) && a.Length == model.Network.Values[i].Count
                    ? a : throw new InvalidDataException($"{path}: the kept best model does not fit the network.")).ToArray();
            }
            return (model.Network, options, state);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the checkpoint's state is not valid ({e.Message}).", e);
        }
    }
}
