using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Ntk.Cli.Report;

/// <summary>
/// The report as a list of blocks, written once and rendered twice: as Markdown (report.md, plots linked) and as one
/// self-contained HTML page (report.html, plots embedded as base64 data URIs). Inline text may use **bold**, *italic* and
/// `code`; everything else is literal (escaped in HTML, and table cells escape '|' in Markdown).
/// </summary>
internal sealed partial class ReportDocument
{
    private abstract record Block;
    private sealed record Heading(int Level, string Text) : Block;
    private sealed record Paragraph(string Text) : Block;
    private sealed record BulletList(IReadOnlyList<string> Items) : Block;
    private sealed record CodeBlock(string Text, string Language) : Block;
    private sealed record Table(IReadOnlyList<string> Headers, IReadOnlyList<bool> RightAligned, IReadOnlyList<IReadOnlyList<string>> Rows) : Block;
    private sealed record Figure(string RelativePath, string Caption) : Block;

    private readonly List<Block> _blocks = [];

    public string Title { get; }

    public ReportDocument(string title)
    {
        Title = title;
    }

    public ReportDocument Heading2(string text) => Add(new Heading(2, text));
    public ReportDocument Heading3(string text) => Add(new Heading(3, text));
    public ReportDocument Text(string text) => Add(new Paragraph(text));
    public ReportDocument Bullets(IEnumerable<string> items) => Add(new BulletList(items.ToList()));
    public ReportDocument Code(string text, string language) => Add(new CodeBlock(text, language));

    /// <summary>A table; <paramref name="rightAligned"/> per column (numbers), rows of cell texts.</summary>
    public ReportDocument AddTable(IReadOnlyList<string> headers, IReadOnlyList<bool> rightAligned, IEnumerable<IReadOnlyList<string>> rows) =>
        Add(new Table(headers, rightAligned, rows.ToList()));

    /// <summary>An image of the results directory (path relative to it, forward slashes) with its caption.</summary>
    public ReportDocument AddFigure(string relativePath, string caption) => Add(new Figure(relativePath, caption));

    private ReportDocument Add(Block block)
    {
        _blocks.Add(block);
        return this;
    }

    /// <summary>GitHub-flavoured Markdown, "\n" line ends, images linked by relative path.</summary>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.Append("# ").Append(Title).Append("\n\n");
        foreach (var block in _blocks)
        {
            switch (block)
            {
                case Heading heading:
                    text.Append('#', heading.Level).Append(' ').Append(heading.Text).Append("\n\n");
                    break;
                case Paragraph paragraph:
                    text.Append(paragraph.Text).Append("\n\n");
                    break;
                case BulletList list:
                    foreach (var item in list.Items) text.Append("- ").Append(item).Append('\n');
                    text.Append('\n');
                    break;
                case CodeBlock code:
                    text.Append("```").Append(code.Language).Append('\n').Append(code.Text.TrimEnd('\n')).Append("\n```\n\n");
                    break;
                case Table table:
                    text.Append("| ").Append(string.Join(" | ", table.Headers.Select(MarkdownCell))).Append(" |\n");
                    text.Append('|').Append(string.Join("|", table.RightAligned.Select(r => r ? "---:" : "---"))).Append("|\n");
                    foreach (var row in table.Rows)
                        text.Append("| ").Append(string.Join(" | ", row.Select(MarkdownCell))).Append(" |\n");
                    text.Append('\n');
                    break;
                case Figure figure:
                    text.Append("![").Append(Path.GetFileNameWithoutExtension(figure.RelativePath)).Append("](")
                        .Append(figure.RelativePath).Append(")\n\n").Append('*').Append(figure.Caption).Append("*\n\n");
                    break;
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// One self-contained HTML page: inline CSS, and every figure embedded as a PNG data URI whose bytes
    /// <paramref name="imageBytes"/> returns for the figure's relative path.
    /// </summary>
    public string ToHtml(Func<string, byte[]> imageBytes)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<title>").Append(Escape(Title)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n")
            .Append("<h1>").Append(Inline(Title)).Append("</h1>\n");
        foreach (var block in _blocks)
        {
            switch (block)
            {
                case Heading heading:
                    html.Append("<h").Append(heading.Level).Append('>').Append(Inline(heading.Text))
                        .Append("</h").Append(heading.Level).Append(">\n");
                    break;
                case Paragraph paragraph:
                    html.Append("<p>").Append(Inline(paragraph.Text)).Append("</p>\n");
                    break;
                case BulletList list:
                    html.Append("<ul>\n");
                    foreach (var item in list.Items) html.Append("<li>").Append(Inline(item)).Append("</li>\n");
                    html.Append("</ul>\n");
                    break;
                case CodeBlock code:
                    html.Append("<pre><code>").Append(Escape(code.Text.TrimEnd('\n'))).Append("</code></pre>\n");
                    break;
                case Table table:
                    html.Append("<table>\n<thead><tr>");
                    for (var i = 0; i < table.Headers.Count; i++)
                        html.Append(table.RightAligned[i] ? "<th class=\"num\">" : "<th>").Append(Inline(table.Headers[i])).Append("</th>");
                    html.Append("</tr></thead>\n<tbody>\n");
                    foreach (var row in table.Rows)
                    {
                        html.Append("<tr>");
                        for (var i = 0; i < row.Count; i++)
                            html.Append(i < table.RightAligned.Count && table.RightAligned[i] ? "<td class=\"num\">" : "<td>")
                                .Append(Inline(row[i])).Append("</td>");
                        html.Append("</tr>\n");
                    }
                    html.Append("</tbody>\n</table>\n");
                    break;
                case Figure figure:
                    html.Append("<figure>\n<img alt=\"").Append(Escape(Path.GetFileNameWithoutExtension(figure.RelativePath)))
                        .Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(imageBytes(figure.RelativePath)))
                        .Append("\">\n<figcaption>").Append(Inline(figure.Caption)).Append("</figcaption>\n</figure>\n");
                    break;
            }
        }
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private const string Css =
        "body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }\n" +
        "table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }\n" +
        "th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; vertical-align: top; }\n" +
        "th { background: #f3f3f3; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }\n" +
        "pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }\n" +
        "code { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; }\n" +
        "figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }\n" +
        "figcaption { font-size: 0.9em; color: #444; margin-top: 0.3em; }\n";

    private static string MarkdownCell(string text) => text.Replace("|", "\\|").Replace("\n", " ");

    private static string Escape(string text) => WebUtility.HtmlEncode(text);

    /// <summary>HTML of inline text: escaped, with **bold** and `code` turned into tags.</summary>
    private static string Inline(string text)
    {
        var escaped = Escape(text);
        escaped = CodeSpan().Replace(escaped, "<code>$1</code>");
        escaped = BoldSpan().Replace(escaped, "<strong>$1</strong>");
        return ItalicSpan().Replace(escaped, "<em>$1</em>");
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"\*\*(.+?)\*\*")]
    private static partial Regex BoldSpan();

    [GeneratedRegex(@"(?<![\w*])\*([^*\s](?:[^*]*[^*\s])?)\*(?![\w*])")]
    private static partial Regex ItalicSpan();
}
