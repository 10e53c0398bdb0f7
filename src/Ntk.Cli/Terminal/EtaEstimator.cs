using Ntk.Cli.Sweeps;
using Ntk.Cluster;
using Ntk.Numerics.MonteCarlo;

namespace Ntk.Cli.Terminal;

/// <summary>
/// Time left in a sweep whose points cost very different amounts per trial (a depth-16 point can be 50× a depth-1
/// point): progress is weighed in estimated work (FLOPs plus draws, see <see cref="WorkEstimate"/>), not in trials,
/// and the rate is this run's work per second so far.
/// </summary>
internal sealed class EtaEstimator
{
    // A Gaussian draw costs roughly ten multiply-adds; every trial also pays a fixed measurement/merge cost.
    private const double FlopsPerDraw = 10;
    private const double FixedFlopsPerTrial = 500;

    private readonly SimulationPlan _plan;
    private readonly double[] _costPerTrial;
    private double? _baselineWork;

    public EtaEstimator(SimulationPlan plan)
    {
        _plan = plan;
        _costPerTrial = plan.Points.Select(p =>
        {
            var work = WorkEstimate.PerTrial(p.Definition.Network, p.Definition.Inputs.Count, p.Definition.Engine);
            return work.Flops + FlopsPerDraw * work.Draws + FixedFlopsPerTrial;
        }).ToArray();
    }

    /// <summary>Estimated time left, or null before any work of this run has been measured.</summary>
    public TimeSpan? Remaining(SweepProgress progress)
    {
        double done = 0, remaining = 0;
        foreach (var point in progress.Points)
        {
            var cost = _costPerTrial[point.PointIndex];
            done += point.Trials * cost;
            if (!point.Done) remaining += Math.Max(0, _plan.Stopping.TrialCap - point.Trials) * cost;
        }
        _baselineWork ??= done - progress.TrialsPerSecond * progress.Elapsed.TotalSeconds * Average(progress);
        var thisRun = done - _baselineWork.Value;
        if (thisRun <= 0 || progress.Elapsed <= TimeSpan.Zero) return null;
        var rate = thisRun / progress.Elapsed.TotalSeconds;
        return TimeSpan.FromSeconds(Math.Round(remaining / rate));
    }

    /// <summary>Mean cost per trial of the trials merged so far (to translate the first report's rate into work).</summary>
    private double Average(SweepProgress progress)
    {
        double trials = 0, work = 0;
        foreach (var point in progress.Points)
        {
            trials += point.Trials;
            work += point.Trials * _costPerTrial[point.PointIndex];
        }
        return trials > 0 ? work / trials : 0;
    }
}
