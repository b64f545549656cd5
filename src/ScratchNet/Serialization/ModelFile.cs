// Model files in the safetensors format: 8-byte little-endian header length, a JSON header mapping
// tensor names to dtype/shape/offsets plus string metadata, then raw little-endian float32 data.
// Loading is pure data: it never runs code, and rejects anything inconsistent with a clear message.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScratchNet.Layers;
using ScratchNet.Losses;

namespace ScratchNet.Serialization;

/// <summary>A network with the string metadata of its file, and its "state." tensors (checkpoints keep the trainer's state there; a model file has none).</summary>
public sealed record Model(Network Network, IReadOnlyDictionary<string, string> Metadata, IReadOnlyDictionary<string, float[]> State)
{
    /// <summary>A model with no saved training state.</summary>
    public Model(Network network, IReadOnlyDictionary<string, string> metadata)
        : this(network, metadata, new Dictionary<string, float[]>())
    {
    }
}

/// <summary>Reads and writes models as safetensors files with ScratchNet's metadata, checking every part on load.</summary>
public static class ModelFile
{
    /// <summary>The "format" metadata value of a ScratchNet model file.</summary>
    public const string Format = "scratchnet";
    /// <summary>The format version written.</summary>
    public const int Version = 1;

    /// <summary>Largest JSON header accepted (1 MiB); a real one is a few kilobytes.</summary>
    public const long MaxHeaderBytes = 1 << 20;

    /// <summary>
    /// Writes <paramref name="network"/> to <paramref name="path"/> atomically: a temporary file in the
    /// same folder, flushed to disk, then renamed over the target. An interrupted save leaves the old file.
    /// </summary>
    public static void Save(string path, Network network, IReadOnlyDictionary<string, string>? metadata = null, IReadOnlyDictionary<string, float[]>? state = null)
    {
        byte[] bytes = Serialize(network, metadata, state);
        AtomicFile.Write(path, bytes);
    }

    /// <summary>The bytes of the model file for <paramref name="network"/>.</summary>
    public static byte[] Serialize(Network network, IReadOnlyDictionary<string, string>? metadata = null, IReadOnlyDictionary<string, float[]>? state = null)
    {
        var meta = new JsonObject
        {
            ["format"] = Format,
            ["format_version"] = Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["layers"] = JsonSerializer.Serialize(network.Layers.Select(l => l.Spec).ToList()),
            ["loss"] = network.Loss.Name,
        };
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                if (!meta.ContainsKey(key))
                {
                    meta[key] = value;
                }
            }
        }
        var header = new JsonObject { ["__metadata__"] = meta };
        long offset = 0;
        var tensors = TensorList(network).Select(t => (t.Name, t.Parameter.Value, t.Parameter.Shape)).ToList();
        if (state is not null)
        {
            foreach (var (name, values) in state.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (!name.StartsWith(StatePrefix, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"State tensor names start with '{StatePrefix}': '{name}'.");
                }
                tensors.Add((name, values, new[] { values.Length }));
            }
        }
        foreach (var (name, values, shape) in tensors)
        {
            long bytes = values.Length * 4L;
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad the header with spaces so the data starts 8-byte aligned (allowed by the format).
        int padded = (json.Length + 7) / 8 * 8;
        var result = new byte[8 + padded + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        json.CopyTo(result, 8);
        result.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        int at = 8 + padded;
        foreach (var (_, values, _) in tensors)
        {
            foreach (float v in values)
            {
                BinaryPrimitives.WriteSingleLittleEndian(result.AsSpan(at), v);
                at += 4;
            }
        }
        return result;
    }

    /// <summary>Reads a model file, checking every part of it.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid ScratchNet model; the message says why.</exception>
    public static Model Load(string path)
    {
        InputFile.Check(path, "a model file");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: model file not found. Train one with 'scratchnet train --out {path}'.", path);
        }
        byte[] bytes = File.ReadAllBytes(path);
        return Deserialize(bytes, path);
    }

    /// <summary>Parses the bytes of a model file; <paramref name="name"/> names it in messages.</summary>
    public static Model Deserialize(ReadOnlySpan<byte> bytes, string name)
    {
        // A safetensors file has its JSON header at byte 8; anything else is named by what it seems to be.
        if (bytes.Length > 8 && bytes[8] != (byte)'{' && FileKind.Guess(bytes, name) is { } seems)
        {
            throw new InvalidDataException($"{name}: not a model file: it seems to be {seems}. Give a .safetensors model written by 'scratchnet train'.");
        }
        if (bytes.Length < 8)
        {
            throw Bad(name, $"the file has {bytes.Length} bytes, too few for the 8-byte header length");
        }
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes)
        {
            throw Bad(name, $"the header length field says {headerLength:N0} bytes, over the {MaxHeaderBytes:N0}-byte cap");
        }
        if ((long)headerLength > bytes.Length - 8)
        {
            throw Bad(name, $"truncated: the header needs {headerLength:N0} bytes but only {bytes.Length - 8:N0} follow the length field");
        }
        ReadOnlySpan<byte> data = bytes[(8 + (int)headerLength)..];
        JsonObject header;
        try
        {
            header = JsonNode.Parse(bytes.Slice(8, (int)headerLength).ToArray()) as JsonObject
                ?? throw Bad(name, "the header is not a JSON object");
            BuildEveryObject(header);
        }
        catch (JsonException e)
        {
            throw Bad(name, $"the header is not valid JSON ({e.Message})");
        }
        catch (ArgumentException e)
        {
            // JsonObject reports a key given twice (only here: every object is built by BuildEveryObject).
            throw Bad(name, $"the header names a key twice ({e.Message})");
        }
        catch (InvalidOperationException e)
        {
            // A string that is not valid text (bad UTF-8, a lone surrogate escape): BuildEveryObject decodes every one.
            throw Bad(name, $"the header holds a string that is not valid text ({e.Message})");
        }
        return Build(header, data, name);
    }

    /// <summary>Builds every object and decodes every string of the tree now (JsonNode does both on first use), so that a duplicate key or invalid text is found at parsing.</summary>
    private static void BuildEveryObject(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (KeyValuePair<string, JsonNode?> property in o)
                {
                    BuildEveryObject(property.Value);
                }
                break;
            case JsonArray a:
                foreach (JsonNode? item in a)
                {
                    BuildEveryObject(item);
                }
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                _ = v.GetValue<string>();
                break;
        }
    }

    private static Model Build(JsonObject header, ReadOnlySpan<byte> data, string name)
    {
        Dictionary<string, string> metadata = ReadMetadata(header, name);
        if (!metadata.TryGetValue("format", out string? format) || format != Format)
        {
            throw Bad(name, "its metadata does not say format 'scratchnet'; it is not a ScratchNet model");
        }
        if (!metadata.TryGetValue("format_version", out string? version) || version != Version.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            throw Bad(name, $"unknown format version '{version}'; this build reads version {Version}. Use the ScratchNet version that wrote it");
        }
        Network network = BuildNetwork(metadata, data.Length, name);
        var tensors = TensorList(network);
        var expectedNames = tensors.Select(t => t.Name).ToHashSet();
        var stateNames = new List<string>();
        foreach (var (key, _) in header)
        {
            if (key == "__metadata__" || expectedNames.Contains(key))
            {
                continue;
            }
            if (!key.StartsWith(StatePrefix, StringComparison.Ordinal))
            {
                throw Bad(name, $"tensor '{key}' is not part of the layer list");
            }
            stateNames.Add(key);
        }
        if (stateNames.Count > MaxStateTensors)
        {
            throw Bad(name, $"{stateNames.Count} state tensors, over the limit of {MaxStateTensors}");
        }

        var ranges = new List<(long Start, long End, string Name)>();
        foreach (var (tensorName, parameter) in tensors)
        {
            if (header[tensorName] is not JsonObject entry)
            {
                throw Bad(name, $"tensor '{tensorName}' is missing");
            }
            if (entry["dtype"]?.GetValueKind() != JsonValueKind.String || (string?)entry["dtype"] != "F32")
            {
                throw Bad(name, $"tensor '{tensorName}' has dtype {entry["dtype"]?.ToJsonString() ?? "none"}; expected \"F32\"");
            }
            long[] shape = ReadLongs(entry["shape"], name, tensorName, "shape");
            if (!shape.SequenceEqual(parameter.Shape.Select(d => (long)d)))
            {
                throw Bad(name, $"tensor '{tensorName}' has shape [{string.Join(", ", shape)}] but the layer list needs [{string.Join(", ", parameter.Shape)}]");
            }
            long[] offsets = ReadLongs(entry["data_offsets"], name, tensorName, "data_offsets");
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
            {
                throw Bad(name, $"tensor '{tensorName}' has invalid data_offsets [{string.Join(", ", offsets)}]");
            }
            if (offsets[1] - offsets[0] != parameter.Count * 4L)
            {
                throw Bad(name, $"tensor '{tensorName}' spans {offsets[1] - offsets[0]:N0} bytes but its shape needs {parameter.Count * 4L:N0}");
            }
            if (offsets[1] > data.Length)
            {
                throw Bad(name, $"truncated: tensor '{tensorName}' ends at byte {offsets[1]:N0} of the data but the data has {data.Length:N0} bytes");
            }
            ranges.Add((offsets[0], offsets[1], tensorName));
        }
        var state = new Dictionary<string, float[]>();
        foreach (string stateName in stateNames)
        {
            if (header[stateName] is not JsonObject entry || entry["dtype"]?.GetValueKind() != JsonValueKind.String || (string?)entry["dtype"] != "F32")
            {
                throw Bad(name, $"state tensor '{stateName}' must be an object with dtype \"F32\"");
            }
            long[] shape = ReadLongs(entry["shape"], name, stateName, "shape");
            long[] offsets = ReadLongs(entry["data_offsets"], name, stateName, "data_offsets");
            if (shape.Length != 1 || offsets.Length != 2 || offsets[1] < offsets[0] || offsets[1] - offsets[0] != shape[0] * 4 || offsets[1] > data.Length)
            {
                throw Bad(name, $"state tensor '{stateName}' has a shape or offsets that do not fit the data");
            }
            ranges.Add((offsets[0], offsets[1], stateName));
            state[stateName] = new float[shape[0]];
        }
        ranges.Sort((x, y) => x.Start.CompareTo(y.Start));
        long expectedStart = 0;
        foreach (var (start, end, tensorName) in ranges)
        {
            if (start != expectedStart)
            {
                throw Bad(name, start < expectedStart ? $"tensor '{tensorName}' overlaps the one before it" : $"there is a gap before tensor '{tensorName}'");
            }
            expectedStart = end;
        }
        if (expectedStart != data.Length)
        {
            throw Bad(name, $"the data section has {data.Length:N0} bytes but the tensors cover {expectedStart:N0}");
        }
        foreach (var (tensorName, parameter) in tensors)
        {
            long start = ranges.First(r => r.Name == tensorName).Start;
            ReadOnlySpan<byte> raw = data.Slice((int)start, parameter.Count * 4);
            for (int i = 0; i < parameter.Count; i++)
            {
                float v = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                if (!float.IsFinite(v))
                {
                    throw Bad(name, $"tensor '{tensorName}' holds a non-finite value ({v}) at element {i}; the model is broken (a diverged run?)");
                }
                if (v < 0 && tensorName.EndsWith(".running_var", StringComparison.Ordinal))
                {
                    throw Bad(name, $"tensor '{tensorName}' holds a negative variance ({v}) at element {i}");
                }
                parameter.Value[i] = v;
            }
        }
        foreach (var (stateName, values) in state)
        {
            long start = ranges.First(r => r.Name == stateName).Start;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(int)(start + (4 * i))..]);
            }
        }
        return new Model(network, metadata, state);
    }

    /// <summary>Names of extra tensors (a checkpoint's trainer state) start with this; a plain model loader ignores them.</summary>
    public const string StatePrefix = "state.";

    private const int MaxStateTensors = 4096;

    /// <summary>Tensor names in file order: layers.{index}.W, layers.{index}.b, … (batch norm: gamma, beta, running_mean, running_var)</summary>
    public static List<(string Name, Parameter Parameter)> TensorList(Network network)
    {
        var list = new List<(string, Parameter)>();
        for (int i = 0; i < network.Layers.Count; i++)
        {
            foreach (Parameter p in network.Layers[i].Parameters.Concat(network.Layers[i].State))
            {
                list.Add(($"layers.{i}.{p.Name}", p));
            }
        }
        return list;
    }

    private static Dictionary<string, string> ReadMetadata(JsonObject header, string name)
    {
        if (header["__metadata__"] is not JsonObject meta)
        {
            throw Bad(name, "the header has no __metadata__; it is not a ScratchNet model");
        }
        var result = new Dictionary<string, string>();
        foreach (var (key, value) in meta)
        {
            if (value is null || value.GetValueKind() != JsonValueKind.String)
            {
                throw Bad(name, $"metadata '{key}' is not a string");
            }
            result[key] = value.GetValue<string>();
        }
        return result;
    }

    /// <summary>Values a layer list may declare beyond the data before the loader refuses it up front (4 MB of floats).</summary>
    private const long UncheckedValues = 1 << 20;

    private static Network BuildNetwork(Dictionary<string, string> metadata, long dataBytes, string name)
    {
        if (!metadata.TryGetValue("layers", out string? layersJson))
        {
            throw Bad(name, "the metadata has no layer list");
        }
        List<LayerSpec>? specs;
        try
        {
            specs = JsonSerializer.Deserialize<List<LayerSpec>>(layersJson);
        }
        catch (JsonException e)
        {
            throw Bad(name, $"the layer list is not valid ({e.Message})");
        }
        if (specs is null || specs.Count == 0)
        {
            throw Bad(name, "the layer list is empty");
        }
        // Every value a layer list declares is 4 bytes of the data section: a list that claims millions more
        // than the file holds is refused before anything is allocated for it (a small file cannot ask for
        // gigabytes); a small shortfall gets the tensor-by-tensor messages below.
        long declared = 0;
        foreach (LayerSpec spec in specs)
        {
            long values = spec is null ? 0 : ScratchNet.Layers.Architecture.ParameterCount(spec) + (spec.Type == "batchnorm" ? 2L * (spec.Channels ?? 0) : 0);
            declared += Math.Max(0, values);
            if (values < 0 || (declared * 4 > dataBytes && declared > UncheckedValues))
            {
                throw Bad(name, $"the layer list declares more values than the file's {dataBytes:N0} bytes of data hold");
            }
        }
        var layers = new List<ILayer>();
        foreach (LayerSpec spec in specs)
        {
            int maxSize = spec?.Map is null ? ScratchNet.Training.Limits.MaxUnits : ScratchNet.Layers.Architecture.MaxMapSize;
            if (spec is null || spec.Inputs < 1 || spec.Outputs < 1 || spec.Inputs > maxSize || spec.Outputs > maxSize)
            {
                throw Bad(name, $"layer {layers.Count} has sizes outside 1..{maxSize}");
            }
            try
            {
                layers.Add(ScratchNet.Layers.Architecture.Create(spec));
            }
            catch (ArgumentException e)
            {
                throw Bad(name, $"layer {layers.Count}: {e.Message}");
            }
            catch (OutOfMemoryException)
            {
                throw Bad(name, $"layer {layers.Count} is too large to load");
            }
        }
        string lossName = metadata.GetValueOrDefault("loss", "cross_entropy");
        ILoss loss = LossFunctions.Names.Contains(lossName) || lossName == LossFunctions.OldCrossEntropyName
            ? LossFunctions.Create(lossName)
            : throw Bad(name, $"unknown loss '{lossName}'");
        try
        {
            return new Network(layers, loss);
        }
        catch (ArgumentException e)
        {
            throw Bad(name, e.Message);
        }
    }

    private static long[] ReadLongs(JsonNode? node, string name, string tensor, string field)
    {
        if (node is not JsonArray array)
        {
            throw Bad(name, $"tensor '{tensor}' has no {field} array");
        }
        var result = new long[array.Count];
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue(out long x) || x < 0)
            {
                throw Bad(name, $"tensor '{tensor}' has a {field} entry that is not a non-negative integer");
            }
            result[i] = x;
        }
        return result;
    }

    private static InvalidDataException Bad(string name, string problem) =>
        new($"{name}: not a valid model file: {problem}. Use a model written by 'scratchnet train' (or restore a good copy of this one).");
}
