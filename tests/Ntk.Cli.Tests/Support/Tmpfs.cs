using System.Diagnostics;

namespace Ntk.Cli.Tests.Support;

/// <summary>
/// A small tmpfs mounted for one test (a disk that can really be filled), unmounted on Dispose. Mounting needs root:
/// <see cref="WhyUnavailable"/> says why it cannot be used otherwise (the test then reports itself skipped; CI runs
/// as root and runs it).
/// </summary>
public sealed class Tmpfs : IDisposable
{
    public Tmpfs(string path, long bytes)
    {
        Path = path;
        Directory.CreateDirectory(path);
        Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", path);
    }

    public string Path { get; }

    /// <summary>Null when a tmpfs can be mounted here, else the reason.</summary>
    public static string? WhyUnavailable() =>
        !OperatingSystem.IsLinux() ? "a tmpfs needs Linux"
        : Environment.UserName != "root" ? "mounting a tmpfs to fill needs root (CI runs as root)"
        : null;

    /// <summary>Writes a file into the tmpfs until the disk is full; returns its path (delete it to free the space).</summary>
    public string Fill()
    {
        var filler = System.IO.Path.Combine(Path, "filler.bin");
        var block = new byte[64 * 1024];
        using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        try
        {
            while (true) stream.Write(block);
        }
        catch (IOException)
        {
            // Full. A partial block may be left: the rest is smaller than a block.
        }
        try
        {
            while (true) stream.Write(block, 0, 512);
        }
        catch (IOException)
        {
        }
        return filler;
    }

    public void Dispose()
    {
        try
        {
            Run("umount", "-l", Path);
        }
        catch (InvalidOperationException)
        {
            // Already unmounted.
        }
    }

    private static void Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit(30_000);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: exit {process.ExitCode}: {stderr}");
    }
}
