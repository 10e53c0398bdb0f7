using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ntk.Tests.Support;

/// <summary>
/// A throw-away PostgreSQL server for tests: initdb into a temporary directory, started with pg_ctl on 127.0.0.1 and a
/// free port (trust authentication, no password, listening on loopback only), stopped and deleted on Dispose.
/// Needs the server binaries (Debian: apt-get install postgresql; .ci/run installs them). Running as root, the server
/// runs as the "postgres" user (PostgreSQL refuses root). Construction throws with what is missing.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public const string User = "ntk";

    private readonly string _binDirectory;
    private readonly string _dataDirectory;
    private readonly string? _runAs;

    public PostgresServer()
    {
        _binDirectory = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin or on PATH; " +
            "install them (Debian: apt-get install -y postgresql) — .ci/run does so");
        _runAs = Environment.UserName == "root" ? "postgres" : null;
        _dataDirectory = Path.Combine(Path.GetTempPath(), "ntk-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dataDirectory);
        if (_runAs is not null) Run("chown", $"-R {_runAs} {_dataDirectory}", asServerUser: false);
        Port = FreePort();
        Run(Path.Combine(_binDirectory, "initdb"), $"-D {_dataDirectory}/data -U {User} --auth=trust -E UTF8 --no-sync", asServerUser: true);
        Start();
    }

    /// <summary>Starts the server (again, after <see cref="Stop"/>) on the same port and data.</summary>
    public void Start() =>
        Run(Path.Combine(_binDirectory, "pg_ctl"),
            $"-D {_dataDirectory}/data -l {_dataDirectory}/server.log -w -t 60 " +
            $"-o \"-p {Port} -k {_dataDirectory} -c listen_addresses=127.0.0.1 -c fsync=off\" start",
            asServerUser: true);

    /// <summary>Stops the server at once (-m immediate: connections are cut, as when a database host dies).</summary>
    public void Stop() =>
        Run(Path.Combine(_binDirectory, "pg_ctl"), $"-D {_dataDirectory}/data -m immediate -w stop", asServerUser: true);

    public int Port { get; }

    /// <summary>Npgsql connection string to the server's "postgres" database.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username={User};Database=postgres;Pooling=false";

    /// <summary>Creates a database and returns its connection string (each test gets its own).</summary>
    public string CreateDatabase(string name)
    {
        Run(Path.Combine(_binDirectory, "createdb"), $"-h 127.0.0.1 -p {Port} -U {User} {name}", asServerUser: false);
        return $"Host=127.0.0.1;Port={Port};Username={User};Database={name};Pooling=false";
    }

    public void Dispose()
    {
        try
        {
            Run(Path.Combine(_binDirectory, "pg_ctl"), $"-D {_dataDirectory}/data -m immediate -w stop", asServerUser: true);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string? FindBinaries()
    {
        const string Root = "/usr/lib/postgresql";
        if (Directory.Exists(Root))
            foreach (var version in Directory.GetDirectories(Root).OrderByDescending(d => d, StringComparer.Ordinal))
                if (File.Exists(Path.Combine(version, "bin", "initdb"))) return Path.Combine(version, "bin");
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"))) return dir;
        return null;
    }

    private void Run(string program, string arguments, bool asServerUser)
    {
        var info = asServerUser && _runAs is not null
            ? new ProcessStartInfo("runuser", $"-u {_runAs} -- {program} {arguments}")
            : new ProcessStartInfo(program, arguments);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} {arguments} did not finish within 120 s");
        }
        if (process.ExitCode != 0)
        {
            var log = Path.Combine(_dataDirectory, "server.log");
            throw new InvalidOperationException(
                $"{program} {arguments} exited {process.ExitCode}: {stdout.Result}{stderr.Result}" +
                (File.Exists(log) ? "\nserver.log:\n" + File.ReadAllText(log) : ""));
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
