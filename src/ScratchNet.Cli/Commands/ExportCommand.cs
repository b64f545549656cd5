// `scratchnet export`: a saved model as an ONNX file, for ONNX Runtime, Triton, ML.NET and the rest.
using System.CommandLine;
using ScratchNet.Onnx;
using ScratchNet.Serialization;

namespace ScratchNet.Cli.Commands;

internal static class ExportCommand
{
    public static Command Create()
    {
        var model = Common.ModelOption(required: false);
        model.Description = "Model file (.safetensors) to export. Default: the best shipped pretrained model.";
        var onnx = new Option<string>("--onnx")
        {
            Description = $"Where to write the ONNX file (opset {OnnxExporter.Opset}; input '{OnnxExporter.InputName}' [N, 784] or [N, 1, 28, 28] as pixels / 255, output '{OnnxExporter.OutputName}' [N, 10]). A file already there is replaced, atomically.",
            HelpName = "OUT.onnx",
            Required = true,
        };
        var command = new Command("export", "Write a saved model as ONNX, checked to give ONNX Runtime the same probabilities.") { model, onnx };
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            string output = parsed.GetValue(onnx)!;
            if (Directory.Exists(output))
            {
                throw new ArgumentException($"--onnx {output}: is a folder; name the file to write, e.g. {Path.Combine(output, "model.onnx")}.");
            }
            AtomicFile.CheckWritable(output, "--onnx");
            (string path, Model loaded) = Common.LoadModelOrShipped(parsed.GetValue(model), console);
            OnnxExporter.Save(output, loaded);
            console.WriteLine($"wrote {output} ({new FileInfo(output).Length:N0} bytes): {loaded.Network.Shape} from {path}, ONNX opset {OnnxExporter.Opset}, input '{OnnxExporter.InputName}', output '{OnnxExporter.OutputName}'");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
