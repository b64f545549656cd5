// The one softmax in its three layouts (a row, a padded row, 16 examples in lanes) gives the same
// probabilities, on ordinary and on ±1000 logits.
using System.Runtime.Intrinsics;
using ScratchNet.Losses;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Layers;

public unsafe class SoftmaxLayoutTests
{
    private static float[][] Logits(int classes)
    {
        var rng = new Rng(11);
        var rows = new float[16][];
        for (int i = 0; i < 16; i++)
        {
            rows[i] = new float[classes];
            for (int o = 0; o < classes; o++)
            {
                rows[i][o] = i switch
                {
                    0 => 1000f * (o % 2 == 0 ? 1 : -1),   // ±1000
                    1 => -1000f,                          // all equal and far below
                    _ => rng.NextFloat(-20f, 20f),
                };
            }
        }
        return rows;
    }

    private static void AssertClose(float expected, float actual) =>
        Assert.True(MathF.Abs(expected - actual) <= 1e-6f * MathF.Max(expected, 1e-30f), $"{actual} vs {expected}");

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(16)]
    public void Row_padded_and_lanes_agree(int classes)
    {
        float[][] z = Logits(classes);
        int padded = (classes + 7) / 8 * 8;
        var lanes = new float[classes * 16];
        for (int i = 0; i < 16; i++)
        {
            for (int o = 0; o < classes; o++)
            {
                lanes[(o * 16) + i] = z[i][o];
            }
        }
        var sums = new float[16];
        fixed (float* pl = lanes)
        {
            for (int part = 0; part < 16; part += 4)   // four lanes at a time, as the packed engine at 128 bits
            {
                Vector128<float> sum = Softmax.ExpLanes<Lanes128, Vector128<float>>(pl + part, classes, Softmax.MaxLanes<Lanes128, Vector128<float>>(pl + part, classes));
                sum.CopyTo(sums, part);
            }
        }
        for (int i = 0; i < 16; i++)
        {
            var a = new float[classes];
            double logSumExp = Softmax.Row(z[i], a);
            Assert.True(double.IsFinite(logSumExp));
            Assert.Equal(1.0, a.Sum(), 5);
            var row = new float[padded];
            z[i].CopyTo(row, 0);
            Array.Fill(row, 12345f, classes, padded - classes);   // padding lanes hold anything
            float sum;
            fixed (float* pr = row)
            {
                sum = Softmax.ExpPadded(pr, classes, padded, z[i].Max());
            }
            for (int o = classes; o < padded; o++)
            {
                Assert.Equal(0f, row[o]);
            }
            for (int o = 0; o < classes; o++)
            {
                AssertClose(a[o], row[o] / sum);
                AssertClose(a[o], lanes[(o * 16) + i] / sums[i]);
            }
        }
    }
}
