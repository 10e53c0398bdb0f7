using System.CommandLine;
using Ntk.Cli.Bench;
using Ntk.Cli.CommandLine;
using Ntk.Cli.Terminal;

namespace Ntk.Cli.Commands;

/// <summary>
/// <c>ntk bench [--json] [--seconds S] [--threads T] [--config n0,L,n,m ...] [--only engines|pipeline]</c> (docs/contract.md §4):
/// trials/s of the dense and conditional engines on the standard configurations, on one thread and on T threads
/// (default: all cores), with this machine's limits (Gaussian draws/s of the generator, float64 FMA/s of a SIMD loop)
/// measured in the same run and each engine's fraction of the limit that binds it; then the actor pipeline of
/// <c>ntk run</c> against the bare shard loop (<see cref="PipelineCase.Standard"/>). Default budget: 2 s per
/// measurement, about 2 minutes in total (the pipeline table about 40 s of it).
/// </summary>
internal static class BenchCommand
{
    /// <summary>Seconds per measurement unless --seconds says otherwise (34 measurements plus warm-ups).</summary>
    public const double DefaultSeconds = 2;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var json = new Option<bool>("--json") { Description = "Print the results as JSON instead of a table." };
        var seconds = TypedOptions.Positive("--seconds",
            "Seconds per measurement (each engine × configuration × thread count, and each limit).", () => DefaultSeconds,
            maximum: 600, helpName: "S");
        var threads = TypedOptions.Integer("--threads", "Threads of the all-cores measurement (default: all cores).",
            () => Environment.ProcessorCount, minimum: 1, helpName: "T");
        var configurations = new Option<string[]>("--config")
        {
            Description = "Measure only this configuration, n0,L,n,m (repeatable; default: the five standard ones). " +
                          "The pipeline table keeps its standard cases of these configurations.",
            HelpName = "n0,L,n,m",
            AllowMultipleArgumentsPerToken = false,
        };
        configurations.Validators.Add(result =>
        {
            foreach (var text in result.Tokens.Select(t => t.Value))
                if (ParseConfiguration(text) is null) result.AddError($"--config: expected n0,L,n,m (four positive integers), got '{text}'");
        });
        var only = new Option<string?>("--only")
        {
            Description = "Run only one table: engines (trials/s against the limits) or pipeline (ntk run's actors against the bare loop).",
            HelpName = "engines|pipeline",
        };
        only.AcceptOnlyFromAmong("engines", "pipeline");
        var command = new Command("bench", "Measure the engines' trials/s against this machine's draw and FMA limits, and the actor pipeline's cost.")
        {
            json, seconds, threads, configurations, only,
        };
        command.SetAction(parse =>
        {
            var selected = parse.GetValue(configurations) is { Length: > 0 } texts
                ? texts.Select(t => ParseConfiguration(t)!).Distinct().ToList()
                : BenchConfiguration.Standard.ToList();
            var table = parse.GetValue(only);
            var engineConfigurations = table == "pipeline" ? [] : selected;
            var pipelineCases = table == "engines"
                ? []
                : PipelineCase.Standard.Where(c => selected.Contains(c.Configuration)).ToList();
            return Execute(parse.GetValue(json), parse.GetValue(seconds), parse.GetValue(threads), engineConfigurations,
                pipelineCases, stdout, stderr);
        });
        return command;
    }

    /// <summary>"n0,L,n,m" as a configuration, or null when it is not four positive integers.</summary>
    internal static BenchConfiguration? ParseConfiguration(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 4) return null;
        var values = new int[4];
        for (var i = 0; i < 4; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out values[i])
                || values[i] < 1)
                return null;
        return new BenchConfiguration(values[0], values[1], values[2], values[3]);
    }

    public static int Execute(bool json, double seconds, int threads, IReadOnlyList<BenchConfiguration> configurations,
        IReadOnlyList<PipelineCase> pipelineCases, TextWriter stdout, TextWriter stderr) =>
        CommandLineErrors.Guard(stderr, () =>
        {
            var result = BenchRunner.Run(configurations, pipelineCases, seconds, threads, stderr);
            if (json) BenchReport.WriteJson(result, stdout);
            else BenchReport.WriteTable(result, stdout);
            return ExitCodes.Success;
        });
}
