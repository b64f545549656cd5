// The standard workloads of `scratchnet bench`, timed over several runs: (a) the seed recipe,
// (b) an epoch of 784-128-10 with mini-batches of 64 and plain SGD, (e) an epoch of the mlp preset,
// (c) inference throughput and single-image latency, (d) peak memory, (f) an epoch of the cnn-fast
// preset, (g) its network's inference throughput and single-image latency, (h) the cnn preset's
// network's training throughput over 10,000 images, and (p) the machine's multiply-add peak, against
// which (f) and (h) state how far their arithmetic is from the hardware. Every network runs on the
// engine the chooser picks (or the one given), as in training and prediction. A run can take a
// subset (Workloads; `bench --workloads cnn-fast,cnn`), e.g. to alternate with a peer in rounds.
// Returns numbers; printing is the caller's business.
using System.Diagnostics;
using ScratchNet.Data;
using ScratchNet.Engines;
using ScratchNet.Inference;
using ScratchNet.Layers;
using ScratchNet.Tensors;
using ScratchNet.Training;

namespace ScratchNet.Bench;

/// <summary>One measured quantity: the median of its runs, their range, and a unit.</summary>
public sealed record BenchmarkResult(string Workload, string Quantity, string Unit, double Median, double Min, double Max, int Runs, string Note);

public sealed class BenchmarkSuite(TrainTest data, int runs, int threads, bool quick, EngineKind engine = EngineKind.Auto)
{
    /// <summary>Seconds an inference measurement lasts at the least (it also makes 20 batch passes or 20,000 single predictions).</summary>
    private const double MinimumSeconds = 0.25;

    /// <summary>
    /// The workloads by name, in the order they run: seed (a), epoch (b: 784-128-10), mlp (e), cnn-fast (f),
    /// cnn (h), peak (p: also measured whenever cnn-fast or cnn runs, their yardstick), inference (c, the seed
    /// network) and cnn-inference (g).
    /// </summary>
    public static IReadOnlyList<string> WorkloadNames { get; } = ["seed", "epoch", "mlp", "cnn-fast", "cnn", "peak", "inference", "cnn-inference"];

    /// <summary>Parses a --workloads list: all, or names of <see cref="WorkloadNames"/> separated by commas.</summary>
    /// <exception cref="ArgumentException">An empty list or an unknown name; the message lists the names.</exception>
    public static IReadOnlySet<string> ParseWorkloads(string text)
    {
        string[] items = [.. text.Split(',', StringSplitOptions.TrimEntries)];
        if (items is ["all"])
        {
            return WorkloadNames.ToHashSet();
        }
        string? bad = items.FirstOrDefault(item => !WorkloadNames.Contains(item));
        if (bad is not null || items.Length == 0)
        {
            throw new ArgumentException($"--workloads {text}: {(bad is "" or null ? "an empty name" : $"'{bad}' is not a workload")}; use all, or any of {string.Join(", ", WorkloadNames)} separated by commas.");
        }
        return items.ToHashSet();
    }

    /// <summary>The workloads to run (<see cref="WorkloadNames"/>); all of them unless set.</summary>
    public IReadOnlySet<string> Workloads { get; init; } = WorkloadNames.ToHashSet();

    /// <summary>Called with each result as soon as it is measured.</summary>
    public Action<BenchmarkResult>? OnResult { get; set; }

    public List<BenchmarkResult> Run()
    {
        var results = new List<BenchmarkResult>();
        void Add(BenchmarkResult r)
        {
            results.Add(r);
            OnResult?.Invoke(r);
        }

        // (a) The seed recipe: 784-10-10, full batch over 59,000 images, 500 iterations.
        if (Workloads.Contains("seed"))
        {
            Seed();
        }
        // (b) 784-128-10 ReLU, mini-batches of 64, plain SGD α = 0.1, He init.
        if (Workloads.Contains("epoch"))
        {
            Epoch();
        }
        // (e) One epoch of the mlp preset: 784-512-256-10, ReLU, dropout, batch 128, Adam (the layer engine's dense products).
        if (Workloads.Contains("mlp"))
        {
            TrainingOptions mlpPreset = Presets.Get("mlp") with { Epochs = 1, Threads = threads, LogEvery = int.MaxValue, TrainLimit = quick ? 5000 : 0 };
            List<double> mlpTimes = TrainingSeconds(mlpPreset, runs);
            Add(Summarise($"mlp preset ({string.Join('-', mlpPreset.Layers)}, batch {mlpPreset.BatchSize}, {mlpPreset.Optimizer}): one epoch", "time per epoch", "s", mlpTimes, $"{ImagesOf(mlpPreset) / Median(mlpTimes):N0} images/s"));
        }

        // (f) One epoch of the cnn-fast preset: two convolutions with pooling and batch norm, batch 32, Adam.
        TrainingOptions cnnFast = Presets.Get("cnn-fast") with { Epochs = 1, Threads = threads, TrainLimit = quick ? 3000 : 0 };
        List<double> cnnTimes = Workloads.Contains("cnn-fast") ? TrainingSeconds(cnnFast, runs) : [];

        // (h) The cnn preset's network (three convolution stages, batch 64, Adam) over 10,000 training
        // images as given (the PyTorch peer's work: the preset's elastic moves left out), as images/s.
        TrainingOptions cnnPreset = Presets.Get("cnn") with { Epochs = 1, Threads = threads, TrainLimit = quick ? 1000 : 10_000, Augment = "none" };
        List<double> cnnPresetTimes = Workloads.Contains("cnn") ? TrainingSeconds(cnnPreset, Math.Min(runs, 2)) : [];

        // (p) The multiply-add peak, on one thread and on all the run's threads: the yardstick for (f) and (h).
        double peakAll = 0;
        if (Workloads.Contains("peak") || cnnTimes.Count > 0 || cnnPresetTimes.Count > 0)
        {
            double peakOne = Median([.. Enumerable.Range(0, 3).Select(_ => FmaPeak.Measure(1, TimeSpan.FromSeconds(quick ? 0.1 : 0.5)))]);
            List<double> peaks = [.. Enumerable.Range(0, 3).Select(_ => FmaPeak.Measure(threads, TimeSpan.FromSeconds(quick ? 0.1 : 0.5)))];
            peakAll = Median(peaks);
            Add(Summarise($"fused multiply-add peak ({Simd.Level}, {threads} threads)", "arithmetic rate", "GFLOPS", peaks, $"one thread {peakOne:0} GFLOPS"));
        }
        if (cnnTimes.Count > 0)
        {
            Add(Summarise($"cnn-fast preset ({cnnFast.Architecture}, batch {cnnFast.BatchSize}, {cnnFast.Optimizer}): one epoch", "time per epoch", "s", cnnTimes,
                $"{ImagesOf(cnnFast) / Median(cnnTimes):N0} images/s; {FromPeak(cnnFast, ImagesOf(cnnFast) / Median(cnnTimes))}"));
        }
        if (cnnPresetTimes.Count > 0)
        {
            Add(Summarise($"cnn preset ({cnnPreset.Architecture}, batch {cnnPreset.BatchSize}, {cnnPreset.Optimizer}, images as given): {cnnPreset.TrainLimit:N0} images", "training throughput", "images/s",
                [.. cnnPresetTimes.Select(t => ImagesOf(cnnPreset) / t)],
                $"{(data.Train.Count - cnnPreset.DevSize) / (ImagesOf(cnnPreset) / Median(cnnPresetTimes)):0} s per epoch; {FromPeak(cnnPreset, ImagesOf(cnnPreset) / Median(cnnPresetTimes))}"));
        }

        using Workers.ThreadScope scope = Workers.Use(threads);
        // (c) Inference with the seed network over the 10,000 test images, and one image at a time.
        if (Workloads.Contains("inference"))
        {
            Network network = Network.CreateDense([784, 10, 10], "relu");
            network.Initialize(Initializer.SeedUniform, new Rng(0));
            Inference(network, "seed network", engine);
        }
        // (g) The same with the cnn-fast network (which only the layer engine runs: --engine is for the seed network).
        if (Workloads.Contains("cnn-inference"))
        {
            Network cnn = cnnFast.CreateNetwork();
            cnn.Initialize(Initializer.He, new Rng(0));
            Inference(cnn, "cnn-fast network", EngineKind.Auto);
        }
        return results;

        // How far a training rate is from the hardware: the network's training arithmetic per image against the peak.
        string FromPeak(TrainingOptions options, double imagesPerSecond)
        {
            double flops = TrainingFlopsPerImage(options.CreateNetwork());
            double atPeak = peakAll * 1e9 / flops;
            return $"{flops / 1e6:0.0} MFLOP per training image; {atPeak:N0} images/s at the {peakAll:0}-GFLOPS peak: {atPeak / imagesPerSecond:0.0}× the arithmetic at peak";
        }

        void Seed()
        {
            TrainingOptions seed = Presets.Get("seed") with { Threads = threads, LogEvery = int.MaxValue, Iterations = quick ? 20 : 500, Engine = engine };
            var seedTimes = new List<double>();
            double seedAccuracy = 0, peak = 0;
            for (int r = 0; r < runs; r++)
            {
                TrainingResult result = new Trainer(seed).Train(data.Train, data.Test);
                seedTimes.Add(result.Record.TrainSeconds);
                seedAccuracy = result.Record.TestAccuracy ?? 0;
                if (r == 0)
                {
                    // The process so far: the runtime, the loaded data and one whole seed run (packing,
                    // training, the final evaluations). Later runs would only add freed buffers the
                    // runtime keeps mapped.
                    using var process = Process.GetCurrentProcess();
                    process.Refresh();
                    peak = process.PeakWorkingSet64 / (1024.0 * 1024.0);
                }
                GC.Collect(); // so that one run's buffers do not add to the next run's time
            }
            Add(Summarise("seed recipe (784-10-10, full batch, " + seed.Iterations + " iterations)", "training time", "s", seedTimes, $"test accuracy {100 * seedAccuracy:0.00} %, engine {EngineChoice.Name(seed.ChooseEngine().Kind)}"));
            Add(new BenchmarkResult("seed recipe", "peak memory (process, data loaded, one run)", "MB", peak, peak, peak, 1, "peak working set"));
        }

        void Epoch()
        {
            TrainingOptions mlp = new()
            {
                Preset = "bench-784-128-10", Layers = [784, 128, 10], Init = Initializer.He, Optimizer = "sgd", Alpha = 0.1f,
                BatchSize = 64, Epochs = 1, Threads = threads, Seed = 1, TrainLimit = quick ? 5000 : 0,
                Engine = engine == EngineKind.Auto ? EngineKind.Auto : EngineKind.Layers,   // mini-batches run on the layer engine
            };
            var epochTimes = new List<double>();
            new Trainer(mlp with { TrainLimit = 2000 }).Train(data.Train, null);   // untimed: compiles what the timed runs run (TrainingSeconds)
            for (int r = 0; r < runs; r++)
            {
                TrainingResult result = new Trainer(mlp).Train(data.Train, null);
                epochTimes.Add(result.Record.TrainSeconds);
            }
            int images = data.Train.Count - mlp.DevSize;
            if (mlp.TrainLimit > 0)
            {
                images = Math.Min(images, mlp.TrainLimit);
            }
            Add(Summarise("784-128-10, batch 64, SGD: one epoch", "time per epoch", "s", epochTimes, $"{images / Median(epochTimes):N0} images/s"));
            TrainingResult five = new Trainer(mlp with { Epochs = quick ? 1 : 5 }).Train(data.Train, data.Test);
            Add(new BenchmarkResult("784-128-10, batch 64, SGD", $"test accuracy after {(quick ? 1 : 5)} epochs", "%", 100 * (five.Record.TestAccuracy ?? 0), 100 * (five.Record.TestAccuracy ?? 0), 100 * (five.Record.TestAccuracy ?? 0), 1, ""));
        }

        void Inference(Network net, string name, EngineKind kind)
        {
            IInferenceEngine inference = EngineChooser.CreateInference(net, EngineChooser.Choose(net, Workload.Inference, kind));
            int count = data.Test.Count;
            var throughput = new List<double>();
            var probabilities = new Matrix(count, 10);
            inference.Predict(data.Test, probabilities);   // the engine's form of the images is made once, as training makes it once
            for (int r = 0; r < Math.Max(runs, 3); r++)
            {
                // At least 20 passes and a quarter of a second: a 12 ms measurement fell wholly inside one of the
                // development machines' seconds-long slow spells, or wholly outside (docs/benchmarks.md)
                var clock = Stopwatch.StartNew();
                int repeats = 0;
                do
                {
                    inference.Predict(data.Test, probabilities);
                    repeats++;
                }
                while (quick ? repeats < 2 : repeats < 20 || clock.Elapsed.TotalSeconds < MinimumSeconds);
                throughput.Add(repeats * count / clock.Elapsed.TotalSeconds);
            }
            Add(Summarise($"inference, {name}, batch of 10,000", "throughput", "images/s", throughput, $"engine {EngineChoice.Name(inference.Kind)}"));
            // One image as an application predicts it: bytes in, probabilities out (Predictor).
            byte[] image = data.Test.Image(0).ToArray();
            var predictor = new Predictor(net);
            var latency = new List<double>();
            for (int r = 0; r < Math.Max(runs, 3); r++)
            {
                var clock = Stopwatch.StartNew();
                int repeats = 0;
                do
                {
                    for (int k = 0; k < 200; k++)
                    {
                        predictor.Predict(image);
                    }
                    repeats += 200;
                }
                while (!quick && (repeats < 20_000 || clock.Elapsed.TotalSeconds < MinimumSeconds));
                latency.Add(clock.Elapsed.TotalMicroseconds / repeats);
            }
            Add(Summarise($"inference, {name}, one image", "latency", "µs", latency, ""));
        }
    }

    /// <summary>
    /// Floating-point operations to train on one image: the forward pass's multiply-adds (convolutions and dense layers),
    /// as many again for the weight gradients and for the input gradients (but the first layer's), two operations each.
    /// Pooling, normalisation, activations and the optimiser are left out: they are not multiply-adds.
    /// </summary>
    public static double TrainingFlopsPerImage(Network network)
    {
        double forward = 0, first = -1;
        foreach (ILayer layer in network.Layers)
        {
            double macs = layer switch
            {
                Conv2D conv => conv.Shape.MultiplyAdds,
                Dense dense => (double)dense.Inputs * dense.Outputs,
                _ => 0,
            };
            if (macs > 0 && first < 0)
            {
                first = macs;
            }
            forward += macs;
        }
        return 2 * ((3 * forward) - Math.Max(0, first));
    }

    /// <summary>
    /// The training seconds of <paramref name="count"/> runs of <paramref name="options"/>, after a short untimed run of
    /// the same recipe (2,000 images): the first run in a process also compiled the code it runs (tiered JIT; 12 % of an
    /// `mlp` epoch measured), which `bench --isa`'s one-run children would otherwise time.
    /// </summary>
    private List<double> TrainingSeconds(TrainingOptions options, int count)
    {
        new Trainer(options with { TrainLimit = Math.Min(2000, options.TrainLimit > 0 ? options.TrainLimit : 2000) }).Train(data.Train, null);
        return [.. Enumerable.Range(0, count).Select(_ => new Trainer(options).Train(data.Train, null).Record.TrainSeconds)];
    }

    /// <summary>The images one epoch of <paramref name="options"/> trains on.</summary>
    private int ImagesOf(TrainingOptions options) =>
        options.TrainLimit > 0 ? Math.Min(data.Train.Count - options.DevSize, options.TrainLimit) : data.Train.Count - options.DevSize;

    /// <summary>The middle value (the mean of the middle two for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    private static BenchmarkResult Summarise(string workload, string quantity, string unit, List<double> values, string note) =>
        new(workload, quantity, unit, Median(values), values.Min(), values.Max(), values.Count, note);
}
