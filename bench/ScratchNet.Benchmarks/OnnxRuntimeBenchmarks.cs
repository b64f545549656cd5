// ScratchNet's own inference beside ONNX Runtime running the same model exported by `scratchnet
// export` — what a user weighing "serve with ScratchNet" against "export and serve with ONNX Runtime"
// wants to know. The shipped models, the 10,000 MNIST test images (pixels / 255), both on 2 threads:
//   dotnet run -c Release --project bench/ScratchNet.Benchmarks -- --filter '*OnnxRuntime*'
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ScratchNet.Data;
using ScratchNet.Inference;
using ScratchNet.Onnx;
using ScratchNet.Serialization;
using ScratchNet.Tensors;

namespace ScratchNet.Benchmarks;

[SimpleJob(warmupCount: 2, iterationCount: 7)]
public class OnnxRuntimeBenchmarks
{
    private const int Threads = 2;
    private Model model = null!;
    private Dataset test = null!;
    private InferenceSession session = null!;
    private DenseTensor<float>[] batches = [];
    private DenseTensor<float> one = null!;
    private Predictor predictor = null!;
    private Workers.ThreadScope? threads;

    [Params("mlp", "cnn-fast", "cnn")]
    public string Model { get; set; } = "mlp";

    [GlobalSetup]
    public void Setup()
    {
        threads = Workers.Use(Threads);
        model = PretrainedModels.Load(PretrainedModels.Get(Model));
        test = MnistData.LoadShipped().Test;
        var options = new SessionOptions { IntraOpNumThreads = Threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        session = new InferenceSession(OnnxExporter.Serialize(model), options);
        int[] shape = model.Network.Layers[0].Spec.Map is { } map ? [map.Channels, map.Height, map.Width] : [model.Network.InputSize];
        const int batch = 1000;
        batches = new DenseTensor<float>[test.Count / batch];
        for (int b = 0; b < batches.Length; b++)
        {
            var X = new Matrix(batch, test.Features);
            test.FillBatch(b * batch, batch, X);
            batches[b] = new DenseTensor<float>(X.Span.ToArray(), [batch, .. shape]);
        }
        var x1 = new Matrix(1, test.Features);
        test.FillBatch(0, 1, x1);
        one = new DenseTensor<float>(x1.Span.ToArray(), [1, .. shape]);
        predictor = new Predictor(model.Network);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        session.Dispose();
        threads?.Dispose();
    }

    /// <summary>ScratchNet: probabilities of the 10,000 test images (the chooser's inference engine).</summary>
    [Benchmark(Baseline = true)]
    public float ScratchNet_10000() => Evaluator.Probabilities(model.Network, test)[0, 0];

    /// <summary>ONNX Runtime: the same 10,000 images in batches of 1,000.</summary>
    [Benchmark]
    public float OnnxRuntime_10000()
    {
        float first = 0;
        foreach (DenseTensor<float> batch in batches)
        {
            using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, batch)]);
            first += outputs[0].AsTensor<float>()[0, 0];
        }
        return first;
    }

    /// <summary>ScratchNet: one image (the drawing page's request).</summary>
    [Benchmark]
    public int ScratchNet_one() => predictor.Predict(test.Image(0)).Digit;

    /// <summary>ONNX Runtime: one image.</summary>
    [Benchmark]
    public float OnnxRuntime_one()
    {
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExporter.InputName, one)]);
        return outputs[0].AsTensor<float>()[0, 0];
    }
}
