// Trains a network: forward pass (FP), backward pass (BP), update (UP), repeated — full batch
// for a number of iterations, or mini-batches for a number of epochs. Reports progress through a
// callback and knows nothing of consoles. Leaves out: checkpoints and resuming.
using System.Diagnostics;
using ScratchNet.Data;
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

public sealed class Trainer
{
    private readonly TrainingOptions options;

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

    /// <summary>Whether full-batch training of a two-layer network on sparse input may use the fused path (tests compare both).</summary>
    public bool UseFusedPath { get; set; } = true;

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
        if (trainingSet.Features != options.Layers[0])
        {
            throw new ArgumentException($"The data has {trainingSet.Features} pixels per image but the network's input layer has {options.Layers[0]}; make the first of --layers {trainingSet.Features}.");
        }
        if (trainingSet.Count < 2)
        {
            throw new ArgumentException($"The training set has {trainingSet.Count} images; at least 2 are needed.");
        }
        Workers.Threads = options.Threads;
        firstLoss = double.NaN;
        var total = Stopwatch.StartNew();
        var rng = new Rng(options.Seed);
        var (train, dev) = Split(trainingSet, options, rng);
        Network network = Network.CreateDense(options.Layers, options.Activation, dropout: options.Dropout, loss: options.Loss);
        network.Initialize(options.EffectiveInit, rng);
        if (InitialParameters is not null)
        {
            network.CopyParametersFrom(InitialParameters);
        }
        var record = new TrainingRecord { Settings = options, Data = trainingSet.Source, TrainSize = train.Count, DevSize = dev.Count };
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
            completed = Restore(resume.Network, resume.State, network, rng, optimizer, record);
            order = resume.State.Order;
        }

        bool cancelled = options.BatchSize == 0 || options.BatchSize >= train.Count
            ? TrainFullBatch(network, optimizer, train, dev, record, rng, total, completed, cancel)
            : TrainMiniBatch(network, optimizer, train, dev, record, rng, total, completed, order, cancel);

        if (best is not null)
        {
            // Early stopping keeps the model with the best dev accuracy.
            for (int i = 0; i < best.Length; i++)
            {
                best[i].CopyTo(network.Parameters[i].Value, 0);
            }
            record.BestEpoch = bestEpoch;
        }
        record.TrainSeconds = secondsBefore + total.Elapsed.TotalSeconds;
        evaluation ??= new Evaluator.Workspace(network, train.Features);
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

    private bool TrainFullBatch(Network network, IOptimizer optimizer, Dataset train, Dataset dev, TrainingRecord record, Rng rng, Stopwatch clock, int completed, CancellationToken cancel)
    {
        byte[] Y = train.Labels;                // labels; Y is their one-hot form (10 × m)
        // The fastest path first: packed byte images through the two-layer step (AVX-512, ≤ 16 hidden units).
        PackedTwoLayerStep? packed = UseFusedPath ? PackedTwoLayerStep.TryCreate(network) : null;
        InputBuffer? X = packed is null ? InputBuffer.Whole(network, train) : null; // [m, 784]: the notes' X (784 × m), one row per image
        FusedTwoLayerStep? fused = X?.Sparse is not null && UseFusedPath ? FusedTwoLayerStep.TryCreate(network) : null;
        int rows = X is null || fused is not null ? 0 : X.Rows;
        var A = new Matrix(rows, network.OutputSize);   // A_L = softmax(Z_L)
        var dZ = new Matrix(rows, network.OutputSize);  // dZ_L = A_L − Y
        if (OnExplain is not null)
        {
            OnExplain(Explainer.Explain(network, train.ToMatrix(), Y, options.Alpha));
        }
        for (int iteration = completed; iteration < options.Iterations; iteration++)
        {
            if (cancel.IsCancellationRequested)
            {
                return true;
            }
            bool log = iteration % options.LogEvery == 0;
            double? devAccuracy = log ? DevAccuracy(network, dev) : null; // before FP: it reuses the layers' buffers
            if (devAccuracy is { } accuracy && ShouldStop(network, accuracy, iteration))
            {
                return false;
            }
            float lr = Optimizers.Schedules.Rate(options.Schedule, options.Alpha, iteration, options.Iterations, options.StepSize, options.Gamma);
            double loss, trainAccuracy;
            if (packed is not null || fused is not null)
            {
                // FP and BP fused per block of images (the same math, streamed through cache once).
                (loss, int correct) = packed is not null ? packed.Run(train.Packed, Y) : fused!.Run(X!.Sparse!, Y);
                trainAccuracy = (double)correct / Y.Length;
                CheckFinite(loss, iteration, network);
            }
            else
            {
                // FP: Z_l = W_l·A_(l−1) + b_l, A_l = g(Z_l), …, A_L = softmax(Z_L)
                Matrix Z = X!.Forward(network, training: true);
                loss = network.Loss.Forward(Z, Y, A);
                CheckFinite(loss, iteration, network);
                trainAccuracy = log || OnStep is not null ? Evaluator.Accuracy(A, Y) : 0;
                // BP: dZ_L = A_L − Y, dW_l = (1/m)·dZ_l·A_(l−1)ᵀ, db_l = (1/m)·Σ dZ_l, dZ_(l−1) = W_lᵀ·dZ_l ∘ g′(Z_(l−1))
                network.Loss.Backward(Z, A, Y, dZ);
                network.Backward(dZ);
            }
            if (log)
            {
                Log(record, new HistoryPoint(iteration, 0, loss, trainAccuracy, devAccuracy, lr, secondsBefore + clock.Elapsed.TotalSeconds));
            }
            OnStep?.Invoke(new StepProgress(1, 1, iteration + 1, options.Iterations, loss, trainAccuracy, (long)(iteration + 1) * Y.Length, secondsBefore + clock.Elapsed.TotalSeconds));
            // UP: W ← W − α·dW, b ← b − α·db
            optimizer.Step(network.Parameters, lr);
            if (CheckpointEvery > 0 && (iteration + 1) % CheckpointEvery == 0 && iteration + 1 < options.Iterations)
            {
                OnCheckpoint?.Invoke(network, Capture(iteration + 1, network, rng, optimizer, record, null, clock));
            }
        }
        return false;
    }

    private bool TrainMiniBatch(Network network, IOptimizer optimizer, Dataset train, Dataset dev, TrainingRecord record, Rng rng, Stopwatch clock, int completed, int[]? resumedOrder, CancellationToken cancel)
    {
        int B = options.BatchSize;
        int[] order = resumedOrder is { } o && o.Length == train.Count ? o : Enumerable.Range(0, train.Count).ToArray();
        var X = new InputBuffer(network, train.Features);
        byte[] Y = new byte[B];
        var A = new Matrix(B, network.OutputSize);
        var dZ = new Matrix(B, network.OutputSize);
        int step = completed * ((train.Count + B - 1) / B); // updates so far (on resume, those of the completed epochs)
        float lr = options.Alpha;
        if (OnExplain is not null && completed == 0)
        {
            int m = Math.Min(B, train.Count);
            var dense = new Matrix(m, train.Features);
            train.FillBatch(order.AsSpan(0, m), dense, Y);
            OnExplain(Explainer.Explain(network, dense, Y.AsSpan(0, m), options.Alpha));
        }
        for (int epoch = completed + 1; epoch <= options.Epochs; epoch++)
        {
            rng.Shuffle(order);
            double lossSum = 0, correct = 0;
            int seen = 0;
            for (int start = 0; start < train.Count; start += B)
            {
                if (cancel.IsCancellationRequested)
                {
                    return true;
                }
                int m = Math.Min(B, train.Count - start);
                Span<byte> labels = Y.AsSpan(0, m);
                X.Fill(train, order.AsSpan(start, m), labels);
                Matrix Z = X.Forward(network, training: true);
                A.Reshape(m, network.OutputSize);
                dZ.Reshape(m, network.OutputSize);
                double loss = network.Loss.Forward(Z, labels, A);
                CheckFinite(loss, step, network);
                lossSum += loss * m;
                correct += Evaluator.Accuracy(A, labels) * m;
                seen += m;
                network.Loss.Backward(Z, A, labels, dZ);
                network.Backward(dZ);
                lr = Optimizers.Schedules.Rate(options.Schedule, options.Alpha, epoch - 1 + ((double)start / train.Count), options.Epochs, options.StepSize, options.Gamma);
                optimizer.Step(network.Parameters, lr);
                step++;
                OnStep?.Invoke(new StepProgress(epoch, options.Epochs, (start / B) + 1, (train.Count + B - 1) / B, lossSum / seen, correct / seen, seen, secondsBefore + clock.Elapsed.TotalSeconds));
            }
            double? devAccuracy = DevAccuracy(network, dev);
            Log(record, new HistoryPoint(step, epoch, lossSum / seen, correct / seen, devAccuracy, lr, secondsBefore + clock.Elapsed.TotalSeconds));
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
            best ??= network.Parameters.Select(p => new float[p.Count]).ToArray();
            for (int i = 0; i < best.Length; i++)
            {
                network.Parameters[i].Value.CopyTo(best[i], 0);
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

    private double? DevAccuracy(Network network, Dataset dev)
    {
        if (dev.Count == 0)
        {
            return null;
        }
        evaluation ??= new Evaluator.Workspace(network, dev.Features);
        return Evaluator.Evaluate(network, dev, evaluation).Accuracy;
    }

    private Evaluator.Workspace? evaluation;

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
            : network.Parameters.Any(p => !float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(p.Value))) ? "a parameter became NaN or infinite"
            : null;
        if (problem is not null)
        {
            throw new TrainingDivergedException($"Training diverged: {problem} at step {step}. Try a smaller learning rate (now --alpha {options.Alpha}); nothing was saved.");
        }
    }

    /// <summary>How many times its first value the loss may grow before the run counts as diverged.</summary>
    public const double ExplosionFactor = 50;
}
