// The ONNX export checked by the real runtime: ONNX Runtime runs each exported file on the 10,000
// MNIST test images and must agree with ScratchNet — the same argmax for every image and every
// probability within 1e-5 — in batches of 1,000 and of 1.
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ScratchNet.Data;
using ScratchNet.Inference;
using ScratchNet.Layers;
using ScratchNet.Losses;
using ScratchNet.Onnx;
using ScratchNet.Serialization;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Serialization;

public sealed class OnnxExportTests
{
    private const float Tolerance = 1e-5f;

    public static TheoryData<string> Shipped => new(PretrainedModels.All.Select(m => m.Name));

    [Theory]
    [MemberData(nameof(Shipped))]
    public void A_shipped_model_gives_ONNX_Runtime_the_same_answers_on_every_test_image(string name)
    {
        Model model = PretrainedModels.Load(PretrainedModels.Get(name));
        Dataset test = TestData.MnistSets.Test;
        Matrix expected = Evaluator.Probabilities(model.Network, test);

        using var session = new InferenceSession(OnnxExporter.Serialize(model));
        Matrix actual = RunOnnx(session, model.Network, test, batch: 1000);
        AssertSame(expected, actual);
        Assert.Equal(model.Metadata["preset"], Metadata(session)["preset"]);
    }

    [Fact]
    public void Batches_of_one_give_the_same_probabilities_as_batches_of_a_thousand()
    {
        Model model = PretrainedModels.Load(PretrainedModels.Best);
        Dataset test = TestData.MnistSets.Test.Take(300);
        using var session = new InferenceSession(OnnxExporter.Serialize(model));
        AssertSame(Evaluator.Probabilities(model.Network, test), RunOnnx(session, model.Network, test, batch: 1));
    }

    [Theory]
    [InlineData("dense48,tanh,dense40,sigmoid,bn,dense32,leaky_relu,dropout0.5,dense24,relu,10", "cross_entropy")]
    [InlineData("dense10,relu,10", "cross_entropy")]   // the seed network's shape
    [InlineData("dense32,sigmoid,dense16,tanh,10", "mse")]
    [InlineData("conv4k5s2p2,bn,leaky_relu,conv6k3valid,relu,pool,flatten,dense20,tanh,dropout0.3,10", "cross_entropy")]
    [InlineData("conv5k3,bn,relu,pool,conv7k1,sigmoid,conv6k7s2,tanh,gap,bn,10", "cross_entropy")]
    [InlineData("conv3k3valid,pool,relu,dense12,bn,relu,10", "mse")]
    public void Every_layer_and_activation_exports_to_the_same_function(string layers, string loss)
    {
        Network network = Network.Create(Architecture.Parse(layers, 784), loss);
        Randomize(network, new Rng(7));
        var model = new Model(network, new Dictionary<string, string> { ["preset"] = "test" });
        Dataset test = TestData.MnistSets.Test.Take(1000);

        using var session = new InferenceSession(OnnxExporter.Serialize(model));
        AssertSame(Evaluator.Probabilities(network, test), RunOnnx(session, network, test, batch: 1000));
    }

    [Fact]
    public void The_graph_states_its_opset_input_output_batch_dimension_and_metadata()
    {
        Model model = PretrainedModels.Load(PretrainedModels.Get("mlp"));
        using var session = new InferenceSession(OnnxExporter.Serialize(model));
        NodeMetadata input = Assert.Single(session.InputMetadata).Value;
        Assert.Equal(OnnxExporter.InputName, session.InputMetadata.Keys.Single());
        Assert.Equal([-1, 784], input.Dimensions);
        Assert.Equal("N", input.SymbolicDimensions[0]);
        Assert.Equal(OnnxExporter.OutputName, session.OutputMetadata.Keys.Single());
        Assert.Equal([-1, 10], session.OutputMetadata.Values.Single().Dimensions);
        Dictionary<string, string> props = Metadata(session);
        Assert.Equal("mlp", props["preset"]);
        Assert.Equal(OnnxExporter.Version, props["scratchnet_version"]);
        Assert.Equal(model.Metadata["test_accuracy"], props["test_accuracy"]);
        Assert.Equal("ScratchNet", session.ModelMetadata.ProducerName);

        var proto = global::Onnx.ModelProto.Parser.ParseFrom(OnnxExporter.Serialize(model));
        Assert.Equal(OnnxExporter.Opset, proto.OpsetImport.Single().Version);
        Assert.Equal("Softmax", proto.Graph.Node[^1].OpType);
    }

    [Fact]
    public void A_convolutional_model_takes_images_as_N_by_1_by_28_by_28()
    {
        Model model = PretrainedModels.Load(PretrainedModels.Get("cnn-fast"));
        using var session = new InferenceSession(OnnxExporter.Serialize(model));
        Assert.Equal([-1, 1, 28, 28], session.InputMetadata.Values.Single().Dimensions);
    }

    [Fact]
    public void A_layer_ONNX_cannot_carry_is_refused_by_name_and_no_file_is_written()
    {
        var network = new Network([new Dense(784, 10), new Doubler(10)], new SoftmaxCrossEntropy());
        string dir = Directory.CreateTempSubdirectory("scratchnet-onnx-").FullName;
        try
        {
            string path = Path.Combine(dir, "m.onnx");
            var e = Assert.Throws<ArgumentException>(() => OnnxExporter.Save(path, new Model(network, new Dictionary<string, string>())));
            Assert.Contains("layer 1 ('double', Doubler) has no ONNX form", e.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_model_with_a_non_finite_weight_is_refused_and_the_old_file_is_kept()
    {
        Model good = PretrainedModels.Load(PretrainedModels.Get("seed-tuned"));
        Network network = Network.Create(good.Network.Layers.Select(l => l.Spec).ToList());
        network.CopyParametersFrom(good.Network);
        network.DenseLayers.Last().W.Value[5] = float.PositiveInfinity;
        string dir = Directory.CreateTempSubdirectory("scratchnet-onnx-").FullName;
        try
        {
            string path = Path.Combine(dir, "m.onnx");
            OnnxExporter.Save(path, good);
            byte[] before = File.ReadAllBytes(path);
            var e = Assert.Throws<ArgumentException>(() => OnnxExporter.Save(path, new Model(network, good.Metadata)));
            Assert.Contains("W[5] is Infinity", e.Message, StringComparison.Ordinal);
            Assert.Equal(before, File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Every weight, bias and batch-norm statistic set to a random value, so that no term is trivially zero or one.</summary>
    private static void Randomize(Network network, Rng rng)
    {
        foreach (ILayer layer in network.Layers)
        {
            foreach (Parameter p in layer.Parameters)
            {
                for (int i = 0; i < p.Count; i++)
                {
                    p.Value[i] = rng.NextFloat(-0.4f, 0.4f) + (p.Name == "gamma" ? 1f : 0f);
                }
            }
            foreach (Parameter p in layer.State)
            {
                for (int i = 0; i < p.Count; i++)
                {
                    p.Value[i] = p.Name == "running_var" ? rng.NextFloat(0.3f, 2f) : rng.NextFloat(-0.5f, 0.5f);
                }
            }
        }
    }

    private static Matrix RunOnnx(InferenceSession session, Network network, Dataset data, int batch)
    {
        int[] featureShape = network.Layers[0].Spec.Map is { } map ? [map.Channels, map.Height, map.Width] : [network.InputSize];
        var result = new Matrix(data.Count, network.OutputSize);
        for (int start = 0; start < data.Count; start += batch)
        {
            int n = Math.Min(batch, data.Count - start);
            var X = new Matrix(n, data.Features);
            data.FillBatch(start, n, X);
            var tensor = new DenseTensor<float>(X.Span.ToArray(), [n, .. featureShape]);
            using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> outputs =
                session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, tensor)]);
            Tensor<float> probabilities = outputs.Single(o => o.Name == OnnxExporter.OutputName).AsTensor<float>();
            Assert.Equal([n, network.OutputSize], probabilities.Dimensions.ToArray());
            probabilities.ToArray().CopyTo(result.Span.Slice(start * network.OutputSize, n * network.OutputSize));
        }
        return result;
    }

    private static void AssertSame(Matrix expected, Matrix actual)
    {
        Assert.Equal(expected.Rows, actual.Rows);
        for (int i = 0; i < expected.Rows; i++)
        {
            ReadOnlySpan<float> e = expected.Row(i), a = actual.Row(i);
            Assert.True(ArgMax.Of(e) == ArgMax.Of(a), $"image {i}: ScratchNet says {ArgMax.Of(e)}, ONNX Runtime {ArgMax.Of(a)}");
            for (int j = 0; j < e.Length; j++)
            {
                Assert.True(MathF.Abs(e[j] - a[j]) <= Tolerance, $"image {i}, class {j}: ScratchNet {e[j]}, ONNX Runtime {a[j]}");
            }
        }
    }

    private static Dictionary<string, string> Metadata(InferenceSession session) => session.ModelMetadata.CustomMetadataMap;

    /// <summary>A layer of a user's own making that ONNX export does not know.</summary>
    private sealed class Doubler(int size) : ILayer
    {
        public LayerSpec Spec => new("double", size, size);

        public IReadOnlyList<Parameter> Parameters => [];

        public Matrix Forward(Matrix input, bool training) => input;

        public Matrix? Backward(Matrix dOutput, bool computeInputGradient) => dOutput;
    }
}
