using System.Collections.Immutable;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Configuration;
using Ntk.Cluster.Logging;
using Ntk.Cluster.Messages;
using Ntk.Cluster.Persistence;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;
using Serilog.Events;

namespace Ntk.Cluster.Clustering;

/// <summary>What the coordinator node was asked to do; null fields take cluster-config's values.</summary>
/// <param name="MinWorkers">Worker nodes to wait for before the sweep starts (ntk.coordinator.min-workers).</param>
/// <param name="Threads">Worker actors on the coordinator node itself (ntk.coordinator.threads).</param>
/// <param name="SnapshotInterval">Between snapshots (ntk.coordinator.snapshot-interval).</param>
public sealed record CoordinatorNodeOptions(ClusterNodeOptions Node, int? MinWorkers, int? Threads, TimeSpan? SnapshotInterval);

/// <summary>What a worker node was asked to do.</summary>
/// <param name="Threads">Worker actors (ntk.worker.threads; 0 = all cores).</param>
/// <param name="AggregatorJournal">When set, the node also has the aggregator role: it hosts some of the points'
/// aggregators, journaled in this journal, which must be the coordinator's (the same SQLite file on one machine, or the
/// same PostgreSQL database).</param>
public sealed record WorkerNodeOptions(ClusterNodeOptions Node, int? Threads, SweepJournal? AggregatorJournal = null);

/// <summary>How a worker node ended.</summary>
public enum WorkerNodeOutcome
{
    /// <summary>The coordinator said the sweep is finished, or left the cluster gracefully.</summary>
    SweepFinished,
    /// <summary>Cancelled (SIGTERM / Ctrl-C): the workers stopped leasing, finished or handed back the shards in hand,
    /// and the node left the cluster; no lease waits for a timeout.</summary>
    Cancelled,
    /// <summary>The node could not join the seeds within ntk.worker.join-timeout (coordinator gone or wrong seeds).</summary>
    JoinTimedOut,
}

/// <summary>
/// Runs one node of a multi-node sweep: the same actors as <see cref="LocalSweep"/>, wired by
/// <see cref="ClusterWiring"/> over Akka.Cluster. Logs through the given Serilog logger only.
/// </summary>
public static class ClusterSweep
{
    /// <summary>
    /// Runs the coordinator node: joins (or forms) the cluster, waits for the configured number of worker nodes,
    /// runs the sweep (resumed from <paramref name="resume"/>), publishes snapshots to <paramref name="sink"/>, and
    /// returns the final snapshot after the workers were told the sweep is finished (or the linger time passed).
    /// Throws <see cref="ArgumentException"/> for invalid options, configuration or resume states (before the node
    /// starts) and <see cref="SweepFailedException"/> when the sweep fails or this node is downed.
    /// </summary>
    /// <param name="journal">Where aggregators and the coordinator's ledger are journaled (prepared by the caller).</param>
    /// <param name="resumeRun">Continue the latest run of this sweep found in the journal (a new run when there is
    /// none); false starts a new run.</param>
    public static Task<SweepSnapshot> RunCoordinatorAsync(CoordinatorNodeOptions options, SimulationPlan plan, string sweepHash,
        IReadOnlyList<PointResumeState> resume, SweepJournal journal, bool resumeRun, ISweepResultSink sink,
        IProgressObserver progress, Serilog.ILogger logger, CancellationToken cancellation) =>
        RunCoordinatorAsync(options, plan, sweepHash, resume, journal, resumeRun, sink, progress, logger, cancellation,
            p => p.CreateSampler());

    internal static async Task<SweepSnapshot> RunCoordinatorAsync(CoordinatorNodeOptions options, SimulationPlan plan,
        string sweepHash, IReadOnlyList<PointResumeState> resume, SweepJournal journal, bool resumeRun, ISweepResultSink sink,
        IProgressObserver progress, Serilog.ILogger logger, CancellationToken cancellation,
        Func<PointDefinition, ITrialSampler> samplerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(plan);
        LocalSweep.ValidateResume(plan, resume);
        ArgumentNullException.ThrowIfNull(journal);
        var (config, settings, threads, linger, aggregatorShards) = CoordinatorConfiguration(options, plan, AkkaLevel(logger));
        var minWorkers = config.GetInt("ntk.coordinator.min-workers");
        var snapshotEvery = config.GetInt("ntk.persistence.snapshot-every");
        var journalTimeout = config.GetTimeSpan("ntk.persistence.journal-timeout");

        var system = CreateSystem(journal.ToConfig().WithFallback(config), logger, options.Node.Tls);
        try
        {
            // The journal first: a database that cannot be reached fails the node before any worker is waited for.
            var run = await SweepRuns.BeginAsync(system, sweepHash, resumeRun, journalTimeout).ConfigureAwait(false);
            logger.Information("{Event}: {Journal}, run {RunGeneration} of sweep {SweepHash} ({RunKind})", "JournalOpened",
                journal.Describe(), run.Generation, SweepJournal.ShortHash(sweepHash),
                run.Resumed ? "resumed" : resumeRun ? "new: no earlier run in the journal" : "new");
            // A resumed run whose ledger holds every point done has nothing to lease: it finishes without workers.
            var alreadyComplete = run.Resumed
                && await Ledger.AllPointsDoneAsync(system, run, plan.Points.Length, journalTimeout).ConfigureAwait(false);
            var cluster = Akka.Cluster.Cluster.Get(system);
            options.Node.Health?.Attach(cluster);
            options.Node.Health?.JournalOpened();
            system.ActorOf(MembershipLogger.Props(null), "membership-log");
            // With discovery too the coordinator forms the cluster itself; its HTTP endpoint tells the bootstrapping
            // workers whom to join (Operations/ClusterDiscovery).
            if (config.GetStringList("akka.cluster.seed-nodes").Count == 0) cluster.Join(cluster.SelfAddress);
            logger.Information("{Event}: coordinator node {MemberAddress} waiting for {MinWorkers} worker nodes",
                "NodeStarted", cluster.SelfAddress.ToString(), alreadyComplete ? 0 : minWorkers);

            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            await WaitAsync(up.Task, system, cancellation, "before the cluster formed").ConfigureAwait(false);
            // Hold the sweep until enough worker nodes are Up. Not akka.cluster.role.worker.min-nr-of-members: that
            // would also keep every later joiner (a replacement, a worker rejoining after being downed) in Joining
            // whenever fewer than that many workers are left.
            if (alreadyComplete)
            {
                logger.Information("{Event}: the journal holds every point of the sweep done; finishing without waiting for workers",
                    "SweepAlreadyComplete");
            }
            else
            {
                await WaitAsync(WorkersUpAsync(cluster, minWorkers, logger, cancellation), system, cancellation, "while waiting for workers")
                    .ConfigureAwait(false);
                logger.Information("{Event}: {WorkerNodes} worker nodes up; the sweep starts", "WorkersJoined",
                    cluster.State.Members.Count(m => m.HasRole(ClusterHocon.WorkerRole) && m.Status == MemberStatus.Up));
            }

            var completion = new TaskCompletionSource<SweepSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
            var (actors, manager) = await ClusterWiring.StartCoordinatorNode(system, new SweepPlanResult(plan, sweepHash), resume,
                run, snapshotEvery, settings,
                aggregatorShards, threads, sink, progress, completion, samplerFactory).ConfigureAwait(false);
            using var stop = cancellation.Register(() => actors.Coordinator.Tell(StopSweep.Instance));
            var pipelineStopped = Task.WhenAny(actors.Aggregators.WatchAsync(), actors.ResultWriter.WatchAsync(),
                manager.WatchAsync(), system.WhenTerminated);
            if (await Task.WhenAny(completion.Task, pipelineStopped).ConfigureAwait(false) != completion.Task)
                completion.TrySetException(new SweepFailedException(
                    cluster.IsTerminated || system.WhenTerminated.IsCompleted
                        ? "the coordinator node was downed or shut down before the sweep finished; restart it with --resume"
                        : "an actor of the sweep pipeline (aggregator region, coordinator singleton or result writer) stopped unexpectedly; see the log"));
            var final = await completion.Task.ConfigureAwait(false);
            // Joining (or rejoining) workers that ask for the plan from now on are told the sweep is over.
            system.ActorSelection("/user/" + ClusterWiring.PlanServerName).Tell(PlanServer.SweepOver.Instance);
            await LingerAsync(cluster, linger).ConfigureAwait(false);
            return final;
        }
        finally
        {
            await ShutdownAsync(system).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Checks the coordinator's options, configuration (including the --config file) and the plan's state sizes
    /// without starting anything; throws <see cref="ArgumentException"/> saying what is wrong. Call it before writing
    /// any file.
    /// </summary>
    public static void ValidateCoordinator(CoordinatorNodeOptions options, SimulationPlan plan) =>
        CoordinatorConfiguration(options, plan, "WARNING");

    private static (Config Config, Settings.SweepActorSettings Settings, int Threads, TimeSpan Linger, int AggregatorShards)
        CoordinatorConfiguration(CoordinatorNodeOptions options, SimulationPlan plan, string akkaLogLevel)
    {
        try
        {
            var baseConfig = ClusterHocon.Build(NodeRole.Coordinator, options.Node, akkaLogLevel);
            var section = baseConfig.GetConfig("ntk.coordinator");
            var minWorkers = options.MinWorkers ?? section.GetInt("min-workers");
            var threads = options.Threads ?? section.GetInt("threads");
            var snapshotInterval = options.SnapshotInterval ?? section.GetTimeSpan("snapshot-interval");
            var linger = section.GetTimeSpan("linger");
            if (minWorkers < 0) throw new ArgumentException("--min-workers: must be at least 0");
            if (threads < 0) throw new ArgumentException("--threads: must be at least 0");
            if (minWorkers == 0 && threads == 0)
                throw new ArgumentException("--min-workers 0 with --threads 0: nobody would compute the sweep");
            var config = ClusterHocon.Build(NodeRole.Coordinator, options.Node, akkaLogLevel, minWorkers);
            var settings = ClusterHocon.ActorSettings(config, snapshotInterval);
            var aggregatorShards = config.GetInt("ntk.cluster.aggregator-shards");
            if (aggregatorShards < 1) throw new ArgumentException("ntk.cluster.aggregator-shards: must be at least 1");
            CheckMessageSizes(plan, config);
            if (config.GetInt("ntk.persistence.snapshot-every") < 0)
                throw new ArgumentException("ntk.persistence.snapshot-every: must be at least 0 (0 = never)");
            if (config.GetTimeSpan("ntk.persistence.journal-timeout") <= TimeSpan.Zero)
                throw new ArgumentException("ntk.persistence.journal-timeout: must be positive");
            return (config, settings, threads, linger, aggregatorShards);
        }
        catch (Exception e) when (e is FormatException or Akka.Configuration.ConfigurationException)
        {
            throw new ArgumentException($"configuration: {e.Message}", e);
        }
    }

    /// <summary>
    /// Runs a worker node until the sweep is finished or <paramref name="cancellation"/> fires: joins the seeds,
    /// fetches the plan from the coordinator node, runs the workers. When this node is downed (it was unreachable, or
    /// the coordinator died), it starts a new actor system and joins again. Throws <see cref="ArgumentException"/> for
    /// invalid options or configuration.
    /// </summary>
    public static async Task<WorkerNodeOutcome> RunWorkerAsync(WorkerNodeOptions options, Serilog.ILogger logger,
        CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options);
        Config config;
        int threads, aggregatorShards, snapshotEvery;
        TimeSpan rejoinDelay, joinTimeout, planRetry, drainTimeout;
        Settings.SweepActorSettings settings;
        try
        {
            config = ClusterHocon.Build(NodeRole.Worker, options.Node, AkkaLevel(logger));
            if (options.AggregatorJournal is { } journal)
            {
                if (journal.Backend == JournalBackend.InMemory)
                    throw new ArgumentException("--aggregator-journal: aggregators on a worker node need the coordinator's journal, not one in memory");
                config = ConfigurationFactory.ParseString(
                        $"akka.cluster.roles = [\"{ClusterHocon.WorkerRole}\", \"{ClusterHocon.AggregatorRole}\"]")
                    .WithFallback(journal.ToConfig())
                    .WithFallback(config);
            }
            if (config.GetStringList("akka.cluster.seed-nodes").Count == 0 && options.Node.Discovery is null)
                throw new ArgumentException("--seeds: a worker needs at least one seed (HOST:PORT of the coordinator), or NTK_SEEDS, or --discovery");
            var section = config.GetConfig("ntk.worker");
            threads = options.Threads ?? section.GetInt("threads");
            if (threads < 0) throw new ArgumentException("--threads: must be at least 0 (0 = all cores)");
            if (threads == 0) threads = Environment.ProcessorCount;
            rejoinDelay = section.GetTimeSpan("rejoin-delay");
            joinTimeout = ClusterHocon.OffOrDuration(section, "join-timeout");
            planRetry = section.GetTimeSpan("plan-retry-interval");
            drainTimeout = section.GetTimeSpan("drain-timeout");
            if (drainTimeout <= TimeSpan.Zero) throw new ArgumentException("ntk.worker.drain-timeout: must be positive");
            settings = ClusterHocon.ActorSettings(config, TimeSpan.Zero);
            aggregatorShards = config.GetInt("ntk.cluster.aggregator-shards");
            snapshotEvery = config.GetInt("ntk.persistence.snapshot-every");
            if (snapshotEvery < 0) throw new ArgumentException("ntk.persistence.snapshot-every: must be at least 0 (0 = never)");
        }
        catch (Exception e) when (e is FormatException or Akka.Configuration.ConfigurationException)
        {
            throw new ArgumentException($"configuration: {e.Message}", e);
        }

        for (var incarnation = 1; ; incarnation++)
        {
            cancellation.ThrowIfCancellationRequested();
            var outcome = await RunWorkerIncarnationAsync(options.Node, config, threads, settings, aggregatorShards,
                options.AggregatorJournal is null ? null : snapshotEvery, planRetry, joinTimeout,
                drainTimeout, incarnation, logger, cancellation).ConfigureAwait(false);
            if (outcome is { } done) return done;
            logger.Warning("{Event}: this worker node was downed or lost the coordinator; joining again in {DelayMs} ms",
                "NodeRejoining", rejoinDelay.TotalMilliseconds);
            try
            {
                await Task.Delay(rejoinDelay, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return WorkerNodeOutcome.Cancelled;
            }
        }
    }

    /// <summary>One actor system's life on a worker node; null when it was downed and the node should join again.</summary>
    /// <param name="aggregatorSnapshotEvery">Null on a plain worker node; on one with the aggregator role, how often its
    /// aggregators snapshot (ntk.persistence.snapshot-every).</param>
    private static async Task<WorkerNodeOutcome?> RunWorkerIncarnationAsync(ClusterNodeOptions node, Config config, int threads,
        Settings.SweepActorSettings settings, int aggregatorShards, int? aggregatorSnapshotEvery, TimeSpan planRetry, TimeSpan joinTimeout,
        TimeSpan drainTimeout, int incarnation, Serilog.ILogger logger, CancellationToken cancellation)
    {
        var system = CreateSystem(config, logger, node.Tls);
        try
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            node.Health?.Attach(cluster);
            var coordinatorLeft = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            system.ActorOf(MembershipLogger.Props(coordinatorLeft), "membership-log");
            logger.Information("{Event}: worker node {MemberAddress} ({Incarnation}) joining {Seeds} with {Threads} threads",
                "NodeStarted", cluster.SelfAddress.ToString(), incarnation, JoinTarget(node, config), threads);
            if (node.Discovery is { } discovery)
            {
                await Operations.ClusterDiscovery.StartBootstrapAsync(system, SelfContactPoint(config, discovery)).ConfigureAwait(false);
                logger.Information("{Event}: cluster bootstrap probes {Seeds}", "BootstrapStarted", JoinTarget(node, config));
            }

            // The plan can be fetched while this node is still Joining (remoting works), and tells a node that joins
            // (or rejoins) too late that the sweep is over.
            var planSource = new TaskCompletionSource<SweepPlanResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            system.ActorOf(PlanFetcher.Props(planSource, planRetry), "plan-fetcher");
            // Only an Up member takes part in sharding: the region proxy of a Joining node buffers every result until
            // the node is Up, which takes until a dead node is downed. So the workers start once this node is Up.
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            var cancelled = WhenCancelled(cancellation);
            var timedOut = joinTimeout > TimeSpan.Zero ? Task.Delay(joinTimeout, CancellationToken.None) : Task.Delay(Timeout.Infinite, CancellationToken.None);
            var ready = Task.WhenAll(up.Task, planSource.Task);
            var first = await Task.WhenAny(ready, planSource.Task, coordinatorLeft.Task, system.WhenTerminated, cancelled, timedOut)
                .ConfigureAwait(false);
            if (first == planSource.Task && !planSource.Task.Result.SweepOver)
                first = await Task.WhenAny(ready, coordinatorLeft.Task, system.WhenTerminated, cancelled, timedOut).ConfigureAwait(false);
            if (first == cancelled || cancellation.IsCancellationRequested) return WorkerNodeOutcome.Cancelled;
            if (first == coordinatorLeft.Task) return WorkerNodeOutcome.SweepFinished;
            if (planSource.Task.IsCompletedSuccessfully && planSource.Task.Result.SweepOver)
            {
                logger.Information("{Event}: the coordinator reported the sweep finished", "WorkerNodeFinished");
                return WorkerNodeOutcome.SweepFinished;
            }
            if (first == timedOut)
            {
                logger.Error("{Event}: could not join {Seeds} within {TimeoutMs} ms; giving up", "JoinTimedOut",
                    JoinTarget(node, config), joinTimeout.TotalMilliseconds);
                return WorkerNodeOutcome.JoinTimedOut;
            }
            if (first != ready) return null;
            var plan = planSource.Task.Result;
            node.Health?.PlanReceived();
            logger.Information("{Event}: sweep {SweepName} ({SweepHash}): {PointCount} points, shards of {ShardTrials} trials",
                "PlanReceived", plan.Plan.Name, plan.SweepHash, plan.Plan.Points.Length, plan.Plan.ShardTrials);

            var hosting = aggregatorSnapshotEvery is { } snapshotEvery
                ? new AggregatorHosting(plan.Plan, new SweepRun(plan.SweepHash, plan.RunGeneration, Resumed: true), snapshotEvery)
                : null;
            var (coordinator, aggregators) = await ClusterWiring.StartWorkerProxies(system, aggregatorShards, hosting).ConfigureAwait(false);
            if (hosting is not null)
                logger.Information("{Event}: this node hosts aggregators of run {RunGeneration} of sweep {SweepHash}", "AggregatorsHosted",
                    plan.RunGeneration, SweepJournal.ShortHash(plan.SweepHash));
            var workers = ClusterWiring.StartWorkers(system, threads, plan.Plan, coordinator, aggregators, settings,
                point => point.CreateSampler());
            logger.Information("{Event}: joined; pulling shards of sweep {SweepName} ({Threads} worker threads)", "PullingShards",
                plan.Plan.Name, threads);
            var allStopped = Task.WhenAll(workers.Select(w => w.WatchAsync()));
            var next = await Task.WhenAny(allStopped, coordinatorLeft.Task, system.WhenTerminated, cancelled).ConfigureAwait(false);
            if (next == cancelled)
            {
                await DrainAsync(workers, allStopped, system, drainTimeout, logger).ConfigureAwait(false);
                return WorkerNodeOutcome.Cancelled;
            }
            if (next == coordinatorLeft.Task) return WorkerNodeOutcome.SweepFinished;
            // Workers stop by themselves only on SweepFinished; during a shutdown (downed) they stop with the system.
            if (next == allStopped && CoordinatedShutdown.Get(system).ShutdownReason is null && !cluster.IsTerminated)
            {
                logger.Information("{Event}: the coordinator reported the sweep finished", "WorkerNodeFinished");
                return WorkerNodeOutcome.SweepFinished;
            }
            return null;
        }
        finally
        {
            await ShutdownAsync(system).ConfigureAwait(false);
        }
    }

    /// <summary>Whom a worker joins, for the log: its seeds, or the discovery it bootstraps through.</summary>
    private static string JoinTarget(ClusterNodeOptions node, Config config) => node.Discovery switch
    {
        null => string.Join(",", config.GetStringList("akka.cluster.seed-nodes")),
        { Method: Operations.DiscoveryMethod.Config } d => "contact points " + string.Join(",", d.ContactPoints),
        var d => $"pods labelled {d.LabelSelector ?? Operations.DiscoveryOptions.DefaultLabelSelector}",
    };

    /// <summary>This node's contact point for Cluster Bootstrap: its HTTP endpoint at its public address.</summary>
    private static Uri SelfContactPoint(Config config, Operations.DiscoveryOptions discovery)
    {
        var host = config.GetString("akka.remote.dot-netty.tcp.public-hostname");
        if (string.IsNullOrEmpty(host)) host = config.GetString("akka.remote.dot-netty.tcp.hostname");
        return new UriBuilder("http", host, discovery.HttpPort).Uri;
    }

    /// <summary>
    /// SIGTERM / Ctrl-C on a worker node: every worker stops leasing, finishes (or, after <paramref name="grace"/>,
    /// hands back) its shard and waits until the aggregator has its result; only then does the node leave (the
    /// caller's shutdown). Leaving first would strand the shards in hand until the coordinator noticed the node gone,
    /// and the results sent during the shutdown would be lost.
    /// </summary>
    private static async Task DrainAsync(ImmutableArray<IActorRef> workers, Task allStopped, ActorSystem system,
        TimeSpan grace, Serilog.ILogger logger)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        logger.Information("{Event}: stopping on request: {Workers} workers stop leasing and finish or hand back their shards",
            "NodeDraining", workers.Length);
        foreach (var worker in workers) worker.Tell(new Actors.WorkerActor.Drain(grace));
        // The workers' own grace timers bound this; the extra time covers a worker that cannot even answer.
        var finished = await Task.WhenAny(allStopped, system.WhenTerminated, Task.Delay(grace + TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        logger.Information("{Event}: {Outcome} after {ElapsedMs} ms; leaving the cluster", "NodeDrained",
            finished == allStopped ? "every worker drained" : "drain incomplete", clock.ElapsedMilliseconds);
    }

    /// <summary>
    /// The node's actor system, with the sharding extension loaded at once: its serializer must be known before other
    /// nodes' sharding messages arrive (otherwise they are dropped, logged as "Cannot find serializer with id [13]").
    /// </summary>
    private static ActorSystem CreateSystem(Config config, Serilog.ILogger logger, Operations.TlsOptions? tls)
    {
        var setup = ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config), new SerilogLoggerSetup(logger));
        if (tls is not null) setup = setup.And(Operations.ClusterTls.Setup(tls));
        var system = ActorSystem.Create(ClusterHocon.SystemName, setup);
        Akka.Cluster.Sharding.ClusterSharding.Get(system);
        return system;
    }

    /// <summary>
    /// Refuses settings and plans whose messages could not cross the wire: a chunk (plus its envelope) must fit in a
    /// frame, and each point's state (the size of an empty state plus a generous bound for the quantile sketches) must
    /// be at most ntk.cluster.max-message-bytes, the largest message a node reassembles.
    /// </summary>
    internal static void CheckMessageSizes(SimulationPlan plan, Config config)
    {
        const long SketchAllowance = 64 * 1024; // bytes per sketch; QuantileSketch caps its buckets
        const long ChunkEnvelope = 1024;        // MessageChunk's fields, the manifest and Akka's own envelope
        var chunks = Serialization.ChunkSettings.From(config);
        var frame = config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size") ?? 128_000;
        if (!chunks.Enabled)
            throw new ArgumentException("ntk.cluster.chunk-bytes: must be on in a cluster (states larger than a frame are chunked)");
        if (chunks.ChunkBytes + ChunkEnvelope > frame)
            throw new ArgumentException(
                $"ntk.cluster.chunk-bytes ({chunks.ChunkBytes} bytes) plus its envelope ({ChunkEnvelope}) exceeds " +
                $"akka.remote.dot-netty.tcp.maximum-frame-size ({frame} bytes)");
        foreach (var point in plan.Points)
        {
            var layout = point.Definition.Layout;
            var estimate = PointAccumulator.SerializedSizeWithoutSketches(layout.Count, layout.SketchedIndices.Length, layout.CovariantIndices.Length) +
                           layout.SketchedIndices.Length * SketchAllowance;
            if (estimate > chunks.MaxMessageBytes)
                throw new ArgumentException(
                    $"point {point.Index}: its merged state is about {estimate / (1024 * 1024)} MiB, over ntk.cluster.max-message-bytes " +
                    $"({chunks.MaxMessageBytes / (1024 * 1024)} MiB); record fewer statistics or raise ntk.cluster.max-message-bytes");
        }
    }

    /// <summary>Waits until <paramref name="minWorkers"/> worker nodes are Up, logging the count each time it changes
    /// ("waiting for workers: 1 of 2 joined"), so a coordinator that waits says what for.</summary>
    private static async Task WorkersUpAsync(Akka.Cluster.Cluster cluster, int minWorkers, Serilog.ILogger logger,
        CancellationToken cancellation)
    {
        var reported = -1;
        while (true)
        {
            var up = cluster.State.Members.Count(m => m.HasRole(ClusterHocon.WorkerRole) && m.Status == MemberStatus.Up);
            if (up >= minWorkers) return;
            if (up != reported)
            {
                logger.Information("{Event}: waiting for workers: {WorkerNodes} of {MinWorkers} joined", "WorkersWaiting", up, minWorkers);
                reported = up;
            }
            await Task.Delay(200, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A task that completes when <paramref name="cancellation"/> fires, with its continuations on the thread pool:
    /// the token is cancelled from a signal handler (Ctrl-C), and the node's shutdown must not run inline there.
    /// </summary>
    private static Task WhenCancelled(CancellationToken cancellation)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (cancellation.IsCancellationRequested) cancelled.TrySetResult();
        else cancellation.Register(() => cancelled.TrySetResult());
        return cancelled.Task;
    }

    private static async Task WaitAsync(Task task, ActorSystem system, CancellationToken cancellation, string when)
    {
        var cancelled = WhenCancelled(cancellation);
        var first = await Task.WhenAny(task, system.WhenTerminated, cancelled).ConfigureAwait(false);
        if (first == cancelled) throw new OperationCanceledException($"cancelled {when}", cancellation);
        if (first != task) throw new SweepFailedException($"the node shut down {when}");
        await task.ConfigureAwait(false); // its own failure or cancellation, if any
    }

    /// <summary>Keeps the coordinator (which answers SweepFinished) up until no worker node is left or
    /// <paramref name="linger"/> has passed.</summary>
    private static async Task LingerAsync(Akka.Cluster.Cluster cluster, TimeSpan linger)
    {
        var deadline = DateTime.UtcNow + linger;
        while (DateTime.UtcNow < deadline && !cluster.IsTerminated)
        {
            var workers = cluster.State.Members.Count(m => m.HasRole(ClusterHocon.WorkerRole)
                && m.Status is MemberStatus.Up or MemberStatus.Joining or MemberStatus.WeaklyUp);
            if (workers == 0) return;
            await Task.Delay(200).ConfigureAwait(false);
        }
    }

    /// <summary>Leaves the cluster gracefully (when still a member) and terminates the system.</summary>
    private static async Task ShutdownAsync(ActorSystem system)
    {
        // Once the loggers stop, Akka prints the last events of a shutdown to stdout at the current level: keep
        // stdout for the command's own output.
        system.EventStream.SetLogLevel(Akka.Event.LogLevel.WarningLevel);
        try
        {
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance)
                .WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Fall through: terminate regardless.
        }
        await system.Terminate().ConfigureAwait(false);
    }

    /// <summary>Akka's own level: at most INFO (cluster internals are very chatty at DEBUG).</summary>
    private static string AkkaLevel(Serilog.ILogger logger) =>
        logger.IsEnabled(LogEventLevel.Information) ? "INFO"
        : logger.IsEnabled(LogEventLevel.Warning) ? "WARNING"
        : "ERROR";
}
