using System.CommandLine;
using System.CommandLine.Parsing;

namespace Ntk.Cli.Terminal;

/// <summary>The process exit codes of every <c>ntk</c> command (docs/contract.md §4).</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>The input was valid but the run failed (an exception, a node crash, a write error).</summary>
    public const int RunFailed = 1;

    /// <summary>The input was invalid: the message says what and where, and nothing was written.</summary>
    public const int InvalidInput = 2;
}

/// <summary>
/// An invalid input a user can fix (a sweep file, an option value). Commands throw it before they write anything;
/// <see cref="CommandLineErrors.GuardAsync"/> prints its message and turns it into exit code 2.
/// </summary>
internal class InvalidInputException(string message, Exception? innerException = null)
    : Exception(message, innerException);

/// <summary>How every command reports input errors: one line per error on stderr, prefixed "error: ", exit code 2.</summary>
internal static class CommandLineErrors
{
    /// <summary>
    /// Runs <paramref name="body"/>; an <see cref="InvalidInputException"/> it throws is printed to
    /// <paramref name="stderr"/> and becomes <see cref="ExitCodes.InvalidInput"/>. Other exceptions propagate (the
    /// invocation pipeline prints them and returns <see cref="ExitCodes.RunFailed"/>).
    /// </summary>
    public static async Task<int> GuardAsync(TextWriter stderr, Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (InvalidInputException error)
        {
            await WriteErrorAsync(stderr, error.Message).ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }
    }

    /// <summary>Synchronous form of <see cref="GuardAsync"/>.</summary>
    public static int Guard(TextWriter stderr, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (InvalidInputException error)
        {
            stderr.WriteLine("error: " + error.Message);
            return ExitCodes.InvalidInput;
        }
    }

    public static Task WriteErrorAsync(TextWriter stderr, string message) => stderr.WriteLineAsync("error: " + message);

    /// <summary>
    /// Prints the parse errors of <paramref name="parseResult"/> (unknown option, missing argument, unparsable
    /// value, failed option validator) and a usage hint for the command that was being parsed; returns 2.
    /// </summary>
    public static int ReportParseErrors(ParseResult parseResult, TextWriter stderr)
    {
        foreach (var error in parseResult.Errors)
            stderr.WriteLine("error: " + error.Message);
        stderr.WriteLine("usage: " + Usage(parseResult.CommandResult));
        stderr.WriteLine($"Run '{CommandPath(parseResult.CommandResult)} --help' for the options.");
        return ExitCodes.InvalidInput;
    }

    /// <summary>A one-line synopsis such as "ntk validate &lt;SWEEP.json&gt; [options]".</summary>
    private static string Usage(CommandResult commandResult)
    {
        var command = commandResult.Command;
        var parts = new List<string> { CommandPath(commandResult) };
        if (command.Subcommands.Count > 0) parts.Add("<command>");
        foreach (var argument in command.Arguments)
            parts.Add("<" + (argument.HelpName ?? argument.Name) + ">");
        foreach (var option in command.Options)
            if (option.Required)
                parts.Add(option.Name + " <" + (option.HelpName ?? option.Name.TrimStart('-')) + ">");
        parts.Add("[options]");
        return string.Join(' ', parts);
    }

    private static string CommandPath(CommandResult commandResult)
    {
        var names = new List<string>();
        for (SymbolResult? result = commandResult; result is not null; result = result.Parent)
            if (result is CommandResult c)
                names.Add(c.Command is RootCommand ? "ntk" : c.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>
    /// The candidate closest to <paramref name="name"/> by case-insensitive Levenshtein distance, or null when none
    /// is close enough to be a plausible typo (distance at most max(2, length/3)).
    /// </summary>
    public static string? NearestName(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Levenshtein(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }
        return best is not null && bestDistance <= Math.Max(2, name.Length / 3) ? best : null;
    }

    /// <summary>The number of single-character insertions, deletions and substitutions that turn a into b.</summary>
    public static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
