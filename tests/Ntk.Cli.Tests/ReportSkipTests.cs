using Ntk.Cli.Report;
using Ntk.Cli.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests;

/// <summary>Plots whose axis the sweep lacks are skipped with a reason, in the log, the outcome and report.md.</summary>
[Collection(ReportRenderingCollection.Name)]
public sealed class ReportSkipTests(ITestOutputHelper output)
{
    [Fact]
    public void A_sweep_with_a_single_depth_skips_the_depth_plots_and_says_why()
    {
        using var directory = new TempDirectory();
        ReportFixtures.WriteResults(directory.Path, ReportFixtures.PairSweep([1], [64], [0, 60, 120]));
        var log = new StringWriter();

        var outcome = ReportRenderer.Render(directory.Path, log);
        output.WriteLine(log.ToString());

        var markdown = File.ReadAllText(outcome.MarkdownPath);
        AssertSkipped(outcome, log, markdown, "correlator-vs-depth", "single depth");
        AssertSkipped(outcome, log, markdown, "spectrum-vs-depth", "single depth");
        AssertSkipped(outcome, log, markdown, "deviation-vs-depth-over-width", "single depth and width");
        Assert.Contains(outcome.PlotsWritten, p => p.Family == "kernel-vs-angle");
        Assert.Contains(outcome.PlotsWritten, p => p.Family == "histogram");
        Assert.DoesNotContain(outcome.PlotsWritten, p => p.Family is "correlator-vs-depth" or "spectrum-vs-depth");
    }

    [Fact]
    public void Sphere_inputs_skip_the_angle_plots_and_say_why()
    {
        using var directory = new TempDirectory();
        ReportFixtures.WriteResults(directory.Path, ReportFixtures.SphereSweep([1, 4], [16, 128]));
        var log = new StringWriter();

        var outcome = ReportRenderer.Render(directory.Path, log);
        output.WriteLine(log.ToString());

        var markdown = File.ReadAllText(outcome.MarkdownPath);
        AssertSkipped(outcome, log, markdown, "kernel-vs-angle", "not a pair at an angle");
        AssertSkipped(outcome, log, markdown, "correlator-vs-depth", "not a pair at an angle");
        Assert.Contains(outcome.PlotsWritten, p => p.Family == "spectrum-vs-depth");
        Assert.Contains(outcome.PlotsWritten, p => p.Family == "deviation-vs-depth-over-width");
        Assert.Contains("stop each point when every reported mean has standard error ≤ 0.001", markdown);
    }

    [Fact]
    public void A_single_angle_skips_the_angle_plot_and_says_why()
    {
        using var directory = new TempDirectory();
        ReportFixtures.WriteResults(directory.Path, ReportFixtures.PairSweep([2], [32, 64], [45]));
        var log = new StringWriter();

        var outcome = ReportRenderer.Render(directory.Path, log);
        output.WriteLine(log.ToString());

        AssertSkipped(outcome, log, File.ReadAllText(outcome.MarkdownPath), "kernel-vs-angle", "single angle");
        Assert.Contains(outcome.PlotsWritten, p => p.Family == "correlator-vs-depth");
    }

    [Fact]
    public void Rerendering_after_the_axes_changed_removes_the_plots_that_no_longer_apply()
    {
        using var directory = new TempDirectory();
        ReportFixtures.WriteResults(directory.Path, ReportFixtures.PairSweep([1, 2], [16], [0, 90]));
        var before = ReportRenderer.Render(directory.Path, TextWriter.Null);
        Assert.Contains(before.PlotsWritten, p => p.Family == "spectrum-vs-depth");

        ReportFixtures.WriteResults(directory.Path, ReportFixtures.PairSweep([2], [16], [0, 90]));
        var after = ReportRenderer.Render(directory.Path, TextWriter.Null);

        var onDisk = Directory.EnumerateFiles(Path.Combine(directory.Path, "plots")).Select(p => "plots/" + Path.GetFileName(p)).Order().ToList();
        Assert.Equal(after.PlotsWritten.Select(p => p.RelativePath).Order().ToList(), onDisk);
        Assert.DoesNotContain(onDisk, p => p.Contains("spectrum-vs-depth", StringComparison.Ordinal));
    }

    [Fact]
    public void Partial_results_are_reported_as_partial()
    {
        using var directory = new TempDirectory();
        ReportFixtures.WriteResults(directory.Path, ReportFixtures.PairSweep([1, 2], [16], [0, 90], complete: false));

        var outcome = ReportRenderer.Render(directory.Path, TextWriter.Null);

        var markdown = File.ReadAllText(outcome.MarkdownPath);
        Assert.Contains("**Partial results**", markdown);
        Assert.Contains("| status | **partial**", markdown);
    }

    private static void AssertSkipped(ReportOutcome outcome, StringWriter log, string markdown, string family, string reasonFragment)
    {
        var skipped = Assert.Single(outcome.PlotsSkipped, s => s.Family == family);
        Assert.Contains(reasonFragment, skipped.Reason);
        Assert.Contains($"{family}: skipped, {skipped.Reason}", log.ToString());
        Assert.Contains($"`{family}`: {skipped.Reason}", markdown);
    }
}
