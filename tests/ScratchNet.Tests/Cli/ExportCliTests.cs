// `scratchnet export`, `scratchnet models`, and the shipped model that predict and serve use without --model.
using ScratchNet.Serialization;

namespace ScratchNet.Tests.Cli;

public class ExportCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliTests.Run(args);

    [Fact]
    public void Export_writes_an_ONNX_file_of_the_named_model_and_says_what_it_wrote()
    {
        string dir = TestData.TempDir();
        string model = Path.Combine(dir, "m.safetensors");
        File.Copy(PretrainedModels.PathOf(PretrainedModels.Get("seed-tuned")), model);
        string onnx = Path.Combine(dir, "out", "m.onnx");
        var (code, output, err) = Run("export", "--model", model, "--onnx", onnx);
        Assert.True(code == 0, err);
        Assert.Contains($"wrote {onnx}", output, StringComparison.Ordinal);
        Assert.Contains("784-10-10", output, StringComparison.Ordinal);
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        Assert.Equal(["Gemm", "Relu", "Gemm", "Softmax"], proto.Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void Export_without_a_model_uses_the_best_shipped_model_and_says_so()
    {
        string onnx = Path.Combine(TestData.TempDir(), "best.onnx");
        var (code, output, err) = Run("export", "--onnx", onnx);
        Assert.True(code == 0, err);
        Assert.Contains($"no --model given: using the shipped model {PretrainedModels.Best.Name}", output, StringComparison.Ordinal);
        Assert.True(new FileInfo(onnx).Length > 1000);
    }

    [Fact]
    public void Export_refuses_a_folder_a_bad_model_or_a_missing_onnx_option_in_one_line_and_writes_nothing()
    {
        string dir = TestData.TempDir();
        var (code, _, err) = Run("export", "--onnx", dir);
        Assert.Equal(2, code);
        Assert.Contains("is a folder", err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));

        string broken = Path.Combine(dir, "broken.safetensors");
        File.WriteAllBytes(broken, [1, 2, 3]);
        string onnx = Path.Combine(dir, "x.onnx");
        (code, _, err) = Run("export", "--model", broken, "--onnx", onnx);
        Assert.Equal(2, code);
        Assert.Contains("broken.safetensors", err, StringComparison.Ordinal);
        Assert.False(File.Exists(onnx));

        (code, _, err) = Run("export", "--model", broken);
        Assert.Equal(1, code);
        Assert.Contains("--onnx", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_without_a_model_uses_the_best_shipped_model_and_says_which()
    {
        var (code, output, err) = Run("predict", "--index", "0");
        Assert.True(code == 0, err);
        Assert.Contains($"using the shipped model {PretrainedModels.Best.Name}", output, StringComparison.Ordinal);
        Assert.Contains("pass --model PATH to use your own", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Models_lists_every_shipped_model_as_intact()
    {
        var (code, output, err) = Run("models");
        Assert.True(code == 0, err);
        foreach (PretrainedModel m in PretrainedModels.All)
        {
            Assert.Contains(m.Name, output, StringComparison.Ordinal);
            Assert.Contains(m.Command, output, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("BAD", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shipped_model_that_fails_its_checksum_is_refused_with_the_fix()
    {
        PretrainedModel mlp = PretrainedModels.Get("mlp");
        string copy = Path.Combine(TestData.TempDir(), "mlp.safetensors");
        byte[] bytes = File.ReadAllBytes(PretrainedModels.PathOf(mlp));
        bytes[^1] ^= 1;
        File.WriteAllBytes(copy, bytes);
        var e = Assert.Throws<InvalidDataException>(() => PretrainedModels.Load(mlp, copy));
        Assert.Contains("checksum mismatch", e.Message, StringComparison.Ordinal);
        Assert.Contains("restore it", e.Message, StringComparison.Ordinal);
        Assert.Equal(PretrainedModels.All.Max(m => m.TestAccuracy), PretrainedModels.Best.TestAccuracy);
    }
}
