// Entry point of the `scratchnet` tool: hands the arguments and the console to CliApp.
return ScratchNet.Cli.CliApp.Run(args, Console.Out, Console.Error);
