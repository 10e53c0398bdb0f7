using ScottPlot;
using ScottPlot.TickGenerators;
using SkiaSharp;

namespace Ntk.Cli.Report;

/// <summary>
/// The look shared by every report figure: size, fonts, colours, legend outside the data area, log axes.
/// Text is drawn with a font embedded in this assembly (DejaVu Sans, Report/Fonts), never a system font: SkiaSharp's
/// NoDependencies native build draws no text at all on a machine without fonts (a CI image with only the .NET SDK),
/// and a system font would make the PNG bytes depend on the machine.
/// </summary>
internal static class PlotStyle
{
    /// <summary>Pixel size of every figure.</summary>
    public const int Width = 900;
    public const int Height = 600;

    /// <summary>The family name under which the embedded font is registered with ScottPlot.</summary>
    public const string FontFamily = "Ntk Report Sans";

    private const float TitleSize = 19;
    private const float AxisLabelSize = 17;
    private const float TickLabelSize = 14;
    private const float LegendSize = 14;

    private static readonly object RegistrationLock = new();
    private static bool _registered;

    /// <summary>Okabe–Ito colours (colour-blind safe), for unordered categories such as widths.</summary>
    public static readonly Color[] Categorical =
    [
        Color.FromHex("#0072B2"), Color.FromHex("#D55E00"), Color.FromHex("#009E73"), Color.FromHex("#CC79A7"),
        Color.FromHex("#E69F00"), Color.FromHex("#56B4E9"), Color.FromHex("#000000"), Color.FromHex("#8C564B"),
    ];

    public static readonly Color Black = Color.FromHex("#000000");
    public static readonly Color Grey = Color.FromHex("#7F7F7F");

    /// <summary>Colour for an ordered series (an angle): fraction 0 → dark blue, 1 → green-yellow (viridis, without its pale end).</summary>
    public static Color Ordered(int index, int count)
    {
        var fraction = count <= 1 ? 0.0 : 0.88 * index / (count - 1);
        return new ScottPlot.Colormaps.Viridis().GetColor(fraction);
    }

    public static Color CategoricalColor(int index) => Categorical[index % Categorical.Length];

    /// <summary>A new plot with the report's fonts and sizes, title and axis labels set.</summary>
    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        EnsureFontRegistered();
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Font.Set(FontFamily);
        plot.Axes.Title.Label.FontSize = TitleSize;
        // Regular weight throughout: ScottPlot asks a custom font resolver for the normal weight only.
        plot.Axes.Title.Label.Bold = false;
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left })
        {
            axis.Label.FontSize = AxisLabelSize;
            axis.Label.Bold = false;
            axis.TickLabelStyle.FontSize = TickLabelSize;
        }
        plot.Legend.FontName = FontFamily;
        plot.Legend.FontSize = LegendSize;
        plot.Legend.SetBestFontOnEachRender = false;
        plot.Legend.DisplayPlottableLegendItems = false;
        return plot;
    }

    /// <summary>Shows the legend in a panel beside the data area (right by default), so it never covers a data point.</summary>
    public static void ShowLegendOutside(Plot plot, Edge edge = Edge.Right)
    {
        plot.ShowLegend(edge);
        if (edge is Edge.Bottom or Edge.Top) plot.Legend.Orientation = Orientation.Horizontal;
        plot.Legend.SymbolWidth = 34;
        plot.Legend.FontName = FontFamily;
        plot.Legend.FontSize = LegendSize;
        plot.Legend.SetBestFontOnEachRender = false;
    }

    /// <summary>A legend entry drawn with a marker and/or a line.</summary>
    public static LegendItem Entry(string text, Color color, MarkerShape marker, LinePattern? line = null, float markerSize = 9)
    {
        var item = new LegendItem
        {
            LabelText = text,
            MarkerShape = marker,
            MarkerSize = markerSize,
            MarkerFillColor = color,
            MarkerLineColor = color,
            MarkerLineWidth = 1.5f,
            LineColor = color,
            LineWidth = line is null ? 0 : 2,
        };
        item.LabelStyle.FontName = FontFamily;
        item.LabelStyle.FontSize = LegendSize;
        if (line is { } pattern) item.LinePattern = pattern;
        return item;
    }

    /// <summary>A legend entry drawn as a filled box.</summary>
    public static LegendItem FillEntry(string text, Color color)
    {
        var item = new LegendItem { LabelText = text, FillColor = color, LineWidth = 0, OutlineWidth = 0 };
        item.LabelStyle.FontName = FontFamily;
        item.LabelStyle.FontSize = LegendSize;
        return item;
    }

    /// <summary>
    /// Ticks for an axis whose data were plotted as log10(value) and that shows [<paramref name="low"/>,
    /// <paramref name="high"/>] (in log10 units): labelled major ticks at 1, 2 and 5 × 10^k when the range spans less
    /// than three decades (else at 10^k only), minor ticks at 1..9 × 10^k. An end of the axis more than a quarter of a
    /// decade from the nearest label gets one at its last 2 or 5 × 10^k, so every stretch of the axis is labelled
    /// (a spectrum from 0.003 to 8 used to show no label above 1).
    /// </summary>
    public static void UseLogTicks(IAxis axis, double low, double high)
    {
        var dense = high - low < 3;
        var candidates = new List<(double Position, int Mantissa, int Exponent, bool Major)>();
        for (var exponent = (int)Math.Floor(low) - 1; exponent <= (int)Math.Ceiling(high); exponent++)
        {
            for (var mantissa = 1; mantissa <= 9; mantissa++)
            {
                var position = Math.Log10(mantissa) + exponent;
                if (position < low || position > high) continue;
                candidates.Add((position, mantissa, exponent, mantissa == 1 || dense && mantissa is 2 or 5));
            }
        }
        var labelled = candidates.Where(c => c.Major).Select(c => c.Position).ToList();
        var top = labelled.Count > 0 ? labelled.Max() : double.NegativeInfinity;
        var bottom = labelled.Count > 0 ? labelled.Min() : double.PositiveInfinity;
        var promote = new HashSet<double>();
        var endCandidates = candidates.Where(c => c.Mantissa is 2 or 5).ToList();
        if (high - top > 0.25 && endCandidates.Where(c => c.Position > top + 0.25).OrderByDescending(c => c.Position).FirstOrDefault() is { Mantissa: > 0 } upper)
            promote.Add(upper.Position);
        if (bottom - low > 0.25 && endCandidates.Where(c => c.Position < bottom - 0.25).OrderBy(c => c.Position).FirstOrDefault() is { Mantissa: > 0 } lower)
            promote.Add(lower.Position);
        var ticks = new NumericManual();
        foreach (var (position, mantissa, exponent, major) in candidates)
        {
            if (major || promote.Contains(position)) ticks.AddMajor(position, FormatLogTick(mantissa, exponent));
            else ticks.AddMinor(position);
        }
        axis.TickGenerator = ticks;
    }

    /// <summary>The symmetric log sign(x)·log10(1 + |x|/c): linear within ±c, logarithmic beyond, defined at 0 and below.</summary>
    public static double SymLog(double x, double c) => Math.Sign(x) * Math.Log10(1 + Math.Abs(x) / c);

    /// <summary>The inverse of <see cref="SymLog"/>.</summary>
    public static double SymLogInverse(double y, double c) => Math.Sign(y) * c * (Math.Pow(10, Math.Abs(y)) - 1);

    /// <summary>
    /// Ticks for an axis whose data were plotted as <see cref="SymLog"/>(value, <paramref name="c"/>) over [low, high]
    /// (data units): a labelled tick at 0 and at ±1, 2, 5 × 10^k where those are at least c apart from 0 and from each
    /// other on the axis (else ±10^k only), so the labels stay apart across the decades.
    /// </summary>
    public static void UseSymLogTicks(IAxis axis, double low, double high, double c)
    {
        var ticks = new NumericManual();
        var from = SymLog(low, c);
        var to = SymLog(high, c);
        var dense = to - from < 4;
        if (low <= 0 && high >= 0) ticks.AddMajor(0, "0");
        var largest = Math.Max(Math.Abs(low), Math.Abs(high));
        for (var exponent = (int)Math.Floor(Math.Log10(c)); exponent <= (int)Math.Ceiling(Math.Log10(largest)); exponent++)
        {
            foreach (var mantissa in new[] { 1, 2, 5 })
            {
                var value = mantissa * Math.Pow(10, exponent);
                if (value < c) continue;
                foreach (var signed in new[] { value, -value })
                {
                    if (signed < low || signed > high) continue;
                    if (mantissa == 1 || dense) ticks.AddMajor(SymLog(signed, c), (signed < 0 ? "−" : "") + FormatLogTick(mantissa, exponent));
                    else ticks.AddMinor(SymLog(signed, c));
                }
            }
        }
        axis.TickGenerator = ticks;
    }

    /// <summary>Integer ticks only (layers, depths).</summary>
    public static void UseIntegerTicks(IAxis axis)
    {
        axis.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
    }

    /// <summary>True when positive values span at least <paramref name="decades"/> powers of ten (a log axis reads better).</summary>
    public static bool SpansDecades(IEnumerable<double> values, double decades = 1.5)
    {
        var positive = values.Where(v => double.IsFinite(v)).ToList();
        if (positive.Count < 2 || positive.Any(v => v <= 0)) return false;
        return Math.Log10(positive.Max() / positive.Min()) >= decades;
    }

    /// <summary>
    /// Adds markers at (x, y) with vertical error bars from y − below to y + above, optionally joined by a line;
    /// returns nothing to the legend (figures build their legends from <see cref="Entry"/>).
    /// </summary>
    public static void AddPointsWithErrors(
        Plot plot, IReadOnlyList<double> xs, IReadOnlyList<double> ys, IReadOnlyList<double> below,
        IReadOnlyList<double> above, Color color, MarkerShape marker, LinePattern? line, float markerSize = 9)
    {
        if (xs.Count == 0) return;
        var bars = plot.Add.ErrorBar(xs.ToArray(), ys.ToArray(), above.ToArray());
        bars.YErrorNegative = below.ToArray();
        bars.YErrorPositive = above.ToArray();
        bars.Color = color;
        bars.LineWidth = 1.5f;
        bars.CapSize = 0.8f * markerSize;
        var points = plot.Add.Scatter(xs.ToArray(), ys.ToArray(), color);
        points.MarkerShape = marker;
        points.MarkerSize = markerSize;
        points.MarkerLineWidth = 1.5f;
        points.LineWidth = line is null ? 0 : 1.5f;
        if (line is { } pattern) points.LinePattern = pattern;
    }

    /// <summary>Adds a line through (x, y) without markers.</summary>
    public static void AddLine(Plot plot, IReadOnlyList<double> xs, IReadOnlyList<double> ys, Color color, LinePattern pattern, float width = 2)
    {
        if (xs.Count == 0) return;
        var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray(), color);
        line.LinePattern = pattern;
        line.LineWidth = width;
        line.MarkerSize = 0;
    }

    /// <summary>Adds a horizontal reference line across the whole plot.</summary>
    public static void AddHorizontal(Plot plot, double y, Color color, LinePattern pattern, float width = 1.5f)
    {
        var line = plot.Add.HorizontalLine(y, width, color, pattern);
        line.ExcludeFromLegend = true;
    }

    /// <summary>Adds a vertical reference line across the whole plot.</summary>
    public static void AddVertical(Plot plot, double x, Color color, LinePattern pattern, float width = 2)
    {
        var line = plot.Add.VerticalLine(x, width, color, pattern);
        line.ExcludeFromLegend = true;
    }

    /// <summary>Renders the plot to PNG bytes at the report's size.</summary>
    public static byte[] ToPng(Plot plot) => plot.GetImageBytes(Width, Height, ImageFormat.Png);

    /// <summary>mantissa × 10^exponent as plain decimals between 0.001 and 10 000, else as "2e-5".</summary>
    private static string FormatLogTick(int mantissa, int exponent) =>
        exponent is >= -3 and <= 4
            ? (mantissa * Math.Pow(10, exponent)).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)
            : mantissa.ToString(System.Globalization.CultureInfo.InvariantCulture) + "e" + exponent.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Registers the embedded font with ScottPlot once per process (its font resolvers are a static list).</summary>
    private static void EnsureFontRegistered()
    {
        lock (RegistrationLock)
        {
            if (_registered) return;
            Fonts.FontResolvers.Insert(0, new EmbeddedFontResolver());
            _registered = true;
        }
    }

    /// <summary>Resolves <see cref="FontFamily"/> (any weight or slant) to the embedded DejaVu Sans; other names fall through.</summary>
    private sealed class EmbeddedFontResolver : IFontResolver
    {
        private static readonly byte[] Regular = Load("Ntk.Cli.Report.Fonts.DejaVuSans.ttf");

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            CreateTypeface(fontName, bold: false, italic: false);

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            fontName == FontFamily ? SKTypeface.FromData(SKData.CreateCopy(Regular)) : null;

        private static byte[] Load(string resource)
        {
            using var stream = typeof(EmbeddedFontResolver).Assembly.GetManifestResourceStream(resource)
                               ?? throw new InvalidOperationException($"embedded font {resource} is missing from the ntk assembly");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }
}
