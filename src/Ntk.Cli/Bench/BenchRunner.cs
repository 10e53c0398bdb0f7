using System.Collections.Immutable;
using System.Runtime.Intrinsics;
using Ntk.Cli.Sweeps;
using Ntk.Numerics.Engines;

namespace Ntk.Cli.Bench;

/// <summary>Which limit an engine's speed is measured against.</summary>
internal enum BenchBound
{
    /// <summary>Drawing Gaussians: D / R_draw ≥ F / (2 R_fma) (the dense engine at m = 2: 4m FLOPs per draw).</summary>
    Draws,
    /// <summary>Fused multiply-adds: F / (2 R_fma) &gt; D / R_draw.</summary>
    Flops,
}

/// <summary>One engine on one configuration: its work per trial and its measured rates.</summary>
internal sealed record EngineResult(
    BenchConfiguration Configuration, EngineKind Engine, WorkEstimate WorkPerTrial, Rate SingleThread, Rate ShardLoop,
    Rate AllThreads, int Threads, BenchBound Bound)
{
    /// <summary>All-threads trials/s over single-thread trials/s (wall clock).</summary>
    public double SpeedUp => AllThreads.PerSecond / SingleThread.PerSecond;

    /// <summary>Draws/s reached on one thread (per CPU second) over the generator's draws per CPU second.</summary>
    public double DrawFraction(MachineLimitResult limits) =>
        WorkPerTrial.Draws * SingleThread.PerCpuSecond / limits.GaussianDraws.PerCpuSecond;

    /// <summary>FLOP/s reached on one thread (per CPU second) over 2 × the FMA loop's FMAs per CPU second.</summary>
    public double FlopFraction(MachineLimitResult limits) =>
        WorkPerTrial.Flops * SingleThread.PerCpuSecond / (2 * limits.FusedMultiplyAdds.PerCpuSecond);

    /// <summary>The fraction of the limit that binds this engine here (see <see cref="Bound"/>).</summary>
    public double BoundFraction(MachineLimitResult limits) =>
        Bound == BenchBound.Draws ? DrawFraction(limits) : FlopFraction(limits);

    /// <summary>
    /// Seconds per trial if the draws ran at the generator's limit and, one after the other, the FLOPs at the FMA
    /// limit (per CPU second): D / R_draw + F / (2 R_fma). The engine cannot beat it without a faster generator or
    /// fewer operations.
    /// </summary>
    public double RooflineSeconds(MachineLimitResult limits) =>
        WorkPerTrial.Draws / limits.GaussianDraws.PerCpuSecond + WorkPerTrial.Flops / (2 * limits.FusedMultiplyAdds.PerCpuSecond);

    /// <summary>Roofline seconds per trial over measured CPU seconds per trial (1 thread): 1 = at the limit.</summary>
    public double RooflineFraction(MachineLimitResult limits) => RooflineSeconds(limits) * SingleThread.PerCpuSecond;
}

/// <summary>The two per-thread limits measured in the run.</summary>
internal sealed record MachineLimitResult(Rate GaussianDraws, Rate FusedMultiplyAdds, int VectorBits)
{
    /// <summary>Each limit from whichever measurement reached more per CPU second.</summary>
    public static MachineLimitResult Better(MachineLimitResult a, MachineLimitResult b) => new(
        a.GaussianDraws.PerCpuSecond >= b.GaussianDraws.PerCpuSecond ? a.GaussianDraws : b.GaussianDraws,
        a.FusedMultiplyAdds.PerCpuSecond >= b.FusedMultiplyAdds.PerCpuSecond ? a.FusedMultiplyAdds : b.FusedMultiplyAdds,
        a.VectorBits);
}

/// <summary>
/// The generator row: the current Gaussian generator (the draw limit's measurement), the previous one, and the
/// Philox words/s that bound both (one word per Gaussian), each the better of two measurements per CPU second.
/// </summary>
internal sealed record GeneratorResult(Rate Current, Rate Previous, Rate CounterWords)
{
    /// <summary>Each rate from whichever measurement reached more per CPU second.</summary>
    public static GeneratorResult Better(GeneratorResult a, GeneratorResult b) => new(
        a.Current.PerCpuSecond >= b.Current.PerCpuSecond ? a.Current : b.Current,
        a.Previous.PerCpuSecond >= b.Previous.PerCpuSecond ? a.Previous : b.Previous,
        a.CounterWords.PerCpuSecond >= b.CounterWords.PerCpuSecond ? a.CounterWords : b.CounterWords);
}

/// <summary>Everything one <c>ntk bench</c> run measured.</summary>
internal sealed record BenchResult(
    DateTimeOffset Started, double SecondsPerMeasurement, int Threads, MachineLimitResult Limits, GeneratorResult Generator,
    ImmutableArray<EngineResult> Engines, ImmutableArray<PipelineResult> Pipelines, double TotalSeconds, string LoadBefore,
    string LoadAfter);

/// <summary>Runs the measurements of <c>ntk bench</c>, in a fixed order, reporting progress on a writer.</summary>
internal static class BenchRunner
{
    /// <param name="configurations">Configurations of the engine table (both engines each).</param>
    /// <param name="pipelineCases">Cases of the pipeline table (actors against the bare loop), measured after the engines.</param>
    public static BenchResult Run(
        IReadOnlyList<BenchConfiguration> configurations, IReadOnlyList<PipelineCase> pipelineCases, double seconds,
        int threads, TextWriter progress)
    {
        var started = DateTimeOffset.UtcNow;
        var loadBefore = LoadAverage();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        progress.WriteLine($"bench: limits ({seconds:0.###} s each)");
        var limits = new MachineLimitResult(
            MachineLimits.GaussianDraws(seconds), MachineLimits.FusedMultiplyAdds(seconds),
            Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 64);
        var generator = new GeneratorResult(limits.GaussianDraws, MachineLimits.BoxMullerDraws(seconds), MachineLimits.PhiloxWords(seconds));
        var results = ImmutableArray.CreateBuilder<EngineResult>();
        var measured = new List<(BenchConfiguration, EngineKind, Rate, Rate, Rate)>();
        foreach (var configuration in configurations)
        {
            foreach (var engine in new[] { EngineKind.Dense, EngineKind.Conditional })
            {
                var point = configuration.Point(engine);
                progress.WriteLine($"bench: {configuration.Label} {EngineChoice.Name(engine)}");
                var single = EngineTimer.SingleThread(point, seconds);
                var shard = EngineTimer.ShardLoop(point, seconds, single);
                var all = EngineTimer.AllThreads(point, threads, seconds);
                measured.Add((configuration, engine, single, shard, all));
            }
        }
        // The limits again at the end; the better of the two (per CPU second) is the reference, so a busy phase of a
        // shared machine during one of them cannot flatter the engines.
        progress.WriteLine("bench: limits again");
        limits = MachineLimitResult.Better(limits, new MachineLimitResult(
            MachineLimits.GaussianDraws(seconds), MachineLimits.FusedMultiplyAdds(seconds), limits.VectorBits));
        generator = GeneratorResult.Better(generator, new GeneratorResult(
            limits.GaussianDraws, MachineLimits.BoxMullerDraws(seconds), MachineLimits.PhiloxWords(seconds)));
        foreach (var (configuration, engine, single, shard, all) in measured)
        {
            // Every draw the engine makes (the conditional backward draws too), not the shard-sizing estimate.
            var work = WorkEstimate.PerTrialAllDraws(configuration.Network, configuration.InputCount, engine);
            // The larger of the two roofline terms binds: drawing (dense at small m) or multiply-adds.
            var bound = work.Draws / limits.GaussianDraws.PerCpuSecond >= work.Flops / (2 * limits.FusedMultiplyAdds.PerCpuSecond)
                ? BenchBound.Draws
                : BenchBound.Flops;
            results.Add(new EngineResult(configuration, engine, work, single, shard, all, threads, bound));
        }
        var pipelines = ImmutableArray.CreateBuilder<PipelineResult>();
        foreach (var pipelineCase in pipelineCases)
        {
            progress.WriteLine($"bench: pipeline {pipelineCase.Label}");
            pipelines.Add(PipelineTimer.Measure(pipelineCase, threads, seconds));
        }
        return new BenchResult(started, seconds, threads, limits, generator, results.ToImmutable(), pipelines.ToImmutable(),
            clock.Elapsed.TotalSeconds, loadBefore, LoadAverage());
    }

    /// <summary>
    /// The 1-, 5- and 15-minute load averages (Linux /proc/loadavg), or "n/a": how busy the machine was, which the
    /// wall-clock columns depend on.
    /// </summary>
    private static string LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length >= 3 ? $"{fields[0]} {fields[1]} {fields[2]}" : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }
}
