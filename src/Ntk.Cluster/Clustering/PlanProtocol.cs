using Ntk.Numerics.MonteCarlo;

namespace Ntk.Cluster.Clustering;

// How a worker node learns what to compute. A worker node is started with seeds only (no sweep file): once it has
// joined, it asks the coordinator node for the plan and starts its workers only when the answer has arrived.

/// <summary>
/// Messages of the cluster wiring (not of the sweep actors) that cross the wire. Bound to
/// <see cref="PlanSerializer"/> (and nothing else) in cluster-config/base.hocon.
/// </summary>
internal interface IClusterWiringMessage { }

/// <summary>Worker node → the coordinator node's plan server (/user/sweep-plan): "which sweep is running?".
/// Answered by <see cref="SweepPlanResult"/>.</summary>
internal sealed record GetSweepPlan : IClusterWiringMessage
{
    public static readonly GetSweepPlan Instance = new();
    private GetSweepPlan() { }
}

/// <summary>Plan server → worker node: the whole plan (every point's network, inputs, resolved engine and seed, the
/// shard size and the stopping rule), so the node computes exactly the trials <c>ntk run</c> would.</summary>
/// <param name="SweepHash">SHA-256 of the normalized sweep text (logged by workers, to tell sweeps apart).</param>
/// <param name="SweepOver">True once the final snapshot is written: a worker that joins now has nothing to do and
/// exits.</param>
/// <param name="RunGeneration">The coordinator's run of this sweep in the journal (SweepRun.Generation): a worker
/// node that hosts aggregators (the aggregator role) journals them under this run's persistence ids.</param>
internal sealed record SweepPlanResult(SimulationPlan Plan, string SweepHash, bool SweepOver = false, int RunGeneration = 0)
    : IClusterWiringMessage, Messages.ILargeMessage
{
    /// <summary>About 60 bytes per point plus 8 per input value (PlanSerializer).</summary>
    public long PayloadBytes => Plan.Points.Sum(p => 60L + 8L * p.Definition.Inputs.Values.Length);
}
