using System.ComponentModel;
using System.Diagnostics;

namespace SharpGears.Runtime.Tests.Infrastructure;

/// <summary>
/// Runs a real client (redis-cli, redis-py, a bash line) to its end, as a user would from a shell.
/// Standard input is written then closed, so a program that reads it never waits on the test; both
/// outputs are read while it runs, so a full pipe cannot stall it; and past the deadline the whole
/// process tree is killed and the test fails with what it printed, instead of hanging the run.
/// </summary>
public static class ChildProcess
{
    /// <summary>Debian's python3: the one python3-redis installs redis-py for.</summary>
    public const string Python = "/usr/bin/python3";

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How a run ended. <see cref="Output"/> is stdout then stderr, what a terminal would have shown.</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string Output => Stdout + Stderr;
    }

    /// <summary><paramref name="fileName"/> with <paramref name="arguments"/>; <paramref name="input"/>, if any, as its standard input.</summary>
    public static Task<Result> RunAsync(
        string fileName, IEnumerable<string> arguments, string? input = null, TimeSpan? timeout = null, string? workingDirectory = null) =>
        RunAsync(new ProcessStartInfo(fileName, arguments) { WorkingDirectory = workingDirectory ?? "" }, input, timeout, install: null);

    /// <summary>
    /// <see cref="Python"/> with <paramref name="arguments"/>, writing no .pyc files next to the system's
    /// modules; if python3 is missing the test says what to install rather than how Process.Start failed.
    /// </summary>
    public static Task<Result> PythonAsync(IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(Python, arguments);
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        return RunAsync(start, input: null, timeout, install: "install python3 and python3-redis (apt-get install python3-redis)");
    }

    private static async Task<Result> RunAsync(ProcessStartInfo start, string? input, TimeSpan? timeout, string? install)
    {
        start.RedirectStandardInput = start.RedirectStandardOutput = start.RedirectStandardError = true;
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"{start.FileName} cannot be run ({e.Message})" + (install is null ? "." : $": {install}."));
            throw;
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input);
            }
            process.StandardInput.Close();
            var limit = timeout ?? DefaultTimeout;
            using var deadline = new CancellationTokenSource(limit);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish within {limit.TotalSeconds} s.\nstderr so far:\n{await stderr}\nstdout so far:\n{await stdout}");
            }
            return new Result(process.ExitCode, await stdout, await stderr);
        }
    }
}
