// Lays the notes beside the program: runs one forward pass, backward pass and update on a batch
// and writes each equation with this run's shapes (in the notes' column-per-example notation)
// and a few of its actual values. Returns lines of text; printing is the caller's business.
using System.Globalization;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Explaining;

/// <summary>Writes the notes' equations with a run's real shapes and values: forward pass, backward pass and update.</summary>
public static partial class Explainer
{
    /// <summary>
    /// Explains one gradient-descent step of <paramref name="network"/> on X [m, in] with labels
    /// <paramref name="Y"/>, learning rate <paramref name="alpha"/>. The network's parameters are left unchanged.
    /// </summary>
    public static IReadOnlyList<string> Explain(Network network, Matrix X, ReadOnlySpan<byte> Y, float alpha)
    {
        var lines = new List<string>();
        int m = X.Rows;
        var dense = network.DenseLayers.ToList();
        int L = dense.Count;

        // FP, layer by layer, keeping a copy of every Z and A.
        var Zs = new Matrix[L + 1];
        var As = new Matrix[L + 1];
        var activations = new Activation?[L + 1];
        As[0] = X;
        int l = 0;
        Matrix current = X;
        foreach (ILayer layer in network.Layers)
        {
            current = layer.Forward(current, training: true);
            if (layer is Dense)
            {
                l++;
                Zs[l] = current.Clone();
                As[l] = Zs[l];
            }
            else if (layer is Activation g)
            {
                activations[l] = g;
                As[l] = current.Clone();
            }
        }
        var AL = new Matrix(m, network.OutputSize);
        double loss = network.Loss.Forward(Zs[L], Y, AL);
        As[L] = AL;

        lines.Add($"One step of gradient descent on m = {m:N0} examples, shapes as in the notes (examples are columns).");
        lines.Add("Values shown are for the first example (column 0), first three rows.");
        lines.Add("");
        lines.Add("Forward pass (FP)");
        lines.Add(Row($"X = A0", $"({X.Cols}×{m})", $"X[:,0] = {Column(X, 0)} (pixel/255; first ink: {FirstNonZero(X)})"));
        for (int k = 1; k <= L; k++)
        {
            Dense d = dense[k - 1];
            lines.Add(Row($"Z{k} = W{k}·A{k - 1} + b{k}", $"({d.Outputs}×{d.Inputs})·({d.Inputs}×{m}) + ({d.Outputs}×1) → ({d.Outputs}×{m})", $"Z{k}[:,0] = {Column(Zs[k], 0)}"));
            if (k < L)
            {
                string g = activations[k]?.Symbol ?? "g";
                lines.Add(Row($"A{k} = {g}(Z{k})", $"({d.Outputs}×{m}) → ({d.Outputs}×{m})", $"A{k}[:,0] = {Column(As[k], 0)}"));
            }
            else
            {
                lines.Add(Row($"A{k} = softmax(Z{k})", $"({d.Outputs}×{m}), each column sums to 1", $"A{k}[:,0] = {Column(AL, 0)}"));
            }
        }
        lines.Add(Row($"loss = −(1/m)·Σ Y∘log A{L}", $"Y one-hot ({network.OutputSize}×{m})", $"loss = {F(loss)}; Y[:,0] is digit {Y[0]}"));

        // BP
        var dZL = new Matrix(m, network.OutputSize);
        network.Loss.Backward(Zs[L], AL, Y, dZL);
        var dZs = new Matrix[L + 1];
        dZs[L] = dZL.Clone();
        lines.Add("");
        lines.Add("Backward pass (BP)");
        lines.Add(Row($"dZ{L} = A{L} − Y", $"({network.OutputSize}×{m})", $"dZ{L}[:,0] = {Column(dZL, 0)}"));
        Matrix? dOut = dZL;
        l = L;
        for (int i = network.Layers.Count - 1; i >= 0 && dOut is not null; i--)
        {
            ILayer layer = network.Layers[i];
            dOut = layer.Backward(dOut, computeInputGradient: i > 0);
            if (layer is Dense d)
            {
                lines.Add(Row($"dW{l} = (1/m)·dZ{l}·A{l - 1}ᵀ", $"({d.Outputs}×{m})·({m}×{d.Inputs}) → ({d.Outputs}×{d.Inputs})", $"dW{l}[0,:3] = {Values(d.W.Gradient.AsSpan(0, Math.Min(3, d.W.Count)))}"));
                lines.Add(Row($"db{l} = (1/m)·Σ dZ{l}", $"({d.Outputs}×{m}) → ({d.Outputs}×1), one per unit", $"db{l}[:3] = {Values(d.b.Gradient.AsSpan(0, Math.Min(3, d.b.Count)))}"));
                l--;
                if (dOut is not null && l >= 1)
                {
                    string g = activations[l]?.Symbol ?? "g";
                    lines.Add(Row($"dA{l} = W{l + 1}ᵀ·dZ{l + 1}", $"({d.Inputs}×{d.Outputs})·({d.Outputs}×{m}) → ({d.Inputs}×{m})", $"dA{l}[:,0] = {Column(dOut, 0)}"));
                }
            }
            else if (layer is Activation g && dOut is not null)
            {
                lines.Add(Row($"dZ{l} = dA{l} ∘ {g.Symbol}′(Z{l})", $"({g.Size}×{m}) ∘ ({g.Size}×{m})", $"dZ{l}[:,0] = {Column(dOut, 0)}"));
            }
        }

        // UP: show without applying.
        lines.Add("");
        lines.Add($"Update parameters (UP), α = {F(alpha)}");
        for (int k = 1; k <= L; k++)
        {
            Dense d = dense[k - 1];
            float w = d.W.Value[0], dw = d.W.Gradient[0], bb = d.b.Value[0], db = d.b.Gradient[0];
            lines.Add(Row($"W{k} ← W{k} − α·dW{k}", $"({d.Outputs}×{d.Inputs})", $"W{k}[0,0]: {F(w)} − {F(alpha)}·{Factor(dw)} = {F(w - (alpha * dw))}"));
            lines.Add(Row($"b{k} ← b{k} − α·db{k}", $"({d.Outputs}×1)", $"b{k}[0]: {F(bb)} − {F(alpha)}·{Factor(db)} = {F(bb - (alpha * db))}"));
        }
        return lines;
    }

    private static string Row(string equation, string shapes, string values) =>
        $"  {equation,-28} {shapes,-46} {values}";

    private static string Column(Matrix M, int example)
    {
        int n = Math.Min(3, M.Cols);
        var values = new float[n];
        for (int j = 0; j < n; j++)
        {
            values[j] = M[example, j];
        }
        return Values(values) + (M.Cols > 3 ? "…" : "");
    }

    private static string FirstNonZero(Matrix X)
    {
        ReadOnlySpan<float> row = X.Row(0);
        for (int k = 0; k < row.Length; k++)
        {
            if (row[k] != 0)
            {
                return $"X[{k},0] = {F(row[k])}";
            }
        }
        return "none";
    }

    private static string Values(ReadOnlySpan<float> values)
    {
        var parts = new string[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            parts[i] = F(values[i]);
        }
        return "[" + string.Join(", ", parts) + "]";
    }

    /// <summary>A value to four decimals, with a true minus sign, never "-0".</summary>
    private static string F(double v)
    {
        string text = v.ToString("0.####", CultureInfo.InvariantCulture);
        return text == "-0" ? "0" : text.Replace("-", "−", StringComparison.Ordinal);
    }

    /// <summary>A factor in a product: negative values in parentheses, as a person writes 0.1·(−0.0458).</summary>
    private static string Factor(double v) => F(v) is var text && text.StartsWith('−') ? $"({text})" : text;
}
