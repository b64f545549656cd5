// 2×2 max pooling against its definition, written out here with plain loops: the maximum of each
// window and the gradient at its first maximum in reading order, on map sizes that put windows in
// whole vector chunks, in chunks that pass a row's end, and one by one (odd widths and heights,
// maps narrower than a vector, the last row of the last example), with many ties (values drawn
// from a few levels) and with negative values; the gradient is written whole over a buffer left
// full by an earlier pass.
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Layers;

public class MaxPoolTests
{
    [Theory]
    [InlineData(1, 1, 2, 2)]
    [InlineData(1, 1, 28, 28)]
    [InlineData(5, 8, 28, 28)]
    [InlineData(3, 16, 14, 14)]
    [InlineData(2, 3, 27, 27)]
    [InlineData(4, 2, 5, 40)]
    [InlineData(2, 3, 13, 34)]
    [InlineData(3, 1, 7, 3)]
    [InlineData(1, 32, 7, 7)]
    public void Pooling_equals_its_definition_with_ties_going_to_the_first_in_reading_order(int m, int C, int H, int W)
    {
        var map = new MapShape(C, H, W);
        var pool = new MaxPool2D(map);
        MapShape o = pool.Output;
        var rng = new Rng((ulong)((m * 1000) + (C * 100) + H + W));
        var x = new float[m * map.Size];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.NextInt(5) - 2.5f;   // five levels: ties in most windows
        }
        var dy = new float[m * o.Size];
        for (int i = 0; i < dy.Length; i++)
        {
            dy[i] = 1 + rng.NextInt(1000);
        }
        // A pass over other maps first leaves its gradients at other winners in the reused buffer: every
        // value of the next gradient must be written, zeros included
        pool.Forward(new Matrix(m, map.Size, x.Reverse().ToArray()), training: true);
        pool.Backward(new Matrix(m, o.Size, dy.Select(v => v + 0.5f).ToArray()), computeInputGradient: true);
        Matrix y = pool.Forward(new Matrix(m, map.Size, x), training: true);
        Matrix dx = pool.Backward(new Matrix(m, o.Size, dy), computeInputGradient: true)!;
        var expectedDx = new float[x.Length];
        for (int n = 0; n < m; n++)
        {
            for (int c = 0; c < C; c++)
            {
                for (int yo = 0; yo < o.Height; yo++)
                {
                    for (int xo = 0; xo < o.Width; xo++)
                    {
                        int best = -1;
                        foreach ((int i, int j) in new[] { (0, 0), (0, 1), (1, 0), (1, 1) })
                        {
                            int at = (n * map.Size) + map.Index(c, (2 * yo) + i, (2 * xo) + j);
                            if (best < 0 || x[at] > x[best])
                            {
                                best = at;
                            }
                        }
                        int out_ = (n * o.Size) + o.Index(c, yo, xo);
                        Assert.Equal(x[best], y.Storage[out_]);
                        expectedDx[best] = dy[out_];
                    }
                }
            }
        }
        Assert.Equal(expectedDx, dx.Span.ToArray());
    }
}
