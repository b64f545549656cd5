// Builds a training report: a self-contained HTML page with PNG pictures beside it — loss and
// accuracy curves, the confusion matrix, per-digit precision/recall/F1, the most confidently wrong
// test images, every hidden unit's weights as a 28×28 picture — and the same numbers as CSV/JSON.
// Needs no browser or network to build. Leaves out: interactive charts.
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using ScratchNet.Data;
using ScratchNet.Layers;
using ScratchNet.Serialization;
using ScratchNet.Engines;
using ScratchNet.Inference;
using ScratchNet.Training;

namespace ScratchNet.Reports;

/// <summary>What a report shows, as numbers (also written as report.json).</summary>
public sealed record ReportSummary(
    double TestAccuracy,
    double TestLoss,
    int TestCount,
    int[][] Confusion,
    IReadOnlyList<ClassScores> PerClass,
    IReadOnlyList<Mistake> Mistakes,
    IReadOnlyList<string> Files);

/// <summary>A test image the network got wrong: its index, true and predicted digit, and the probability given.</summary>
public sealed record Mistake(int Index, int Label, int Predicted, double Confidence);

/// <summary>Writes the HTML training report (charts, confusion matrix, mistakes, what the first layer learned) into a folder, every file atomically.</summary>
public static class ReportBuilder
{
    /// <summary>Mistaken test images shown.</summary>
    public const int MistakeCount = 16;
    private static readonly JsonSerializerOptions CompactJson = new(TrainingRecord.JsonOptions) { WriteIndented = false };
    /// <summary>Most hidden units drawn.</summary>
    public const int MaxUnits = 64;

    /// <summary>Test digits whose feature maps a report of a convolutional network shows.</summary>
    public const int FeatureMapDigits = 4;

    /// <summary>Writes the report for <paramref name="model"/> into <paramref name="folder"/>; <paramref name="record"/> (the run's history) may be null.</summary>
    public static ReportSummary Build(Model model, Dataset test, TrainingRecord? record, string folder, string modelName, EngineKind engine = EngineKind.Auto)
    {
        Directory.CreateDirectory(folder);
        Network network = model.Network;
        Evaluation evaluation = Evaluator.Evaluate(network, test, engine);
        var files = new List<string>();
        void Png(string name, RgbImage image)
        {
            AtomicFile.Write(Path.Combine(folder, name), image.ToPng());
            files.Add(name);
        }

        List<HistoryPoint> history = record?.History ?? [];
        if (history.Count > 0)
        {
            Charts.Loss(history, Path.Combine(folder, "loss.png"));
            Charts.Accuracy(history, Path.Combine(folder, "accuracy.png"));
            files.Add("loss.png");
            files.Add("accuracy.png");
        }
        Charts.Confusion(evaluation.Confusion, Path.Combine(folder, "confusion.png"));
        files.Add("confusion.png");

        var mistakes = evaluation.ConfidentMistakes(test.Labels, MistakeCount)
            .Select(i => new Mistake(i, test.Labels[i], evaluation.Predictions[i], evaluation.Confidences[i])).ToList();
        for (int k = 0; k < mistakes.Count; k++)
        {
            Png($"mistake-{k + 1:00}.png", Pictures.Digit(test.Image(mistakes[k].Index), test.ImageRows, test.ImageCols, 3));
        }

        Dense? first = network.Layers[0] as Dense;
        int units = 0;
        if (first is not null && first.Inputs == test.Features)
        {
            units = Math.Min(MaxUnits, first.Outputs);
            Png("weights.png", Pictures.Weights(first, test.ImageRows, test.ImageCols, units, 4, Math.Min(units, 8)));
        }

        // A convolutional network: its first filters, and what they make of a few test digits.
        Conv2D? conv = network.Layers.OfType<Conv2D>().FirstOrDefault();
        if (conv is not null && network.FirstFeatureMaps(test.Take(FeatureMapDigits).ToMatrix()) is var (map, maps))
        {
            Png("filters.png", Pictures.Filters(conv, 12, Math.Min(conv.Shape.Filters, 16)));
            Png("feature-maps.png", Pictures.FeatureMaps(map, maps, FeatureMapDigits, Math.Max(1, 56 / Math.Max(map.Height, map.Width))));
            for (int k = 0; k < FeatureMapDigits; k++)
            {
                Png($"digit-{k + 1}.png", Pictures.Digit(test.Image(k), test.ImageRows, test.ImageCols, 2));
            }
        }

        var classes = evaluation.PerClass();
        int n = evaluation.Confusion.GetLength(0);
        int[][] confusion = Enumerable.Range(0, n).Select(t => Enumerable.Range(0, n).Select(p => evaluation.Confusion[t, p]).ToArray()).ToArray();
        files.Add("metrics.csv");
        files.Add("report.json");
        files.Add("index.html");
        var summary = new ReportSummary(evaluation.Accuracy, evaluation.Loss, evaluation.Count, confusion, classes, mistakes, files);

        AtomicFile.WriteText(Path.Combine(folder, "metrics.csv"), Csv(history, classes));
        AtomicFile.WriteText(Path.Combine(folder, "report.json"), JsonSerializer.Serialize(summary, TrainingRecord.JsonOptions));
        AtomicFile.WriteText(Path.Combine(folder, "index.html"), Html(model, record, summary, modelName, units, test));
        return summary;
    }

    private static string F(double v, string format = "0.####") => v.ToString(format, CultureInfo.InvariantCulture);

    private static string Pct(double fraction) => (100 * fraction).ToString("0.00", CultureInfo.InvariantCulture) + " %";

    private static string Csv(List<HistoryPoint> history, IReadOnlyList<ClassScores> classes)
    {
        var csv = new StringBuilder();
        csv.AppendLine("section,step,epoch,loss,train_accuracy,dev_accuracy,alpha,seconds,dev_loss");
        foreach (HistoryPoint p in history)
        {
            csv.AppendLine(string.Join(',', "history", p.Step.ToString(CultureInfo.InvariantCulture), p.Epoch.ToString(CultureInfo.InvariantCulture),
                F(p.Loss, "R"), F(p.TrainAccuracy, "R"), p.DevAccuracy is { } d ? F(d, "R") : "", F(p.Alpha, "R"), F(p.Seconds, "R"), p.DevLoss is { } l ? F(l, "R") : ""));
        }
        csv.AppendLine();
        csv.AppendLine("section,digit,precision,recall,f1,support");
        foreach (ClassScores c in classes)
        {
            csv.AppendLine(string.Join(',', "class", c.Class.ToString(CultureInfo.InvariantCulture), F(c.Precision, "R"), F(c.Recall, "R"), F(c.F1, "R"), c.Support.ToString(CultureInfo.InvariantCulture)));
        }
        return csv.ToString();
    }

    private static string Html(Model model, TrainingRecord? record, ReportSummary summary, string modelName, int units, Dataset test)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var meta = model.Metadata;
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>ScratchNet report</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #222; }
            h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
            .big { font-size: 2.4rem; font-weight: 600; } .muted { color: #666; }
            table { border-collapse: collapse; } td, th { padding: 0.2rem 0.6rem; text-align: right; border: 1px solid #e3e3e3; }
            th { background: #f4f4f4; } .grid { display: flex; flex-wrap: wrap; gap: 0.8rem; }
            figure { margin: 0; text-align: center; font-size: 0.85rem; } img.chart { max-width: 100%; }
            dl { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; } dt { font-weight: 600; }
            </style></head><body>
            """);
        html.Append($"<h1>ScratchNet report</h1><p class=\"muted\">{E(modelName)} · {E(model.Network.Shape)} · preset {E(meta.GetValueOrDefault("preset", "?"))}</p>");
        html.Append($"<p><span class=\"big\" id=\"test-accuracy\">{Pct(summary.TestAccuracy)}</span> test accuracy on {summary.TestCount:N0} images · loss <span id=\"test-loss\">{F(summary.TestLoss, "0.0000")}</span></p>");

        html.Append("<h2>Run</h2><dl>");
        void Row(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                html.Append($"<dt>{E(name)}</dt><dd>{E(value)}</dd>");
            }
        }
        Row("network", model.Network.Describe());
        Row("seed", record?.Settings.Seed.ToString(CultureInfo.InvariantCulture) ?? meta.GetValueOrDefault("seed"));
        Row("settings", Readable(record is not null ? JsonSerializer.Serialize(record.Settings, CompactJson) : meta.GetValueOrDefault("settings")));
        Row("training time", record is not null ? F(record.TrainSeconds, "0.0") + " s" : meta.GetValueOrDefault("train_seconds") is { Length: > 0 } s ? s + " s" : null);
        Row("machine", record?.Machine);
        Row("data", record?.Data ?? meta.GetValueOrDefault("data"));
        html.Append("</dl>");

        html.Append("<h2>Curves</h2>");
        if (summary.Files.Contains("loss.png"))
        {
            html.Append("<div class=\"grid\"><img class=\"chart\" src=\"loss.png\" alt=\"loss curve\"><img class=\"chart\" src=\"accuracy.png\" alt=\"accuracy curves\"></div>");
        }
        else
        {
            html.Append("<p class=\"muted\">No training history: pass --metrics RUN.json (written by train --metrics-json) to see the curves.</p>");
        }

        html.Append("<h2>Confusion matrix</h2><p class=\"muted\">Rows: true digit; columns: predicted digit.</p><div class=\"grid\"><img class=\"chart\" src=\"confusion.png\" alt=\"confusion matrix\">");
        html.Append("<table id=\"confusion\"><tr><th>true \\ predicted</th>");
        int n = summary.Confusion.Length;
        for (int p = 0; p < n; p++)
        {
            html.Append($"<th>{p}</th>");
        }
        html.Append("</tr>");
        int max = summary.Confusion.SelectMany(r => r).DefaultIfEmpty(1).Max();
        for (int t = 0; t < n; t++)
        {
            html.Append($"<tr><th>{t}</th>");
            for (int p = 0; p < n; p++)
            {
                int count = summary.Confusion[t][p];
                double shade = count == 0 ? 0 : 0.15 + (0.85 * Math.Log(1 + count) / Math.Log(1 + max));
                html.Append($"<td style=\"background: rgba(40, 90, 200, {F(shade, "0.00")}); color: {(shade > 0.6 ? "#fff" : "#222")}\">{count}</td>");
            }
            html.Append("</tr>");
        }
        html.Append("</table></div>");

        html.Append("<h2>Per digit</h2><table id=\"per-digit\"><tr><th>digit</th><th>precision</th><th>recall</th><th>F1</th><th>images</th></tr>");
        foreach (ClassScores c in summary.PerClass)
        {
            html.Append($"<tr><td>{c.Class}</td><td>{Pct(c.Precision)}</td><td>{Pct(c.Recall)}</td><td>{Pct(c.F1)}</td><td>{c.Support}</td></tr>");
        }
        html.Append("</table>");

        html.Append("<h2>Most confidently wrong</h2><div class=\"grid\">");
        for (int k = 0; k < summary.Mistakes.Count; k++)
        {
            Mistake m = summary.Mistakes[k];
            html.Append($"<figure><img src=\"mistake-{k + 1:00}.png\" width=\"84\" height=\"84\" alt=\"test image {m.Index}\"><figcaption>#{m.Index}: true {m.Label}, predicted {m.Predicted}<br>{Pct(m.Confidence)}</figcaption></figure>");
        }
        html.Append("</div>");

        if (model.Network.Layers.OfType<Conv2D>().FirstOrDefault() is { } conv)
        {
            ScratchNet.Tensors.ConvShape shape = conv.Shape;
            html.Append($"<h2>What the first convolution looks for</h2><p class=\"muted\">Its {shape.Filters} filters of {shape.Kernel}×{shape.Kernel}{(shape.Input.Channels > 1 ? " (first input channel)" : "")}: red weights push a feature map up where the image is inked, blue pull it down.</p>");
            html.Append("<img src=\"filters.png\" alt=\"first-layer filters\">");
            html.Append($"<h2>Feature maps</h2><p class=\"muted\">What those filters make of the first {FeatureMapDigits} test digits (after the layer's batch norm and activation, if any): one row per digit, one map per filter.</p><div class=\"mistakes\">");
            for (int k = 0; k < FeatureMapDigits; k++)
            {
                html.Append($"<figure><img src=\"digit-{k + 1}.png\" width=\"56\" height=\"56\" alt=\"test image {k}\"><figcaption>#{k}</figcaption></figure>");
            }
            html.Append("</div><img src=\"feature-maps.png\" alt=\"feature maps\">");
        }
        if (units > 0)
        {
            Dense first = (Dense)model.Network.Layers[0];
            html.Append($"<h2>What the hidden units look for</h2><p class=\"muted\">Incoming weights of {(units == first.Outputs ? $"all {units}" : $"the first {units} of {first.Outputs}")} first-layer units as {test.ImageRows}×{test.ImageCols} pictures: red pixels push a unit up, blue pull it down.</p>");
            html.Append("<img src=\"weights.png\" alt=\"hidden unit weights\">");
        }
        html.Append("<p class=\"muted\">Numbers: metrics.csv and report.json beside this page. Made by ScratchNet.</p></body></html>\n");
        return html.ToString();
    }

    /// <summary>Settings as "name value · name value", not one long line of JSON.</summary>
    private static string? Readable(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return json;
        }
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind != JsonValueKind.Object
                ? json
                : string.Join(" · ", document.RootElement.EnumerateObject().Select(p => $"{p.Name.Replace('_', ' ')} {(p.Value.ValueKind == JsonValueKind.Array ? string.Join('-', p.Value.EnumerateArray()) : p.Value.ToString())}"));
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
