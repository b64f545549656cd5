// Every reader against at least 10,000 seeded mutations of a small valid file: bit flips,
// truncation at every offset, huge or negative header sizes, garbage appended. Each must load
// or fail with the reader's own InvalidDataException — no other exception (the readers translate
// only the exceptions they expect, where they expect them, so a missing bounds check fails here)
// and no hang (a generous guard of seconds; per-input times are the fuzzing benchmark's business).
using System.Buffers.Binary;
using System.Diagnostics;
using ScratchNet.Data;
using ScratchNet.Layers;
using ScratchNet.Serialization;
using ScratchNet.Tensors;
using ScratchNet.Tests.Data;

namespace ScratchNet.Tests.Robustness;

public class MutationTests
{
    private const int Mutations = 10_000;

    /// <summary>Seeded mutants of <paramref name="valid"/>: every truncation, then random flips, splices and overwrites.</summary>
    internal static IEnumerable<byte[]> Mutants(byte[] valid, ulong seed, Func<Rng, byte[], byte[]>? special = null)
    {
        for (int length = 0; length < valid.Length; length++)
        {
            yield return valid[..length];
        }
        var rng = new Rng(seed);
        for (int i = 0; i < Mutations; i++)
        {
            byte[] m = (byte[])valid.Clone();
            switch (rng.NextInt(special is null ? 4 : 5))
            {
                case 0: // bit flips, mostly near the start where the headers are
                    for (int f = 1 + rng.NextInt(4); f > 0; f--)
                    {
                        int at = rng.NextInt(4) == 0 ? rng.NextInt(m.Length) : rng.NextInt(Math.Min(m.Length, 64));
                        m[at] ^= (byte)(1 << rng.NextInt(8));
                    }
                    break;
                case 1: // a random byte value somewhere
                    m[rng.NextInt(m.Length)] = (byte)rng.NextInt(256);
                    break;
                case 2: // cut, then garbage appended
                    m = [.. m[..rng.NextInt(m.Length)], .. Enumerable.Range(0, rng.NextInt(40)).Select(_ => (byte)rng.NextInt(256))];
                    break;
                case 3: // a 32-bit field overwritten with an extreme value
                    int field = rng.NextInt(Math.Max(1, Math.Min(m.Length, 64) - 4));
                    int[] extremes = [int.MaxValue, int.MinValue, -1, 0, 1 << 30, 65_536, 1_000_000];
                    BinaryPrimitives.WriteInt32BigEndian(m.AsSpan(field), extremes[rng.NextInt(extremes.Length)]);
                    break;
                default:
                    m = special!(rng, m);
                    break;
            }
            yield return m;
        }
    }

    /// <summary>No single input may take this long: a hang guard, not a speed claim (the machines are shared and noisy).</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(5);

    internal static (int Loaded, int Rejected) Sweep(IEnumerable<byte[]> inputs, Action<byte[]> read)
    {
        int loaded = 0, rejected = 0, index = 0;
        foreach (byte[] input in inputs)
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                read(input);
                loaded++;
            }
            catch (InvalidDataException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"input {index} ({input.Length} bytes: {Convert.ToHexString(input.AsSpan(0, Math.Min(48, input.Length)))}…) threw {e.GetType().Name}: {e.Message}");
            }
            TimeSpan took = Stopwatch.GetElapsedTime(start);
            Assert.True(took < HangGuard, $"input {index} took {took.TotalSeconds:0.0} s");
            index++;
        }
        Assert.True(loaded + rejected >= Mutations);
        return (loaded, rejected);
    }

    private static byte[] ValidImages() => IdxReaderTests.Images(6, 5, 5);

    [Fact]
    public void Idx_raw_reader_survives_10000_mutations()
    {
        var (loaded, rejected) = Sweep(Mutants(ValidImages(), 1), m => IdxReader.Read(new MemoryStream(m), "mutant", 3));
        Assert.True(rejected > 1000 && loaded > 0, $"{loaded} loaded, {rejected} rejected");
    }

    [Fact]
    public void Idx_gzip_reader_survives_10000_mutations_of_the_compressed_and_of_the_raw_bytes()
    {
        byte[] gz = IdxReaderTests.Gzip(ValidImages());
        Sweep(Mutants(gz, 2), m => IdxReader.Read(new MemoryStream(m), "mutant.gz", 3));
        Sweep(Mutants(ValidImages(), 3).Select(IdxReaderTests.Gzip), m => IdxReader.Read(new MemoryStream(m), "mutant.gz", 3));
    }

    [Fact]
    public void A_gzip_header_claiming_2_to_the_31_images_is_rejected_without_allocating_for_them()
    {
        byte[] raw = IdxReaderTests.Idx(3, [int.MaxValue / 784, 28, 28], new byte[784 * 3]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(new MemoryStream(IdxReaderTests.Gzip(raw)), "claims.gz", 3));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("truncated", ex.Message);
        Assert.True(allocated < 16 << 20, $"allocated {allocated:N0} bytes");
    }

    /// <summary>
    /// A well-formed file whose offsets agree with each other and with the data's length, but where one tensor
    /// holds a few floats more or fewer than its shape: only the per-tensor span check can refuse it.
    /// </summary>
    private static byte[] ResizedTensor(byte[] valid, Rng rng)
    {
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(valid);
        var header = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(valid.AsSpan(8, (int)headerLength))!;
        var tensors = header.Where(kv => kv.Key != "__metadata__").OrderBy(kv => (long)kv.Value!["data_offsets"]![0]!).ToList();
        int victim = rng.NextInt(tensors.Count);
        long delta = 4L * (rng.NextInt(2) == 0 ? -(1 + rng.NextInt(3)) : 1 + rng.NextInt(3));
        byte[] data = valid[(8 + (int)headerLength)..];
        long end = (long)tensors[victim].Value!["data_offsets"]![1]!;
        byte[] resized = delta < 0
            ? [.. data[..(int)(end + delta)], .. data[(int)end..]]
            : [.. data[..(int)end], .. new byte[delta], .. data[(int)end..]];
        for (int t = victim; t < tensors.Count; t++)
        {
            var offsets = tensors[t].Value!["data_offsets"]!.AsArray();
            long start = (long)offsets[0]!, stop = (long)offsets[1]!;
            offsets[0] = t == victim ? start : start + delta;
            offsets[1] = stop + delta;
        }
        byte[] json = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        var file = new byte[8 + json.Length + resized.Length];
        BinaryPrimitives.WriteInt64LittleEndian(file, json.Length);
        json.CopyTo(file, 8);
        resized.CopyTo(file, 8 + json.Length);
        return file;
    }

    [Fact]
    public void A_tensor_longer_or_shorter_than_its_shape_is_refused_even_when_every_offset_agrees()
    {
        var network = Network.CreateDense([8, 5, 3], "relu");
        byte[] valid = ModelFile.Serialize(network);
        var rng = new Rng(6);
        for (int i = 0; i < 200; i++)
        {
            var ex = Assert.Throws<InvalidDataException>(() => ModelFile.Deserialize(ResizedTensor(valid, rng), "resized.safetensors"));
            Assert.Contains("but its shape needs", ex.Message);
        }
    }

    [Fact]
    public void Model_reader_survives_10000_mutations()
    {
        var network = Network.CreateDense([8, 5, 3], "relu", dropout: 0.1f);
        network.Initialize(Initializer.He, new Rng(4));
        byte[] valid = ModelFile.Serialize(network, new Dictionary<string, string> { ["preset"] = "seed" });
        // Model-specific mutants: NaN weights, wrong dtypes, overlapping offsets.
        byte[] Special(Rng rng, byte[] m)
        {
            string text = System.Text.Encoding.Latin1.GetString(m);
            string[] swaps = [
                "\"F32\"|\"F16\"", "\"F32\"|\"I64\"", "[0,32]|[0,16]", "[0,32]|[8,40]", "\"relu\"|\"gelu\"",
                "\"1\"|\"2\"", "\"outputs\":5|\"outputs\":500000", "\"rate\":0.1|\"rate\":1.5", "\"inputs\":8|\"inputs\":-8",
            ];
            if (rng.NextInt(3) == 0)
            {
                return ResizedTensor(valid, rng);
            }
            string[] swap = swaps[rng.NextInt(swaps.Length)].Split('|');
            if (text.Contains(swap[0], StringComparison.Ordinal))
            {
                return System.Text.Encoding.Latin1.GetBytes(text.Replace(swap[0], swap[1], StringComparison.Ordinal));
            }
            BinaryPrimitives.WriteSingleLittleEndian(m.AsSpan(m.Length - 4 - (4 * rng.NextInt(10))), float.NaN);
            return m;
        }
        var (loaded, rejected) = Sweep(Mutants(valid, 5, Special), m => ModelFile.Deserialize(m, "mutant.safetensors"));
        Assert.True(rejected > 1000, $"{loaded} loaded, {rejected} rejected");
    }
    [Fact]
    public void A_convolutional_model_reader_survives_every_truncation_and_10000_mutations()
    {
        Network network = Network.Create(Architecture.Parse("conv4k3,bn,relu,pool,conv3k3s2valid,gap,10", 64));
        network.Initialize(Initializer.He, new Rng(5));
        byte[] valid = ModelFile.Serialize(network, new Dictionary<string, string> { ["preset"] = "cnn-fast" });
        Assert.NotNull(ModelFile.Deserialize(valid, "valid.safetensors"));
        // Map-layer mutants: sizes, kernels, strides, paddings, batch-norm settings and types swapped for
        // hostile ones inside the layer list (its quotes are escaped as \u0022 in the header), NaN values and
        // negative running variances. Every swap finds its text in the valid file (or the sweep would not test it).
        static string Field(string name, string value) => $"\\u0022{name}\\u0022:{value}";
        string[] hostile = [
            Field("filters", "4") + "|" + Field("filters", "4096"), Field("kernel", "3") + "|" + Field("kernel", "0"), Field("kernel", "3") + "|" + Field("kernel", "7"),
            Field("stride", "2") + "|" + Field("stride", "-2"), Field("padding", "1") + "|" + Field("padding", "9"), Field("channels", "1") + "|" + Field("channels", "-1"),
            Field("height", "8") + "|" + Field("height", "80000"), Field("width", "8") + "|" + Field("width", "0"), Field("epsilon", "1E-05") + "|" + Field("epsilon", "0"),
            Field("momentum", "0.1") + "|" + Field("momentum", "2"), "\\u0022conv\\u0022|\\u0022conv3d\\u0022", "\\u0022batchnorm\\u0022|\\u0022maxpool\\u0022",
            "\\u0022gap\\u0022|\\u0022flatten\\u0022", "\\u0022maxpool\\u0022|\\u0022gap\\u0022",
        ];
        string validText = System.Text.Encoding.Latin1.GetString(valid);
        Assert.All(hostile, swap => Assert.Contains(swap.Split('|')[0], validText));
        byte[] Special(Rng rng, byte[] m)
        {
            string text = System.Text.Encoding.Latin1.GetString(m);
            string[] swaps = hostile;
            if (rng.NextInt(4) == 0)
            {
                return ResizedTensor(valid, rng);
            }
            string[] swap = swaps[rng.NextInt(swaps.Length)].Split('|');
            if (rng.NextInt(2) == 0 && text.Contains(swap[0], StringComparison.Ordinal))
            {
                return System.Text.Encoding.Latin1.GetBytes(text.Replace(swap[0], swap[1], StringComparison.Ordinal));
            }
            BinaryPrimitives.WriteSingleLittleEndian(m.AsSpan(m.Length - 4 - (4 * rng.NextInt(10))), rng.NextInt(2) == 0 ? float.NaN : -1f);
            return m;
        }
        var (loaded, rejected) = Sweep(Mutants(valid, 8, Special), m => ModelFile.Deserialize(m, "mutant.safetensors"));
        Assert.True(rejected > 1000, $"{loaded} loaded, {rejected} rejected");
    }
}
