// `scratchnet explain`: the notes' equations with this network's shapes and actual values for
// one step on the training set (a fresh seed network, or --model).
using System.CommandLine;
using ScratchNet.Data;
using ScratchNet.Engines;
using ScratchNet.Explaining;
using ScratchNet.Layers;
using ScratchNet.Serialization;
using ScratchNet.Tensors;
using ScratchNet.Training;

namespace ScratchNet.Cli.Commands;

internal static class ExplainCommand
{
    /// <summary>Examples in the step explained for a network with maps.</summary>
    private const int ExplainBatch = 64;

    public static Command Create()
    {
        var model = Common.ModelOption(required: false);
        model.Description = "Explain a step of this saved model (default: a fresh seed-preset network).";
        var seed = new Option<ulong>("--seed") { Description = "Seed of the fresh network and the dev split.", DefaultValueFactory = _ => Presets.Get("seed").Seed };
        var data = Common.DataOption();
        var engine = Common.EngineOption("Which engine full-batch training of this network would run on (the explanation itself is computed layer by layer)");
        var layers = new Option<string>("--layers") { Description = $"Explain a fresh network of this layer list instead, e.g. conv8k3,pool,bn,relu,dense64,relu,10 ({Architecture.Syntax}).", HelpName = "LAYERS" };
        var command = new Command("explain", "Print the forward pass, backward pass and update with this run's shapes and values.") { model, seed, data, engine, layers };
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            TrainingOptions options = Presets.Get("seed") with { Seed = parsed.GetValue(seed) };
            var rng = new Rng(options.Seed);
            var sets = DataSource.Load(parsed.GetValue(data));
            var (train, _) = Trainer.Split(sets.Train, options, rng);
            Network network;
            string? path = parsed.GetValue(model);
            string? list = parsed.GetValue(layers);
            if (list is not null && path is not null)
            {
                throw new ArgumentException("--layers and --model both name the network; give one.");
            }
            if (list is not null)
            {
                options = (Architecture.IsLayerList(list) ? options.WithArchitecture(list, train.Features) : options with { Layers = [.. list.Split(',').Select(t => int.TryParse(t, out int n) ? n : throw new ArgumentException($"--layers {list}: '{t}' is not a size or a layer."))] }) with { Init = null };
                options.ValidateFor(sets.Train.Count, sets.Train.Features, sets.Train.Classes);
            }
            if (path is null)
            {
                network = options.CreateNetwork();
                network.Initialize(options.EffectiveInit, rng);
                console.WriteLine($"A fresh {(list is null ? "seed " : "")}network ({network.Shape}, seed {options.Seed}), before its first update.");
            }
            else
            {
                Model loaded = ModelFile.Load(path);
                Common.CheckInput(loaded, train.Features, path);
                network = loaded.Network;
                console.WriteLine($"Model {path} ({network.Shape}).");
                // The step shown is the notes' plain gradient descent; say so when the model was trained otherwise.
                TrainingOptions? trained = null;
                try
                {
                    trained = loaded.Metadata.TryGetValue("settings", out string? json) ? System.Text.Json.JsonSerializer.Deserialize<TrainingOptions>(json, TrainingRecord.JsonOptions) : null;
                }
                catch (System.Text.Json.JsonException)
                {
                    trained = null;   // settings unreadable: explain with the notes' recipe
                }
                if (trained is not null && trained.Optimizer is { } optimizer)
                {
                    options = options with { Alpha = trained.Alpha };
                    if (optimizer != "sgd")
                    {
                        console.WriteLine($"It was trained with {optimizer} (α = {Common.Num(trained.Alpha, "0.######")}); the update below is the notes' plain gradient descent with that α, to show the equations.");
                    }
                }
            }
            console.WriteLine($"Engine for full-batch training here: {EngineChooser.Choose(network, Workload.FullBatchTraining, Common.Engine(parsed, engine))}.");
            // A network with maps is explained on a mini-batch (a full batch of maps is gigabytes of activations).
            Dataset shown = network.HasMaps ? train.Take(ExplainBatch) : train;
            Matrix X = shown.ToMatrix();
            IReadOnlyList<string> lines = network.HasMaps
                ? Explainer.ExplainLayers(network, X, shown.Labels, options.Alpha)
                : Explainer.Explain(network, X, shown.Labels, options.Alpha);
            foreach (string line in lines)
            {
                console.WriteLine(line);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
