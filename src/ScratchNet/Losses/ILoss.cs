// What a loss does: from the last layer's Z and the labels, the mean loss and the network's
// output A; and backward, dZ = ∂(summed loss)/∂Z per example (the layers divide by m).
using ScratchNet.Tensors;

namespace ScratchNet.Losses;

/// <summary>A loss fused with the output activation.</summary>
public interface ILoss
{
    /// <summary>Name in model files and on the command line.</summary>
    string Name { get; }

    /// <summary>The output activation as a person reads it, e.g. "softmax".</summary>
    string OutputSymbol { get; }

    /// <summary>A = output activation of Z [m, classes] (written into <paramref name="A"/>).</summary>
    void Output(Matrix Z, Matrix A);

    /// <summary>Writes A and returns the mean loss over the m rows.</summary>
    double Forward(Matrix Z, ReadOnlySpan<byte> labels, Matrix A);

    /// <summary>The mean loss over the m rows from the outputs A [m, classes] alone (what an inference engine gives).</summary>
    double MeanLoss(Matrix A, ReadOnlySpan<byte> labels);

    /// <summary>dZ [m, classes] = gradient of the summed loss with respect to Z, from A and the labels.</summary>
    void Backward(Matrix Z, Matrix A, ReadOnlySpan<byte> labels, Matrix dZ);
}
