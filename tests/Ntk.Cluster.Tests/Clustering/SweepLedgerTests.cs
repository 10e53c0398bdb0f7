using System.Collections.Immutable;
using Ntk.Cluster.Persistence;
using Ntk.Cluster.Tests.Support;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;
using Xunit;

namespace Ntk.Cluster.Tests.Clustering;

public sealed class SweepLedgerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ntk-ledger-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string LedgerPath => Path.Combine(_directory, SweepLedger.FileName);

    private static SweepSnapshot Snapshot(SimulationPlan plan, params (int Point, int Shards)[] points)
    {
        var snapshots = ImmutableArray.CreateBuilder<PointSnapshot>();
        foreach (var (point, shards) in points)
        {
            var definition = plan.Points[point].Definition;
            var merged = shards == 0
                ? new PointAccumulator(definition.Layout)
                : ShardRunner.Run(definition.CreateSampler(), 0, shards * plan.ShardTrials, CancellationToken.None);
            snapshots.Add(new PointSnapshot(point, shards, merged.Count, shards * plan.ShardTrials >= plan.Stopping.TrialCap, merged));
        }
        return new SweepSnapshot(plan, snapshots.ToImmutable(), Final: false, Complete: false);
    }

    [Fact]
    public void Recorded_prefixes_load_back_with_their_exact_bytes()
    {
        var plan = TestPlans.Fixed(points: 3, trials: 40, shardTrials: 10);
        var snapshot = Snapshot(plan, (0, 2), (1, 0), (2, 4));
        using (var ledger = SweepLedger.Open(LedgerPath, "hash-a", resume: false)) ledger.Record(snapshot);

        using var reopened = SweepLedger.Open(LedgerPath, "hash-a", resume: true);
        var states = reopened.Load();
        Assert.Equal([0, 2], states.Select(s => s.PointIndex));
        Assert.Equal([2, 4], states.Select(s => s.ShardsMerged));
        Assert.Equal(snapshot.Points[0].Merged.ToBytes(), states[0].State.ToArray());
        Assert.Equal(snapshot.Points[2].Merged.ToBytes(), states[1].State.ToArray());
    }

    [Fact]
    public void A_point_only_moves_forward()
    {
        var plan = TestPlans.Fixed(points: 1, trials: 40, shardTrials: 10);
        using var ledger = SweepLedger.Open(LedgerPath, "h", resume: false);
        ledger.Record(Snapshot(plan, (0, 3)));
        ledger.Record(Snapshot(plan, (0, 1)));
        Assert.Equal(3, Assert.Single(ledger.Load()).ShardsMerged);
        ledger.Record(Snapshot(plan, (0, 4)));
        Assert.Equal(4, Assert.Single(ledger.Load()).ShardsMerged);
    }

    [Fact]
    public void Resuming_another_sweep_is_refused_and_a_fresh_run_starts_empty()
    {
        var plan = TestPlans.Fixed(points: 1, trials: 40, shardTrials: 10);
        using (var ledger = SweepLedger.Open(LedgerPath, "first", resume: false)) ledger.Record(Snapshot(plan, (0, 2)));
        var refused = Assert.Throws<ArgumentException>(() => SweepLedger.Open(LedgerPath, "second", resume: true));
        Assert.Contains("different sweep", refused.Message);
        using var fresh = SweepLedger.Open(LedgerPath, "second", resume: false);
        Assert.Empty(fresh.Load());
    }
}
