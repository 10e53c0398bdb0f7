using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Ntk.Cluster.Actors;
using Ntk.Cluster.Logging;
using Ntk.Cluster.Messages;
using Ntk.Cluster.Settings;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;
using Serilog.Events;

namespace Ntk.Cluster;

/// <summary>Runs a sweep in this process: the same actors as the cluster, with the local actor-ref provider.</summary>
public static class LocalSweep
{
    /// <summary>
    /// Runs the sweep in this process; completes when the final snapshot has been published, with that snapshot.
    /// Cancelling stops leasing, waits for nothing in flight, publishes a final snapshot with Complete = false (true
    /// only if every point happened to be done already) and returns it. Throws <see cref="ArgumentException"/> for
    /// invalid settings or resume states (before anything runs) and <see cref="SweepFailedException"/> when a shard
    /// fails to compute (after publishing the final, incomplete snapshot) or the final snapshot cannot be published.
    /// Logs through <paramref name="logger"/> only; never writes to the console.
    /// </summary>
    /// <param name="resume">Per point merged prefixes of a previous run (points absent start from trial 0).</param>
    public static Task<SweepSnapshot> RunAsync(SimulationPlan plan, IReadOnlyList<PointResumeState> resume,
        SweepRunSettings settings, ISweepResultSink sink, IProgressObserver progress,
        Serilog.ILogger logger, CancellationToken cancellation) =>
        RunAsync(plan, resume, settings, sink, progress, logger, cancellation, point => point.CreateSampler(), extraConfig: null);

    /// <summary>As the public overload, with the samplers and extra HOCON (taking precedence) chosen by the caller.</summary>
    internal static async Task<SweepSnapshot> RunAsync(SimulationPlan plan, IReadOnlyList<PointResumeState> resume,
        SweepRunSettings settings, ISweepResultSink sink, IProgressObserver progress,
        Serilog.ILogger logger, CancellationToken cancellation,
        Func<PointDefinition, ITrialSampler> samplerFactory, Config? extraConfig)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(resume);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(logger);
        Validate(settings);
        ValidateResume(plan, resume);

        var config = ConfigurationFactory.ParseString($"akka.loglevel = {AkkaLevel(logger)}")
            .WithFallback(Persistence.SweepJournal.InMemory.ToConfig())
            .WithFallback(SweepHocon.Config);
        if (extraConfig is not null) config = extraConfig.WithFallback(config);
        var setup = ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config), new SerilogLoggerSetup(logger));
        var system = ActorSystem.Create("ntk", setup);
        try
        {
            var completion = new TaskCompletionSource<SweepSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
            var actors = LocalWiring.Start(system, plan, resume, SweepActorSettings.ForLocal(settings), settings.Workers,
                sink, progress, completion, samplerFactory);
            using var stop = cancellation.Register(() => actors.Coordinator.Tell(StopSweep.Instance));
            // With the stopping guardian strategy an actor that throws is stopped: fail instead of waiting forever.
            var pipelineStopped = Task.WhenAny(
                actors.Coordinator.WatchAsync(), actors.Aggregators.WatchAsync(), actors.ResultWriter.WatchAsync());
            if (await Task.WhenAny(completion.Task, pipelineStopped).ConfigureAwait(false) != completion.Task)
                completion.TrySetException(new SweepFailedException(
                    "an actor of the sweep pipeline (coordinator, aggregators or result writer) stopped unexpectedly; see the log"));
            return await completion.Task.ConfigureAwait(false);
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
        }
    }

    private static void Validate(SweepRunSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Workers < 1)
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Workers, "workers: must be at least 1");
        if (settings.LeaseTimeout <= TimeSpan.Zero || settings.LeaseTimeout == Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(settings), settings.LeaseTimeout, "lease timeout: must be positive and finite");
    }

    /// <summary>Checks every resume state against the plan: point in range and listed once, shard count within the
    /// point's shards, and bytes that decode to exactly the trials of that many shards.</summary>
    internal static void ValidateResume(SimulationPlan plan, IReadOnlyList<PointResumeState> resume)
    {
        var seen = new HashSet<int>();
        foreach (var state in resume)
        {
            var where = $"resume: point {state.PointIndex}";
            if (state.PointIndex < 0 || state.PointIndex >= plan.Points.Length)
                throw new ArgumentException($"{where}: the sweep has points 0..{plan.Points.Length - 1}", nameof(resume));
            if (!seen.Add(state.PointIndex))
                throw new ArgumentException($"{where}: listed twice", nameof(resume));
            if (state.ShardsMerged < 0 || state.ShardsMerged > plan.MaxShardCount)
                throw new ArgumentException($"{where}: {state.ShardsMerged} shards merged, the point has {plan.MaxShardCount}", nameof(resume));
            if (state.ShardsMerged == 0) continue;
            // A point finished before is never opened: its state stays with the sink that wrote it.
            if (state.Done && state.State.IsDefaultOrEmpty) continue;
            PointAccumulator merged;
            try
            {
                merged = PointAccumulator.FromBytes(plan.Points[state.PointIndex].Definition.Layout,
                    state.State.IsDefault ? [] : state.State.AsSpan());
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new ArgumentException($"{where}: the saved state does not fit this sweep: {e.Message}", nameof(resume), e);
            }
            var expected = plan.PrefixTrials(state.ShardsMerged);
            if (merged.Count != expected)
                throw new ArgumentException(
                    $"{where}: the saved state holds {merged.Count} trials, but {state.ShardsMerged} shards of {plan.ShardTrials} trials make {expected} (was the shard size changed?)",
                    nameof(resume));
        }
    }

    private static string AkkaLevel(Serilog.ILogger logger) =>
        logger.IsEnabled(LogEventLevel.Debug) ? "DEBUG"
        : logger.IsEnabled(LogEventLevel.Information) ? "INFO"
        : logger.IsEnabled(LogEventLevel.Warning) ? "WARNING"
        : "ERROR";
}
