// `scratchnet models`: the shipped pretrained models, where they are, and whether each is intact.
using System.CommandLine;
using ScratchNet.Serialization;

namespace ScratchNet.Cli.Commands;

internal static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "List the shipped pretrained models (the default of serve, predict and export), checking each file's SHA-256.");
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            string? folder = PretrainedModels.FindDirectory();
            console.WriteLine(folder is null
                ? $"shipped models folder {PretrainedModels.FolderName}/ not found above the working folder or the program"
                : $"shipped models in {folder}");
            int bad = 0;
            foreach (PretrainedModel m in PretrainedModels.All)
            {
                string state;
                try
                {
                    Model model = PretrainedModels.Load(m);
                    state = $"ok   {model.Network.Shape}";
                }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    bad++;
                    state = "BAD  " + e.Message;
                }
                string best = m == PretrainedModels.Best ? " (default)" : "";
                console.WriteLine($"{m.Name,-11} {Common.Percent(m.TestAccuracy),7}{best,-10} {state}");
                console.WriteLine($"{"",11} trained by: {m.Command}");
            }
            return bad == 0 ? ExitCodes.Ok : ExitCodes.BadInput;
        }));
        return command;
    }
}
