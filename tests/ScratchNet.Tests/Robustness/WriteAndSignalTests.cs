// Training ends cleanly: SIGTERM and SIGHUP stop it like Ctrl-C (after a step, a message on stderr,
// exit 130, no model written); a checkpoint that cannot be written is reported and training goes on;
// a write error names the target, not its temporary file; temporaries left by a killed process are
// removed when the same target is next written.
using System.Diagnostics;
using ScratchNet.Cli;
using ScratchNet.Serialization;

namespace ScratchNet.Tests.Robustness;

public class WriteAndSignalTests
{
    [Fact]
    public void Temporaries_left_by_a_dead_process_are_removed_by_the_next_write()
    {
        string dir = TestData.TempDir();
        string target = Path.Combine(dir, "m.safetensors");
        string dead = Path.Combine(dir, ".m.safetensors.4194300.deadbeef.tmp");      // no such process
        string mine = Path.Combine(dir, $".m.safetensors.{Environment.ProcessId}.cafe.tmp");   // a write of this process in flight
        string other = Path.Combine(dir, ".other.safetensors.4194300.deadbeef.tmp"); // another target's
        foreach (string f in new[] { dead, mine, other })
        {
            File.WriteAllText(f, "partial");
        }
        AtomicFile.WriteText(target, "whole");
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(mine));
        Assert.True(File.Exists(other));
        Assert.Equal("whole", File.ReadAllText(target));
    }

    [Fact]
    public void A_write_that_fails_names_the_target_and_leaves_no_temporary_file()
    {
        var ex = Assert.Throws<IOException>(() => AtomicFile.WriteText("/proc/m.safetensors", "x"));
        Assert.StartsWith("/proc/m.safetensors: could not be written (", ex.Message);
        Assert.DoesNotContain(".tmp", ex.Message);
        Assert.Empty(Directory.EnumerateFiles("/proc", ".m.safetensors.*"));
    }

    [Fact]
    public void Report_pictures_are_written_atomically_like_every_other_file()
    {
        // A truncated confusion.png was left behind on a full disk: the charts now go through AtomicFile.
        var ex = Assert.Throws<IOException>(() => ScratchNet.Reports.Charts.Confusion(new int[10, 10], "/proc/confusion.png"));
        Assert.StartsWith("/proc/confusion.png: could not be written (", ex.Message);
        string dir = TestData.TempDir();
        ScratchNet.Reports.Charts.Confusion(new int[10, 10], Path.Combine(dir, "confusion.png"));
        Assert.Equal(["confusion.png"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void A_checkpoint_that_cannot_be_written_mid_run_is_reported_and_training_goes_on()
    {
        // Up front, train refuses a --checkpoint it cannot write; a write that fails later (a full disk) is a warning.
        var network = ScratchNet.Layers.Network.CreateDense([784, 10, 10], "relu");
        var error = new StringWriter();
        bool saved = ScratchNet.Cli.Commands.TrainCommand.SaveCheckpoint("/proc/ck.safetensors", network, ScratchNet.Training.Presets.Get("seed"), new ScratchNet.Training.TrainerState { Rng = [1, 2, 3, 4] }, error);
        Assert.False(saved);
        Assert.Contains("warning: checkpoint not saved: /proc/ck.safetensors: could not be written", error.ToString());
        Assert.Contains("Training goes on.", error.ToString());
    }

    [Fact]
    public void Every_file_a_run_will_write_is_checked_before_training()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        foreach (string[] args in new[]
        {
            new[] { "--out", "/proc/m.safetensors" },
            new[] { "--out", Path.Combine(TestData.TempDir(), "m.safetensors"), "--metrics-json", "/proc/run.json" },
            new[] { "--out", Path.Combine(TestData.TempDir(), "m.safetensors"), "--checkpoint-every", "5", "--checkpoint", "/proc/ck.safetensors" },
        })
        {
            int code = CliApp.Run(["train", "--dry-run", .. args], output, error);
            Assert.Equal(2, code);
            Assert.DoesNotContain("iter     0", output.ToString());
        }
        Assert.Contains("--out /proc/m.safetensors: cannot be written there", error.ToString());
        Assert.Contains("--metrics-json /proc/run.json: cannot be written there", error.ToString());
        Assert.Contains("--checkpoint /proc/ck.safetensors: cannot be written there", error.ToString());
    }

    [Theory]
    [InlineData("TERM", "SIGTERM")]
    [InlineData("HUP", "SIGHUP")]
    public async Task SIGTERM_and_SIGHUP_stop_training_like_ctrl_c(string signal, string name)
    {
        if (name == "SIGHUP" && IgnoredSignals() is { } ignored && (ignored & 1) != 0)
        {
            return;   // started under nohup (SIGHUP ignored): the child inherits that, and a run under nohup rightly goes on after a hang-up
        }
        string model = Path.Combine(TestData.TempDir(), "m.safetensors");
        string cli = Path.Combine(AppContext.BaseDirectory, "ScratchNet.Cli.dll");
        var start = new ProcessStartInfo("dotnet", [cli, "train", "--plain", "--iterations", "100000", "--log-interval", "1", "--out", model])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null && !line.StartsWith("iter     1", StringComparison.Ordinal))
        {
        }
        Assert.NotNull(line);   // training is running
        using (Process kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        Task<string> errors = process.StandardError.ReadToEndAsync();
        Task<string> rest = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));   // a hang guard
        await rest;
        Assert.Equal(ExitCodes.Cancelled, process.ExitCode);
        Assert.Contains($"Stopped by {name}; no model was saved.", await errors);
        Assert.False(File.Exists(model));
    }

    /// <summary>This process's ignored signals as the kernel reports them (bit n − 1 for signal n), or null where /proc is not there.</summary>
    private static ulong? IgnoredSignals()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return null;
        }
        string? line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is null ? null : Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16);
    }
}
