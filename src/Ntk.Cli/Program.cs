using System.CommandLine;
using Ntk.Cli.Commands;
using Ntk.Cli.Terminal;

namespace Ntk.Cli;

/// <summary>
/// The <c>ntk</c> command (docs/contract.md §4). Exit codes: 0 success; 2 invalid input (unknown option, missing argument, bad
/// value, invalid sweep file: the message says what and where, and nothing is written); 1 the run failed.
/// </summary>
public static class Program
{
    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error);

    /// <summary>
    /// Parses and runs <paramref name="args"/> with all output going to <paramref name="stdout"/> and
    /// <paramref name="stderr"/>, so tests can run commands in-process and read what they printed.
    /// </summary>
    internal static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr,
        CancellationToken cancellation = default)
    {
        var root = BuildRootCommand(stdout, stderr);
        var parseResult = root.Parse(args);
        // System.CommandLine's own error action exits with 1; input errors are 2 here, with a usage hint.
        if (parseResult.Errors.Count > 0) return CommandLineErrors.ReportParseErrors(parseResult, stderr);
        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            // On Ctrl-C / SIGTERM the commands stop by themselves (run and coordinator save a resumable snapshot first,
            // which can take seconds on a loaded machine); System.CommandLine's default forces an exit after 2 s.
            ProcessTerminationTimeout = TimeSpan.FromMinutes(5),
        };
        return await parseResult.InvokeAsync(invocation, cancellation).ConfigureAwait(false);
    }

    /// <summary>The command tree; one static class per command, each with a <c>Create</c> factory.</summary>
    internal static RootCommand BuildRootCommand(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand(
            "Monte Carlo of the Neural Tangent Kernel of random bias-free ReLU networks at finite width and depth, " +
            "on one machine or a cluster, checked against the analytic predictions and the paper's claims.");

        // --help lists the commands in this order: checking a sweep and the theory first, then running and reading
        // results (docs/contract.md §4).
        root.Add(ValidateCommand.Create(stdout, stderr));
        root.Add(TheoryCommand.Create(stdout, stderr));
        root.Add(RunCommand.Create(stdout, stderr));
        root.Add(CoordinatorCommand.Create(stdout, stderr));
        root.Add(WorkerCommand.Create(stdout, stderr));
        root.Add(MonitorCommand.Create(stdout, stderr));
        root.Add(ReportCommand.Create(stdout, stderr));
        root.Add(BenchCommand.Create(stdout, stderr));

        return root;
    }
}
