// Global average pooling: each of the C maps becomes its mean, A[n,c] = (1/(H·W))·Σ_y Σ_x A_prev[n,c,y,x].
// Backward: every position of map c receives dA[n,c] / (H·W).
using System.Numerics.Tensors;
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>The mean of each map: [m, C·H·W] → [m, C].</summary>
public sealed class GlobalAveragePool : ILayer
{
    private Matrix? output;  // [m, C]
    private Matrix? dInput;  // [m, C·H·W]

    /// <summary>The mean of each channel of <paramref name="input"/> maps: C × H × W → C.</summary>
    public GlobalAveragePool(MapShape input)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(input.Size, 1);
        Input = input;
    }

    /// <summary>The maps it reads.</summary>
    public MapShape Input { get; }

    /// <inheritdoc/>
    public LayerSpec Spec => new LayerSpec("gap", Input.Size, Input.Channels).WithMap(Input);

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters => [];

    /// <inheritdoc/>
    public Matrix Forward(Matrix input, bool training)
    {
        Dense.CheckWidth(input, Input.Size, "input");
        int m = input.Rows, C = Input.Channels, plane = Input.Plane;
        Matrix a = Matrix.Ensure(ref output, m, C);
        float scale = 1f / plane;
        for (int n = 0; n < m; n++)
        {
            for (int c = 0; c < C; c++)
            {
                // A[n,c] = (1/(H·W))·Σ A_prev[n,c,·,·]
                a[n, c] = TensorPrimitives.Sum(input.Storage.AsSpan((n * Input.Size) + (c * plane), plane)) * scale;
            }
        }
        return a;
    }

    /// <inheritdoc/>
    public Matrix? Backward(Matrix dOutput, bool computeInputGradient)
    {
        Dense.CheckWidth(dOutput, Input.Channels, "dA");
        if (!computeInputGradient)
        {
            return null;
        }
        int m = dOutput.Rows, C = Input.Channels, plane = Input.Plane;
        Matrix dA = Matrix.Ensure(ref dInput, m, Input.Size);
        float scale = 1f / plane;
        for (int n = 0; n < m; n++)
        {
            for (int c = 0; c < C; c++)
            {
                // dA_prev[n,c,·,·] = dA[n,c] / (H·W)
                dA.Storage.AsSpan((n * Input.Size) + (c * plane), plane).Fill(dOutput[n, c] * scale);
            }
        }
        return dA;
    }
}
