// The explanation of a network with convolutions, pooling or batch norm: every layer's equation with
// this run's shapes, examples first (m×C×H×W, the layout the code uses; DESIGN.md §8), and the first
// values of example 0. Dense layers keep the notes' column shapes. Leaves out: the dense-only form (Explainer.cs).
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Explaining;

public static partial class Explainer
{
    /// <summary>
    /// Explains one gradient-descent step of a network with maps on X [m, in] with labels
    /// <paramref name="Y"/>, learning rate <paramref name="alpha"/>. The parameters are left unchanged
    /// (batch norm's running statistics take one step, as in any training step).
    /// </summary>
    public static IReadOnlyList<string> ExplainLayers(Network network, Matrix X, ReadOnlySpan<byte> Y, float alpha)
    {
        var lines = new List<string>();
        int m = X.Rows;
        IReadOnlyList<ILayer> layers = network.Layers;
        int L = layers.Count;
        string input = layers[0].Spec.Map is { } map ? Maps(map, "m") : $"m×{X.Cols}";
        lines.Add($"One step of gradient descent on a mini-batch of m = {m:N0} examples; maps are m×C×H×W (examples first, as stored), W of a convolution is filters×channels×K×K.");
        lines.Add("Values shown are for the first example, first three values of each output.");
        lines.Add("");
        lines.Add("Forward pass (FP)");
        lines.Add(Row("A0 = X", $"({input})", $"X[0,:3] = {Column(X, 0)} (pixel/255)"));
        var outputs = new Matrix[L + 1];
        var shapes = new string[L + 1];   // each layer's output, m×C×H×W or m×n
        var names = new string[L + 1];    // Z for a convolution or dense layer, A otherwise
        outputs[0] = X;
        shapes[0] = input;
        names[0] = "A0";
        Matrix current = X;
        for (int i = 1; i <= L; i++)
        {
            ILayer layer = layers[i - 1];
            current = layer.Forward(current, training: true);
            outputs[i] = current.Clone();
            names[i] = $"{(layer is Dense or Conv2D ? "Z" : "A")}{i}";
            shapes[i] = Out(layer, shapes[i - 1]);
            lines.Add(Row($"{names[i]} = {Equation(layer, i, names[i - 1])}", Shapes(layer, shapes[i - 1], shapes[i]), $"{names[i]}[0,:3] = {Column(current, 0)}"));
        }
        var AL = new Matrix(m, network.OutputSize);
        double loss = network.Loss.Forward(outputs[L], Y, AL);
        lines.Add(Row($"A = softmax({names[L]})", $"(m×{network.OutputSize}), each row sums to 1", $"A[0,:3] = {Column(AL, 0)}"));
        lines.Add(Row("loss = −(1/m)·Σ Y∘log A", $"Y one-hot (m×{network.OutputSize})", $"loss = {F(loss)}; example 0 is digit {Y[0]}"));

        lines.Add("");
        lines.Add("Backward pass (BP), each layer in reverse");
        var dZL = new Matrix(m, network.OutputSize);
        network.Loss.Backward(outputs[L], AL, Y, dZL);
        lines.Add(Row($"d{names[L]} = A − Y", $"(m×{network.OutputSize})", $"d{names[L]}[0,:3] = {Column(dZL, 0)}"));
        Matrix? d = dZL;
        for (int i = L; i >= 1 && d is not null; i--)
        {
            ILayer layer = layers[i - 1];
            d = layer.Backward(d, computeInputGradient: i > 1);
            foreach (var (equation, shape, values) in Gradients(layer, i, names, shapes, d))
            {
                lines.Add(Row(equation, shape, values));
            }
        }

        lines.Add("");
        lines.Add($"Update parameters (UP), α = {F(alpha)}");
        for (int i = 1; i <= L; i++)
        {
            foreach (Parameter p in layers[i - 1].Parameters)
            {
                float value = p.Value[0], gradient = p.Gradient[0];
                lines.Add(Row($"{p.Name}{i} ← {p.Name}{i} − α·d{p.Name}{i}", $"({string.Join('×', p.Shape)})", $"{p.Name}{i}[0]: {F(value)} − {F(alpha)}·{Factor(gradient)} = {F(value - (alpha * gradient))}"));
            }
        }
        return lines;
    }

    private static string Maps(MapShape map, string m) => $"{m}×{map.Channels}×{map.Height}×{map.Width}";

    /// <summary>The layer's output as m×C×H×W (maps) or m×n, given its input's.</summary>
    private static string Out(ILayer layer, string input) => layer switch
    {
        Conv2D c => Maps(c.Shape.Output, "m"),
        MaxPool2D p => Maps(p.Output, "m"),
        Flatten or GlobalAveragePool or Dense => $"m×{layer.Spec.Outputs}",
        _ => input,
    };

    private static string Equation(ILayer layer, int i, string previous) => layer switch
    {
        Conv2D => $"W{i} ⋆ {previous} + b{i}",
        MaxPool2D => $"maxpool2×2({previous})",
        BatchNorm => $"γ{i}∘({previous} − μ)/√(σ² + ε) + β{i}",
        Flatten => $"flatten({previous})",
        GlobalAveragePool => $"mean over H×W of {previous}",
        Dense => $"W{i}·{previous} + b{i}",
        Dropout dr => $"{previous} ∘ mask / (1 − {F(dr.Rate)})",
        Activation g => $"{g.Symbol}({previous})",
        _ => $"{layer.Spec.Type}({previous})",
    };

    private static string Shapes(ILayer layer, string input, string output) => layer switch
    {
        Conv2D c => $"({c.Shape.Filters}×{c.Shape.Input.Channels}×{c.Shape.Kernel}×{c.Shape.Kernel}) ⋆ ({input}) + ({c.Shape.Filters}) → ({output}), stride {c.Shape.Stride}, padding {c.Shape.Padding}",
        BatchNorm bn => $"({input}), μ and σ² over m{(bn.Shape.Plane > 1 ? "×H×W" : "")} per {(bn.Shape.Plane > 1 ? "channel" : "unit")} ({bn.Shape.Channels})",
        Dense dn => $"({dn.Outputs}×{dn.Inputs})·({dn.Inputs}×m) + ({dn.Outputs}×1) → ({dn.Outputs}×m)",
        _ => $"({input}) → ({output})",
    };

    private static IEnumerable<(string, string, string)> Gradients(ILayer layer, int i, string[] names, string[] shapes, Matrix? dInput)
    {
        string self = names[i], previous = names[i - 1];
        string dA = dInput is null ? "" : $"d{previous}[0,:3] = {Column(dInput, 0)}";
        switch (layer)
        {
            case Conv2D c:
                yield return ($"dW{i} = (1/m)·Σ_n d{self} ⋆ {previous}", $"({c.Shape.Filters}×{c.Shape.Input.Channels}×{c.Shape.Kernel}×{c.Shape.Kernel})", $"dW{i}[:3] = {Values(c.W.Gradient.AsSpan(0, Math.Min(3, c.W.Count)))}");
                yield return ($"db{i} = (1/m)·Σ d{self}", $"({c.Shape.Filters}), one per filter", $"db{i}[:3] = {Values(c.b.Gradient.AsSpan(0, Math.Min(3, c.b.Count)))}");
                if (dInput is not null)
                {
                    yield return ($"d{previous} = W{i}ᵀ ⋆ d{self}", $"transposed convolution → ({shapes[i - 1]})", dA);
                }
                break;
            case Dense dn:
                yield return ($"dW{i} = (1/m)·d{self}·{previous}ᵀ", $"({dn.Outputs}×m)·(m×{dn.Inputs}) → ({dn.Outputs}×{dn.Inputs})", $"dW{i}[0,:3] = {Values(dn.W.Gradient.AsSpan(0, Math.Min(3, dn.W.Count)))}");
                yield return ($"db{i} = (1/m)·Σ d{self}", $"({dn.Outputs}×1), one per unit", $"db{i}[:3] = {Values(dn.b.Gradient.AsSpan(0, Math.Min(3, dn.b.Count)))}");
                if (dInput is not null)
                {
                    yield return ($"d{previous} = W{i}ᵀ·d{self}", $"({dn.Inputs}×{dn.Outputs})·({dn.Outputs}×m) → ({dn.Inputs}×m)", dA);
                }
                break;
            case BatchNorm bn:
                yield return ($"dγ{i} = (1/m)·Σ d{self}∘x̂, dβ{i} = (1/m)·Σ d{self}", $"({bn.Shape.Channels}) each", $"dγ{i}[:3] = {Values(bn.gamma.Gradient.AsSpan(0, Math.Min(3, bn.gamma.Count)))}");
                if (dInput is not null)
                {
                    yield return ($"d{previous} = γ/√(σ²+ε)·(d{self} − mean d{self} − x̂·mean(d{self}∘x̂))", $"({shapes[i - 1]})", dA);
                }
                break;
            case MaxPool2D when dInput is not null:
                yield return ($"d{previous} = d{self} at each window's maximum, 0 elsewhere", $"({shapes[i]}) → ({shapes[i - 1]})", dA);
                break;
            case Activation g when dInput is not null:
                yield return ($"d{previous} = d{self} ∘ {g.Symbol}′({previous})", $"({shapes[i]})", dA);
                break;
            case var other when dInput is not null:
                yield return ($"d{previous} = {other.Spec.Type}′(d{self})", $"({shapes[i]}) → ({shapes[i - 1]})", dA);
                break;
        }
    }
}
