using Ntk.Cli.Terminal;

namespace Ntk.Cli.Results;

/// <summary>The checks `ntk run` and `ntk coordinator` make on a results directory before writing anything.</summary>
internal static class ResultsDirectory
{
    /// <summary>The full path of --out (default results/&lt;sweep name&gt;); an existing file there is an input error.</summary>
    public static string Resolve(string? outOption, string sweepName)
    {
        var directory = Path.GetFullPath(outOption ?? Path.Combine("results", sweepName));
        if (File.Exists(directory))
            throw new InvalidInputException($"--out: {directory} is a file, not a directory");
        return directory;
    }

    /// <summary>
    /// Reads the results.json a run is resumed from; it must be a results file written by the same sweep
    /// (<paramref name="sweepHash"/>, the SHA-256 of the normalized sweep).
    /// </summary>
    public static ResultsFile ReadForResume(string resultsJson, string sweepHash)
    {
        ResultsFile previous;
        try
        {
            previous = ResultsJson.Read(resultsJson);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidInputException("--resume: " + e.Message);
        }
        if (previous.SweepHash != sweepHash)
            throw new InvalidInputException(
                $"--resume: {resultsJson} was written by a different sweep (the sweep file changed since); " +
                "run without --resume to start over, or use another --out");
        return previous;
    }

    /// <summary>Carries a previous run's per-point completion times into the sink of the resumed run.</summary>
    public static void SeedTimings(ResultsSink sink, ResultsFile? previous)
    {
        if (previous is null) return;
        sink.SeedTimings(previous.Points.Where(p => p.ElapsedSeconds is not null).Select(p => (p.Point, p.ElapsedSeconds!.Value)));
    }
}
