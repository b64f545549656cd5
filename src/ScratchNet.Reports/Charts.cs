// Line charts and the confusion heat map, drawn with ScottPlot and written as PNG atomically (a
// temporary file, then a rename: a full disk leaves the old picture or none, never a truncated one).
using ScottPlot;
using ScratchNet.Serialization;
using ScratchNet.Training;

namespace ScratchNet.Reports;

/// <summary>The report's line charts (loss, accuracy, learning rate) and confusion matrix, drawn with ScottPlot.</summary>
public static class Charts
{
    /// <summary>Size of every chart, in pixels.</summary>
    public const int Width = 800, Height = 420;

    /// <summary>The x value of a history point: the epoch for mini-batch runs, the iteration for full-batch runs.</summary>
    public static double X(HistoryPoint p) => p.Epoch > 0 ? p.Epoch : p.Step;

    /// <summary>"epoch" for a mini-batch history, "iteration" for a full-batch one.</summary>
    public static string XLabel(IReadOnlyList<HistoryPoint> history) => history.Count > 0 && history[0].Epoch > 0 ? "epoch" : "iteration";

    /// <summary>Training loss over the run.</summary>
    public static void Loss(IReadOnlyList<HistoryPoint> history, string path) =>
        Save(history, [("train loss", history, p => p.Loss), ("dev loss", history.Where(p => p.DevLoss is not null).ToList(), p => p.DevLoss!.Value)], "Loss", "loss", path);

    /// <summary>Train and dev accuracy over the run, in percent.</summary>
    public static void Accuracy(IReadOnlyList<HistoryPoint> history, string path) =>
        Save(history,
            [("train", history, p => 100 * p.TrainAccuracy), ("dev", history.Where(p => p.DevAccuracy is not null).ToList(), p => 100 * p.DevAccuracy!.Value)],
            "Accuracy", "accuracy (%)", path);

    private static void Save(IReadOnlyList<HistoryPoint> history, (string Name, IReadOnlyList<HistoryPoint> Points, Func<HistoryPoint, double> Y)[] lines, string title, string yLabel, string path)
    {
        var plot = new Plot();
        foreach (var (name, points, y) in lines)
        {
            if (points.Count > 0)
            {
                AddLine(plot, name, points.Select(X).ToArray(), points.Select(y).ToArray());
            }
        }
        plot.Title(title);
        plot.XLabel(XLabel(history));
        plot.YLabel(yLabel);
        plot.ShowLegend();
        AtomicFile.Write(path, plot.GetImageBytes(Width, Height, ImageFormat.Png));
    }

    private static void AddLine(Plot plot, string name, double[] xs, double[] ys)
    {
        var line = plot.Add.Scatter(xs, ys);
        line.LegendText = name;
        line.MarkerSize = xs.Length > 60 ? 0 : 4;
    }

    /// <summary>The confusion matrix as a heat map with counts; row 0 (true digit 0) at the top.</summary>
    public static void Confusion(int[,] confusion, string path)
    {
        int n = confusion.GetLength(0);
        var values = new double[n, n];
        double max = 1;
        for (int t = 0; t < n; t++)
        {
            for (int p = 0; p < n; p++)
            {
                // Off-diagonal counts on a log scale, so that the few mistakes show next to the many hits.
                values[t, p] = Math.Log10(1 + confusion[t, p]);
                max = Math.Max(max, values[t, p]);
            }
        }
        var plot = new Plot();
        var map = plot.Add.Heatmap(values);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        for (int t = 0; t < n; t++)
        {
            for (int p = 0; p < n; p++)
            {
                // Heat map row 0 is drawn at the top: cell (row t, column p) is centred at x = p, y = n − 1 − t.
                var text = plot.Add.Text(confusion[t, p].ToString(System.Globalization.CultureInfo.InvariantCulture), p, n - 1 - t);
                text.LabelFontSize = 12;
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontColor = values[t, p] > max * 0.6 ? Colors.Black : Colors.White;
            }
        }
        double[] positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, positions.Select(p => ((int)p).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.Left.SetTicks(positions, positions.Select(p => (n - 1 - (int)p).ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.Title("Confusion matrix (test set)");
        plot.XLabel("predicted digit");
        plot.YLabel("true digit");
        AtomicFile.Write(path, plot.GetImageBytes(640, 600, ImageFormat.Png));
    }

    /// <summary>Dev accuracy of several runs on one plot (x: each run's progress from 0 to 1 when their units differ).</summary>
    public static void Compare(IReadOnlyList<(string Name, TrainingRecord Record)> runs, string path)
    {
        bool sameUnit = runs.Select(r => r.Record.Settings.BatchSize == 0).Distinct().Count() == 1;
        var plot = new Plot();
        foreach (var (name, record) in runs)
        {
            var points = record.History.Where(p => p.DevAccuracy is not null).ToList();
            if (points.Count == 0)
            {
                continue;
            }
            double last = Math.Max(1, X(record.History[^1]));
            AddLine(plot, name, points.Select(p => sameUnit ? X(p) : X(p) / last).ToArray(), points.Select(p => 100 * p.DevAccuracy!.Value).ToArray());
        }
        plot.Title("Dev accuracy");
        plot.XLabel(sameUnit ? XLabel(runs[0].Record.History) : "fraction of the run");
        plot.YLabel("dev accuracy (%)");
        plot.ShowLegend();
        AtomicFile.Write(path, plot.GetImageBytes(Width, Height, ImageFormat.Png));
    }
}
