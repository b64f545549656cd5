// BenchmarkDotNet entry: `dotnet run -c Release --project bench/ScratchNet.Benchmarks -- --filter '*'`.
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(ScratchNet.Benchmarks.KernelBenchmarks).Assembly).Run(args);
