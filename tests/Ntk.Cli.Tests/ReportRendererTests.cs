using System.Buffers.Binary;
using System.Text.RegularExpressions;
using Ntk.Cli.Report;
using Ntk.Cli.Results;
using Ntk.Cli.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests;

/// <summary>Report rendering touches ScottPlot's process-wide font list and is CPU-heavy: its test classes run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ReportRenderingCollection
{
    public const string Name = "Report rendering";
}

/// <summary>A pair sweep with every axis (3 depths × 2 widths × 5 angles), rendered once for the tests that read it.</summary>
public sealed class RenderedPairSweep : IDisposable
{
    private readonly TempDirectory _directory = new();

    public RenderedPairSweep()
    {
        Results = ReportFixtures.PairSweep([1, 3, 6], [16, 128], [0, 45, 90, 135, 180]);
        ReportFixtures.WriteResults(Directory, Results);
        Log = new StringWriter();
        Outcome = ReportRenderer.Render(Directory, Log);
    }

    internal ResultsFile Results { get; }
    internal ReportOutcome Outcome { get; }
    public StringWriter Log { get; }
    public string Directory => _directory.Path;

    public void Dispose() => _directory.Dispose();
}

[Collection(ReportRenderingCollection.Name)]
public sealed class ReportRendererTests(RenderedPairSweep rendered, ITestOutputHelper output) : IClassFixture<RenderedPairSweep>
{
    /// <summary>Every figure is 900×600 (PlotStyle); a PNG of axes, text and data is tens of kB, an empty canvas ~5 kB.</summary>
    private const int ExpectedWidth = 900;
    private const int ExpectedHeight = 600;
    private const int MinimumPlotBytes = 15_000;

    private static readonly string[] Families =
        ["correlator-vs-depth", "kernel-vs-angle", "histogram", "deviation-vs-depth-over-width", "spectrum-vs-depth"];

    [Fact]
    public void Every_plot_family_is_written_when_the_sweep_has_its_axes()
    {
        output.WriteLine(rendered.Log.ToString());
        var written = rendered.Outcome.PlotsWritten;
        foreach (var family in Families)
            Assert.Contains(written, plot => plot.Family == family);
        Assert.Empty(rendered.Outcome.PlotsSkipped);
        // One correlator figure per width, one K-vs-θ per (depth, width), K_00 and K_01 histograms for three points.
        Assert.Equal(2, written.Count(p => p.Family == "correlator-vs-depth"));
        Assert.Equal(6, written.Count(p => p.Family == "kernel-vs-angle"));
        Assert.Equal(6, written.Count(p => p.Family == "histogram"));
        foreach (var plot in written)
        {
            Assert.StartsWith("plots/", plot.RelativePath);
            Assert.True(File.Exists(Path.Combine(rendered.Directory, plot.RelativePath)), plot.RelativePath);
            Assert.Contains("plot written: " + plot.RelativePath, rendered.Log.ToString());
        }
    }

    [Fact]
    public void Every_plot_is_a_valid_png_of_the_report_size_with_content()
    {
        foreach (var plot in rendered.Outcome.PlotsWritten)
        {
            var bytes = File.ReadAllBytes(Path.Combine(rendered.Directory, plot.RelativePath));
            var (width, height) = PngSize(bytes, plot.RelativePath);
            output.WriteLine($"{plot.RelativePath}: {width}×{height}, {bytes.Length} bytes");
            Assert.Equal(ExpectedWidth, width);
            Assert.Equal(ExpectedHeight, height);
            Assert.True(bytes.Length > MinimumPlotBytes, $"{plot.RelativePath} has only {bytes.Length} bytes");
        }
    }

    [Fact]
    public void Report_markdown_lists_every_claim_with_its_verdict_at_every_point()
    {
        var markdown = File.ReadAllText(rendered.Outcome.MarkdownPath);
        var claims = rendered.Results.Points.OrderBy(p => p.Point)
            .SelectMany(p => p.Claims.Select(c => (Point: p.Point, Claim: c)))
            .GroupBy(x => x.Claim.Claim)
            .ToList();
        Assert.True(claims.Count >= 4, "the fixture should carry several claims");
        var verdicts = claims.SelectMany(g => g).Select(x => x.Claim.Verdict).Distinct().ToList();
        Assert.Contains("holds", verdicts);
        Assert.Contains("fails", verdicts);

        foreach (var group in claims)
        {
            var section = Section(markdown, $"`{group.Key}`");
            var rows = section.Split('\n').Where(line => Regex.IsMatch(line, @"^\| \d+ \|")).ToList();
            Assert.Equal(group.Count(), rows.Count);
            foreach (var ((point, claim), row) in group.Zip(rows))
            {
                var cells = row.Trim('|', ' ').Split(" | ");
                Assert.Equal(point.ToString(System.Globalization.CultureInfo.InvariantCulture), cells[0]);
                Assert.Equal(claim.Verdict, cells[^1].Trim('*'));
            }
            foreach (var verdict in group.Select(x => x.Claim.Verdict).Distinct())
                Assert.Contains($"{(verdict == "fails" ? "**fails**" : verdict)} at {group.Count(x => x.Claim.Verdict == verdict)} of {group.Count()}", section);
        }
    }

    [Fact]
    public void Report_markdown_states_the_sweep_and_provenance_and_links_every_plot()
    {
        var markdown = File.ReadAllText(rendered.Outcome.MarkdownPath);
        Assert.Contains("# NTK sweep report: fixture-pairs", markdown);
        Assert.Contains("master seed: 42", markdown);
        Assert.Contains("a fixed 100000 trials", markdown);
        Assert.Contains("\"depth\": [1, 3, 6]", markdown);
        Assert.Contains("| mode | local (one process) |", markdown);
        Assert.Contains("| workers | 2 |", markdown);
        Assert.Contains("| wall time | 12 min 34 s |", markdown);
        Assert.Contains("| started (UTC) | 2026-11-28 21:00:00 |", markdown);
        Assert.Contains("| status | complete |", markdown);
        Assert.Contains("## How to read this", markdown);
        foreach (var plot in rendered.Outcome.PlotsWritten)
            Assert.Contains($"]({plot.RelativePath})", markdown);
    }

    [Fact]
    public void Report_html_embeds_every_plot_and_links_no_file()
    {
        var html = File.ReadAllText(rendered.Outcome.HtmlPath);
        var images = Regex.Matches(html, "src=\"data:image/png;base64,([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(rendered.Outcome.PlotsWritten.Count, images.Count);
        foreach (var (plot, image) in rendered.Outcome.PlotsWritten.Zip(images))
            Assert.Equal(File.ReadAllBytes(Path.Combine(rendered.Directory, plot.RelativePath)), Convert.FromBase64String(image));
        Assert.DoesNotContain("src=\"plots/", html);
        Assert.DoesNotContain("href=\"", html);
        Assert.Contains("<td><strong>fails</strong></td>", html);
        Assert.Contains("theorem-1.1", html);
    }

    [Fact]
    public void Rendering_the_same_results_again_gives_byte_identical_files()
    {
        var first = Snapshot(rendered.Directory);
        using var copy = new TempDirectory();
        foreach (var name in new[] { "results.json", "points.jsonl" })
            File.Copy(Path.Combine(rendered.Directory, name), Path.Combine(copy.Path, name));

        ReportRenderer.Render(copy.Path, TextWriter.Null);
        var second = Snapshot(copy.Path);

        Assert.Equal(first.Keys.Order(StringComparer.Ordinal), second.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, bytes) in first)
            Assert.True(bytes.AsSpan().SequenceEqual(second[name]), $"{name} differs between two renders of the same results.json");
        output.WriteLine($"{first.Count} files identical");
    }

    [Fact]
    public void Rendering_under_a_culture_with_decimal_commas_gives_the_same_files()
    {
        var first = Snapshot(rendered.Directory);
        using var copy = new TempDirectory();
        foreach (var name in new[] { "results.json", "points.jsonl" })
            File.Copy(Path.Combine(rendered.Directory, name), Path.Combine(copy.Path, name));
        var commas = (System.Globalization.CultureInfo)System.Globalization.CultureInfo.InvariantCulture.Clone();
        commas.NumberFormat.NumberDecimalSeparator = ",";
        commas.NumberFormat.NumberGroupSeparator = ".";
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = commas;
            ReportRenderer.Render(copy.Path, TextWriter.Null);
            Assert.Same(commas, System.Globalization.CultureInfo.CurrentCulture);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }

        var second = Snapshot(copy.Path);
        foreach (var (name, bytes) in first)
            Assert.True(bytes.AsSpan().SequenceEqual(second[name]), $"{name} depends on the culture");
    }

    [Fact]
    public void Rebinned_histogram_keeps_all_the_mass_that_lies_in_view()
    {
        var sketch = rendered.Results.Points[7].Sketches.First(s => s.Stat == "ntk" && s.B == 1);
        var low = sketch.Bins.Min(b => b[0]);
        var high = sketch.Bins.Max(b => b[1]);
        var views = new List<HistogramFigure.View>
        {
            new(low, high, HistogramFigure.HistogramAxis.Linear, 0),
            new(low, high, HistogramFigure.HistogramAxis.SymLog, 0, LinearScale: (high - low) / 100),
        };
        if (low > 0) views.Add(new(low, high, HistogramFigure.HistogramAxis.Log, 0));
        foreach (var view in views)
        {
            var (_, densities, width) = HistogramFigure.Rebin(sketch, view);
            // Every bucket lies inside [low, high], so the drawn area is the whole distribution (up to rounding).
            Assert.Equal(1.0, densities.Sum() * width, 9);
        }
    }

    [Fact]
    public void A_heavy_tailed_histogram_goes_on_a_symmetric_log_axis_with_its_tail_mass()
    {
        // 90% of networks in [−1, 1], 10% spread over [10, 10 000] (and none ≤ −1): a linear axis over the 0.5%–99.5%
        // quantiles would put the bulk in one bar; a log axis cannot show the negative half.
        var bins = new List<double[]> { new[] { -1.0, 0, 450 }, new[] { 0, 1.0, 450 } };
        for (var decade = 1; decade <= 3; decade++)
            bins.Add([Math.Pow(10, decade), Math.Pow(10, decade + 1), 100.0 / 3]);
        var sketch = new SketchEntry("ntk", 0, 1, 0.01, 1000, new Dictionary<string, double>(), bins);

        var view = HistogramFigure.ChooseView(sketch, mean: 300, reference: 0.2);
        Assert.Equal(HistogramFigure.HistogramAxis.SymLog, view.Axis);
        Assert.True(view.Low <= -1 && view.High >= 10_000, $"view [{view.Low}, {view.High}] cuts the buckets off");
        var (_, densities, width) = HistogramFigure.Rebin(sketch, view);
        Assert.Equal(1.0, densities.Sum() * width, 9);
        // |K| has 900 networks in [0, 1], so its median is 50/450 into the second of those buckets, 0.111…; the tail
        // above 10 × median = 1.11 is exactly the 100 networks beyond 10.
        var tail = HistogramFigure.TailMass(sketch);
        Assert.NotNull(tail);
        Assert.Equal(10 * 50.0 / 450, tail.Value.Threshold, 9);
        Assert.Equal(0.10, tail.Value.Fraction, 6);
    }

    [Fact]
    public void Theory_curves_pass_through_the_stored_predictions_at_the_sampled_angles()
    {
        // The kernel-vs-angle figure draws Θ_01 and Theorem 1.1 as functions of θ; at each sampled angle the curve must
        // be the value results.json stores there (the same function, not an approximation of it).
        foreach (var point in rendered.Results.Points.Where(p => p.ThetaDeg is { } t && t * 2 == Math.Round(t * 2)))
        {
            var stored = point.Find("ntk", null, 0, 1);
            if (stored?.InfiniteWidth is not { } infinite) continue;
            var index = (int)Math.Round(point.ThetaDeg!.Value * 2);
            Assert.Equal(infinite, TheoryCurves.InfiniteWidthKernel(point.InputDim, point.Depth)[index], 12);
            if (stored.Paper is { } paper)
                Assert.Equal(paper, TheoryCurves.Theorem11(point.InputDim, point.Depth)[index], 12);
        }
    }

    /// <summary>Width and height from a PNG's signature and IHDR chunk; fails the test when the bytes are not a PNG.</summary>
    internal static (int Width, int Height) PngSize(byte[] bytes, string name)
    {
        byte[] signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.True(bytes.Length > 33 && bytes.AsSpan(0, 8).SequenceEqual(signature), $"{name} does not start with the PNG signature");
        Assert.Equal(13, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8)));
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    /// <summary>Every file the renderer writes (plots, report.md, report.html) by relative path.</summary>
    internal static Dictionary<string, byte[]> Snapshot(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(path => Path.GetFileName(path) != "results.json")
            .ToDictionary(path => Path.GetRelativePath(directory, path).Replace('\\', '/'), File.ReadAllBytes);

    /// <summary>The markdown from the heading that contains <paramref name="marker"/> to the next heading of any level.</summary>
    private static string Section(string markdown, string marker)
    {
        var start = markdown.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, $"report.md has no section for {marker}");
        var end = markdown.IndexOf("\n#", start, StringComparison.Ordinal);
        return end < 0 ? markdown[start..] : markdown[start..end];
    }
}
