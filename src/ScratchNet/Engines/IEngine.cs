// The seam between a network and the code that runs it. An engine runs a network over a batch of
// images: forward and backward with gradients into the parameters (training), or forward only
// with probabilities out (inference). The layer engine runs any network layer by layer; the fused
// and packed engines run the seed network's shape faster. EngineChooser picks one; nothing else does.
// Leaves out: the update W ← W − α·dW (the optimiser's) and the loop over steps (the trainer's).
using ScratchNet.Data;
using ScratchNet.Tensors;

namespace ScratchNet.Engines;

/// <summary>Which engine runs a network: <see cref="Auto"/> lets <see cref="EngineChooser"/> decide.</summary>
public enum EngineKind
{
    /// <summary>The fastest engine that fits the network, the workload and this machine.</summary>
    Auto,

    /// <summary>Any network, layer by layer (Engines/Layers): the general engine and the reference for the others.</summary>
    Layers,

    /// <summary>Dense → g → Dense → softmax over sparse float rows, a block of images at a time (Engines/Fused).</summary>
    Fused,

    /// <summary>The same shape over packed byte images, 16 images per lane group, at any vector width (Engines/Packed).</summary>
    Packed,
}

/// <summary>What a network is run for; the chooser decides per workload.</summary>
public enum Workload
{
    /// <summary>Gradient descent over the whole training set at every step (the seed recipe).</summary>
    FullBatchTraining,

    /// <summary>Gradient descent over mini-batches of images picked by the trainer.</summary>
    MiniBatchTraining,

    /// <summary>Probabilities for a data set of byte images (evaluation, predict --index/--csv, the bench).</summary>
    Inference,

    /// <summary>Probabilities for one image at a time (an image file, the drawing page's pixels as floats).</summary>
    OneImage,
}

/// <summary>The outcome of one forward and backward pass: the mean loss over the m images and how many were predicted right.</summary>
public readonly record struct StepResult(double Loss, int Correct)
{
    /// <summary>The pieces' summed losses and correct counts of a step over m images, added in piece order.</summary>
    internal static StepResult FromPieces(double[] losses, int[] correct, int pieces, int m)
    {
        double loss = 0;
        int right = 0;
        for (int p = 0; p < pieces; p++)
        {
            loss += losses[p];
            right += correct[p];
        }
        return new StepResult(loss / m, right);
    }
}

/// <summary>Forward and backward over a batch: every parameter's gradient (the mean over the batch) set, loss and correct count out.</summary>
public interface ITrainingEngine
{
    /// <summary>Which engine this is.</summary>
    EngineKind Kind { get; }

    /// <summary>
    /// FP and BP over every image of <paramref name="data"/> in order (full batch). The engine builds
    /// its form of X from the data set on the first call and reuses it while the data set is the same.
    /// </summary>
    StepResult Step(Dataset data);

    /// <summary>FP and BP over the images of <paramref name="data"/> at <paramref name="images"/> (a mini-batch).</summary>
    /// <exception cref="NotSupportedException">The engine steps over whole data sets only (the chooser never gives it mini-batches).</exception>
    StepResult Step(Dataset data, ReadOnlySpan<int> images);
}

/// <summary>Forward only: the network's output (class probabilities) for every image of a data set.</summary>
public interface IInferenceEngine
{
    /// <summary>Which engine this is.</summary>
    EngineKind Kind { get; }

    /// <summary>A [data.Count, classes] = the network's output for each image of <paramref name="data"/>, in order.</summary>
    void Predict(Dataset data, Matrix A);
}
