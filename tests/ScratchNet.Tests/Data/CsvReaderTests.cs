// CSV input in the Kaggle digit-recognizer layout: both layouts read, every error names the line
// and column, 10,000 mutations end in a load or the reader's own exception, and the seed preset
// trains from CSV.
using System.Text;
using ScratchNet.Cli;
using ScratchNet.Data;
using ScratchNet.Tests.Robustness;

namespace ScratchNet.Tests.Data;

public class CsvReaderTests
{
    private static string Csv(Dataset data, int count, bool labelled = true)
    {
        var text = new StringBuilder();
        text.Append(labelled ? "label," : "").AppendJoin(',', Enumerable.Range(0, data.Features).Select(i => $"pixel{i}")).Append('\n');
        for (int i = 0; i < count; i++)
        {
            if (labelled)
            {
                text.Append(data.Labels[i]).Append(',');
            }
            text.AppendJoin(',', data.Image(i).ToArray()).Append('\n');
        }
        return text.ToString();
    }

    private static CsvImages Read(string text) => CsvReader.Read(new StringReader(text), "digits.csv");

    [Fact]
    public void Both_layouts_read_back_the_images()
    {
        var test = TestData.MnistSets.Test;
        CsvImages labelled = Read(Csv(test, 5));
        Assert.Equal(5, labelled.Count);
        Assert.Equal((28, 28), (labelled.ImageRows, labelled.ImageCols));
        Assert.Equal(test.Labels[..5], labelled.Labels);
        Assert.Equal(test.Image(4).ToArray(), labelled.Pixels.AsSpan(4 * 784, 784).ToArray());
        CsvImages unlabelled = Read(Csv(test, 3, labelled: false).Replace("\n", "\r\n", StringComparison.Ordinal));
        Assert.Null(unlabelled.Labels);
        Assert.Equal(3, unlabelled.Count);
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("label,pixel0,pixel2\n1,2,3\n", "line 1, column 3: header \"pixel2\" where \"pixel1\" was expected")]
    [InlineData("label,pixel0,pixel1\n", "followed by no images")]
    [InlineData("label,pixel0,pixel1\n1,2\n", "line 2: 2 values where the header has 3 columns")]
    [InlineData("label,pixel0,pixel1\n1,2,3\n4,5,x\n", "line 3, column 3 (pixel1): \"x\" is not a whole number from 0 to 255")]
    [InlineData("label,pixel0,pixel1\n10,2,3\n", "line 2, column 1 (label): \"10\" is not a whole number from 0 to 9")]
    [InlineData("label,pixel0,pixel1\n1,256,3\n", "line 2, column 2 (pixel0): \"256\"")]
    [InlineData("label,pixel0,pixel1\n1,-2,3\n", "line 2, column 2 (pixel0): \"-2\"")]
    public void Errors_name_the_line_and_column(string text, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Read(text));
        Assert.Contains(expected, ex.Message);
        Assert.StartsWith("digits.csv", ex.Message);
    }

    [Fact]
    public void The_csv_reader_survives_10000_mutations()
    {
        byte[] valid = Encoding.ASCII.GetBytes("label,pixel0,pixel1,pixel2,pixel3\n1,0,255,7,0\n9,12,0,0,3\n0,1,2,3,4\n");
        var (loaded, rejected) = MutationTests.Sweep(MutationTests.Mutants(valid, 6),
            m => CsvReader.Read(new StreamReader(new MemoryStream(m)), "mutant.csv"));
        Assert.True(rejected > 1000 && loaded > 100, $"{loaded} loaded, {rejected} rejected");
    }

    [Fact]
    public void The_seed_preset_trains_from_csv_and_predict_writes_a_submission()
    {
        string dir = TestData.TempDir();
        string train = Path.Combine(dir, "train.csv"), test = Path.Combine(dir, "test.csv"), unlabelled = Path.Combine(dir, "unlabelled.csv");
        File.WriteAllText(train, Csv(TestData.MnistSets.Train, 4000));
        File.WriteAllText(test, Csv(TestData.MnistSets.Test, 1000));
        File.WriteAllText(unlabelled, Csv(TestData.MnistSets.Test, 50, labelled: false));
        string model = Path.Combine(dir, "csv.safetensors");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(["train", "--data", train, "--test-data", test, "--iterations", "150", "--dev-size", "200", "--out", model], output, error);
        Assert.True(code == 0, error.ToString());
        string text = output.ToString();
        Assert.Contains("(3,800 images to train on, 200 held out, 1,000 test images)", text);
        var accuracy = System.Text.RegularExpressions.Regex.Match(text, @"test accuracy ([0-9.]+)% on 1,000 test images");
        Assert.True(accuracy.Success, text);
        Assert.True(double.Parse(accuracy.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 60, text);

        string submission = Path.Combine(dir, "submission.csv");
        code = CliApp.Run(["predict", "--model", model, "--csv", unlabelled, "--submission", submission], output = new StringWriter(), error = new StringWriter());
        Assert.True(code == 0, error.ToString());
        string[] lines = File.ReadAllLines(submission);
        Assert.Equal("ImageId,Label", lines[0]);
        Assert.Equal(51, lines.Length);
        Assert.StartsWith("1,", lines[1]);

        code = CliApp.Run(["train", "--data", unlabelled, "--out", model], new StringWriter(), error = new StringWriter());
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("no label column", error.ToString());
    }

    /// <summary>A text of <paramref name="count"/> copies of <paramref name="c"/> after a header, made as it is read (nothing held).</summary>
    private sealed class EndlessLine(string header, char c, long count) : TextReader
    {
        private int headerAt;
        private long left = count;

        public override int Read()
        {
            if (headerAt < header.Length)
            {
                return header[headerAt++];
            }
            return left-- > 0 ? c : -1;
        }
    }

    [Fact]
    public void A_giant_line_is_refused_as_it_is_read_without_holding_it()
    {
        // The reported attack: a header, then one line of commas (1 GiB took 22.6 GB before its error).
        string header = "label," + string.Join(',', Enumerable.Range(0, 784).Select(i => $"pixel{i}")) + "\n";
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InvalidDataException>(() => CsvReader.Read(new EndlessLine(header, ',', 200_000_000), "commas.csv"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("commas.csv, line 2: over 6,344 characters", ex.Message);
        Assert.True(allocated < 8 << 20, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void A_header_of_more_columns_than_a_layer_can_take_is_refused()
    {
        string header = "label," + string.Join(',', Enumerable.Range(0, 70_000).Select(i => $"pixel{i}"));
        var ex = Assert.Throws<InvalidDataException>(() => CsvReader.Read(new StringReader(header + "\n"), "wide.csv"));
        Assert.Contains("70,001 columns; at most 65,536 pixel columns are read", ex.Message);
    }

    [Fact]
    public void A_line_with_too_many_values_is_refused_at_the_first_extra_one()
    {
        string header = "label,pixel0,pixel1,pixel2,pixel3";
        var ex = Assert.Throws<InvalidDataException>(() => CsvReader.Read(new StringReader(header + "\n1,2,3,4,5,6\n"), "extra.csv"));
        Assert.Contains("extra.csv, line 2: more values than the header's 5 columns", ex.Message);
    }
}
