using System.Collections.Immutable;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;

namespace Ntk.Cluster.Actors;

/// <summary>
/// Adapts an <see cref="ISweepResultSink"/>, which takes the whole sweep at every snapshot, to the streaming result
/// writer: keeps the latest state of every point (memory O(points), fine for the small sweeps of tests and library
/// callers) and publishes the whole snapshot at every checkpoint and at the end. Points never measured are empty.
/// </summary>
internal sealed class WholeSnapshotSink : IStreamingResultSink
{
    private readonly SimulationPlan _plan;
    private readonly ISweepResultSink _inner;
    private readonly PointSnapshot?[] _points;

    public WholeSnapshotSink(SimulationPlan plan, ISweepResultSink inner)
    {
        _plan = plan;
        _inner = inner;
        _points = new PointSnapshot?[plan.Points.Length];
    }

    public void PointFinished(PointSnapshot point) => _points[point.PointIndex] = point;

    public void Checkpoint(IReadOnlyList<PointSnapshot> inFlight, SweepTotals totals)
    {
        foreach (var point in inFlight) _points[point.PointIndex] = point;
        if (!totals.Final) _inner.Publish(Snapshot(totals));
    }

    public SweepSnapshot Complete(SweepTotals totals)
    {
        var snapshot = Snapshot(totals);
        _inner.Publish(snapshot);
        return snapshot;
    }

    private SweepSnapshot Snapshot(SweepTotals totals)
    {
        var points = ImmutableArray.CreateBuilder<PointSnapshot>(_points.Length);
        for (var p = 0; p < _points.Length; p++)
            points.Add(_points[p] ?? new PointSnapshot(p, 0, 0, false, new PointAccumulator(_plan.Points[p].Definition.Layout)));
        var built = points.MoveToImmutable();
        return new SweepSnapshot(_plan, built, totals.Final, Complete: built.All(p => p.Done));
    }
}
