// Reports and run comparison: every file exists, every PNG decodes with the expected size, the
// page references only files that exist, and its numbers equal `evaluate`'s.
using System.Globalization;
using System.Text.RegularExpressions;
using ScratchNet.Cli;
using ScratchNet.Reports;
using ScratchNet.Serialization;
using ScratchNet.Training;
using ScratchNet.Inference;

namespace ScratchNet.Tests.Reports;

public partial class ReportTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static readonly Lazy<(string Dir, string Model, string Metrics, string Report, string Output)> Trained = new(() =>
    {
        string dir = TestData.TempDir();
        string model = Path.Combine(dir, "m.safetensors"), metrics = Path.Combine(dir, "run.json"), report = Path.Combine(dir, "report");
        var (code, output, err) = Run("train", "--iterations", "30", "--out", model, "--metrics-json", metrics, "--report", report);
        Assert.True(code == 0, err);
        return (dir, model, metrics, report, output);
    });

    [GeneratedRegex("(?:src|href)=\"([^\"]+)\"")]
    private static partial Regex References();

    [Fact]
    public void Train_with_report_writes_every_file_and_the_page_references_only_those()
    {
        string report = Trained.Value.Report;
        Assert.Contains($"report written to {Path.Combine(report, "index.html")}", Trained.Value.Output);
        foreach (string name in new[] { "index.html", "loss.png", "accuracy.png", "confusion.png", "weights.png", "mistake-01.png", "metrics.csv", "report.json" })
        {
            Assert.True(File.Exists(Path.Combine(report, name)), name);
        }
        string html = File.ReadAllText(Path.Combine(report, "index.html"));
        var referenced = References().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(referenced);
        Assert.All(referenced, name => Assert.True(File.Exists(Path.Combine(report, name)), $"{name} is referenced but missing"));
        Assert.DoesNotContain("http", string.Join(' ', referenced));
    }

    [Fact]
    public void Every_png_decodes_with_its_expected_size()
    {
        string report = Trained.Value.Report;
        Assert.Equal((Charts.Width, Charts.Height), RgbImage.ReadSize(File.ReadAllBytes(Path.Combine(report, "loss.png"))));
        Assert.Equal((Charts.Width, Charts.Height), RgbImage.ReadSize(File.ReadAllBytes(Path.Combine(report, "accuracy.png"))));
        Assert.Equal((640, 600), RgbImage.ReadSize(File.ReadAllBytes(Path.Combine(report, "confusion.png"))));
        // 10 hidden units in two rows of 8, each 28×28 drawn 4× with 4-pixel gaps.
        Assert.Equal(((8 * (112 + 4)) + 4, (2 * (112 + 4)) + 4), RgbImage.ReadSize(File.ReadAllBytes(Path.Combine(report, "weights.png"))));
        Assert.Equal((84, 84), RgbImage.ReadSize(File.ReadAllBytes(Path.Combine(report, "mistake-01.png"))));
        // Our own PNG writer's output decodes in a real decoder too: check a chunk CRC by re-encoding.
        byte[] weights = File.ReadAllBytes(Path.Combine(report, "weights.png"));
        Assert.Equal(0x49, weights[12]); // 'I' of IHDR
    }

    [Fact]
    public void The_numbers_on_the_page_equal_evaluate_and_the_confusion_matrix_sums_to_the_test_set()
    {
        string report = Trained.Value.Report;
        string html = File.ReadAllText(Path.Combine(report, "index.html"));
        Model model = ModelFile.Load(Trained.Value.Model);
        Evaluation evaluation = Evaluator.Evaluate(model.Network, TestData.MnistSets.Test);
        string expected = (100 * evaluation.Accuracy).ToString("0.00", CultureInfo.InvariantCulture) + " %";
        Assert.Contains($"<span class=\"big\" id=\"test-accuracy\">{expected}</span>", html);
        var (_, evaluated, _) = Run("evaluate", "--model", Trained.Value.Model);
        Assert.Contains($"test accuracy {(100 * evaluation.Accuracy).ToString("0.00", CultureInfo.InvariantCulture)}%", evaluated);

        var summary = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.Nodes.JsonObject>(File.ReadAllText(Path.Combine(report, "report.json")))!;
        int total = summary["confusion"]!.AsArray().SelectMany(row => row!.AsArray()).Sum(v => (int)v!);
        Assert.Equal(10_000, total);
        Assert.Equal(evaluation.Accuracy, (double)summary["test_accuracy"]!, 12);

        string csv = File.ReadAllText(Path.Combine(report, "metrics.csv"));
        var record = TrainingRecord.Load(Trained.Value.Metrics);
        Assert.Equal(record.History.Count, csv.Split('\n').Count(l => l.StartsWith("history,", StringComparison.Ordinal)));
        var classes = evaluation.PerClass();
        string seven = csv.Split('\n').Single(l => l.StartsWith("class,7,", StringComparison.Ordinal));
        Assert.Equal(classes[7].Recall, double.Parse(seven.Split(',')[3], CultureInfo.InvariantCulture), 12);
        // The dev loss is recorded at every logged point and plotted beside the train loss.
        Assert.StartsWith("section,step,epoch,loss,train_accuracy,dev_accuracy,alpha,seconds,dev_loss", csv);
        Assert.All(record.History, p => Assert.True(p.DevLoss is > 0, "a logged point without its dev loss"));
        // Settings read as words, not as one line of JSON.
        string page = File.ReadAllText(Path.Combine(report, "index.html"));
        Assert.Contains("optimizer sgd &#183; ", page);
        Assert.DoesNotContain("{&quot;preset&quot;", page);
    }

    [Fact]
    public void The_report_command_works_without_and_with_metrics()
    {
        string folder = Path.Combine(TestData.TempDir(), "r");
        var (code, _, err) = Run("report", "--model", Trained.Value.Model, "--out", folder);
        Assert.True(code == 0, err);
        Assert.False(File.Exists(Path.Combine(folder, "loss.png")));
        Assert.Contains("No training history", File.ReadAllText(Path.Combine(folder, "index.html")));
        (code, _, err) = Run("report", "--model", Trained.Value.Model, "--metrics", Trained.Value.Metrics, "--out", folder);
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Path.Combine(folder, "loss.png")));
        string bad = Path.Combine(TestData.TempDir(), "bad.json");
        File.WriteAllText(bad, "{ not json");
        (code, _, err) = Run("report", "--model", Trained.Value.Model, "--metrics", bad, "--out", folder);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("not a training record", err);
    }

    [Fact]
    public void Compare_plots_the_runs_and_prints_their_final_figures()
    {
        string dir = TestData.TempDir();
        string tanh = Path.Combine(dir, "tanh.json");
        var (code, _, err) = Run("train", "--dry-run", "--activation", "tanh", "--out", Path.Combine(dir, "t.safetensors"), "--metrics-json", tanh);
        Assert.True(code == 0, err);
        string png = Path.Combine(dir, "compare.png");
        var (compareCode, output, compareErr) = Run("compare", Trained.Value.Metrics, tanh, "--out", png);
        Assert.True(compareCode == 0, compareErr);
        Assert.Contains("run", output);
        Assert.Contains("tanh", output);
        Assert.Contains("%", output);
        Assert.Equal((Charts.Width, Charts.Height), RgbImage.ReadSize(File.ReadAllBytes(png)));
        // Without --out: beside the first run's record, not in the current folder.
        (compareCode, output, compareErr) = Run("compare", tanh, Trained.Value.Metrics);
        Assert.True(compareCode == 0, compareErr);
        Assert.True(File.Exists(Path.Combine(dir, "tanh.compare.png")));
        Assert.Contains($"plot written to {Path.Combine(dir, "tanh.compare.png")}", output);
    }

    [Fact]
    public void Plain_progress_has_no_escape_codes()
    {
        Assert.DoesNotContain('\u001b', Trained.Value.Output);
        Assert.Contains("iter    10  loss", Trained.Value.Output);
    }

    [Fact]
    public void An_interrupted_run_saves_nothing_and_leaves_the_previous_model()
    {
        string model = Path.Combine(TestData.TempDir(), "keep.safetensors");
        File.Copy(Trained.Value.Model, model);
        byte[] before = File.ReadAllBytes(model);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(["train", "--dry-run", "--out", model], output, error, cancel.Token);
        Assert.Equal(ExitCodes.Cancelled, code);
        Assert.Contains("no model was saved", error.ToString());
        Assert.Contains("untouched", error.ToString());
        Assert.Equal(before, File.ReadAllBytes(model));
    }

    [Fact]
    public void Precision_recall_and_f1_follow_their_definitions()
    {
        var confusion = new int[,] { { 8, 2 }, { 1, 9 } };
        var e = new Evaluation(0.85, 0.3, confusion, new int[20], new float[20]);
        var scores = e.PerClass();
        Assert.Equal(8.0 / 9, scores[0].Precision, 12);
        Assert.Equal(0.8, scores[0].Recall, 12);
        Assert.Equal(2 * (8.0 / 9) * 0.8 / ((8.0 / 9) + 0.8), scores[0].F1, 12);
        Assert.Equal(10, scores[1].Support);
    }
}
