// Trains a network: forward pass (FP) and backward pass (BP) by the engine the chooser picks, then
// the update (UP), repeated — full batch for a number of iterations, or mini-batches for a number of
// epochs; early stopping, checkpoints and resuming. Reports progress through callbacks and knows
// nothing of consoles. Leaves out: how a step is computed (Engines/) and how files are written.
using System.Diagnostics;
using ScratchNet.Data;
using ScratchNet.Engines;
using ScratchNet.Explaining;
using ScratchNet.Inference;
using ScratchNet.Layers;
using ScratchNet.Optimizers;
using ScratchNet.Tensors;

namespace ScratchNet.Training;

/// <summary>The loss became NaN or infinite: training stopped.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>Where a run stands after a step: for progress bars. In full-batch mode the run is one "epoch" of Iterations steps.</summary>
public sealed record StepProgress(int Epoch, int Epochs, int Step, int Steps, double Loss, double Accuracy, long Images, double Seconds);

/// <summary>The trained network and the record of its run.</summary>
public sealed record TrainingResult(Network Network, TrainingRecord Record, bool Cancelled);

/// <summary>Trains a network as its options say: full batch or mini-batches, evaluation, early stopping, checkpoints.</summary>
public sealed class Trainer
{
    private readonly TrainingOptions options;

    /// <summary>A trainer for <paramref name="options"/> (checked by the caller with TrainingOptions.Validate).</summary>
    public Trainer(TrainingOptions options)
    {
        options.Validate();
        this.options = options;
    }

    /// <summary>Called at every logged point (every LogEvery iterations, or every epoch).</summary>
    public Action<HistoryPoint>? OnLog { get; set; }

    /// <summary>Save a checkpoint every this many epochs (mini-batch) or iterations (full batch); 0: never.</summary>
    public int CheckpointEvery { get; set; }

    /// <summary>Receives the network and the trainer's state at every checkpoint.</summary>
    public Action<Network, TrainerState>? OnCheckpoint { get; set; }

    /// <summary>When set, training goes on from this checkpoint instead of starting afresh (--resume).</summary>
    public (Network Network, TrainerState State)? ResumeFrom { get; set; }

    /// <summary>Called after every step (every iteration, or every mini-batch), for progress bars.</summary>
    public Action<StepProgress>? OnStep { get; set; }

    /// <summary>When set, training starts from these parameters (same layer list) instead of fresh ones (--init-from).</summary>
    public Network? InitialParameters { get; set; }

    /// <summary>When set, receives <see cref="Explainer"/>'s account of the first step before training starts.</summary>
    public Action<IReadOnlyList<string>>? OnExplain { get; set; }

    /// <summary>The train/dev split: a seeded shuffle of <paramref name="all"/>, the first DevSize images held out.</summary>
    public static (Dataset Train, Dataset Dev) Split(Dataset all, TrainingOptions options, Rng rng)
    {
        int[] order = Enumerable.Range(0, all.Count).ToArray();
        rng.Shuffle(order);
        int dev = Math.Min(options.DevSize, all.Count - 1);
        int train = all.Count - dev;
        if (options.TrainLimit > 0)
        {
            train = Math.Min(train, options.TrainLimit);
        }
        return (all.Subset(order.AsSpan(dev, train), all.Source), all.Subset(order.AsSpan(0, dev), all.Source + " (dev)"));
    }

    /// <summary>Trains on <paramref name="trainingSet"/> (the dev set is held out of it) and evaluates on <paramref name="testSet"/> if given.</summary>
    public TrainingResult Train(Dataset trainingSet, Dataset? testSet, CancellationToken cancel = default)
    {
        options.ValidateFor(trainingSet.Count, trainingSet.Features, trainingSet.Classes);
        using Workers.ThreadScope threads = Workers.Use(options.Threads);
        firstLoss = double.NaN;
        var total = Stopwatch.StartNew();
        var rng = new Rng(options.Seed);
        var (train, dev) = Split(trainingSet, options, rng);
        bool fullBatch = options.BatchSize == 0;
        Limits.CheckActivations(options.ActivationSizes, fullBatch ? train.Count : options.BatchSize, fullBatch ? "full batch" : $"--batch-size {options.BatchSize}");
        Network network = options.CreateNetwork();
        network.Initialize(options.EffectiveInit, rng);
        if (InitialParameters is not null)
        {
            network.CopyParametersFrom(InitialParameters);
        }
        // The one road from the network to the code that runs it: the chooser's engine for the steps,
        // and one for the dev, train and test evaluations.
        EngineChoice choice = EngineChooser.Choose(network, fullBatch ? Workload.FullBatchTraining : Workload.MiniBatchTraining, options.Engine);
        ITrainingEngine engine = EngineChooser.CreateTraining(network, choice);
        evaluation = EngineChooser.CreateInference(network, EngineChooser.Choose(network, Workload.Inference, options.Engine));
        var record = new TrainingRecord
        {
            Settings = options, Data = trainingSet.Source, TrainSize = train.Count, DevSize = dev.Count,
            Engine = EngineChoice.Name(choice.Kind), EngineReason = choice.Reason,
        };
        IOptimizer optimizer = Optimizers.Optimizers.Create(options.Optimizer, options.Momentum, options.WeightDecay);
        best = null;
        bestAccuracy = double.NegativeInfinity;
        bestEpoch = 0;
        sinceBest = 0;
        secondsBefore = 0;
        int completed = 0;
        int[]? order = null;
        if (ResumeFrom is { } resume)
        {
            if (resume.State.Order is { } saved && saved.Length != train.Count)
            {
                throw new ArgumentException($"The checkpoint shuffled {saved.Length:N0} training images but this data set gives {train.Count:N0}; resume with the --data the checkpoint was made with.");
            }
            completed = Restore(resume.Network, resume.State, network, rng, optimizer, record);
            order = resume.State.Order;
        }

        bool cancelled = fullBatch
            ? TrainFullBatch(network, engine, optimizer, train, dev, record, rng, total, completed, cancel)
            : TrainMiniBatch(network, engine, optimizer, train, dev, record, rng, total, completed, order, cancel);

        if (best is not null)
        {
            // Early stopping keeps the model with the best dev accuracy.
            for (int i = 0; i < best.Length; i++)
            {
                best[i].CopyTo(network.Values[i].Value, 0);
            }
            record.BestEpoch = bestEpoch;
        }
        record.TrainSeconds = secondsBefore + total.Elapsed.TotalSeconds;
        record.TrainAccuracy = Evaluator.Evaluate(network, train, evaluation).Accuracy;
        record.DevAccuracy = DevAccuracy(network, dev);
        if (testSet is not null)
        {
            Evaluation test = Evaluator.Evaluate(network, testSet, evaluation);
            record.TestAccuracy = test.Accuracy;
            record.TestLoss = test.Loss;
        }
        record.Seconds = secondsBefore + total.Elapsed.TotalSeconds;
        return new TrainingResult(network, record, cancelled);
    }

    private bool TrainFullBatch(Network network, ITrainingEngine engine, IOptimizer optimizer, Dataset train, Dataset dev, TrainingRecord record, Rng rng, Stopwatch clock, int completed, CancellationToken cancel)
    {
        int m = train.Count;
        if (OnExplain is not null)
        {
            OnExplain(Explainer.Explain(network, train.ToMatrix(), train.Labels, options.Alpha));
        }
        for (int iteration = completed; iteration < options.Iterations; iteration++)
        {
            if (cancel.IsCancellationRequested)
            {
                return true;
            }
            bool log = iteration % options.LogEvery == 0;
            Evaluation? devEvaluation = log ? DevEvaluation(network, dev) : null;
            double? devAccuracy = devEvaluation?.Accuracy;
            if (devAccuracy is { } accuracy && ShouldStop(network, accuracy, iteration))
            {
                return false;
            }
            float alpha = Optimizers.Schedules.Rate(options.Schedule, options.Alpha, iteration, options.Iterations, options.StepSize, options.Gamma);
            // FP and BP over all m training images: every dW and db set (means over m)
            StepResult step = engine.Step(train);
            CheckFinite(step.Loss, iteration, network);
            double trainAccuracy = (double)step.Correct / m;
            if (log)
            {
                Log(record, new HistoryPoint(iteration, 0, step.Loss, trainAccuracy, devAccuracy, alpha, secondsBefore + clock.Elapsed.TotalSeconds) { DevLoss = devEvaluation?.Loss });
            }
            OnStep?.Invoke(new StepProgress(1, 1, iteration + 1, options.Iterations, step.Loss, trainAccuracy, (long)(iteration + 1) * m, secondsBefore + clock.Elapsed.TotalSeconds));
            // UP: W ← W − α·dW, b ← b − α·db
            optimizer.Step(network.Parameters, alpha);
            if (CheckpointEvery > 0 && (iteration + 1) % CheckpointEvery == 0 && iteration + 1 < options.Iterations)
            {
                OnCheckpoint?.Invoke(network, Capture(iteration + 1, network, rng, optimizer, record, null, clock));
            }
        }
        return false;
    }

    private bool TrainMiniBatch(Network network, ITrainingEngine engine, IOptimizer optimizer, Dataset train, Dataset dev, TrainingRecord record, Rng rng, Stopwatch clock, int completed, int[]? resumedOrder, CancellationToken cancel)
    {
        int B = options.BatchSize;
        int batches = (train.Count + B - 1) / B;
        int[] order = resumedOrder is { } o && o.Length == train.Count ? o : Enumerable.Range(0, train.Count).ToArray();
        int step = completed * batches; // updates so far (on resume, those of the completed epochs)
        float alpha = options.Alpha;
        if (OnExplain is not null && completed == 0)
        {
            int m = Math.Min(B, train.Count);
            var X = new Matrix(m, train.Features);
            var Y = new byte[m];
            train.FillBatch(order.AsSpan(0, m), X, Y);
            OnExplain(network.HasMaps ? Explainer.ExplainLayers(network, X, Y, options.Alpha) : Explainer.Explain(network, X, Y, options.Alpha));
        }
        // --augment: each mini-batch's images moved by their own seeded draw (Data/Augmenter) before the step.
        Augmenter? augmenter = options.Augment is null or "none" ? null : new Augmenter(options.Augment, options.Seed);
        int[] inOrder = [.. Enumerable.Range(0, B)];
        for (int epoch = completed + 1; epoch <= options.Epochs; epoch++)
        {
            rng.Shuffle(order);
            double lossSum = 0;
            long correct = 0;
            int seen = 0;
            for (int start = 0; start < train.Count; start += B)
            {
                if (cancel.IsCancellationRequested)
                {
                    return true;
                }
                int m = Math.Min(B, train.Count - start);
                // FP and BP over the m images of this mini-batch
                StepResult result = augmenter is null
                    ? engine.Step(train, order.AsSpan(start, m))
                    : engine.Step(augmenter.Batch(train, order.AsSpan(start, m), epoch, start), inOrder.AsSpan(0, m));
                CheckFinite(result.Loss, step, network);
                lossSum += result.Loss * m;
                correct += result.Correct;
                seen += m;
                alpha = Optimizers.Schedules.Rate(options.Schedule, options.Alpha, epoch - 1 + ((double)start / train.Count), options.Epochs, options.StepSize, options.Gamma);
                // UP: W ← W − α·dW, b ← b − α·db
                optimizer.Step(network.Parameters, alpha);
                step++;
                OnStep?.Invoke(new StepProgress(epoch, options.Epochs, (start / B) + 1, batches, lossSum / seen, (double)correct / seen, seen, secondsBefore + clock.Elapsed.TotalSeconds));
            }
            Evaluation? devEvaluation = DevEvaluation(network, dev);
            double? devAccuracy = devEvaluation?.Accuracy;
            Log(record, new HistoryPoint(step, epoch, lossSum / seen, (double)correct / seen, devAccuracy, alpha, secondsBefore + clock.Elapsed.TotalSeconds) { DevLoss = devEvaluation?.Loss });
            if (devAccuracy is { } accuracy && ShouldStop(network, accuracy, epoch))
            {
                return false;
            }
            if (CheckpointEvery > 0 && epoch % CheckpointEvery == 0 && epoch < options.Epochs)
            {
                OnCheckpoint?.Invoke(network, Capture(epoch, network, rng, optimizer, record, order, clock));
            }
        }
        return false;
    }

    private double secondsBefore;

    /// <summary>The trainer's state after <paramref name="completed"/> epochs or iterations.</summary>
    private TrainerState Capture(int completed, Network network, Rng rng, IOptimizer optimizer, TrainingRecord record, int[]? order, Stopwatch clock) => new()
    {
        Completed = completed,
        Rng = rng.GetState(),
        DropoutRng = [.. network.Layers.OfType<Dropout>().Select(d => d.Generator.GetState())],
        OptimizerSteps = optimizer.Steps,
        OptimizerState = optimizer.State(network.Parameters).ToDictionary(kv => kv.Key, kv => kv.Value),
        History = [.. record.History],
        Best = best,
        BestAccuracy = bestAccuracy,
        BestEpoch = bestEpoch,
        SinceBest = sinceBest,
        FirstLoss = firstLoss,
        Seconds = secondsBefore + clock.Elapsed.TotalSeconds,
        Order = order,
    };

    /// <summary>Puts a checkpoint's state back; returns the epochs or iterations it had completed.</summary>
    private int Restore(Network saved, TrainerState state, Network network, Rng rng, IOptimizer optimizer, TrainingRecord record)
    {
        network.CopyParametersFrom(saved);
        rng.SetState(state.Rng);
        var dropouts = network.Layers.OfType<Dropout>().ToList();
        if (dropouts.Count != state.DropoutRng.Length)
        {
            throw new InvalidDataException("The checkpoint's dropout layers do not match its network.");
        }
        for (int i = 0; i < dropouts.Count; i++)
        {
            dropouts[i].Generator.SetState(state.DropoutRng[i]);
        }
        optimizer.Steps = state.OptimizerSteps;
        foreach (var (name, arrays) in optimizer.State(network.Parameters))
        {
            if (!state.OptimizerState.TryGetValue(name, out float[][]? saved2))
            {
                throw new InvalidDataException($"The checkpoint has no '{name}' state for the {optimizer.Name} optimiser.");
            }
            for (int i = 0; i < arrays.Length; i++)
            {
                saved2[i].CopyTo(arrays[i], 0);
            }
        }
        record.History.AddRange(state.History);
        best = state.Best;
        bestAccuracy = state.BestAccuracy;
        bestEpoch = state.BestEpoch;
        sinceBest = state.SinceBest;
        firstLoss = state.FirstLoss;
        secondsBefore = state.Seconds;
        return state.Completed;
    }

    private float[][]? best;
    private double bestAccuracy;
    private int bestEpoch;
    private int sinceBest;

    /// <summary>Early stopping: remembers the best parameters; true once dev accuracy has not improved for Patience checks.</summary>
    private bool ShouldStop(Network network, double devAccuracy, int epoch)
    {
        if (options.Patience == 0)
        {
            return false;
        }
        if (devAccuracy > bestAccuracy)
        {
            bestAccuracy = devAccuracy;
            bestEpoch = epoch;
            sinceBest = 0;
            best ??= network.Values.Select(p => new float[p.Count]).ToArray();
            for (int i = 0; i < best.Length; i++)
            {
                network.Values[i].Value.CopyTo(best[i], 0);
            }
            return false;
        }
        return ++sinceBest >= options.Patience;
    }

    private void Log(TrainingRecord record, HistoryPoint point)
    {
        record.History.Add(point);
        OnLog?.Invoke(point);
    }

    private double? DevAccuracy(Network network, Dataset dev) => DevEvaluation(network, dev)?.Accuracy;

    private Evaluation? DevEvaluation(Network network, Dataset dev) =>
        dev.Count == 0 ? null : Evaluator.Evaluate(network, dev, evaluation!);

    private IInferenceEngine? evaluation;   // made in Train for the run's network

    private double firstLoss = double.NaN;

    /// <summary>
    /// Stops a diverging run: the loss is NaN or infinite, a parameter is, or the loss has grown to
    /// more than <see cref="ExplosionFactor"/> times its first value (a stable softmax keeps the loss
    /// finite even when the weights explode, so NaN alone would not catch it).
    /// </summary>
    private void CheckFinite(double loss, int step, Network network)
    {
        if (double.IsNaN(firstLoss))
        {
            firstLoss = loss;
        }
        string? problem = !double.IsFinite(loss) ? $"the loss became {loss}"
            : loss > ExplosionFactor * Math.Max(firstLoss, 1.0) ? $"the loss exploded from {firstLoss:0.####} to {loss:0.####}"
            : !Optimizers.Optimizers.AllFinite(network.Parameters) ? "a parameter became NaN or infinite"
            : null;
        if (problem is not null)
        {
            throw new TrainingDivergedException($"Training diverged: {problem} at step {step}. Try a smaller learning rate (now --alpha {options.Alpha}); nothing was saved.");
        }
    }

    /// <summary>How many times its first value the loss may grow before the run counts as diverged.</summary>
    public const double ExplosionFactor = 50;
}
