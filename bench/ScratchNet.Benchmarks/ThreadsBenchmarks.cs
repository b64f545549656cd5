// What the second core gives a cnn-fast training step (forward and backward through the layers, 32
// images, no optimiser), three ways: one thread; two threads, every layer splitting its own work
// (today's step); and two halves of 16 images on separate network copies, one per thread, stepping in
// lockstep — the upper bound of a data-parallel step, in which each core keeps its half's maps in its
// own cache (it leaves out what such a step would add: batch norm's statistics and the weight
// gradients exchanged between the halves). docs/benchmarks.md, "what the second core gives".
// Run: dotnet run -c Release --project bench/ScratchNet.Benchmarks -- --filter '*ThreadsBenchmarks*'
using BenchmarkDotNet.Attributes;
using ScratchNet.Layers;
using ScratchNet.Tensors;

namespace ScratchNet.Benchmarks;

public class ThreadsBenchmarks
{
    private const string Arch = "conv8k3,pool,bn,relu,conv16k3,pool,bn,relu,dense64,relu,10";
    private const int Batch = 32;

    private Network whole = null!;
    private Matrix wholeX = null!, wholeD = null!;
    private readonly Network[] halves = new Network[2];
    private readonly Matrix[] halfX = new Matrix[2], halfD = new Matrix[2];
    private Thread? second;
    private Barrier? start, done;
    private volatile bool stop;

    public enum Split
    {
        OneThread,
        TwoThreadsPerLayer,
        TwoHalvesInLockstep,
    }

    [Params(Split.OneThread, Split.TwoThreadsPerLayer, Split.TwoHalvesInLockstep)]
    public Split Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        whole = Create();
        wholeX = Images(Batch, 784, 1);
        wholeD = Images(Batch, 10, 3);
        for (int h = 0; h < 2; h++)
        {
            halves[h] = Create();
            halfX[h] = Images(Batch / 2, 784, h + 1);
            halfD[h] = Images(Batch / 2, 10, h + 3);
        }
        if (Mode == Split.TwoHalvesInLockstep)
        {
            start = new Barrier(2);
            done = new Barrier(2);
            second = new Thread(() =>
            {
                using var _ = Workers.Use(1);
                while (true)
                {
                    start.SignalAndWait();
                    if (stop)
                    {
                        return;
                    }
                    Step(halves[1], halfX[1], halfD[1]);
                    done.SignalAndWait();
                }
            }) { IsBackground = true };
            second.Start();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (second is not null)
        {
            stop = true;
            start!.SignalAndWait();
            second.Join();
        }
    }

    [Benchmark]
    public void Step()
    {
        switch (Mode)
        {
            case Split.OneThread:
                using (Workers.Use(1))
                {
                    Step(whole, wholeX, wholeD);
                }
                break;
            case Split.TwoThreadsPerLayer:
                using (Workers.Use(2))
                {
                    Step(whole, wholeX, wholeD);
                }
                break;
            default:
                using (Workers.Use(1))
                {
                    start!.SignalAndWait();
                    Step(halves[0], halfX[0], halfD[0]);
                    done!.SignalAndWait();
                }
                break;
        }
    }

    private static Network Create()
    {
        Network network = Network.Create(Architecture.Parse(Arch, 784));
        network.Initialize(Initializer.He, new Rng(1));
        return network;
    }

    /// <summary>Values in [0, 1): images of 784 pixels, or a stand-in gradient of the 10 outputs (the work does not depend on the values).</summary>
    private static Matrix Images(int rows, int cols, int seed)
    {
        var random = new Random(seed);
        var x = new Matrix(rows, cols);
        for (int i = 0; i < x.Span.Length; i++)
        {
            x.Span[i] = random.NextSingle();
        }
        return x;
    }

    private static void Step(Network network, Matrix x, Matrix dOutput)
    {
        Matrix a = x;
        foreach (ILayer layer in network.Layers)
        {
            a = layer.Forward(a, training: true);
        }
        Matrix d = dOutput;
        for (int l = network.Layers.Count - 1; l >= 0; l--)
        {
            d = network.Layers[l].Backward(d, l > 0)!;
        }
    }
}
