// Fuzzing harness for ScratchNet's readers (SharpFuzz): feeds each input to one reader and lets
// only the reader's own InvalidDataException pass; anything else is a finding.
//   dotnet ScratchNet.Fuzz.dll idx|model|csv           — under afl-fuzz (out-of-process)
//   dotnet ScratchNet.Fuzz.dll idx|model|csv --libfuzzer  — under a libFuzzer driver
//   dotnet ScratchNet.Fuzz.dll idx|model|csv FILE…      — replay inputs (e.g. a crash) directly
// See docs/fuzzing.md for the commands that instrument and run it.
using ScratchNet.Data;
using ScratchNet.Serialization;
using SharpFuzz;

if (args.Length == 0 || args[0] is not ("idx" or "model" or "csv"))
{
    Console.Error.WriteLine("usage: ScratchNet.Fuzz idx|model|csv [--libfuzzer | FILE…]");
    return 2;
}
Action<byte[]> target = args[0] switch
{
    "idx" => bytes => IdxReader.Read(new MemoryStream(bytes), "fuzz", 3),
    "model" => bytes => ModelFile.Deserialize(bytes, "fuzz"),
    _ => bytes => CsvReader.Read(new StreamReader(new MemoryStream(bytes)), "fuzz"),
};

void Run(byte[] bytes)
{
    try
    {
        target(bytes);
    }
    catch (InvalidDataException)
    {
        // The reader's own, expected rejection.
    }
}

if (args.Length > 1 && args[1] == "--libfuzzer")
{
    Fuzzer.LibFuzzer.Run(span => Run(span.ToArray()));
}
else if (args.Length > 1)
{
    foreach (string file in args.Skip(1))
    {
        Run(File.ReadAllBytes(file));
        Console.WriteLine($"{file}: no finding");
    }
}
else
{
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        Run(buffer.ToArray());
    });
}
return 0;
