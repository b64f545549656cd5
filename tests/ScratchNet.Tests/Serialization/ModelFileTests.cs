// Model files: save → load gives identical parameters and predictions; atomic writes; every kind
// of broken file is rejected with a clear message.
using System.Buffers.Binary;
using System.Text;
using ScratchNet.Layers;
using ScratchNet.Serialization;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Serialization;

public class ModelFileTests
{
    private static Network Sample(string activation = "relu")
    {
        Network net = Network.CreateDense([784, 10, 10], activation);
        net.Initialize(Initializer.SeedUniform, new Rng(5));
        return net;
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    [InlineData("leaky_relu")]
    public void Save_then_load_gives_identical_parameters_and_predictions(string activation)
    {
        Network net = Sample(activation);
        string path = Path.Combine(TestData.TempDir(), "m.safetensors");
        ModelFile.Save(path, net, new Dictionary<string, string> { ["preset"] = "seed" });
        Model loaded = ModelFile.Load(path);
        Assert.Equal("seed", loaded.Metadata["preset"]);
        for (int i = 0; i < net.Parameters.Count; i++)
        {
            Assert.Equal(net.Parameters[i].Value, loaded.Network.Parameters[i].Value);
        }
        Matrix X = TestData.Random(20, 784, new Rng(1));
        float[] before = TestData.Predict(net, X).Span.ToArray();
        float[] after = TestData.Predict(loaded.Network, X).Span.ToArray();
        Assert.Equal(before, after);
        Assert.Equal(net.Layers.Select(l => l.Spec), loaded.Network.Layers.Select(l => l.Spec));
    }

    [Fact]
    public void The_file_is_valid_safetensors_with_aligned_data()
    {
        byte[] bytes = ModelFile.Serialize(Sample());
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        string json = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Contains("\"layers.0.W\":{\"dtype\":\"F32\",\"shape\":[10,784],\"data_offsets\":[0,31360]}", json);
        Assert.Equal(8 + (long)n + ((7840 + 10 + 100 + 10) * 4), bytes.Length);
    }

    [Fact]
    public void Saving_over_an_existing_file_replaces_it_whole_and_leaves_no_temporary_file()
    {
        string dir = TestData.TempDir();
        string path = Path.Combine(dir, "m.safetensors");
        ModelFile.Save(path, Sample());
        Network other = Sample("tanh");
        ModelFile.Save(path, other);
        Assert.Equal("tanh", ModelFile.Load(path).Network.Layers[1].Spec.Type);
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public void Every_truncation_is_rejected_with_a_clear_message()
    {
        byte[] bytes = ModelFile.Serialize(Sample());
        var rng = new Rng(9);
        var lengths = Enumerable.Range(0, 400).Concat(Enumerable.Range(0, 200).Select(_ => rng.NextInt(bytes.Length)));
        foreach (int length in lengths)
        {
            var ex = Assert.Throws<InvalidDataException>(() => ModelFile.Deserialize(bytes.AsSpan(0, length), "cut.safetensors"));
            Assert.StartsWith("cut.safetensors: not a valid model file", ex.Message);
        }
    }

    private static byte[] WithHeader(string json, int dataBytes)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private const string Meta = "\"__metadata__\":{\"format\":\"scratchnet\",\"format_version\":\"1\",\"layers\":\"[{\\\"type\\\":\\\"dense\\\",\\\"inputs\\\":2,\\\"outputs\\\":1}]\"}";

    [Theory]
    [InlineData("{" + Meta + ",\"layers.0.W\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},\"layers.0.b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 12, "overlaps")]
    [InlineData("{" + Meta + ",\"layers.0.W\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},\"layers.0.b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16, "gap")]
    [InlineData("{" + Meta + ",\"layers.0.W\":{\"dtype\":\"F16\",\"shape\":[1,2],\"data_offsets\":[0,4]},\"layers.0.b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "dtype")]
    [InlineData("{" + Meta + ",\"layers.0.W\":{\"dtype\":\"F32\",\"shape\":[2,1],\"data_offsets\":[0,8]},\"layers.0.b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "shape [2, 1]")]
    [InlineData("{" + Meta + ",\"layers.0.W\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,9223372036854775807]},\"layers.0.b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "spans")]
    [InlineData("{" + Meta + ",\"layers.0.W\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}}", 12, "'layers.0.b' is missing")]
    [InlineData("{" + Meta + ",\"layers.0.W\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},\"layers.0.b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},\"evil\":{}}", 12, "'evil' is not part")]
    [InlineData("{\"__metadata__\":{\"format\":\"scratchnet\",\"format_version\":\"99\"}}", 0, "unknown format version")]
    [InlineData("{\"__metadata__\":{\"format\":\"other\"}}", 0, "not a ScratchNet model")]
    [InlineData("[1,2,3]", 0, "not a JSON object")]
    [InlineData("{\"a\":", 0, "not valid JSON")]
    [InlineData("{" + Meta + ",\"layers.0.W\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},\"layers.0.b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 16, "data section has 16 bytes")]
    public void Inconsistent_headers_are_rejected(string json, int dataBytes, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => ModelFile.Deserialize(WithHeader(json, dataBytes), "bad.safetensors"));
        Assert.Contains(expected, ex.Message);
        Assert.StartsWith("bad.safetensors: not a valid model file", ex.Message);
    }

    [Fact]
    public void A_layer_list_that_claims_more_values_than_the_file_holds_is_refused_before_allocating()
    {
        // A 4096-filter 7×7 convolution over 4096 channels of 8×8: 822 M weights (3.3 GB) claimed by a few hundred bytes.
        const string layers = "[{\\\"type\\\":\\\"conv\\\",\\\"inputs\\\":262144,\\\"outputs\\\":262144,\\\"channels\\\":4096,\\\"height\\\":8,\\\"width\\\":8,\\\"filters\\\":4096,\\\"kernel\\\":7,\\\"stride\\\":1,\\\"padding\\\":3}]";
        string json = "{\"__metadata__\":{\"format\":\"scratchnet\",\"format_version\":\"1\",\"layers\":\"" + layers + "\"}}";
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var ex = Assert.Throws<InvalidDataException>(() => ModelFile.Deserialize(WithHeader(json, 16), "bomb.safetensors"));
        Assert.Contains("declares more values than the file's 16 bytes of data hold", ex.Message);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 10_000_000, "the loader allocated for the claimed layers");
    }

    [Fact]
    public void A_header_length_over_the_cap_is_rejected_before_reading_it()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        var ex = Assert.Throws<InvalidDataException>(() => ModelFile.Deserialize(bytes, "x"));
        Assert.Contains("over the", ex.Message);
    }

    [Fact]
    public void NaN_weights_are_rejected()
    {
        Network net = Sample();
        net.Parameters[0].Value[3] = float.NaN;
        var ex = Assert.Throws<InvalidDataException>(() => ModelFile.Deserialize(ModelFile.Serialize(net), "nan"));
        Assert.Contains("non-finite", ex.Message);
    }

    [Fact]
    public void Random_byte_corruption_never_escapes_as_another_exception()
    {
        byte[] good = ModelFile.Serialize(Sample());
        var rng = new Rng(21);
        for (int trial = 0; trial < 2000; trial++)
        {
            byte[] bad = (byte[])good.Clone();
            int flips = 1 + rng.NextInt(4);
            for (int f = 0; f < flips; f++)
            {
                // Mostly in the header, where corruption changes meaning.
                int at = rng.NextInt(10) < 8 ? rng.NextInt(Math.Min(bad.Length, 600)) : rng.NextInt(bad.Length);
                bad[at] ^= (byte)(1 << rng.NextInt(8));
            }
            try
            {
                ModelFile.Deserialize(bad, "mutant");
            }
            catch (InvalidDataException)
            {
            }
        }
    }

    [Fact]
    public void A_missing_model_file_says_how_to_make_one()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => ModelFile.Load("/nonexistent/model.safetensors"));
        Assert.Contains("scratchnet train", ex.Message);
    }
}
