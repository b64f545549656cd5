// The `scratchnet` command tree. Thin: parses options, calls the library, prints. Every
// user-facing failure becomes one clear line on stderr and a distinct exit code, never a stack trace.
using System.CommandLine;
using ScratchNet.Cli.Commands;
using ScratchNet.Training;

namespace ScratchNet.Cli;

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Usage = 1;       // the command line itself is wrong (System.CommandLine)
    public const int BadInput = 2;    // a file, folder, option value or model is unusable
    public const int Diverged = 3;    // the loss became NaN or infinite
    public const int Cancelled = 130; // Ctrl-C, SIGTERM or SIGHUP: stopped after a step, no model saved
}

public static class CliApp
{
    private static readonly AsyncLocal<CancellationToken> ExternalCancellation = new();

    /// <summary>A token that stops a running command as Ctrl-C would (for hosts and tests).</summary>
    public static CancellationToken Cancellation => ExternalCancellation.Value;

    public static int Run(string[] args, TextWriter output, TextWriter error, CancellationToken cancel = default)
    {
        ExternalCancellation.Value = cancel;
        var root = new RootCommand("ScratchNet: neural networks from scratch that recognise handwritten digits (MNIST).")
        {
            TrainCommand.Create(),
            EvaluateCommand.Create(),
            PredictCommand.Create(),
            ExplainCommand.Create(),
            BenchCommand.Create(),
            ReportCommand.Create(),
            CompareCommand.Create(),
            ServeCommand.Create(),
            DataCommand.Create(),
            ExportCommand.Create(),
            ModelsCommand.Create(),
        };
        root.SetAction(_ =>
        {
            // `scratchnet` alone: what it can do, and how to start.
            output.WriteLine("ScratchNet: neural networks from scratch that recognise handwritten digits (MNIST).");
            output.WriteLine();
            foreach (Command command in root.Subcommands)
            {
                output.WriteLine($"  {command.Name,-10} {command.Description}");
            }
            output.WriteLine();
            output.WriteLine("Start with 'scratchnet train' (the notes' seed network on the shipped MNIST); 'scratchnet COMMAND --help' lists a command's options.");
            return ExitCodes.Ok;
        });
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One line saying what was wrong, then where the options are — not the whole help.
            string command = string.Join(' ', parsed.CommandResult.Command == root ? ["scratchnet"] : ["scratchnet", parsed.CommandResult.Command.Name]);
            error.WriteLine($"error: {Plain(parsed.Errors[0].Message)} See '{command} --help'.");
            return ExitCodes.Usage;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    /// <summary>A parser message in a user's words: .NET type names become what they mean.</summary>
    private static string Plain(string message)
    {
        foreach (var (type, words) in new[] { ("System.Single", "a number"), ("System.Double", "a number"), ("System.Int32", "a whole number"), ("System.UInt64", "a whole number 0 or more"), ("System.Nullable`1[System.UInt64]", "a whole number 0 or more"), ("System.String", "text"), ("System.Boolean", "true or false") })
        {
            message = message.Replace($"'{type}'", words, StringComparison.Ordinal).Replace(type, words, StringComparison.Ordinal);
        }
        message = message.Replace("as expected type ", "as ", StringComparison.Ordinal).Replace(":\n\t", ": ", StringComparison.Ordinal).Replace("\n\t", ", ", StringComparison.Ordinal);
        message = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).TrimEnd();
        return message.EndsWith('.') ? message : message + ".";
    }

    /// <summary>Runs a command body, turning the library's user-facing exceptions into messages and exit codes.</summary>
    public static int Guard(ParseResult parsed, Func<TextWriter, int> body)
    {
        TextWriter output = parsed.InvocationConfiguration.Output;
        TextWriter error = parsed.InvocationConfiguration.Error;
        try
        {
            return body(output);
        }
        catch (TrainingDivergedException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.Diverged;
        }
        catch (ArgumentException e)
        {
            // An option that cannot work: the message says what to do, and where the options are listed.
            error.WriteLine($"error: {e.Message} See 'scratchnet {parsed.CommandResult.Command.Name} --help'.");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
    }
}
