// The one chooser: what it picks for each network, workload and machine, what it refuses and why,
// that every user of a network goes through it, and that nothing else in the library decides a path.
using ScratchNet.Engines;
using ScratchNet.Inference;
using ScratchNet.Layers;
using ScratchNet.Tensors;
using ScratchNet.Training;

namespace ScratchNet.Tests.Engines;

public class EngineChooserTests
{
    private static Network Seed() => Network.CreateDense([784, 10, 10], "relu");

    private static EngineKind Fastest => Simd.Has256 ? EngineKind.Packed : EngineKind.Fused;   // packed from 256 bits up (it runs at 128 but fused is faster there)

    [Fact]
    public void Auto_picks_the_fastest_engine_this_machine_has_for_the_seed_network()
    {
        EngineChoice full = EngineChooser.Choose(Seed(), Workload.FullBatchTraining);
        Assert.Equal(Fastest, full.Kind);
        Assert.Equal(Fastest, EngineChooser.Choose(Seed(), Workload.Inference).Kind);
        Assert.False(string.IsNullOrWhiteSpace(full.Reason));
    }

    [Fact]
    public void Packed_can_be_forced_wherever_there_are_vectors()
    {
        if (Simd.Has128)
        {
            Assert.Equal(EngineKind.Packed, EngineChooser.Choose(Seed(), Workload.FullBatchTraining, EngineKind.Packed).Kind);
        }
        else
        {
            var ex = Assert.Throws<ArgumentException>(() => EngineChooser.Choose(Seed(), Workload.FullBatchTraining, EngineKind.Packed));
            Assert.Contains("vector hardware", ex.Message);
        }
        if (Simd.Width == 128)
        {
            Assert.Contains("fused engine is faster", EngineChooser.Choose(Seed(), Workload.FullBatchTraining).Reason);
        }
    }

    [Theory]
    [InlineData(Workload.MiniBatchTraining, "full batch")]
    [InlineData(Workload.OneImage, "one image at a time")]
    public void Mini_batches_and_single_images_run_on_the_layer_engine(Workload workload, string reason)
    {
        Assert.Equal(EngineKind.Layers, EngineChooser.Choose(Seed(), workload).Kind);
        var ex = Assert.Throws<ArgumentException>(() => EngineChooser.Choose(Seed(), workload, EngineKind.Packed));
        Assert.Contains(reason, ex.Message);
        Assert.Contains("--engine auto", ex.Message);
    }

    [Fact]
    public void Networks_of_other_shapes_run_on_the_layer_engine_and_refuse_the_specialised_ones()
    {
        Network deep = Network.CreateDense([784, 64, 32, 10], "relu");
        Network wide = Network.CreateDense([784, 128, 10], "relu");
        Network mse = Network.CreateDense([784, 10, 10], "relu", loss: "mse");
        foreach (Network network in new[] { deep, wide, mse })
        {
            EngineChoice choice = EngineChooser.Choose(network, Workload.FullBatchTraining);
            Assert.Equal(EngineKind.Layers, choice.Kind);
            Assert.Contains("softmax only", choice.Reason);
            Assert.Throws<ArgumentException>(() => EngineChooser.Choose(network, Workload.FullBatchTraining, EngineKind.Fused));
            Assert.Throws<ArgumentException>(() => EngineChooser.Choose(network, Workload.FullBatchTraining, EngineKind.Packed));
        }
        // 17..32 hidden units: too wide for packed, fine for fused.
        Network h32 = Network.CreateDense([784, 32, 10], "tanh");
        Assert.Equal(EngineKind.Fused, EngineChooser.Choose(h32, Workload.FullBatchTraining).Kind);
    }

    [Fact]
    public void Layers_can_always_be_forced_and_names_parse()
    {
        Assert.Equal(EngineKind.Layers, EngineChooser.Choose(Seed(), Workload.FullBatchTraining, EngineKind.Layers).Kind);
        Assert.Equal(["auto", "layers", "fused", "packed"], EngineChooser.Names);
        Assert.Equal(EngineKind.Packed, EngineChooser.Parse("packed"));
        Assert.Contains("use one of auto, layers, fused, packed", Assert.Throws<ArgumentException>(() => EngineChooser.Parse("turbo")).Message);
    }

    [Fact]
    public void A_forced_engine_that_cannot_run_is_refused_when_the_options_are_checked()
    {
        var options = Presets.Get("seed-tuned") with { Engine = EngineKind.Packed };
        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.StartsWith("--engine packed:", ex.Message);
    }

    [Fact]
    public void The_run_record_says_which_engine_ran_and_why()
    {
        var options = Presets.Get("seed") with { Iterations = 3, TrainLimit = 1000, DevSize = 100 };
        TrainingRecord auto = new Trainer(options).Train(TestData.MnistSets.Train, null).Record;
        Assert.Equal(EngineChoice.Name(Fastest), auto.Engine);
        Assert.False(string.IsNullOrWhiteSpace(auto.EngineReason));
        TrainingRecord layers = new Trainer(options with { Engine = EngineKind.Layers }).Train(TestData.MnistSets.Train, null).Record;
        Assert.Equal("layers", layers.Engine);
        Assert.Contains("\"engine\": \"layers\"", layers.ToJson());
    }

    [Fact]
    public void Evaluation_gives_the_same_answers_on_every_engine_this_machine_has()
    {
        Network network = Seed();
        network.Initialize(Initializer.He, new Rng(2));
        var test = TestData.MnistSets.Test.Take(2000);
        Evaluation reference = Evaluator.Evaluate(network, test, EngineKind.Layers);
        foreach (EngineKind kind in new[] { (EngineKind.Fused, true), (EngineKind.Packed, Simd.Has128) }.Where(e => e.Item2).Select(e => e.Item1))
        {
            Evaluation fast = Evaluator.Evaluate(network, test, kind);
            Assert.Equal(reference.Predictions, fast.Predictions);
            Assert.Equal(reference.Loss, fast.Loss, 4);
        }
    }

    /// <summary>The source folder of the library, found from the test's working folder upwards.</summary>
    private static string LibrarySource()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "src", "ScratchNet");
            if (Directory.Exists(Path.Combine(candidate, "Engines")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("src/ScratchNet not found above the test folder.");
    }

    [Fact]
    public void Only_the_chooser_decides_an_engine_and_only_Simd_asks_the_hardware()
    {
        string root = LibrarySource();
        foreach (string file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")))
        {
            string name = Path.GetRelativePath(root, file).Replace('\\', '/');
            string text = File.ReadAllText(file);
            if (name != "Tensors/Simd.cs")
            {
                Assert.DoesNotContain("IsHardwareAccelerated", text);
            }
            if (name != "Engines/EngineChooser.cs")
            {
                Assert.DoesNotContain("IsTwoLayerSoftmax(", text);
                Assert.DoesNotContain("new PackedEngine(", text);
                Assert.DoesNotContain("PackedEngine.Create(", text);
                Assert.DoesNotContain("new FusedEngine(", text);
            }
        }
    }
}
