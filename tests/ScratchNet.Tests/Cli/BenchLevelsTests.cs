// `scratchnet bench --isa`: levels are checked before any work, and a level runs in a child process
// the runtime was told to narrow (its results name the vector level it ran at).
using System.Text.Json;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Cli;

public class BenchLevelsTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliTests.Run(args);

    [Theory]
    [InlineData("turbo")]
    [InlineData("native,sse9")]
    [InlineData("")]
    public void An_unknown_level_is_refused_in_one_line_before_any_work(string isa)
    {
        var (code, output, err) = Run("bench", "--isa", isa, "--quick");
        Assert.Equal(2, code);
        Assert.Contains("is not a level; use all or any of native, avx2, 128fma, 128, scalar", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("seed recipe", output);
    }

    [Fact]
    public void A_level_runs_in_a_child_process_narrowed_by_the_runtime_and_lands_in_one_table()
    {
        string json = Path.Combine(TestData.TempDir(), "levels.json");
        var (code, output, err) = Run("bench", "--isa", "native,128", "--quick", "--runs", "2", "--threads", "2", "--workloads", "seed,epoch,inference", "--json", json);
        Assert.True(code == 0, err);
        Assert.Contains("ran at", output);
        Assert.Contains("seed recipe", output);
        // Two rounds; in each, every workload at the levels in turn, the order rotating: native then 128, then 128 then native.
        string[][] started = [.. output.Split('\n').Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(t => t.Length > 1 && t[0] is "seed" or "epoch" or "inference" && t[1] is "native" or "128")];
        Assert.Equal(["seed", "seed", "epoch", "epoch", "inference", "inference", "seed", "seed", "epoch", "epoch", "inference", "inference"], started.Select(t => t[0]));
        Assert.Equal(["native", "128", "native", "128", "native", "128", "128", "native", "128", "native", "128", "native"], started.Select(t => t[1]));
        Assert.Contains("round 2 of 2", output);
        Assert.Contains("the median of each round's ratio to native", output);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(2, document.RootElement.GetProperty("rounds").GetInt32());
        JsonElement levels = document.RootElement.GetProperty("levels");
        Assert.Equal(2, levels.GetArrayLength());
        foreach (JsonElement level in levels.EnumerateArray())
        {
            Assert.Equal(2, level.GetProperty("rounds").GetArrayLength());
            // The merged value is the median of the rounds' (two: their mean), its range theirs.
            double[] times = level.GetProperty("rounds").EnumerateArray().Select(r => r[0].GetProperty("median").GetDouble()).ToArray();
            JsonElement merged = level.GetProperty("results")[0];
            Assert.Equal((times[0] + times[1]) / 2, merged.GetProperty("median").GetDouble(), 9);
            Assert.Equal(2, merged.GetProperty("runs").GetInt32());
        }
        // The seed recipe's ratio: the median of the two rounds' own ratios.
        double[] native = levels[0].GetProperty("rounds").EnumerateArray().Select(r => r[0].GetProperty("median").GetDouble()).ToArray();
        double[] narrow = levels[1].GetProperty("rounds").EnumerateArray().Select(r => r[0].GetProperty("median").GetDouble()).ToArray();
        JsonElement ratio = document.RootElement.GetProperty("ratios")[0].GetProperty("workloads")[0];
        Assert.Equal(((narrow[0] / native[0]) + (narrow[1] / native[1])) / 2, ratio.GetProperty("ratio").GetDouble(), 9);
        // "native" is the machine's own level: the child drops any knob this process was started with.
        bool narrowed = new[] { "EnableAVX512", "EnableAVX2", "EnableAVX", "EnableHWIntrinsic" }.Any(k => Environment.GetEnvironmentVariable("DOTNET_" + k) == "0")
            || Environment.GetEnvironmentVariable("DOTNET_PreferredVectorBitWidth") is not null;
        if (!narrowed)
        {
            Assert.Equal(Simd.Level, levels[0].GetProperty("vector_level").GetString());
        }
        if (Simd.Width > 128 && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            // The child was told DOTNET_EnableAVX=0: it ran with 128-bit vectors, and its seed run says so.
            Assert.StartsWith("SSE (128-bit vectors", levels[1].GetProperty("vector_level").GetString());
        }
        Assert.True(levels[1].GetProperty("results").GetArrayLength() >= 6);
    }

    [Fact]
    public void The_128fma_level_runs_128_bit_vectors_with_fused_multiply_adds_as_arm64_does()
    {
        string json = Path.Combine(TestData.TempDir(), "levels.json");
        var (code, output, err) = Run("bench", "--isa", "128fma", "--quick", "--runs", "1", "--workloads", "seed", "--json", json);
        Assert.True(code == 0, err);
        Assert.Contains("DOTNET_PreferredVectorBitWidth=128 · 128-bit vectors with FMA, as ARM64's NEON", output);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement level = document.RootElement.GetProperty("levels")[0];
        Assert.Equal("128", level.GetProperty("knob_value").GetString());
        if (Simd.Width > 128 && Simd.Fuses)
        {
            // Told to prefer 128-bit vectors, the child keeps the machine's fused multiply-add: ARM64's NEON shape.
            Assert.Matches(@"^(SSE|NEON) \(128-bit vectors, FMA\)$", level.GetProperty("vector_level").GetString());
        }
    }

    [Fact]
    public void A_level_whose_run_fails_stops_the_bench_with_that_runs_one_line_error()
    {
        string empty = TestData.TempDir();   // no data set in it: the child's own check refuses it
        var (code, output, err) = Run("bench", "--isa", "native,128", "--quick", "--runs", "1", "--data", empty);   // two levels: each runs in a child
        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.StartsWith("error: bench --isa native: the seed run at this level failed (exit 2): ", err);
        Assert.DoesNotContain("   at ", err);   // no stack trace
        Assert.DoesNotContain("seed recipe", output);
    }

    [Fact]
    public void A_forced_engine_runs_the_seed_network_and_leaves_the_cnn_to_the_engine_that_runs_it()
    {
        string engine = Simd.Has128 ? "packed" : "fused";   // packed runs wherever there are vectors
        var (code, output, err) = Run("bench", "--quick", "--runs", "1", "--engine", engine);
        Assert.True(code == 0, err);
        Assert.Contains($"engine {engine}", output);
        Assert.Contains("inference, cnn-fast network", output);
    }
}
