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
using Ntk.Cluster.Logging;

namespace Ntk.Cluster.Actors;

/// <summary>
/// Pulls shards from the coordinator and computes them one at a time, off the mailbox on this worker's own thread
/// (<see cref="ShardRunner.Run"/>), then sends the <see cref="ShardResult"/> to the point's aggregator through the
/// aggregator router and asks for more. Keeps a few samplers (one per point, reused across shards: samplers own
/// large buffers and are not thread-safe, and this actor runs one shard at a time).
/// </summary>
/// <remarks>
/// <see cref="Drain"/> (SIGTERM on a worker node) stops it without losing a lease: it asks for nothing more, declines a
/// lease that was already on its way, finishes the shard in hand if that takes less than the grace period (else
/// cancels it and hands the lease back with <see cref="DeclineLease"/>), and after sending a result waits until the
/// aggregator has taken it (a <see cref="GetPointSnapshot"/> sent behind the result is answered after it), so that the
/// node may leave the cluster at once. Then it stops.
/// The thread lives as long as the actor and waits for the next shard between shards: handing work to a waiting thread
/// costs an order of magnitude less than starting a thread per shard (a LongRunning task); the figures are in
/// docs/performance.md §5.
/// </remarks>
internal sealed class WorkerActor : ReceiveActor, IWithTimers
{
    private const int SamplerCacheSize = 4;
    private const string RequestTimerKey = "request";
    private const string RetryTimerKey = "retry";
    private const string DrainTimerKey = "drain";
    /// <summary>Collection id of the <see cref="GetPointSnapshot"/> that confirms a drained worker's last result.</summary>
    private const long DrainConfirmation = -1;

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
    private bool _awaitingAnswer;
    private bool _draining;
    private LeaseShard? _unconfirmed;

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
            _awaitingAnswer = false;
            if (_draining) StopIfDrained();
            else if (_running is null) Timers.StartSingleTimer(RetryTimerKey, AskAgain.Instance, _settings.WorkRetryInterval);
        });
        Receive<AskAgain>(_ =>
        {
            _awaitingAnswer = false;
            if (_draining) StopIfDrained();
            else if (_running is null) AskForWork();
        });
        Receive<Drain>(OnDrain);
        Receive<DrainTimedOut>(_ => OnDrainTimedOut());
        Receive<PointSnapshotResult>(m =>
        {
            if (m.CollectionId != DrainConfirmation || _unconfirmed is null || m.PointIndex != _unconfirmed.Shard.PointIndex) return;
            _log.Info("{Event:l}: point {PointIndex} shard {ShardIndex}: the aggregator has the result of {WorkerId}",
                LogEvents.ResultConfirmed, _unconfirmed.Shard.PointIndex, _unconfirmed.Shard.ShardIndex, _id.Value);
            _unconfirmed = null;
            StopIfDrained();
        });
        Receive<SweepFinished>(_ =>
        {
            _log.Debug("{Event:l}: worker {WorkerId} stops", LogEvents.WorkerFinished, _id.Value);
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
        _awaitingAnswer = true;
        _coordinator.Tell(new RequestWork(_id, Self));
        // A lost request or answer (or a coordinator moving to another node) must not idle this worker forever.
        Timers.StartSingleTimer(RequestTimerKey, AskAgain.Instance, _settings.WorkRequestTimeout);
    }

    private void OnLease(LeaseShard lease)
    {
        Timers.Cancel(RequestTimerKey);
        _awaitingAnswer = false;
        if (_draining)
        {
            ReturnLease(lease, "the worker is stopping");
            StopIfDrained();
            return;
        }
        if (_running is not null)
        {
            // Two answers to a repeated request: hand the extra lease back rather than let it block its shard.
            _log.Warning("{Event:l}: worker {WorkerId} is busy; lease {LeaseId} of point {PointIndex} shard {ShardIndex} declined",
                LogEvents.LeaseDeclined, _id.Value, lease.Lease.Value, lease.Shard.PointIndex, lease.Shard.ShardIndex);
            _coordinator.Tell(new DeclineLease(lease.Id, lease.Lease));
            return;
        }
        var spec = lease.Shard;
        _log.Info("{Event:l}: point {PointIndex} shard {ShardIndex} ({TrialCount} trials from {FirstTrial}) to {WorkerId}",
            LogEvents.ShardLeased, spec.PointIndex, spec.ShardIndex, spec.TrialCount, spec.FirstTrial, _id.Value);
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
        Operations.SweepMeters.ShardComputed(done.TrialCount);
        var elapsedMs = done.Elapsed.TotalMilliseconds;
        var trialsPerSecond = elapsedMs > 0 ? done.TrialCount / (elapsedMs / 1000.0) : 0.0;
        // CpuMs: the shard thread's CPU time (NaN where the platform has no thread clock); well below ElapsedMs means
        // the thread waited for a core (a busy machine), not that the code was slow.
        _log.Info("{Event:l}: point {PointIndex} shard {ShardIndex}, {TrialCount} trials in {ElapsedMs} ms (CPU {CpuMs} ms), {TrialsPerSecond} trials/s, by {WorkerId}",
            new object[]
            {
                LogEvents.ShardCompleted, spec.PointIndex, spec.ShardIndex, done.TrialCount, Math.Round(elapsedMs, 1),
                Math.Round(done.CpuSeconds * 1000, 1), Math.Round(trialsPerSecond, 1), _id.Value,
            });
        _running = null;
        if (_draining)
        {
            // Confirm before leaving: the aggregator answers this after it has taken the result (same path, same order).
            _unconfirmed = done.Lease;
            _aggregators.Tell(new GetPointSnapshot(spec.PointIndex, DrainConfirmation));
            return;
        }
        AskForWork();
    }

    private void OnDrain(Drain drain)
    {
        if (_draining) return;
        _draining = true;
        Timers.Cancel(RetryTimerKey);
        _log.Info("{Event:l}: worker {WorkerId} stops leasing; {InHand}", LogEvents.WorkerDraining, _id.Value,
            _running is { } lease ? $"finishing point {lease.Shard.PointIndex} shard {lease.Shard.ShardIndex} (grace {drain.Grace.TotalSeconds:F0} s)" : "no shard in hand");
        Timers.StartSingleTimer(DrainTimerKey, DrainTimedOut.Instance, drain.Grace);
        StopIfDrained();
    }

    /// <summary>The grace period is over: hand back the shard in hand (or forget a result the aggregator did not
    /// confirm: handing it back costs at most one duplicate, never a lost shard) and stop.</summary>
    private void OnDrainTimedOut()
    {
        if (_running is { } running)
        {
            _cancellation?.Cancel();
            ReturnLease(running, "not finished within the grace period");
            _running = null;
        }
        if (_unconfirmed is { } unconfirmed)
        {
            ReturnLease(unconfirmed, "its result was not confirmed within the grace period");
            _unconfirmed = null;
        }
        _awaitingAnswer = false;
        StopIfDrained();
    }

    private void ReturnLease(LeaseShard lease, string why)
    {
        _log.Info("{Event:l}: point {PointIndex} shard {ShardIndex}: lease {LeaseId} handed back by {WorkerId}: {Reason}",
            LogEvents.LeaseReturned, lease.Shard.PointIndex, lease.Shard.ShardIndex, lease.Lease.Value, _id.Value, why);
        _coordinator.Tell(new DeclineLease(lease.Id, lease.Lease));
    }

    private void StopIfDrained()
    {
        if (!_draining || _running is not null || _unconfirmed is not null || _awaitingAnswer) return;
        _log.Info("{Event:l}: worker {WorkerId} drained: no lease in hand", LogEvents.WorkerDrained, _id.Value);
        Context.Stop(Self);
    }

    private void OnFailed(ShardComputationFailed failed)
    {
        if (!ReferenceEquals(failed.Lease, _running)) return;
        var spec = failed.Lease.Shard;
        var cause = failed.Cause is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : failed.Cause;
        _log.Error(cause, "{Event:l}: point {PointIndex} shard {ShardIndex} failed on {WorkerId}: {Reason}",
            LogEvents.ShardFailed, spec.PointIndex, spec.ShardIndex, _id.Value, cause.Message);
        _coordinator.Tell(new ShardFailed(failed.Lease.Id, failed.Lease.Lease, _id, $"{cause.GetType().Name}: {cause.Message}"));
        _running = null;
        if (_draining) StopIfDrained();
        else AskForWork();
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

    /// <summary>Host → worker (this node is stopping): lease nothing more, finish or hand back the shard in hand
    /// within <see cref="Grace"/>, then stop.</summary>
    internal sealed record Drain(TimeSpan Grace) : INoSerializationVerificationNeeded;

    private sealed record DrainTimedOut : INoSerializationVerificationNeeded
    {
        public static readonly DrainTimedOut Instance = new();
        private DrainTimedOut() { }
    }

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
