// Everything that defines a training run. The defaults are the notes' recipe (the seed preset).
// Validate checks every setting and every combination before any work starts.
using System.Text.Json.Serialization;
using ScratchNet.Engines;
using ScratchNet.Layers;

namespace ScratchNet.Training;

/// <summary>Settings of one training run; the defaults are the seed preset.</summary>
public sealed record TrainingOptions
{
    /// <summary>Name of the preset these settings came from, if any.</summary>
    public string Preset { get; init; } = "seed";

    /// <summary>Layer sizes, input first: 784-10-10 for the seed network.</summary>
    public int[] Layers { get; init; } = [784, 10, 10];

    /// <summary>
    /// A layer list such as conv32k3,bn,relu,pool,dense128,relu,10 (Layers/Architecture), or null for the
    /// dense network of <see cref="Layers"/> and <see cref="Activation"/>. When set, Layers holds only the
    /// input and output sizes.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Architecture { get; init; }

    /// <summary>Hidden-layer activation: relu, tanh, sigmoid or leaky_relu.</summary>
    public string Activation { get; init; } = "relu";

    /// <summary>How W and b start; null: the activation's default (He for ReLU, Xavier for tanh and sigmoid).</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<Initializer>))]
    public Initializer? Init { get; init; } = Initializer.SeedUniform;

    /// <summary>The initialiser actually used.</summary>
    [JsonIgnore]
    public Initializer EffectiveInit => Init ?? Initializers.DefaultFor(Activation);

    /// <summary>Learning rate α (at the start of the schedule).</summary>
    public float Alpha { get; init; } = 0.10f;

    /// <summary>sgd, momentum, nesterov, adam or adamw.</summary>
    public string Optimizer { get; init; } = "sgd";

    /// <summary>μ for momentum and nesterov.</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>λ: L2 weight decay (decoupled for adamw).</summary>
    public float WeightDecay { get; init; }

    /// <summary>Learning-rate schedule: constant, step or cosine.</summary>
    public string Schedule { get; init; } = "constant";

    /// <summary>Epochs between decays of the step schedule.</summary>
    public int StepSize { get; init; } = 1;

    /// <summary>Decay factor γ of the step schedule.</summary>
    public float Gamma { get; init; } = 0.7f;

    /// <summary>Dropout rate p after each hidden activation (0: none).</summary>
    public float Dropout { get; init; }

    /// <summary>Data augmentation of the training images: none, affine (rotation, scaling, shift) or elastic (affine and an elastic distortion). Needs mini-batches.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Augment { get; init; }

    /// <summary>cross_entropy (softmax) or mse (sigmoid outputs, quadratic cost).</summary>
    public string Loss { get; init; } = "cross_entropy";

    /// <summary>Stop when dev accuracy has not improved for this many epochs, keeping the best model (0: off).</summary>
    public int Patience { get; init; }

    /// <summary>Full-batch gradient-descent iterations (used when BatchSize is 0).</summary>
    public int Iterations { get; init; } = 500;

    /// <summary>Examples per step; 0 means the whole training set (full batch).</summary>
    public int BatchSize { get; init; }

    /// <summary>Passes over the training set (used when BatchSize &gt; 0).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Training images held out as the dev (validation) set.</summary>
    public int DevSize { get; init; } = 1000;

    /// <summary>Seeds the split, the initial weights, the shuffles and dropout. The seed preset's 0 reaches 85.4 % (see the README for seeds 0–8).</summary>
    public ulong Seed { get; init; }

    /// <summary>Threads for the kernels (results do not depend on it).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Log every this many iterations in full-batch mode.</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>Use only this many training images (0: all); --dry-run sets it.</summary>
    public int TrainLimit { get; init; }

    /// <summary>The engine that runs the steps: auto (the chooser's pick) or a forced one (--engine).</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<EngineKind>))]
    public EngineKind Engine { get; init; } = EngineKind.Auto;

    /// <summary>Full batch (every step over the whole training set) or mini-batches.</summary>
    [JsonIgnore]
    public Workload Workload => BatchSize == 0 ? Workload.FullBatchTraining : Workload.MiniBatchTraining;

    /// <summary>The network these settings describe, before initialisation.</summary>
    public Network CreateNetwork() => Architecture is null
        ? Network.CreateDense(Layers, Activation, dropout: Dropout, loss: Loss)
        : Network.Create(LayerList(), Loss);

    /// <summary>The layers of <see cref="Architecture"/> for inputs of Layers[0] values (throws naming what does not parse).</summary>
    public IReadOnlyList<LayerSpec> LayerList() =>
        ScratchNet.Layers.Architecture.Parse(Architecture ?? throw new InvalidOperationException("No layer list is set."), Layers[0]);

    /// <summary>Settings for the layer list <paramref name="text"/> on inputs of <paramref name="features"/> values: Layers becomes [input, output].</summary>
    public TrainingOptions WithArchitecture(string text, int features = 784) =>
        this with { Architecture = text, Layers = [features, ScratchNet.Layers.Architecture.Parse(text, features)[^1].Outputs] };

    /// <summary>The network as people read it: 784-128-10, or the layer list.</summary>
    [JsonIgnore]
    public string ShapeText => Architecture ?? string.Join('-', Layers);

    /// <summary>Values per example after every layer, input first: what a step holds per image.</summary>
    [JsonIgnore]
    public IReadOnlyList<int> ActivationSizes => Architecture is null ? Layers : [Layers[0], .. LayerList().Select(s => s.Outputs)];

    /// <summary>
    /// Checks the settings against the data before any work: the input layer against the pixels, the
    /// output layer against the labels, the dev split and the batch size against the number of images.
    /// </summary>
    /// <exception cref="ArgumentException">A setting does not fit the data; the message names it and the fix.</exception>
    public void ValidateFor(int images, int features, int classes)
    {
        Validate();
        if (Layers[0] != features)
        {
            throw new ArgumentException($"The data has {features} pixels per image but the network's input layer has {Layers[0]}; make the first of --layers {features}.");
        }
        // Digits: labels 0-9 need 10 outputs even when a small set lacks some of them.
        int outputs = Layers[^1], needed = classes <= 10 && outputs == 10 ? 10 : classes;
        if (outputs != needed)
        {
            throw new ArgumentException($"The labels run 0–{classes - 1} ({classes} classes) but the output layer has {outputs} units; make the last of --layers {Math.Max(classes, 2)}.");
        }
        if (images < 2)
        {
            throw new ArgumentException($"The training set has {images} images; at least 2 are needed.");
        }
        if (DevSize > images / 2)
        {
            throw new ArgumentException($"--dev-size {DevSize}: holds out more than half of the {images:N0} training images; use at most {images / 2:N0}.");
        }
        int train = TrainLimit > 0 ? Math.Min(images - DevSize, TrainLimit) : images - DevSize;
        if (BatchSize > train)
        {
            throw new ArgumentException($"--batch-size {BatchSize}: more than the {train:N0} images left to train on; use 0 for full batch, or at most {train:N0}.");
        }
    }

    /// <summary>The engine that will run this run's steps, and why (throws when a forced one cannot).</summary>
    public EngineChoice ChooseEngine() => EngineChooser.Choose(CreateNetwork(), Workload, Engine);

    /// <summary>The settings of a quick check (--dry-run): 2,000 training images, at most 500 held out, 20 iterations or one epoch, a line every 5.</summary>
    public TrainingOptions DryRun() => this with
    {
        TrainLimit = 2000,
        DevSize = Math.Min(DevSize, 500),
        Iterations = Math.Min(Iterations, 20),
        Epochs = Math.Min(Epochs, 1),
        LogEvery = Math.Min(LogEvery, 5),
    };

    /// <summary>Test images a dry run evaluates on.</summary>
    public const int DryRunTestImages = 1000;

    /// <summary>Throws ArgumentException naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Layers.Length < 2 || Layers.Any(s => s < 1 || s > Limits.MaxUnits))
        {
            throw new ArgumentException($"--layers {string.Join(',', Layers)}: give at least two sizes, each 1..{Limits.MaxUnits}, e.g. 784,10,10.");
        }
        if (Architecture is not null)
        {
            IReadOnlyList<LayerSpec> specs = LayerList();
            if (Layers.Length != 2 || Layers[1] != specs[^1].Outputs)
            {
                throw new ArgumentException($"--layers {Architecture}: gives {specs[^1].Outputs} outputs, but the settings say {Layers[^1]}.");
            }
            if (Dropout > 0)
            {
                throw new ArgumentException($"--dropout {Dropout} with a layer list: put dropout where you want it in --layers, e.g. dense128,relu,dropout{Dropout.ToString(System.Globalization.CultureInfo.InvariantCulture)},10.");
            }
            Limits.CheckParameters(Architecture, specs.Sum(ScratchNet.Layers.Architecture.ParameterCount));
        }
        else
        {
            Limits.CheckLayers(Layers);
        }
        if (Augment is not null && !ScratchNet.Data.Augmenter.Names.Contains(Augment))
        {
            throw new ArgumentException($"--augment {Augment}: use one of {string.Join(", ", ScratchNet.Data.Augmenter.Names)}.");
        }
        if (Augment is "affine" or "elastic" && BatchSize == 0)
        {
            throw new ArgumentException($"--augment {Augment} moves the images of each mini-batch; give --batch-size (e.g. 64), or leave --augment out for full-batch training.");
        }
        if (!ScratchNet.Layers.Activation.Names.Contains(Activation))
        {
            throw new ArgumentException($"--activation {Activation}: use one of {string.Join(", ", ScratchNet.Layers.Activation.Names)}.");
        }
        if (!float.IsFinite(Alpha) || Alpha <= 0 || Alpha > 1000)
        {
            throw new ArgumentException($"--alpha {Alpha}: the learning rate must be a number in (0, 1000], e.g. 0.1.");
        }
        if (Iterations < 0 || (BatchSize == 0 && Iterations == 0))
        {
            throw new ArgumentException($"--iterations {Iterations}: full-batch training needs at least 1 iteration.");
        }
        if (BatchSize < 0)
        {
            throw new ArgumentException($"--batch-size {BatchSize}: must be 0 (full batch) or more.");
        }
        if (Epochs < 0 || (BatchSize > 0 && Epochs == 0))
        {
            throw new ArgumentException($"--epochs {Epochs}: training with mini-batches needs at least 1 epoch.");
        }
        if (DevSize < 0)
        {
            throw new ArgumentException($"--dev-size {DevSize}: must be 0 or more.");
        }
        Limits.CheckThreads(Threads);
        if (!ScratchNet.Optimizers.Optimizers.Names.Contains(Optimizer))
        {
            throw new ArgumentException($"--optimizer {Optimizer}: use one of {string.Join(", ", ScratchNet.Optimizers.Optimizers.Names)}.");
        }
        if (!ScratchNet.Optimizers.Schedules.Names.Contains(Schedule))
        {
            throw new ArgumentException($"--schedule {Schedule}: use one of {string.Join(", ", ScratchNet.Optimizers.Schedules.Names)}.");
        }
        if (!Losses.LossFunctions.Names.Contains(Loss))
        {
            throw new ArgumentException($"--loss {Loss}: use one of {string.Join(", ", Losses.LossFunctions.Names)}.");
        }
        if (!(Momentum >= 0f && Momentum < 1f))
        {
            throw new ArgumentException($"--momentum {Momentum}: must be in [0, 1).");
        }
        if (!(WeightDecay >= 0f && WeightDecay < 1f))
        {
            throw new ArgumentException($"--weight-decay {WeightDecay}: must be in [0, 1).");
        }
        if (!(Dropout >= 0f && Dropout < 1f))
        {
            throw new ArgumentException($"--dropout {Dropout}: must be in [0, 1).");
        }
        if (!(Gamma > 0f && Gamma <= 1f) || StepSize < 1)
        {
            throw new ArgumentException($"--gamma {Gamma} / --step-size {StepSize}: γ must be in (0, 1] and the step size at least 1.");
        }
        if (Patience < 0)
        {
            throw new ArgumentException($"--patience {Patience}: must be 0 (off) or more.");
        }
        if (LogEvery < 1)
        {
            throw new ArgumentException($"--log-interval {LogEvery}: must be at least 1.");
        }
        if (!Enum.IsDefined(Engine))
        {
            throw new ArgumentException($"--engine {Engine}: use one of {string.Join(", ", EngineChooser.Names)}.");
        }
        // A forced engine must be able to run this network and workload here (throws with the reason).
        ChooseEngine();
    }
}
