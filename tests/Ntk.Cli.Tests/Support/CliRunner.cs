namespace Ntk.Cli.Tests.Support;

/// <summary>What one in-process run of the <c>ntk</c> command returned and printed.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs <c>ntk</c> in-process through <see cref="Program.RunAsync"/>, capturing stdout and stderr.</summary>
public static class CliRunner
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await Program.RunAsync(args, stdout, stderr);
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>"line:column" (1-based) of the first occurrence of <paramref name="needle"/> in <paramref name="text"/>.</summary>
    public static string PositionOf(string text, string needle)
    {
        var index = text.IndexOf(needle, StringComparison.Ordinal);
        if (index < 0) throw new ArgumentException($"'{needle}' does not occur in the text", nameof(needle));
        var line = 1 + text[..index].Count(c => c == '\n');
        var lineStart = text.LastIndexOf('\n', Math.Max(index - 1, 0)) + 1;
        if (index == 0) lineStart = 0;
        return $"{line}:{index - lineStart + 1}";
    }
}
