using Ntk.Cli.Report;
using Ntk.Cli.Results;
using Ntk.Cli.Tests.Support;
using Xunit;

namespace Ntk.Cli.Tests;

/// <summary>
/// The report of a large sweep is aggregated while points.jsonl is read line by line (issue 10): past
/// <see cref="ResultsJson.KeepAllPoints"/> points only the points the figures draw are kept. Forcing that path on a
/// small sweep must give the files of a full load; on a sweep with more angles than a figure draws it must keep a
/// bounded number of points and still count every point.
/// </summary>
[Collection(ReportRenderingCollection.Name)]
public sealed class ReportStreamingTests
{
    [Fact]
    public void The_streamed_report_of_a_small_sweep_is_byte_identical_to_the_one_of_a_full_load()
    {
        // 2 depths × 2 widths × 60 angles = 240 points: more than the 200 rows of the points table, so the grouped table
        // (now from the aggregates) is exercised too.
        var results = ReportFixtures.PairSweep([1, 3], [16, 128], Enumerable.Range(0, 60).Select(i => 3.0 * i).ToList());
        using var full = new TempDirectory();
        using var streamed = new TempDirectory();
        ReportFixtures.WriteResults(full.Path, results);
        ReportFixtures.WriteResults(streamed.Path, results);

        var fullOutcome = ReportRenderer.Render(full.Path, TextWriter.Null);
        var streamedOutcome = ReportRenderer.Render(streamed.Path, TextWriter.Null, keepAllPoints: 10);

        Assert.Equal(fullOutcome.PlotsWritten.Select(p => p.RelativePath), streamedOutcome.PlotsWritten.Select(p => p.RelativePath));
        Assert.Equal(File.ReadAllText(Path.Combine(full.Path, "report.md")), File.ReadAllText(Path.Combine(streamed.Path, "report.md")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(full.Path, "report.html")), File.ReadAllBytes(Path.Combine(streamed.Path, "report.html")));
        foreach (var plot in fullOutcome.PlotsWritten)
            Assert.Equal(File.ReadAllBytes(Path.Combine(full.Path, plot.RelativePath)), File.ReadAllBytes(Path.Combine(streamed.Path, plot.RelativePath)));
        Assert.Contains("240 points with measurements, grouped by network and inputs", File.ReadAllText(Path.Combine(streamed.Path, "report.md")));
    }

    [Fact]
    public void Claim_counts_and_totals_of_a_streamed_load_equal_those_of_every_point()
    {
        var results = ReportFixtures.PairSweep([1, 3], [16], Enumerable.Range(0, 30).Select(i => 6.0 * i).ToList(), complete: false);
        using var directory = new TempDirectory();
        ReportFixtures.WriteResults(directory.Path, results);

        var loaded = ResultsJson.Load(directory.Path, keepAllPoints: 5);

        var expected = new ClaimDigest();
        foreach (var point in results.Points)
            foreach (var claim in point.Claims)
                expected.Add(new ClaimRow(point.Point, point.Depth, point.Widths, point.InputDim, point.Weights, point.ThetaDeg, claim));
        Assert.Equal(expected.Groups.Select(g => (g.ClaimId, g.Total, string.Join(",", g.Counts))),
            loaded.Claims.Groups.Select(g => (g.ClaimId, g.Total, string.Join(",", g.Counts))));
        Assert.Equal(results.Points.Count, loaded.Totals.Count);
        Assert.Equal(results.Points.Max(p => p.TrialCap), loaded.Totals.MaxTrialCap);
        var groups = loaded.Totals.Groups.ToList();
        Assert.Equal(2, groups.Count);
        Assert.Equal(results.Points.Count(p => p.Done), groups.Sum(g => g.Done));
        Assert.Equal(results.Points.Sum(p => p.Trials), groups.Sum(g => g.Trials));
        Assert.All(groups, g => Assert.Equal(30, g.AngleCount));
    }

    [Fact]
    public void A_sweep_with_more_angles_than_a_figure_draws_keeps_only_the_drawn_points_and_names_every_angle()
    {
        const int angleCount = ReportSelection.MaxDrawnAngles + 100;
        var angles = Enumerable.Range(0, angleCount).Select(i => 180.0 * i / (angleCount - 1)).ToList();
        var results = ReportFixtures.PairSweep([2], [16], angles);
        using var directory = new TempDirectory();
        ReportFixtures.WriteResults(directory.Path, results);

        var loaded = ResultsJson.Load(directory.Path, keepAllPoints: 50);

        Assert.Equal(angleCount, loaded.Totals.Count);
        // The evenly spread angles of the kernel-vs-angle figure plus at most the 9 series and the 45° / 90° angles.
        Assert.InRange(loaded.Points.Count, ReportSelection.MaxDrawnAngles, ReportSelection.MaxDrawnAngles + PlotContext.MaxAngleSeries + 2);
        // Every angle a figure looks for in the whole sweep is kept.
        var kept = loaded.Points.Select(p => p.ThetaDeg!.Value).ToHashSet();
        Assert.Contains(angles.MinBy(a => Math.Abs(a - 45)), kept);
        Assert.Contains(angles.MinBy(a => Math.Abs(a - 90)), kept);
        Assert.All(ReportSelection.EvenlySpread(angles, PlotContext.MaxAngleSeries), a => Assert.Contains(a, kept));
        // Only the statistics the figures look up are kept of a thinned point.
        Assert.All(loaded.Points, p => Assert.All(p.Statistics, s => Assert.Contains(s.Stat, new[] { "ntk", "correlator", "correlator_cond" })));

        var outcome = ReportRenderer.Render(directory.Path, TextWriter.Null, keepAllPoints: 50);
        var kernel = Assert.Single(outcome.PlotsWritten, p => p.Family == KernelAngleFigure.Family);
        var drawn = loaded.Points.Select(p => p.ThetaDeg).Distinct().Count();
        Assert.Contains($"Drawn at {drawn} of the {angleCount} angles", kernel.Caption);
        var correlator = Assert.Single(outcome.PlotsWritten, p => p.Family == CorrelatorFigure.Family);
        Assert.Contains($"Drawn at {PlotContext.MaxAngleSeries} of the {angleCount} angles", correlator.Caption);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(45.009002)]
    [InlineData(1e-5)]
    [InlineData(179.99999999999997)]
    public void The_angle_read_from_the_text_of_a_line_is_the_one_the_parser_reads(double theta)
    {
        var point = ReportFixtures.PairSweep([1], [16], [theta]).Points[0];
        var line = System.Text.Json.JsonSerializer.Serialize(point, ResultsJson.LineOptions);
        Assert.Equal(theta, ResultsJson.ThetaOf(System.Text.Encoding.UTF8.GetBytes(line)));
        Assert.Null(ResultsJson.ThetaOf(System.Text.Encoding.UTF8.GetBytes(
            System.Text.Json.JsonSerializer.Serialize(point with { ThetaDeg = null }, ResultsJson.LineOptions))));
    }

    [Fact]
    public void A_report_given_the_writers_digest_reads_points_jsonl_once_and_matches_the_two_pass_report()
    {
        var results = ReportFixtures.PairSweep([1, 3], [16, 128], Enumerable.Range(0, 60).Select(i => 3.0 * i).ToList());
        using var twoPass = new TempDirectory();
        using var onePass = new TempDirectory();
        ReportFixtures.WriteResults(twoPass.Path, results);
        ReportFixtures.WriteResults(onePass.Path, results);
        // The digest a writer of points.jsonl gathers: every point's claims and totals.
        var claims = new ClaimDigest();
        foreach (var point in results.Points)
            foreach (var claim in point.Claims)
                claims.Add(new ClaimRow(point.Point, point.Depth, point.Widths, point.InputDim, point.Weights, point.ThetaDeg, claim));
        var known = new ReportDigest(claims, PointTotals.Of(results.Points));

        ReportRenderer.Render(twoPass.Path, TextWriter.Null, keepAllPoints: 10);
        ReportRenderer.Render(onePass.Path, TextWriter.Null, keepAllPoints: 10, known);

        Assert.Equal(File.ReadAllText(Path.Combine(twoPass.Path, "report.md")), File.ReadAllText(Path.Combine(onePass.Path, "report.md")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(twoPass.Path, "report.html")), File.ReadAllBytes(Path.Combine(onePass.Path, "report.html")));
    }

    [Fact]
    public void Reading_points_keeps_only_the_statistics_of_inputs_0_and_1_that_the_figures_look_up()
    {
        var results = ReportFixtures.SphereSweep([1, 2], [16], inputs: 4);
        var extra = new StatisticResult("ntk", null, 2, 3, 0.5, 0.1, 0.01, 0, 3, 0.4, 0.4);
        results = results with { Points = results.Points.Select(p => p with { Statistics = p.Statistics.Append(extra).ToList() }).ToList() };
        using var directory = new TempDirectory();
        ReportFixtures.WriteResults(directory.Path, results);

        var read = ResultsJson.ReadPoints(Path.Combine(directory.Path, "points.jsonl")).ToList();

        Assert.Equal(results.Points.Count, read.Count);
        for (var i = 0; i < read.Count; i++)
        {
            Assert.DoesNotContain(read[i].Statistics, s => s.A is > 1 || s.B is > 1);
            Assert.Equal(results.Points[i].Statistics.Count - 1, read[i].Statistics.Count);
            Assert.NotNull(read[i].Find("ntk", null, 0, 1));
        }
    }
}
