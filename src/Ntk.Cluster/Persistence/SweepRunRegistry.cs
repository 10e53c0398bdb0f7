using Akka.Actor;
using Akka.Persistence;

namespace Ntk.Cluster.Persistence;

/// <summary>Which run of a sweep the persistent actors belong to.</summary>
/// <param name="Generation">Run number (1, 2, …); part of every persistence id of the run.</param>
/// <param name="Resumed">True when the run continues an earlier one found in the journal.</param>
public sealed record SweepRun(string SweepHash, int Generation, bool Resumed)
{
    /// <summary>Persistence-id prefix of this run.</summary>
    public string Key => SweepJournal.RunKey(SweepHash, Generation);

    /// <summary>Persistence id of the aggregator of <paramref name="pointIndex"/>.</summary>
    public string AggregatorId(int pointIndex) => $"{Key}-point-{pointIndex.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>Persistence id of the coordinator's shard ledger.</summary>
    public string CoordinatorId => Key + "-coordinator";

    /// <summary>`ntk run`: one in-memory run.</summary>
    public static SweepRun Local(string sweepHash) => new(sweepHash, 1, false);
}

/// <summary>
/// The sweep's run counter in the journal (persistence id ntk-HASH-runs): a fresh run appends
/// <see cref="RunStarted"/> with the next number, so its persistent actors start empty even in a database that holds
/// earlier runs of the same sweep; a resume continues the latest run. Answers one <see cref="BeginRun"/> and stops.
/// </summary>
internal sealed class SweepRunRegistry : ReceivePersistentActor
{
    private readonly string _sweepHash;
    private readonly TaskCompletionSource<SweepRun> _answer;
    private int _generation;

    /// <param name="answer">Completed with the run, or failed with the journal's error (it cannot be read or written).</param>
    public SweepRunRegistry(string sweepHash, TaskCompletionSource<SweepRun> answer)
    {
        _sweepHash = sweepHash;
        _answer = answer;
        PersistenceId = $"ntk-{SweepJournal.ShortHash(sweepHash)}-runs";
        Recover<RunStarted>(e => _generation = Math.Max(_generation, e.Generation));
        Command<BeginRun>(m =>
        {
            if (m.Resume && _generation > 0)
            {
                _answer.TrySetResult(new SweepRun(_sweepHash, _generation, Resumed: true));
                Context.Stop(Self);
                return;
            }
            Persist(new RunStarted(_generation + 1), e =>
            {
                _generation = e.Generation;
                _answer.TrySetResult(new SweepRun(_sweepHash, _generation, Resumed: false));
                Context.Stop(Self);
            });
        });
    }

    public override string PersistenceId { get; }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _answer.TrySetException(new SweepFailedException($"the journal cannot be read: {JournalFailure.Describe(reason)}", reason));
        base.OnRecoveryFailure(reason, message);
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _answer.TrySetException(new SweepFailedException($"the journal cannot be written: {JournalFailure.Describe(cause)}", cause));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>Start a run: a new one, or (<see cref="Resume"/>) the latest one if there is any.</summary>
    public sealed record BeginRun(bool Resume) : INoSerializationVerificationNeeded;
}

/// <summary>Starts the run registry of a sweep and asks it which run to use.</summary>
internal static class SweepRuns
{
    /// <summary>
    /// Asks the journal of <paramref name="system"/> for the run to use. Throws <see cref="SweepFailedException"/>
    /// when the journal cannot be read or written within <paramref name="timeout"/> (database down, wrong connection
    /// string).
    /// </summary>
    public static async Task<SweepRun> BeginAsync(ActorSystem system, string sweepHash, bool resume, TimeSpan timeout)
    {
        var answer = new TaskCompletionSource<SweepRun>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = system.ActorOf(Props.Create(() => new SweepRunRegistry(sweepHash, answer)), "sweep-runs");
        registry.Tell(new SweepRunRegistry.BeginRun(resume));
        try
        {
            return await answer.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new SweepFailedException(
                $"the journal did not answer within {timeout.TotalSeconds:F0} s (is the database reachable? see the log)", e);
        }
    }
}
