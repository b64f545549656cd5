// An optimiser updates every parameter from its gradient, in one flat loop over all parameters,
// weights and biases alike.
using ScratchNet.Layers;

namespace ScratchNet.Optimizers;

public interface IOptimizer
{
    string Name { get; }

    /// <summary>One update of every parameter with learning rate <paramref name="lr"/>.</summary>
    void Step(IReadOnlyList<Parameter> parameters, float lr);
}
