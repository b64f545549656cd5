// Findings of the hostile-world review, each reproduced and now refused with a clear message:
// special files and folders given as files, an IDX header of 2³¹ − 1 bytes, layer sizes that overflow
// or need more memory than a step may take, a metrics file with null settings, a model the page cannot
// serve (wrong input size, non-finite alpha, weights that overflow to NaN).
using ScratchNet.Data;
using ScratchNet.Layers;
using ScratchNet.Serialization;
using ScratchNet.Tensors;
using ScratchNet.Tests.Data;
using ScratchNet.Training;
using ScratchNet.Web;

namespace ScratchNet.Tests.Robustness;

public class HostileInputTests
{
    public static TheoryData<string> Readers() => ["model", "idx", "csv", "image", "metrics"];

    private static void Read(string reader, string path)
    {
        switch (reader)
        {
            case "model": ModelFile.Load(path); break;
            case "idx": IdxReader.Read(path, 3); break;
            case "csv": CsvReader.Read(path); break;
            case "image": ScratchNet.Images.ImageInput.Load(path); break;
            default: TrainingRecord.Load(path); break;
        }
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void A_folder_given_as_a_file_is_named_as_a_folder(string reader)
    {
        string dir = TestData.TempDir();
        var ex = Assert.Throws<InvalidDataException>(() => Read(reader, dir));
        Assert.Contains("is a folder", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void A_device_is_refused_before_it_is_read(string reader)
    {
        // /dev/zero as a model grew to 4.1 GB and aborted; as a CSV it failed with .NET's words.
        var ex = Assert.Throws<InvalidDataException>(() => Read(reader, "/dev/zero"));
        Assert.Contains("not a regular file", ex.Message);
    }

    [Fact]
    public async Task A_named_pipe_is_refused_instead_of_blocking()
    {
        string fifo = Path.Combine(TestData.TempDir(), "pipe.png");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
            if (mkfifo.ExitCode != 0)
            {
                return;   // no mkfifo here
            }
        }
        // A hang guard: opening a pipe for reading blocks until a writer comes.
        InvalidDataException ex = await Task.Run(() => Assert.Throws<InvalidDataException>(() => ScratchNet.Images.ImageInput.Load(fifo))).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("not a regular file", ex.Message);
    }

    [Fact]
    public void An_idx_header_of_two_to_the_31_minus_one_bytes_is_refused_before_allocating()
    {
        // 2,147,483,647 × 1 × 1 passed the old limit (int.MaxValue) and aborted the process: .NET's largest array is smaller.
        byte[] raw = IdxReaderTests.Idx(3, [int.MaxValue, 1, 1], new byte[16]);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(new MemoryStream(raw), "huge", 3));
        Assert.Contains("the most one array holds", ex.Message);
    }

    [Fact]
    public void Layer_sizes_that_overflow_are_refused_when_the_options_are_checked()
    {
        var ex = Assert.Throws<ArgumentException>(() => (Presets.Get("seed") with { Layers = [784, 65536, 65536, 10] }).Validate());
        Assert.Contains("layer 2 has 65,536 × 65,536 = 4,294,967,296 weights", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => (Presets.Get("seed") with { Layers = [784, 30000, 30000, 10] }).Validate());
        Assert.Contains("parameters; a network here has at most 268,435,456", ex.Message);
    }

    [Fact]
    public void A_step_that_needs_more_activation_memory_than_allowed_is_refused_before_allocating()
    {
        var options = Presets.Get("seed") with { Layers = [784, 60000, 10], Init = null, Iterations = 1 };
        var ex = Assert.Throws<ArgumentException>(() => new Trainer(options).Train(TestData.MnistSets.Train, null));
        Assert.Contains("GiB of activations; at most 8 GiB. Use mini-batches", ex.Message);
    }

    [Fact]
    public void A_metrics_file_with_null_settings_is_refused_clearly()
    {
        string path = Path.Combine(TestData.TempDir(), "run.json");
        File.WriteAllText(path, "{\"settings\": null, \"history\": []}");
        var ex = Assert.Throws<InvalidDataException>(() => TrainingRecord.Load(path));
        Assert.Contains("has no settings or no history", ex.Message);
    }

    [Fact]
    public void The_page_refuses_a_model_it_cannot_serve_before_listening()
    {
        var narrow = new Model(Network.CreateDense([5, 3], "relu"), new Dictionary<string, string>());
        Assert.Contains("takes 5 inputs", Assert.Throws<InvalidDataException>(() => WebApp.CheckServable(narrow, "m")).Message);
        Network huge = Network.CreateDense([784, 10, 10], "relu");
        foreach (Parameter p in huge.Parameters)
        {
            Array.Fill(p.Value, 3e38f);
        }
        var overflowing = new Model(huge, new Dictionary<string, string>());
        Assert.Contains("not finite", Assert.Throws<InvalidDataException>(() => WebApp.CheckServable(overflowing, "m")).Message);
        Network fine = Network.CreateDense([784, 10, 10], "relu");
        fine.Initialize(Initializer.He, new Rng(1));
        WebApp.CheckServable(new Model(fine, new Dictionary<string, string>()), "m");
    }

    [Fact]
    public void A_model_file_with_an_infinite_alpha_is_refused()
    {
        Network network = Network.CreateDense([4, 3, 2], "leaky_relu", alpha: 0.01f);
        string text = System.Text.Encoding.Latin1.GetString(ModelFile.Serialize(network));
        const string finite = "alpha\\u0022:0.01", infinite = "alpha\\u0022:1e999";   // inside the layer list, a JSON string in the metadata
        Assert.Contains(finite, text);
        byte[] bytes = System.Text.Encoding.Latin1.GetBytes(text.Replace(finite, infinite, StringComparison.Ordinal));
        // "1e999" is one character longer than "0.01": the header length field grows by one.
        long headerLength = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(bytes);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes, headerLength + 1);
        var ex = Assert.Throws<InvalidDataException>(() => ModelFile.Deserialize(bytes, "alpha.safetensors"));
        Assert.Contains("non-finite alpha", ex.Message);
    }

    /// <summary>A checkpoint of a fresh 784-10-10 mini-batch run, with <paramref name="change"/> applied to its state first.</summary>
    private static string CraftedCheckpoint(Action<TrainerState> change, int orderLength = 100)
    {
        Network network = Network.CreateDense([784, 10, 10], "relu");
        var options = Presets.Get("seed") with { BatchSize = 10, Epochs = 4 };
        var state = new TrainerState
        {
            Completed = 1, Rng = [1, 2, 3, 4], Order = [.. Enumerable.Range(0, orderLength).Reverse()],
        };
        change(state);
        string path = Path.Combine(TestData.TempDir(), "crafted.checkpoint.safetensors");
        Checkpoint.Save(path, network, options, state);
        return path;
    }

    public static TheoryData<string> CraftedStates() => ["zero rng", "completed 2^31-1", "order all zero", "order out of range", "negative steps"];

    [Theory]
    [MemberData(nameof(CraftedStates))]
    public void A_crafted_checkpoint_is_refused_field_by_field(string craft)
    {
        // The report: order out of range crashed (IndexOutOfRange), completed 2³¹ − 1 never ended, a zero generator
        // state hung, an all-zero order trained on one image without a word.
        string path = CraftedCheckpoint(state =>
        {
            switch (craft)
            {
                case "zero rng": state.Rng = [0, 0, 0, 0]; break;
                case "completed 2^31-1": state.Completed = int.MaxValue; break;
                case "order all zero": state.Order = new int[100]; break;
                case "order out of range": state.Order![5] = 1_000_000; break;
                default: state.OptimizerSteps = -1; break;
            }
        });
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Contains("Start afresh without --resume", ex.Message);
    }

    [Fact]
    public void A_checkpoint_whose_order_does_not_fit_the_training_set_is_refused_on_resume()
    {
        var (network, options, state) = Checkpoint.Load(CraftedCheckpoint(_ => { }, orderLength: 100));
        var trainer = new Trainer(options with { TrainLimit = 500, DevSize = 50 }) { ResumeFrom = (network, state) };
        var ex = Assert.Throws<ArgumentException>(() => trainer.Train(TestData.MnistSets.Train, null));
        Assert.Contains("shuffled 100 training images but this data set gives 500", ex.Message);
    }
}
