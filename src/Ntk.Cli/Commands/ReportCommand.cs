using System.CommandLine;
using Ntk.Cli.Report;
using Ntk.Cli.Terminal;

namespace Ntk.Cli.Commands;

/// <summary>
/// <c>ntk report DIR</c>: re-renders plots/*.png, report.md and report.html from DIR/results.json (docs/contract.md §4, §7) and
/// prints which plots were written and which were skipped, with the reason. Exit 0 on success; 2 when DIR does not
/// exist, has no results.json, or holds a file that is not a results file (nothing is written then).
/// </summary>
internal static class ReportCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var directory = new Argument<string>("DIR") { Description = "A results directory written by ntk run or ntk coordinator (it holds results.json)." };
        var command = new Command("report", "Re-render the report and plots from a results directory.")
        {
            directory,
        };
        command.SetAction(parse => Execute(parse.GetValue(directory)!, stdout, stderr));
        return command;
    }

    public static int Execute(string directory, TextWriter stdout, TextWriter stderr) =>
        CommandLineErrors.Guard(stderr, () =>
        {
            if (!Directory.Exists(directory))
                throw new InvalidInputException($"{directory}: no such directory (give the results directory of a run, e.g. results/<sweep name>)");
            var resultsPath = Path.Combine(directory, ReportRenderer.ResultsFileName);
            if (!File.Exists(resultsPath))
                throw new InvalidInputException($"{directory}: no {ReportRenderer.ResultsFileName} in this directory (is it the --out directory of ntk run?)");

            ReportOutcome outcome;
            try
            {
                outcome = ReportRenderer.Render(directory, TextWriter.Null);
            }
            catch (InvalidDataException error)
            {
                throw new InvalidInputException(error.Message, error);
            }

            foreach (var plot in outcome.PlotsWritten) stdout.WriteLine($"written: {plot.RelativePath}");
            foreach (var skipped in outcome.PlotsSkipped) stdout.WriteLine(skipped.ToString());
            stdout.WriteLine($"report: {outcome.MarkdownPath}, {outcome.HtmlPath} ({outcome.PlotsWritten.Count} plots, {outcome.PlotsSkipped.Count} skipped)");
            return ExitCodes.Success;
        });
}
