// A saved ScratchNet model as an ONNX graph, layer by layer:
//   dense        → Gemm(A, W, b, transB = 1)          Z = A·Wᵀ + b, W stored [out, in]
//   conv         → Conv(A, W, b)                        W [out, in, K, K], cross-correlation, pads, strides
//   maxpool      → MaxPool(kernel 2×2, strides 2)
//   batchnorm    → BatchNormalization(γ, β, running mean, running var, ε)   (evaluation: running statistics)
//   flatten      → Flatten(axis = 1)                    NCHW, as the layer's own row-major [m, C·H·W]
//   gap          → GlobalAveragePool
//   relu, tanh, sigmoid, leaky_relu → Relu, Tanh, Sigmoid, LeakyRelu(α)
//   dropout      → nothing (the identity at evaluation)
//   the output   → Softmax(axis = 1) for cross-entropy, Sigmoid for the quadratic cost
// A flat layer (dense, per-unit batch norm) after maps gets a Flatten first, as the layers read the
// same row-major numbers. The graph's input is the network's: pixels / 255, [N, 784] for a dense
// network and [N, C, H, W] for one that starts with maps; the batch dimension N is left free.
using System.Buffers.Binary;
using System.Globalization;
using System.Reflection;
using Google.Protobuf;
using Onnx;
using ScratchNet.Layers;
using ScratchNet.Losses;
using ScratchNet.Serialization;
using ScratchNet.Tensors;

namespace ScratchNet.Onnx;

/// <summary>Writes a ScratchNet model as an ONNX file that ONNX Runtime (or any ONNX consumer) can run.</summary>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the graphs use (the default domain).</summary>
    public const int Opset = 17;

    /// <summary>The ONNX IR version written (IR 8 goes with opset 17).</summary>
    public const long IrVersion = 8;

    /// <summary>Name of the graph's input: the network's input, pixels / 255.</summary>
    public const string InputName = "input";

    /// <summary>Name of the graph's output: the class probabilities [N, classes].</summary>
    public const string OutputName = "probabilities";

    /// <summary>The ScratchNet version written into the file's producer and metadata.</summary>
    public static string Version { get; } =
        typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>Writes <paramref name="model"/> as ONNX to <paramref name="path"/>, atomically (an old file stays whole until the new one is complete).</summary>
    public static void Save(string path, Model model) => AtomicFile.Write(path, Serialize(model));

    /// <summary>The ONNX bytes of <paramref name="model"/>; throws <see cref="ArgumentException"/> naming the layer for anything ONNX cannot carry.</summary>
    public static byte[] Serialize(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Build(model).ToByteArray();
    }

    internal static ModelProto Build(Model model)
    {
        Network network = model.Network;
        CheckFinite(network);
        var graph = new GraphProto { Name = "scratchnet" };
        MapShape? inputMap = network.Layers.Count > 0 ? network.Layers[0].Spec.Map : null;
        long[] inputShape = inputMap is { } map ? [map.Channels, map.Height, map.Width] : [network.InputSize];
        graph.Input.Add(TensorValue(InputName, inputShape));

        var writer = new GraphWriter(graph);
        string current = InputName;
        bool maps = inputMap is not null;
        for (int i = 0; i < network.Layers.Count; i++)
        {
            (current, maps) = writer.Layer(network.Layers[i], i, current, maps);
        }
        if (maps)
        {
            current = writer.Node("Flatten", "output_flatten", [current], ("axis", 1L));
        }
        string outputOp = network.Loss switch
        {
            SoftmaxCrossEntropy => "Softmax",
            MeanSquaredError => "Sigmoid",
            _ => throw new ArgumentException($"The output of loss '{network.Loss.Name}' has no ONNX operator here; export supports cross_entropy (softmax) and mse (sigmoid)."),
        };
        var output = new NodeProto { OpType = outputOp, Name = "output", Output = { OutputName } };
        output.Input.Add(current);
        if (outputOp == "Softmax")
        {
            output.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        }
        graph.Node.Add(output);
        graph.Output.Add(TensorValue(OutputName, [network.OutputSize]));

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "ScratchNet",
            ProducerVersion = Version,
            Domain = "scratchnet",
            ModelVersion = 1,
            DocString = $"ScratchNet network {network.Shape}. Input '{InputName}': 28×28 images as pixels / 255 (0 = background, 1 = ink), row-major; output '{OutputName}': class probabilities.",
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach ((string key, string value) in Metadata(model))
        {
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }
        return proto;
    }

    /// <summary>The metadata props: the model file's own entries, then what this export adds.</summary>
    private static IEnumerable<(string Key, string Value)> Metadata(Model model)
    {
        var props = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in model.Metadata)
        {
            props[key] = value;
        }
        props["scratchnet_version"] = Version;
        props["layers"] = model.Network.Shape;
        props["input"] = "pixels / 255, 28×28 row-major, white digit on black";
        return props.Select(p => (p.Key, p.Value));
    }

    private static void CheckFinite(Network network)
    {
        for (int i = 0; i < network.Layers.Count; i++)
        {
            foreach (Parameter p in network.Layers[i].Parameters.Concat(network.Layers[i].State))
            {
                int bad = Array.FindIndex(p.Value, v => !float.IsFinite(v));
                if (bad >= 0)
                {
                    throw new ArgumentException($"layers.{i}.{p.Name}[{bad}] is {p.Value[bad].ToString(CultureInfo.InvariantCulture)}: an ONNX file of a model with non-finite values would compute nothing useful; retrain or load a sound model.");
                }
            }
        }
    }

    internal static ValueInfoProto TensorValue(string name, long[] featureShape)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (long d in featureShape)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    internal static TensorProto Tensor(string name, float[] values, params long[] dims)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.Add(dims);
        return tensor;
    }

    private static long[] Ints(params long[] values) => values;

    /// <summary>Appends nodes and initializers for one layer after another.</summary>
    private sealed class GraphWriter(GraphProto graph)
    {
        /// <summary>Writes layer <paramref name="index"/> reading <paramref name="input"/>; returns its output's name and whether it is a 4-D map.</summary>
        public (string Output, bool Maps) Layer(ILayer layer, int index, string input, bool maps)
        {
            string prefix = $"layers.{index}";
            switch (layer)
            {
                case Dense dense:
                    input = Flat(input, maps, prefix);
                    Initializer(Tensor($"{prefix}.W", dense.W.Value, dense.Outputs, dense.Inputs));
                    Initializer(Tensor($"{prefix}.b", dense.b.Value, dense.Outputs));
                    return (Node("Gemm", prefix, [input, $"{prefix}.W", $"{prefix}.b"], ("transB", 1L)), false);
                case Conv2D conv:
                    {
                        ConvShape s = conv.Shape;
                        Initializer(Tensor($"{prefix}.W", conv.W.Value, s.Output.Channels, s.Input.Channels, s.Kernel, s.Kernel));
                        Initializer(Tensor($"{prefix}.b", conv.b.Value, s.Output.Channels));
                        string output = Node("Conv", prefix, [input, $"{prefix}.W", $"{prefix}.b"],
                            ("kernel_shape", Ints(s.Kernel, s.Kernel)), ("strides", Ints(s.Stride, s.Stride)),
                            ("pads", Ints(s.Padding, s.Padding, s.Padding, s.Padding)));
                        return (output, true);
                    }
                case MaxPool2D:
                    return (Node("MaxPool", prefix, [input], ("kernel_shape", Ints(2, 2)), ("strides", Ints(2, 2))), true);
                case BatchNorm bn:
                    {
                        int c = bn.Shape.Channels;
                        if (!maps && bn.Shape.Plane != 1)
                        {
                            throw new ArgumentException($"layer {index} (batchnorm over {bn.Shape.Channels}×{bn.Shape.Height}×{bn.Shape.Width} maps) reads a flat input here; the network is inconsistent.");
                        }
                        Initializer(Tensor($"{prefix}.gamma", bn.gamma.Value, c));
                        Initializer(Tensor($"{prefix}.beta", bn.beta.Value, c));
                        Initializer(Tensor($"{prefix}.running_mean", bn.RunningMean.Value, c));
                        Initializer(Tensor($"{prefix}.running_var", bn.RunningVar.Value, c));
                        string output = Node("BatchNormalization", prefix,
                            [input, $"{prefix}.gamma", $"{prefix}.beta", $"{prefix}.running_mean", $"{prefix}.running_var"],
                            ("epsilon", bn.Epsilon));
                        return (output, maps);
                    }
                case Flatten:
                    return (Flat(input, maps, prefix), false);
                case GlobalAveragePool:
                    return (Node("GlobalAveragePool", prefix, [input]), true);
                case Dropout:
                    return (input, maps);
                case LeakyReLU leaky:
                    return (Node("LeakyRelu", prefix, [input], ("alpha", leaky.Alpha)), maps);
                case ReLU:
                    return (Node("Relu", prefix, [input]), maps);
                case Tanh:
                    return (Node("Tanh", prefix, [input]), maps);
                case Sigmoid:
                    return (Node("Sigmoid", prefix, [input]), maps);
                default:
                    throw new ArgumentException($"layer {index} ('{layer.Spec.Type}', {layer.GetType().Name}) has no ONNX form here; export supports dense, conv, maxpool, batchnorm, flatten, gap, dropout, relu, tanh, sigmoid and leaky_relu layers.");
            }
        }

        /// <summary>A Flatten(axis = 1) of <paramref name="input"/> when it is a 4-D map, else the input itself.</summary>
        private string Flat(string input, bool maps, string prefix) =>
            maps ? Node("Flatten", prefix + ".flatten", [input], ("axis", 1L)) : input;

        private void Initializer(TensorProto tensor) => graph.Initializer.Add(tensor);

        /// <summary>Adds a node named <paramref name="name"/> whose single output is named after it.</summary>
        public string Node(string op, string name, string[] inputs, params (string Name, object Value)[] attributes)
        {
            string output = name + ".out";
            var node = new NodeProto { OpType = op, Name = name };
            node.Input.Add(inputs);
            node.Output.Add(output);
            foreach ((string attrName, object value) in attributes)
            {
                node.Attribute.Add(value switch
                {
                    long i => new AttributeProto { Name = attrName, Type = AttributeProto.Types.AttributeType.Int, I = i },
                    float f => new AttributeProto { Name = attrName, Type = AttributeProto.Types.AttributeType.Float, F = f },
                    long[] ints => IntsAttribute(attrName, ints),
                    _ => throw new InvalidOperationException($"attribute {attrName}: unsupported value {value}"),
                });
            }
            graph.Node.Add(node);
            return output;
        }

        private static AttributeProto IntsAttribute(string name, long[] values)
        {
            var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
            attribute.Ints.Add(values);
            return attribute;
        }
    }
}
