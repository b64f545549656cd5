// Flatten: C maps of H × W become one vector of C·H·W values per example, in NCHW order (channel
// planes one after another), so a Dense layer after it sees PyTorch's flattening. The batch
// [m, C·H·W] is already laid out that way: forward and backward hand their buffer on unchanged.
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Maps [m, C, H, W] to vectors [m, C·H·W]: no arithmetic.</summary>
public sealed class Flatten(MapShape input) : ILayer
{
    /// <summary>The maps it reads.</summary>
    public MapShape Input { get; } = input;

    /// <inheritdoc/>
    public LayerSpec Spec => new LayerSpec("flatten", Input.Size, Input.Size).WithMap(Input);

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public Matrix Forward(Matrix input, bool training)
    {
        Dense.CheckWidth(input, Input.Size, "input");
        return input;
    }

    /// <inheritdoc/>
    public Matrix? Backward(Matrix dOutput, bool computeInputGradient) => computeInputGradient ? dOutput : null;
}
