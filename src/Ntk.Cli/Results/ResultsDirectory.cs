using Ntk.Cli.Commands;

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

    /// <summary>
    /// Opens the point-state store of <paramref name="directory"/> to continue it: it must exist and belong to the same
    /// sweep. A record cut short by the kill that stopped the previous run is dropped.
    /// </summary>
    public static PointStateStore OpenStoreForResume(string directory, string sweepHash)
    {
        var path = Path.Combine(directory, PointStateStore.FileName);
        if (!File.Exists(path))
            throw new InvalidInputException($"--resume: {path} does not exist; there is no saved state to continue from");
        PointStateStore store;
        try
        {
            store = PointStateStore.OpenForAppend(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidInputException("--resume: " + e.Message);
        }
        if (store.SweepHash != sweepHash)
        {
            store.Dispose();
            throw new InvalidInputException(
                $"--resume: {path} was written by a different sweep (the sweep file changed since); " +
                "run without --resume to start over, or use another --out");
        }
        return store;
    }

    /// <summary>The store of a fresh run (an older one in the directory is replaced).</summary>
    public static PointStateStore CreateStore(string directory, string sweepHash) =>
        PointStateStore.Create(Path.Combine(directory, PointStateStore.FileName), sweepHash);
}
