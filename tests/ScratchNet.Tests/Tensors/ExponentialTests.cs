// The one exp: close to MathF.Exp over the range softmax and sigmoid use, the same bits in every
// vector width as in scalar form, and safe far below (a tiny positive number, never NaN).
using System.Runtime.Intrinsics;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Tensors;

public class ExponentialTests
{
    private static List<float> Arguments()
    {
        var xs = new List<float> { 0f, -1e-8f, -0.5f, -1f, -2.302585f, -10f, -50f, -87f, 1f, 10f, 88f };
        for (int i = 0; i <= 4000; i++)
        {
            xs.Add(-87f * i / 4000f);
        }
        return xs;
    }

    [Fact]
    public void Matches_MathF_Exp_within_three_parts_in_ten_million()
    {
        foreach (float x in Arguments())
        {
            float expected = MathF.Exp(x), actual = Exponential.Exp(x);
            Assert.True(MathF.Abs(actual - expected) <= 3e-7f * expected, $"exp({x}) = {actual}, MathF.Exp {expected}");
        }
    }

    [Fact]
    public void Every_vector_width_gives_the_scalar_bits()
    {
        List<float> xs = Arguments();
        for (int i = 0; i + 16 <= xs.Count; i += 16)
        {
            var x512 = Vector512.Create(xs.GetRange(i, 16).ToArray());
            Vector512<float> e512 = Exponential.Exp(x512);
            for (int l = 0; l < 16; l++)
            {
                float scalar = Exponential.Exp(xs[i + l]);
                Assert.Equal(scalar, e512.GetElement(l));
                Assert.Equal(scalar, Exponential.Exp(Vector256.Create(xs[i + l])).GetElement(3));
                Assert.Equal(scalar, Exponential.Exp(Vector128.Create(xs[i + l])).GetElement(1));
            }
        }
    }

    [Theory]
    [InlineData(-1000f)]
    [InlineData(-88f)]
    [InlineData(float.NegativeInfinity)]
    public void Far_below_gives_a_tiny_positive_number(float x)
    {
        Assert.InRange(Exponential.Exp(x), 0f, 2e-38f);
        Assert.InRange(Exponential.Exp(Vector512.Create(x)).GetElement(0), 0f, 2e-38f);
    }
}
