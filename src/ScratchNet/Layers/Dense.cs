// A fully connected layer: Z = W·A_prev + b in the notes' notation (batch rows here: Z = A_prev·Wᵀ + b).
// Backward: dW = (1/m)·dZ·A_prevᵀ, db = (1/m)·Σ dZ (per unit), dA_prev = Wᵀ·dZ.
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Dense layer with weights W [out, in] and biases b [out].</summary>
public sealed class Dense : ILayer
{
    private Matrix? input;   // A_prev [m, in], kept from Forward for Backward
    private SparseBatch? sparseInput; // or X [m, in] as CSR, when this is the first layer
    private float[]? Wt;     // Wᵀ zero-padded [in, outPad], for the sparse kernels
    private Matrix? Z;       // [m, out]
    private Matrix? dInput;  // [m, in]
    private readonly Matrix weights; // view of W.Value as [out, in]
    private readonly Matrix dWeights; // view of W.Gradient as [out, in]

    /// <summary>A fully connected layer from <paramref name="inputs"/> to <paramref name="outputs"/> values: Z = A·Wᵀ + b.</summary>
    public Dense(int inputs, int outputs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        Inputs = inputs;
        Outputs = outputs;
        W = new Parameter("W", outputs, inputs);
        b = new Parameter("b", outputs);
        weights = new Matrix(outputs, inputs, W.Value);
        dWeights = new Matrix(outputs, inputs, W.Gradient);
        Parameters = [W, b];
    }

    /// <summary>Values in per example.</summary>
    public int Inputs { get; }

    /// <summary>Values out per example (units).</summary>
    public int Outputs { get; }

    /// <summary>Weights [out, in]: row j holds the incoming weights of unit j.</summary>
    public Parameter W { get; }

    /// <summary>Biases [out].</summary>
    public Parameter b { get; }

    /// <inheritdoc/>
    public LayerSpec Spec => new("dense", Inputs, Outputs);

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Fills W and b as <paramref name="init"/> says, from <paramref name="rng"/>.</summary>
    public void Initialize(Initializer init, Rng rng) => Initializers.Fill(init, W, b, rng);

    /// <inheritdoc/>
    public Matrix Forward(Matrix input, bool training)
    {
        CheckWidth(input, Inputs, "input");
        this.input = input;
        sparseInput = null;
        // Z = W·A_prev + b   (out×in)·(in×m) + (out×1) → (out×m); stored [m, out]
        Matrix z = Matrix.Ensure(ref Z, input.Rows, Outputs);
        Kernels.MatMulABt(input, weights, b.Value, z);
        return z;
    }

    /// <summary>Forward for a sparse input X [m, in] (the first layer): Z = W·X + b over X's non-zeros only.</summary>
    internal Matrix Forward(SparseBatch X)
    {
        if (X.Cols != Inputs)
        {
            throw new ArgumentException($"input has {X.Cols} features per example; this layer expects {Inputs}.");
        }
        input = null;
        sparseInput = X;
        Wt ??= new float[Inputs * SparseKernels.Padded(Outputs)];
        SparseKernels.TransposePadded(weights, Wt);
        // Z = W·X + b   (out×in)·(in×m) + (out×1) → (out×m); stored [m, out]
        Matrix z = Matrix.Ensure(ref Z, X.Rows, Outputs);
        SparseKernels.MatMulABt(X, Wt, b.Value, z);
        return z;
    }

    /// <inheritdoc/>
    public Matrix? Backward(Matrix dZ, bool computeInputGradient)
    {
        CheckWidth(dZ, Outputs, "dZ");
        float invM = 1f / dZ.Rows;
        if (sparseInput is not null)
        {
            // dW = (1/m)·dZ·Xᵀ over X's non-zeros; db as below; no input gradient for a sparse input.
            SparseKernels.MatMulAtB(dZ, sparseInput, invM, dWeights);
            Kernels.ColumnSums(dZ, invM, b.Gradient);
            return computeInputGradient ? throw new InvalidOperationException("A sparse input has no gradient.") : null;
        }
        Matrix aPrev = input ?? throw new InvalidOperationException("Dense.Backward called before Forward.");
        // dW = (1/m)·dZ·A_prevᵀ   (out×m)·(m×in) → (out×in)
        Kernels.MatMulAtB(dZ, aPrev, invM, dWeights);
        // db = (1/m)·Σ_columns dZ   (out×1), one value per unit
        Kernels.ColumnSums(dZ, invM, b.Gradient);
        if (!computeInputGradient)
        {
            return null;
        }
        // dA_prev = Wᵀ·dZ   (in×out)·(out×m) → (in×m); stored [m, in]
        Matrix dA = Matrix.Ensure(ref dInput, dZ.Rows, Inputs);
        Kernels.MatMulAB(dZ, weights, dA);
        return dA;
    }

    internal static void CheckWidth(Matrix m, int expected, string what)
    {
        if (m.Cols != expected)
        {
            throw new ArgumentException($"{what} has {m.Cols} features per example; this layer expects {expected}.");
        }
    }
}
