using ScratchNet.Losses;
using ScratchNet.Tensors;

namespace ScratchNet.Tests.Layers;

public class SoftmaxTests
{
    [Theory]
    [InlineData(1000f, 999f, -1000f)]
    [InlineData(-1000f, -1000f, -1000f)]
    [InlineData(1000f, 1000f, 1000f)]
    [InlineData(-1000f, 0f, 1000f)]
    public void Extreme_logits_give_finite_probabilities_that_sum_to_one(float a, float b, float c)
    {
        var Z = new Matrix(1, 3, [a, b, c]);
        var A = new Matrix(1, 3);
        double loss = new SoftmaxCrossEntropy().Forward(Z, [0], A);
        Assert.True(double.IsFinite(loss));
        float sum = 0;
        foreach (float p in A.Span)
        {
            Assert.True(float.IsFinite(p) && p >= 0 && p <= 1);
            sum += p;
        }
        Assert.Equal(1f, sum, 5);
    }

    [Fact]
    public void Loss_of_a_confident_wrong_answer_is_large_but_finite()
    {
        var Z = new Matrix(1, 3, [1000f, 0f, -1000f]);
        double loss = new SoftmaxCrossEntropy().Forward(Z, [2], new Matrix(1, 3));
        Assert.Equal(2000, loss, 3); // log-sum-exp − z_label = 1000 − (−1000)
    }

    [Fact]
    public void Uniform_logits_give_log_of_class_count()
    {
        var Z = new Matrix(2, 10);
        double loss = new SoftmaxCrossEntropy().Forward(Z, [3, 7], new Matrix(2, 10));
        Assert.Equal(Math.Log(10), loss, 6);
    }

    [Fact]
    public void Labels_outside_the_classes_are_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SoftmaxCrossEntropy().Forward(new Matrix(1, 3), [5], new Matrix(1, 3)));
        Assert.Contains("outside the 3 classes", ex.Message);
    }
}
