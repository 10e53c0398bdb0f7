using System.CommandLine;
using Ntk.Cli.Bench;

namespace Ntk.Cli.Commands;

/// <summary>
/// <c>ntk bench [--json] [--seconds S] [--threads T]</c> (SPEC §4): trials/s of the dense and conditional engines on
/// the standard configurations, on one thread and on T threads (default: all cores), with this machine's limits
/// (Gaussian draws/s of the generator, float64 FMA/s of a SIMD loop) measured in the same run and each engine's
/// fraction of the limit that binds it. Default budget: 2 s per measurement (34 measurements), under 2 minutes in total.
/// </summary>
internal static class BenchCommand
{
    /// <summary>Seconds per measurement unless --seconds says otherwise (34 measurements plus warm-ups).</summary>
    public const double DefaultSeconds = 2;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var json = new Option<bool>("--json") { Description = "Print the results as JSON instead of a table." };
        var seconds = new Option<double>("--seconds")
        {
            Description = "Seconds per measurement (each engine × configuration × thread count, and each limit).",
            DefaultValueFactory = _ => DefaultSeconds,
            HelpName = "S",
        };
        seconds.Validators.Add(result =>
        {
            if (!TryGetValue(result, out double value)) return; // not a number: the parser reports it
            if (!(value > 0) || !double.IsFinite(value) || value > 600) result.AddError("--seconds must be in (0, 600]");
        });
        var threads = new Option<int>("--threads")
        {
            Description = "Threads of the all-cores measurement (default: all cores).",
            DefaultValueFactory = _ => Environment.ProcessorCount,
            HelpName = "T",
        };
        threads.Validators.Add(result =>
        {
            if (TryGetValue(result, out int value) && value < 1) result.AddError("--threads must be at least 1");
        });
        var command = new Command("bench", "Measure the engines' trials/s against this machine's draw and FMA limits.")
        {
            json, seconds, threads,
        };
        command.SetAction(parse => Execute(parse.GetValue(json), parse.GetValue(seconds), parse.GetValue(threads), stdout, stderr));
        return command;
    }

    /// <summary>The option's value, or false when its text does not convert (an error the parser reports itself).</summary>
    private static bool TryGetValue<T>(System.CommandLine.Parsing.OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    public static int Execute(bool json, double seconds, int threads, TextWriter stdout, TextWriter stderr) =>
        CommandLineErrors.Guard(stderr, () =>
        {
            var result = BenchRunner.Run(BenchConfiguration.Standard, seconds, threads, stderr);
            if (json) BenchReport.WriteJson(result, stdout);
            else BenchReport.WriteTable(result, stdout);
            return ExitCodes.Success;
        });
}
