using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ntk.Cli.Tests.Support;

/// <summary>
/// One `ntk` OS process (`dotnet ntk.dll ...`, the CLI built next to the test assembly), with stdout and stderr
/// captured. Dispose kills it (SIGKILL) if it is still running, so a failing test never leaves processes behind.
/// </summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private NodeProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>The CLI assembly copied into the test output by the project reference to Ntk.Cli.</summary>
    public static string CliPath => Path.Combine(AppContext.BaseDirectory, "ntk.dll");

    public static NodeProcess Start(string name, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CliPath);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // No inherited container overrides: the flags of the test decide.
        foreach (var variable in new[] { "NTK_HOSTNAME", "NTK_PUBLIC_HOSTNAME", "NTK_PORT", "NTK_SEEDS", "NTK_CONFIG", "NTK_LOG_DIR" })
            info.Environment.Remove(variable);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = new Process { StartInfo = info };
        var node = new NodeProcess(name, process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (node._stdout) node._stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (node._stderr) node._stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Waits for the process to exit; false on timeout (the process keeps running).</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGKILL, no clean-up in the process (as a crash or `kill -9`).</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public override string ToString() =>
        $"--- {Name} (pid {_process.Id}{(_process.HasExited ? $", exit {_process.ExitCode}" : ", running")}) stdout ---\n{Stdout}\n--- {Name} stderr ---\n{Stderr}";

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        _process.Dispose();
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago (the coordinator, as the seed, needs a known port).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
