// Tensors/Finite: NaN (quiet, signalling, negative), ±∞ at every position of spans of every length
// up to past two vectors; subnormals, ±0 and float.MaxValue count as finite.
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Tensors;

public class FiniteTests
{
    [Theory]
    [InlineData(0x7FC0_0000)]            // NaN
    [InlineData(unchecked((int)0xFFC0_0000))]   // NaN with the sign bit
    [InlineData(0x7F80_0001)]            // a signalling NaN
    [InlineData(0x7F80_0000)]            // +∞
    [InlineData(unchecked((int)0xFF80_0000))]   // −∞
    public void One_value_that_is_not_finite_is_found_wherever_it_is(int badBits)
    {
        for (int length = 1; length <= 40; length++)
        {
            for (int at = 0; at < length; at++)
            {
                var x = new float[length];
                for (int i = 0; i < length; i++)
                {
                    x[i] = i % 3 == 0 ? float.MaxValue : i % 3 == 1 ? -float.Epsilon : -0f;
                }
                Assert.True(Finite.All(x));
                x[at] = BitConverter.Int32BitsToSingle(badBits);
                Assert.False(Finite.All(x), $"length {length}, at {at}");
            }
        }
    }

    [Fact]
    public void An_empty_span_is_finite() => Assert.True(Finite.All([]));
}
