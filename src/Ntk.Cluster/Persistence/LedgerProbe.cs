using Akka.Actor;
using Akka.Persistence;

namespace Ntk.Cluster.Persistence;

/// <summary>
/// Reads the coordinator's shard ledger of a run (its <see cref="ShardRecorded"/> events) before the coordinator
/// starts, to tell whether every point is already done: a resumed coordinator whose journal holds the whole sweep
/// then finishes at once instead of waiting for workers that would have nothing to do. Writes nothing; answers once
/// and stops. A ledger that lags behind the aggregators (its writes are not awaited) only means waiting as before.
/// </summary>
internal sealed class LedgerProbe : ReceivePersistentActor
{
    private readonly HashSet<int> _donePoints = [];

    public LedgerProbe(string persistenceId, TaskCompletionSource<IReadOnlySet<int>> answer)
    {
        PersistenceId = persistenceId;
        Recover<ShardRecorded>(e =>
        {
            if (e.PointDone) _donePoints.Add(e.PointIndex);
        });
        Recover<RecoveryCompleted>(_ =>
        {
            answer.TrySetResult(_donePoints);
            Context.Stop(Self);
        });
        Answer = answer;
    }

    private TaskCompletionSource<IReadOnlySet<int>> Answer { get; }

    public override string PersistenceId { get; }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        Answer.TrySetException(new SweepFailedException($"the journal cannot be read: {JournalFailure.Describe(reason)}", reason));
        base.OnRecoveryFailure(reason, message);
    }
}

/// <summary>Starts a <see cref="LedgerProbe"/> and awaits its answer.</summary>
internal static class Ledger
{
    /// <summary>True when the ledger of <paramref name="run"/> records every one of <paramref name="pointCount"/>
    /// points as done. Throws <see cref="SweepFailedException"/> when the journal cannot be read in time.</summary>
    public static async Task<bool> AllPointsDoneAsync(ActorSystem system, SweepRun run, int pointCount, TimeSpan timeout)
    {
        var answer = new TaskCompletionSource<IReadOnlySet<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
        system.ActorOf(Props.Create(() => new LedgerProbe(run.CoordinatorId, answer)), "ledger-probe");
        try
        {
            var done = await answer.Task.WaitAsync(timeout).ConfigureAwait(false);
            return Enumerable.Range(0, pointCount).All(done.Contains);
        }
        catch (TimeoutException e)
        {
            throw new SweepFailedException($"the journal did not answer within {timeout.TotalSeconds:F0} s (is the database reachable? see the log)", e);
        }
    }
}
