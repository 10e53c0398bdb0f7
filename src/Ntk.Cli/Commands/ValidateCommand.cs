using Ntk.Numerics.Measurement;
using System.CommandLine;
using System.Globalization;
using Ntk.Cli.Sweeps;
using Ntk.Cli.Terminal;
using Ntk.Numerics.Engines;

namespace Ntk.Cli.Commands;

/// <summary>
/// <c>ntk validate SWEEP.json</c>: reads and checks a sweep file without running it, then prints its settings, one row
/// per point (in point order) and an estimate of the work. Exit 0 when the file is valid (warnings go to stderr),
/// 2 with a located message when it is not. Writes no file.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var sweep = new Argument<string>("SWEEP.json") { Description = "The sweep file to check." };
        var command = new Command("validate", "Check a sweep file and print its points, trial counts and an estimate of the work, without running it.")
        {
            sweep,
        };
        command.SetAction(parse => Execute(parse.GetValue(sweep)!, stdout, stderr));
        return command;
    }

    public static int Execute(string sweepPath, TextWriter stdout, TextWriter stderr) =>
        CommandLineErrors.Guard(stderr, () =>
        {
            var document = SweepReader.ReadFile(sweepPath);
            foreach (var warning in document.Warnings) stderr.WriteLine("warning: " + warning);
            Print(document, stdout);
            return ExitCodes.Success;
        });

    /// <summary>The report printed for a valid sweep.</summary>
    internal static void Print(SweepDocument document, TextWriter output)
    {
        var plan = document.Plan;
        var stopping = plan.Stopping;
        var target = stopping.TargetStdErr;
        output.WriteLine($"sweep:     {plan.Name}  ({document.SourcePath})");
        output.WriteLine($"seed:      {plan.MasterSeed}");
        output.WriteLine(target is { } se
            ? $"stopping:  at standard error ≤ {Number(se)} on every reported mean, at most {stopping.MaxTrials} trials per point"
            : $"stopping:  {stopping.Trials} trials per point");
        output.WriteLine($"shards:    {plan.ShardTrials} trials each, {(target is null ? "" : "at most ")}{plan.MaxShardCount} per point");
        output.WriteLine($"inputs:    {Describe(document)}");
        var groups = plan.Points.Select(p => p.Definition.Statistics).Distinct().ToList();
        output.WriteLine($"recording: {string.Join(" | ", groups.Select(StatisticSelection.Describe))}");
        output.WriteLine($"points:    {plan.Points.Length}");
        output.WriteLine();

        var pair = document.InputKind == SweepInputKind.Pair;
        var showPhase = pair && plan.Points.Any(p => p.PhaseDegrees is not 0.0);
        var table = new TextTable(
            ["point>", "n0>", "L>", "widths", "weights", "engine", .. pair ? new[] { "θ (deg)>" } : [],
             .. showPhase ? new[] { "φ (deg)>" } : [], "m>", "trials>", "shards>", "draws/trial>", "FLOPs/trial>"]);

        var total = new WorkEstimate(0, 0);
        double totalTrials = 0;
        for (var i = 0; i < plan.Points.Length; i++)
        {
            var point = plan.Points[i];
            var definition = point.Definition;
            var network = definition.Network;
            var m = definition.Inputs.Count;
            var perTrial = WorkEstimate.PerTrial(network, m, definition.Engine, definition.Statistics);
            total += perTrial * stopping.TrialCap;
            totalTrials += stopping.TrialCap;

            var engine = EngineChoice.Name(definition.Engine);
            if (document.Sources[i].RequestedEngine == EngineKind.Auto) engine += " (auto)";
            var widths = network.Widths.All(w => w == network.Widths[0]) ? network.Widths[0].ToString(CultureInfo.InvariantCulture) : network.WidthsLabel;
            table.AddRow(
            [
                point.Index.ToString(CultureInfo.InvariantCulture),
                network.InputDim.ToString(CultureInfo.InvariantCulture),
                network.Depth.ToString(CultureInfo.InvariantCulture),
                widths,
                network.Law.Name,
                engine,
                .. pair ? new[] { Number(point.ThetaDegrees ?? double.NaN) } : [],
                .. showPhase ? new[] { Number(point.PhaseDegrees ?? double.NaN) } : [],
                m.ToString(CultureInfo.InvariantCulture),
                target is { } t ? $"≤ {stopping.MaxTrials}, SE {Number(t)}" : stopping.Trials.ToString(CultureInfo.InvariantCulture),
                (target is null ? "" : "≤ ") + plan.MaxShardCount.ToString(CultureInfo.InvariantCulture),
                Magnitude(perTrial.Draws),
                Magnitude(perTrial.Flops),
            ]);
        }
        table.Write(output);
        output.WriteLine();
        output.WriteLine($"work{(target is null ? "" : " (upper bound: every point runs to maxTrials)")}: " +
                         $"{Magnitude(totalTrials)} trials, {Magnitude(total.Draws)} random draws, {Magnitude(total.Flops)} FLOPs " +
                         "(dense: 4·m·Σ n_l n_(l−1) FLOPs per trial; conditional: Σ_l (n_l·m² + m³); both: 4·m²·n_l per layer " +
                         "for the Gram matrices, and (4/3)·m³ for the spectrum)");
        PrintFootprint(SweepFootprint.For(plan), output);
    }

    /// <summary>The memory and message sizes of the sweep's largest point (SweepFootprint).</summary>
    private static void PrintFootprint(SweepFootprint footprint, TextWriter output)
    {
        var point = footprint.Largest;
        string Size(long bytes) => SweepFootprint.Bytes(bytes);
        string Chunks(long bytes) =>
            SweepFootprint.Chunks(bytes) is var chunks and > 1
                ? $"{Size(bytes)} in {chunks} chunks of {Size(SweepFootprint.ChunkBytes)}"
                : $"{Size(bytes)} in one message";
        output.WriteLine($"memory:    largest point {footprint.LargestPointIndex}: {point.Statistics} statistics, " +
                         $"state {Size(point.StateBytes)}; per worker thread {Size(point.WorkerThreadBytes)} " +
                         $"(engine buffers {Size(point.SamplerBytes)}); aggregator {Size(point.AggregatorBytes)} per point in flight; " +
                         $"`ntk run --workers 1` about {Size(point.SingleProcessBytes)} (this machine: {Size(SweepFootprint.MachineMemoryBytes())})");
        output.WriteLine($"messages:  shard result, snapshot, resume seed: up to {Chunks(point.StateBytes)} each; " +
                         $"plan sent to workers: {Chunks(footprint.PlanBytes)}");
    }

    private static string Describe(SweepDocument document)
    {
        var first = document.Plan.Points[0].Definition.Inputs;
        return document.InputKind switch
        {
            SweepInputKind.Pair => "pair of unit vectors at angle θ (m = 2), one point per angle",
            SweepInputKind.Sphere => $"{first.Count} {(first.Count == 1 ? "input" : "inputs")} uniform on the unit sphere (m = {first.Count}), one point per network",
            _ => $"{first.Count} {(first.Count == 1 ? "row" : "rows")} of a CSV file (m = {first.Count}), one point per network",
        };
    }

    /// <summary>Shortest round-trip form of a finite number, invariant culture.</summary>
    internal static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Integers below 10^6 in full, larger values as 3 significant digits with an exponent (1.23e+09).</summary>
    internal static string Magnitude(double value) =>
        Math.Abs(value) < 1e6 && value == Math.Floor(value)
            ? value.ToString("0", CultureInfo.InvariantCulture)
            : value.ToString("0.00e+00", CultureInfo.InvariantCulture);
}
