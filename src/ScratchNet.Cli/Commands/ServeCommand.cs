// `scratchnet serve`: the drawing page and its JSON API for a saved model, on 127.0.0.1.
using System.CommandLine;
using Microsoft.Extensions.Hosting;
using ScratchNet.Data;
using ScratchNet.Engines;
using ScratchNet.Serialization;
using ScratchNet.Web;

namespace ScratchNet.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create()
    {
        var model = Common.ModelOption(required: false);
        var port = new Option<int>("--port") { Description = "Port to listen on.", DefaultValueFactory = _ => 5000 };
        var host = new Option<string>("--host") { Description = "IP address to listen on, or localhost (only this machine by default; 0.0.0.0 for every interface, with a warning).", DefaultValueFactory = _ => "127.0.0.1" };
        var data = Common.DataOption();
        var engine = Common.EngineOption("Which engine runs the page's predictions (one image at a time: auto or layers)");
        var command = new Command("serve", "Serve a page to draw digits on and see the model's answer live, with a JSON API.") { model, port, host, data, engine };
        command.SetAction(parsed => CliApp.Guard(parsed, console =>
        {
            int p = parsed.GetValue(port);
            if (p is < 0 or > 65535)
            {
                throw new ArgumentException($"--port {p}: use 0..65535 (0 picks a free port).");
            }
            ListenAddress address = ListenAddress.Parse(parsed.GetValue(host)!);
            (string path, Model loaded) = Common.LoadModelOrShipped(parsed.GetValue(model), console);
            WebApp.CheckServable(loaded, path);
            Common.CheckDataset(loaded, parsed.GetValue(data), path);
            EngineKind kind = Common.Engine(parsed, engine);
            EngineChooser.Choose(loaded.Network, Workload.OneImage, kind);   // a forced engine that cannot serve is refused before anything loads
            var test = DataSource.LoadTest(parsed.GetValue(data));
            var app = WebApp.Build(loaded, test, address.Url(p), engine: kind);
            if (address.Warning is { } warning)
            {
                parsed.InvocationConfiguration.Error.WriteLine(warning);
            }
            try
            {
                app.Start();
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                throw new IOException($"cannot listen on {address.Url(p)}: {e.Message.TrimEnd('.')}. Pick another --port (0 picks a free one), or an address of this machine.", e);
            }
            console.WriteLine($"Serving {path} ({loaded.Network.Shape}) on {string.Join(", ", app.Urls)} — open it in a browser; Ctrl-C stops.");
            app.WaitForShutdown();
            return ExitCodes.Ok;
        }));
        return command;
    }
}
