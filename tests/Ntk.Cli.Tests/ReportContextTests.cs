using Ntk.Cli.Report;
using Ntk.Cli.Tests.Support;
using Xunit;

namespace Ntk.Cli.Tests;

/// <summary>
/// Which points share a figure: <c>engine: auto</c> gives narrow networks the dense engine and wide ones the
/// conditional one (docs/performance.md §3b); both are exact, so their figures must not split by engine. A sweep that
/// measures one network with both engines compares them, and gets a figure per engine.
/// </summary>
public sealed class ReportContextTests
{
    [Fact]
    public void Auto_resolving_to_different_engines_per_network_keeps_one_context_with_every_angle()
    {
        var points = ReportFixtures.PairSweep([1, 3], [4, 64], [0, 45, 90]).Points
            .Select(p => p with { Engine = p.Widths[0] == 4 ? "dense" : "conditional" })
            .ToList();

        var context = Assert.Single(PlotContext.Split(points, PointTotals.Of(points)));

        Assert.Equal("", context.Slug);
        Assert.Equal("", context.Description);
        Assert.Equal(points.Count, context.Points.Count);
        Assert.Equal(3, context.TotalAngles);
    }

    [Fact]
    public void One_network_measured_by_both_engines_gives_a_context_per_engine()
    {
        var dense = ReportFixtures.PairSweep([1, 3], [64], [0, 90]).Points.Select(p => p with { Engine = "dense" }).ToList();
        var points = dense.Concat(dense.Select(p => p with { Point = p.Point + dense.Count, Engine = "conditional" })).ToList();

        var contexts = PlotContext.Split(points, PointTotals.Of(points));

        Assert.Equal(["dense", "conditional"], contexts.Select(c => c.Slug));
        Assert.Equal(["dense engine", "conditional engine"], contexts.Select(c => c.Description));
        Assert.All(contexts, c => Assert.Equal(dense.Count, c.Points.Count));
        Assert.All(contexts, c => Assert.Equal(2, c.TotalAngles));
    }
}
