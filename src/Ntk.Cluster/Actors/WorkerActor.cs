using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using Ntk.Cluster.Messages;
using Ntk.Cluster.Settings;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;

namespace Ntk.Cluster.Actors;

/// <summary>
/// Pulls shards from the coordinator and computes them one at a time, off the mailbox on this worker's own thread
/// (<see cref="ShardRunner.Run"/>), then sends the <see cref="ShardResult"/> to the point's aggregator through the
/// aggregator router and asks for more. Keeps a few samplers (one per point, reused across shards: samplers own
/// large buffers and are not thread-safe, and this actor runs one shard at a time).
/// </summary>
/// <remarks>
/// The thread lives as long as the actor and waits for the next shard between shards: starting a thread per shard
/// (a LongRunning task) took 0.9-4.3 ms per shard on a loaded 2-core machine, handing work to a waiting thread
/// 0.02-0.45 ms (docs/performance.md §5).
/// </remarks>
internal sealed class WorkerActor : ReceiveActor, IWithTimers
{
    private const int SamplerCacheSize = 4;
    private const string RequestTimerKey = "request";
    private const string RetryTimerKey = "retry";

    private readonly WorkerId _id;
    private readonly SimulationPlan _plan;
    private readonly IActorRef _coordinator;
    private readonly IActorRef _aggregators;
    private readonly SweepActorSettings _settings;
    private readonly Func<PointDefinition, ITrialSampler> _samplerFactory;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    // Most recently used first.
    private readonly List<(int PointIndex, ITrialSampler Sampler)> _samplers = [];
    private LeaseShard? _running;
    private CancellationTokenSource? _cancellation;
    private ShardThread? _thread;

    public WorkerActor(WorkerId id, SimulationPlan plan, IActorRef coordinator, IActorRef aggregators,
        SweepActorSettings settings, Func<PointDefinition, ITrialSampler> samplerFactory)
    {
        _id = id;
        _plan = plan;
        _coordinator = coordinator;
        _aggregators = aggregators;
        _settings = settings;
        _samplerFactory = samplerFactory;

        Receive<LeaseShard>(OnLease);
        Receive<NoWorkAvailable>(_ =>
        {
            Timers.Cancel(RequestTimerKey);
            if (_running is null) Timers.StartSingleTimer(RetryTimerKey, AskAgain.Instance, _settings.WorkRetryInterval);
        });
        Receive<AskAgain>(_ =>
        {
            if (_running is null) AskForWork();
        });
        Receive<SweepFinished>(_ =>
        {
            _log.Debug("{Event:l}: worker {WorkerId} stops", "WorkerFinished", _id.Value);
            Context.Stop(Self);
        });
        Receive<ShardComputed>(OnComputed);
        Receive<ShardComputationFailed>(OnFailed);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(WorkerId id, SimulationPlan plan, IActorRef coordinator, IActorRef aggregators,
        SweepActorSettings settings, Func<PointDefinition, ITrialSampler> samplerFactory) =>
        Akka.Actor.Props.Create(() => new WorkerActor(id, plan, coordinator, aggregators, settings, samplerFactory));

    protected override void PreStart()
    {
        _thread = new ShardThread("ntk-" + _id.Value);
        AskForWork();
    }

    protected override void PostStop()
    {
        // The shard's thread notices within 64 trials; its result then goes to dead letters. The thread ends after it.
        _cancellation?.Cancel();
        _thread?.Complete();
    }

    private void AskForWork()
    {
        _coordinator.Tell(new RequestWork(_id, Self));
        // A lost request or answer (or a coordinator moving to another node) must not idle this worker forever.
        Timers.StartSingleTimer(RequestTimerKey, AskAgain.Instance, _settings.WorkRequestTimeout);
    }

    private void OnLease(LeaseShard lease)
    {
        Timers.Cancel(RequestTimerKey);
        if (_running is not null)
        {
            // Two answers to a repeated request: hand the extra lease back rather than let it block its shard.
            _log.Warning("{Event:l}: worker {WorkerId} is busy; lease {LeaseId} of point {PointIndex} shard {ShardIndex} declined",
                "LeaseDeclined", _id.Value, lease.Lease.Value, lease.Shard.PointIndex, lease.Shard.ShardIndex);
            _coordinator.Tell(new DeclineLease(lease.Id, lease.Lease));
            return;
        }
        var spec = lease.Shard;
        _log.Info("{Event:l}: point {PointIndex} shard {ShardIndex} ({TrialCount} trials from {FirstTrial}) to {WorkerId}",
            "ShardLeased", spec.PointIndex, spec.ShardIndex, spec.TrialCount, spec.FirstTrial, _id.Value);
        _running = lease;
        _cancellation = new CancellationTokenSource();
        var token = _cancellation.Token;
        var sampler = TakeSampler(spec.PointIndex);
        var point = _plan.Points[spec.PointIndex].Definition;
        var factory = _samplerFactory;
        var self = Self;
        // On this worker's own thread, so N busy workers never starve the thread pool that runs the actors' mailboxes.
        _thread!.Post(() =>
        {
            try
            {
                token.ThrowIfCancellationRequested();
                var stopwatch = Stopwatch.StartNew();
                var cpuStart = Diagnostics.ThreadClock.ThreadSecondsOrNaN();
                var used = sampler ?? factory(point);
                var accumulator = ShardRunner.Run(used, spec.FirstTrial, spec.TrialCount, token);
                var bytes = accumulator.ToBytes();
                self.Tell(new ShardComputed(lease, used, accumulator.Count, bytes, stopwatch.Elapsed,
                    Diagnostics.ThreadClock.ThreadSecondsOrNaN() - cpuStart), self);
            }
            catch (Exception e)
            {
                self.Tell(new ShardComputationFailed(lease, e), self);
            }
        });
    }

    private void OnComputed(ShardComputed done)
    {
        if (!ReferenceEquals(done.Lease, _running)) return;
        var spec = done.Lease.Shard;
        PutSampler(spec.PointIndex, done.Sampler);
        Serialization.MessageChunker.For(Context.System).Tell(_aggregators, new ShardResult(done.Lease.Id, done.Lease.Lease,
            done.TrialCount, ImmutableCollectionsMarshal.AsImmutableArray(done.State)), Self, spec.PointIndex);
        var elapsedMs = done.Elapsed.TotalMilliseconds;
        var trialsPerSecond = elapsedMs > 0 ? done.TrialCount / (elapsedMs / 1000.0) : 0.0;
        // CpuMs: the shard thread's CPU time (NaN where the platform has no thread clock); well below ElapsedMs means
        // the thread waited for a core (a busy machine), not that the code was slow.
        _log.Info("{Event:l}: point {PointIndex} shard {ShardIndex}, {TrialCount} trials in {ElapsedMs} ms (CPU {CpuMs} ms), {TrialsPerSecond} trials/s, by {WorkerId}",
            new object[]
            {
                "ShardCompleted", spec.PointIndex, spec.ShardIndex, done.TrialCount, Math.Round(elapsedMs, 1),
                Math.Round(done.CpuSeconds * 1000, 1), Math.Round(trialsPerSecond, 1), _id.Value,
            });
        _running = null;
        AskForWork();
    }

    private void OnFailed(ShardComputationFailed failed)
    {
        if (!ReferenceEquals(failed.Lease, _running)) return;
        var spec = failed.Lease.Shard;
        var cause = failed.Cause is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : failed.Cause;
        _log.Error(cause, "{Event:l}: point {PointIndex} shard {ShardIndex} failed on {WorkerId}: {Reason}",
            "ShardFailed", spec.PointIndex, spec.ShardIndex, _id.Value, cause.Message);
        _coordinator.Tell(new ShardFailed(failed.Lease.Id, failed.Lease.Lease, _id, $"{cause.GetType().Name}: {cause.Message}"));
        _running = null;
        AskForWork();
    }

    private ITrialSampler? TakeSampler(int pointIndex)
    {
        var position = _samplers.FindIndex(entry => entry.PointIndex == pointIndex);
        if (position < 0) return null;
        var sampler = _samplers[position].Sampler;
        _samplers.RemoveAt(position);
        return sampler;
    }

    private void PutSampler(int pointIndex, ITrialSampler sampler)
    {
        _samplers.Insert(0, (pointIndex, sampler));
        if (_samplers.Count > SamplerCacheSize) _samplers.RemoveAt(_samplers.Count - 1);
    }

    /// <summary>The shard's thread finished: its accumulator as bytes, and the sampler to reuse.</summary>
    private sealed record ShardComputed(
        LeaseShard Lease, ITrialSampler Sampler, long TrialCount, byte[] State, TimeSpan Elapsed, double CpuSeconds)
        : INoSerializationVerificationNeeded;

    private sealed record ShardComputationFailed(LeaseShard Lease, Exception Cause) : INoSerializationVerificationNeeded;

    private sealed record AskAgain : INoSerializationVerificationNeeded
    {
        public static readonly AskAgain Instance = new();
        private AskAgain() { }
    }

    /// <summary>
    /// A background thread that runs posted shards one after the other; <see cref="Complete"/> lets it end once the
    /// current one (if any) is done.
    /// </summary>
    private sealed class ShardThread
    {
        private readonly BlockingCollection<Action> _shards = new();

        public ShardThread(string name)
        {
            new Thread(Loop) { IsBackground = true, Name = name }.Start();
        }

        public void Post(Action shard) => _shards.Add(shard);

        public void Complete() => _shards.CompleteAdding();

        private void Loop()
        {
            foreach (var shard in _shards.GetConsumingEnumerable()) shard();
        }
    }
}
