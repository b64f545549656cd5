// `scratchnet bench --workloads`: a subset of the standard workloads, checked before any work, and
// passed on to the children of --isa (conv_rounds.sh alternates such subsets with PyTorch's).
using System.Text.Json;

namespace ScratchNet.Tests.Cli;

public class BenchWorkloadsTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliTests.Run(args);

    [Theory]
    [InlineData("cnn-fast,resnet", "'resnet' is not a workload")]
    [InlineData("", "an empty name")]
    [InlineData("seed,,cnn", "an empty name")]
    public void An_unknown_workload_is_refused_in_one_line_before_any_work(string list, string why)
    {
        var (code, output, err) = Run("bench", "--workloads", list, "--quick");
        Assert.Equal(2, code);
        Assert.Contains(why, err);
        Assert.Contains("use all, or any of seed, epoch, mlp, cnn-fast, cnn, peak, inference, cnn-inference", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Equal("", output);
    }

    [Fact]
    public void Only_the_workloads_named_run_and_land_in_the_json()
    {
        string json = Path.Combine(TestData.TempDir(), "subset.json");
        var (code, output, err) = Run("bench", "--quick", "--runs", "1", "--workloads", "peak,inference", "--json", json);
        Assert.True(code == 0, err);
        Assert.Contains("fused multiply-add peak", output);
        Assert.Contains("inference, seed network, batch", output);
        Assert.DoesNotContain("seed recipe", output);
        Assert.DoesNotContain("cnn-fast", output);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(json));
        string[] workloads = [.. document.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("workload").GetString()!)];
        Assert.Equal(3, workloads.Length);
        Assert.StartsWith("fused multiply-add peak", workloads[0]);
        Assert.All(workloads[1..], w => Assert.StartsWith("inference, seed network", w));
    }

    [Fact]
    public void The_children_of_isa_run_the_same_subset()
    {
        var (code, output, err) = Run("bench", "--isa", "native,128", "--quick", "--runs", "1", "--workloads", "peak");
        Assert.True(code == 0, err);
        Assert.Contains("fused multiply-add peak", output);
        Assert.DoesNotContain("seed recipe", output);
        Assert.DoesNotContain("inference", output);
    }
}
