// A trainable tensor and its gradient, flat float32 with a shape. Optimisers loop over these,
// weights and biases alike. Leaves out: optimiser state (each optimiser keeps its own).
namespace ScratchNet.Layers;

/// <summary>One trainable tensor: its values, its gradient (same shape), and its name in model files.</summary>
public sealed class Parameter
{
    /// <summary>A zero parameter named <paramref name="name"/> of <paramref name="shape"/>.</summary>
    public Parameter(string name, params int[] shape)
    {
        Name = name;
        Shape = shape;
        int count = 1;
        foreach (int d in shape)
        {
            count = checked(count * d);
        }
        Value = new float[count];
        Gradient = new float[count];
    }

    /// <summary>Name inside the layer ("W" or "b"); the model file prefixes the layer index.</summary>
    public string Name { get; }

    /// <summary>[out, in] for a weight matrix, [out] for a bias.</summary>
    public int[] Shape { get; }

    /// <summary>The values, row-major in <see cref="Shape"/>.</summary>
    public float[] Value { get; }

    /// <summary>The gradient of the mean loss with respect to each value, set by the last backward pass.</summary>
    public float[] Gradient { get; }

    /// <summary>Number of values.</summary>
    public int Count => Value.Length;
}
