// What ScratchNet.Alternate loads each build into, and the workload it runs there.
using System.Reflection;
using System.Runtime.Loader;
using ScratchNet.Data;
using ScratchNet.Layers;
using ScratchNet.Training;

namespace ScratchNet.Alternate;

/// <summary>Resolves ScratchNet (and what sits beside it) from one build's folder.</summary>
internal sealed class BuildContext(string dir) : AssemblyLoadContext(isCollectible: false)
{
    protected override Assembly? Load(AssemblyName name)
    {
        string path = Path.Combine(dir, name.Name + ".dll");
        return name.Name != typeof(BuildContext).Assembly.GetName().Name && File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}

/// <summary>The workload, run inside a build's context.</summary>
public static class Workload
{
    private static Dataset? train;

    /// <summary>Seconds of training of one epoch of <paramref name="workload"/> on this context's build.</summary>
    public static double Seconds(string workload, int threads)
    {
        train ??= MnistData.LoadShipped().Train;
        TrainingOptions options = workload == "epoch"
            ? new TrainingOptions
            {
                Preset = "bench-784-128-10", Layers = [784, 128, 10], Init = Initializer.He, Optimizer = "sgd", Alpha = 0.1f,
                BatchSize = 64, Epochs = 1, Threads = threads, Seed = 1,
            }
            : Presets.Get(workload) with { Epochs = 1, Threads = threads, LogEvery = int.MaxValue };
        return new Trainer(options).Train(train, null).Record.TrainSeconds;
    }
}
