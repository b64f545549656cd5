// A network's layers as one readable line, e.g. "conv32k3,bn,relu,pool,conv64k3,bn,relu,pool,dense128,relu,10":
//   convFkK[sS][same|valid|pP]  F filters of K×K (1–7), stride S (1 or 2), padding same (the default, odd K),
//                               valid (none) or P; reads the maps before it (the image itself first: 1×28×28)
//   pool                        2×2 max pooling, stride 2          bn       batch norm (per channel, or per unit)
//   gap                         global average pool (maps → C)     flatten  maps → one vector (inserted before a dense layer)
//   denseN or N                 a dense layer of N units           dropoutP dropout with rate P, e.g. dropout0.25
//   relu, tanh, sigmoid, leaky_relu                                the last layer's scores go to softmax
// Parse checks every item and every shape before anything is built; Text writes the list back;
// Create builds one layer from its spec (the model loader uses it too). Leaves out: branches.
using System.Globalization;
using System.Text.RegularExpressions;
using ScratchNet.Tensors;

namespace ScratchNet.Layers;

/// <summary>Reads and writes a network's layer list as text, and builds layers from specs.</summary>
public static partial class Architecture
{
    /// <summary>Values per example a map layer may give, at most.</summary>
    public const int MaxMapSize = 1 << 22;

    /// <summary>Filters per convolution, at most.</summary>
    public const int MaxFilters = 4096;

    /// <summary>Kernel sides accepted: 1 to 7.</summary>
    public const int MaxKernel = 7;

    /// <summary>The items the text may hold, for messages and --help.</summary>
    public const string Syntax = "convFkK[sS][same|valid], pool, bn, gap, flatten, denseN or N, dropoutP, relu, tanh, sigmoid, leaky_relu";

    /// <summary>True when <paramref name="text"/> is a layer list (any item not a plain number) rather than sizes like 784,128,10.</summary>
    public static bool IsLayerList(string text) => text.Split(',').Any(t => !int.TryParse(t.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _));

    /// <summary>
    /// The layers of <paramref name="text"/> for examples of <paramref name="features"/> values (a square
    /// grey image when the list starts with maps). Throws ArgumentException naming the item that does not
    /// parse or does not fit, its position, and the fix.
    /// </summary>
    public static IReadOnlyList<LayerSpec> Parse(string text, int features)
    {
        string[] items = text.Split(',');
        var specs = new List<LayerSpec>();
        MapShape? map = null;  // the maps the next layer reads; null: a flat vector of `size` values
        int size = features;
        for (int position = 1; position <= items.Length; position++)
        {
            string item = items[position - 1].Trim().ToLowerInvariant();
            string Where() => $"--layers {text}: item {position} '{item}'";
            if (item.Length == 0)
            {
                throw new ArgumentException($"--layers {text}: item {position} is empty; separate items with single commas.");
            }
            if (position == 1 && int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out _) && items.Length > 1)
            {
                int bad = Array.FindIndex(items, t => !int.TryParse(t.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _));
                throw new ArgumentException($"--layers {text}: item {bad + 1} '{items[bad].Trim()}' is not a positive whole number; write sizes like 784,256,10, or a layer list without the input size (it comes from the data), e.g. conv32k3,pool,dense128,10.");
            }
            MapShape Maps(string what)
            {
                if (map is { } current)
                {
                    return current;
                }
                if (specs.Count > 0)
                {
                    throw new ArgumentException($"{Where()}: {what} needs maps, but the layer before gives a flat vector of {size:N0} values; put it before the first dense, gap or flatten item.");
                }
                return MapShape.SquareImage(features) ?? throw new ArgumentException($"{Where()}: {what} needs square images, but the data has {features:N0} values per image.");
            }
            Match conv = ConvItem().Match(item);
            LayerSpec spec;
            if (conv.Success)
            {
                MapShape input = Maps("a convolution");
                int filters = Number(conv.Groups[1].Value), kernel = Number(conv.Groups[2].Value);
                int stride = conv.Groups[3].Success ? Number(conv.Groups[3].Value) : 1;
                string padding = conv.Groups[4].Success ? conv.Groups[4].Value : "same";
                if (filters is < 1 or > MaxFilters || kernel is < 1 or > MaxKernel || stride is < 1 or > 2)
                {
                    throw new ArgumentException($"{Where()}: use 1..{MaxFilters} filters, a kernel of 1..{MaxKernel} and stride 1 or 2, e.g. conv32k3 or conv64k3s2.");
                }
                int pad;
                if (padding == "valid")
                {
                    pad = 0;
                }
                else if (padding == "same")
                {
                    pad = kernel % 2 == 1 ? kernel / 2 : throw new ArgumentException($"{Where()}: an even kernel cannot pad both sides equally; use an odd kernel or add 'valid'.");
                }
                else
                {
                    pad = Number(padding[1..]);
                    if (pad >= kernel)
                    {
                        throw new ArgumentException($"{Where()}: padding {pad} is not less than the kernel {kernel}; use 0..{kernel - 1}.");
                    }
                }
                var shape = new ConvShape(input, filters, kernel, stride, pad);
                if (shape.OutHeight < 1 || shape.OutWidth < 1)
                {
                    throw new ArgumentException($"{Where()}: a {kernel}×{kernel} kernel with padding {pad} does not fit {input} maps; use a smaller kernel or 'same' padding.");
                }
                CheckSize(shape.Output.Size, Where);
                spec = new LayerSpec("conv", input.Size, shape.Output.Size) { Filters = filters, Kernel = kernel, Stride = stride, Padding = pad }.WithMap(input);
                map = shape.Output;
            }
            else if (item is "pool" or "maxpool")
            {
                MapShape input = Maps("pooling");
                if (input.Height < 2 || input.Width < 2)
                {
                    throw new ArgumentException($"{Where()}: cannot pool {input} maps (2×2 pooling needs at least 2×2); remove it or pool fewer times.");
                }
                spec = new LayerSpec("maxpool", input.Size, input.Channels * (input.Height / 2) * (input.Width / 2)).WithMap(input);
                map = new MapShape(input.Channels, input.Height / 2, input.Width / 2);
            }
            else if (item is "gap")
            {
                MapShape input = Maps("global average pooling");
                spec = new LayerSpec("gap", input.Size, input.Channels).WithMap(input);
                map = null;
            }
            else if (item is "flatten")
            {
                MapShape input = Maps("flatten");
                spec = new LayerSpec("flatten", input.Size, input.Size).WithMap(input);
                map = null;
            }
            else if (item is "bn" or "batchnorm")
            {
                if (specs.Count == 0)
                {
                    throw new ArgumentException($"{Where()}: batch norm normalises a layer's output; put it after a convolution or a dense layer.");
                }
                MapShape shape = map ?? new MapShape(size, 1, 1);
                spec = new LayerSpec("batchnorm", shape.Size, shape.Size) { Epsilon = 1e-5f, Momentum = 0.1f }.WithMap(shape);
            }
            else if (DenseItem().Match(item) is { Success: true } dense)
            {
                int units = Number(dense.Groups[1].Value);
                if (units is < 1 or > 65536)
                {
                    throw new ArgumentException($"{Where()}: a dense layer has 1..65,536 units.");
                }
                if (map is { } maps)
                {
                    specs.Add(new LayerSpec("flatten", maps.Size, maps.Size).WithMap(maps));
                    map = null;
                }
                if ((long)size * units > Array.MaxLength)
                {
                    throw new ArgumentException($"{Where()}: {size:N0} × {units:N0} weights do not fit one array; use fewer units or pool more before it.");
                }
                spec = new LayerSpec("dense", size, units);
            }
            else if (DropoutItem().Match(item) is { Success: true } drop)
            {
                float rate = float.Parse(drop.Groups[1].Value, CultureInfo.InvariantCulture);
                if (!(rate >= 0f && rate < 1f))
                {
                    throw new ArgumentException($"{Where()}: the rate must be in [0, 1), e.g. dropout0.25.");
                }
                spec = new LayerSpec("dropout", size, size, Rate: rate);
            }
            else if (Activation.Names.Contains(item))
            {
                spec = new LayerSpec(item, size, size);
            }
            else
            {
                throw new ArgumentException($"{Where()} is not a layer; use {Syntax}.");
            }
            if (map is { } m && !conv.Success && spec.Type is not ("maxpool"))
            {
                spec = spec.WithMap(m);
            }
            specs.Add(spec);
            size = spec.Outputs;
        }
        LayerSpec last = specs[^1];
        if (last.Type is "dropout" or "batchnorm" || Activation.Names.Contains(last.Type))
        {
            throw new ArgumentException($"--layers {text}: ends with '{items[^1].Trim()}'; the last layer gives the class scores and softmax follows it: end with a dense layer such as 10.");
        }
        if (map is not null)
        {
            throw new ArgumentException($"--layers {text}: ends with {map} maps; finish with the class scores, e.g. ',10' (a dense layer) or ',gap' after a convolution with one filter per class.");
        }
        return specs;
    }

    /// <summary>The layer list as text that <see cref="Parse"/> reads back to the same specs.</summary>
    public static string Text(IReadOnlyList<LayerSpec> specs) => string.Join(',', specs.Select((s, i) => s.Type switch
    {
        "conv" => $"conv{s.Filters}k{s.Kernel}{(s.Stride is 1 ? "" : $"s{s.Stride}")}{PaddingText(s)}",
        "maxpool" => "pool",
        "batchnorm" => "bn",
        "dense" => i == specs.Count - 1 ? $"{s.Outputs}" : $"dense{s.Outputs}",
        "dropout" => $"dropout{(s.Rate ?? 0f).ToString(CultureInfo.InvariantCulture)}",
        _ => s.Type,
    }));

    /// <summary>True when the list has layers other than dense layers, activations and dropout.</summary>
    public static bool HasMaps(IEnumerable<LayerSpec> specs) => specs.Any(s => s.Type is "conv" or "maxpool" or "gap" or "flatten" or "batchnorm");

    /// <summary>Trainable values of the layer <paramref name="spec"/> describes (weights and biases; γ and β), counted without building it.</summary>
    public static long ParameterCount(LayerSpec spec) => spec.Type switch
    {
        "dense" => ((long)spec.Inputs * spec.Outputs) + spec.Outputs,
        "conv" => ((long)(spec.Filters ?? 0) * (spec.Channels ?? 0) * (spec.Kernel ?? 0) * (spec.Kernel ?? 0)) + (spec.Filters ?? 0),
        "batchnorm" => 2L * (spec.Channels ?? 0),
        _ => 0,
    };

    /// <summary>The layer <paramref name="spec"/> describes. Throws ArgumentException when its fields are missing or do not fit together.</summary>
    public static ILayer Create(LayerSpec spec)
    {
        MapShape Map() => spec.Map is { } m && m.Channels > 0 && m.Height > 0 && m.Width > 0 && (long)m.Channels * m.Height * m.Width == spec.Inputs
            ? m
            : throw new ArgumentException($"a {spec.Type} layer needs channels, height and width whose product is its {spec.Inputs} inputs");
        void Outputs(int expected)
        {
            if (spec.Outputs != expected)
            {
                throw new ArgumentException($"a {spec.Type} layer of these inputs gives {expected} outputs, not {spec.Outputs}");
            }
        }
        switch (spec.Type)
        {
            case "dense":
                return new Dense(spec.Inputs, spec.Outputs);
            case "dropout" when spec.Inputs == spec.Outputs && spec.Rate is >= 0f and < 1f:
                return new Dropout(spec.Inputs, spec.Rate.Value);
            case "conv":
                {
                    MapShape input = Map();
                    int filters = spec.Filters ?? 0, kernel = spec.Kernel ?? 0, stride = spec.Stride ?? 0, padding = spec.Padding ?? -1;
                    if (filters is < 1 or > MaxFilters || kernel is < 1 or > MaxKernel || stride is < 1 or > 2 || padding < 0 || padding >= kernel)
                    {
                        throw new ArgumentException($"a conv layer needs 1..{MaxFilters} filters, a kernel of 1..{MaxKernel}, stride 1 or 2 and padding below the kernel");
                    }
                    var shape = new ConvShape(input, filters, kernel, stride, padding);
                    if (shape.OutHeight < 1 || shape.OutWidth < 1 || shape.Output.Size > MaxMapSize)
                    {
                        throw new ArgumentException($"a {kernel}×{kernel} conv layer does not fit {input} maps");
                    }
                    Outputs(shape.Output.Size);
                    return new Conv2D(input, filters, kernel, stride, padding);
                }
            case "maxpool":
                {
                    MapShape input = Map();
                    var layer = new MaxPool2D(input);
                    Outputs(layer.Output.Size);
                    return layer;
                }
            case "gap":
                {
                    MapShape input = Map();
                    Outputs(input.Channels);
                    return new GlobalAveragePool(input);
                }
            case "flatten":
                {
                    MapShape input = Map();
                    Outputs(input.Size);
                    return new Flatten(input);
                }
            case "batchnorm":
                {
                    MapShape shape = Map();
                    Outputs(shape.Size);
                    float epsilon = spec.Epsilon ?? 1e-5f, momentum = spec.Momentum ?? 0.1f;
                    if (!(epsilon > 0f && epsilon < 1f) || !(momentum >= 0f && momentum <= 1f))
                    {
                        throw new ArgumentException("a batchnorm layer needs epsilon in (0, 1) and momentum in [0, 1]");
                    }
                    return new BatchNorm(shape, epsilon, momentum);
                }
            case var name when spec.Alpha is { } alpha && !float.IsFinite(alpha):
                throw new ArgumentException($"a {name} layer has a non-finite alpha ({alpha})");
            case var name when Activation.Names.Contains(name) && spec.Inputs == spec.Outputs:
                return Activation.Create(name, spec.Inputs, spec.Alpha);
            default:
                throw new ArgumentException($"unknown type '{spec.Type}' or mismatched sizes");
        }
    }

    private static string PaddingText(LayerSpec s) =>
        s.Padding == 0 && s.Kernel > 1 ? "valid" : s.Padding == (s.Kernel - 1) / 2 && s.Kernel % 2 == 1 ? "" : $"p{s.Padding}";

    private static void CheckSize(int size, Func<string> where)
    {
        if (size > MaxMapSize)
        {
            throw new ArgumentException($"{where()}: gives {size:N0} values per image, over {MaxMapSize:N0}; use fewer filters or stride 2.");
        }
    }

    private static int Number(string digits) => int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : int.MaxValue;

    [GeneratedRegex(@"^conv(\d+)k(\d+)(?:s(\d+))?(same|valid|p\d+)?$")]
    private static partial Regex ConvItem();

    [GeneratedRegex(@"^(?:dense)?(\d+)$")]
    private static partial Regex DenseItem();

    [GeneratedRegex(@"^(?:dropout|drop)(\d*\.?\d+)$")]
    private static partial Regex DropoutItem();
}
