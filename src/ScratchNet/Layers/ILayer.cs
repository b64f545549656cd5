// What every layer does: forward, backward, and the parameters it owns. Batches are row-major
// [m, features]; the notes' column-per-example shapes are their transposes.
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>A layer of a feed-forward network.</summary>
public interface ILayer
{
    /// <summary>What the model file records about this layer.</summary>
    LayerSpec Spec { get; }

    /// <summary>The trained parameters the layer owns (W, b, γ, β), with their gradients.</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Values the layer keeps that are saved with it but not trained (batch norm's running statistics).</summary>
    IReadOnlyList<Parameter> State => [];

    /// <summary>Output for a batch input [m, in] → [m, out]. The returned buffer is reused by the next call.</summary>
    Matrix Forward(Matrix input, bool training);

    /// <summary>
    /// Given dOutput [m, out], the gradient of the summed loss with respect to this layer's output,
    /// sets the parameter gradients of the mean loss and returns dInput [m, in]
    /// (or null when <paramref name="computeInputGradient"/> is false: the first layer needs none).
    /// </summary>
    Matrix? Backward(Matrix dOutput, bool computeInputGradient);
}
