using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ntk.Cli.Terminal;
using Ntk.Numerics.MonteCarlo;

namespace Ntk.Cli.Results;

/// <summary>The checks `ntk run` and `ntk coordinator` make on a results directory before writing anything.</summary>
internal static class ResultsDirectory
{
    /// <summary>SHA-256 of the canonical sweep text: a resumed run must continue the same sweep.</summary>
    public static string SweepHash(string normalizedSweep) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalizedSweep)));

    /// <summary>The full path of --out (default results/&lt;sweep name&gt;); an existing file there is an input error.</summary>
    public static string Resolve(string? outOption, string sweepName)
    {
        var directory = Path.GetFullPath(outOption ?? Path.Combine("results", sweepName));
        if (File.Exists(directory))
            throw new InvalidInputException($"--out: {directory} is a file, not a directory");
        return directory;
    }

    /// <summary>
    /// Reads the results.json a run is resumed from. It must be a results file of the same sweep
    /// (<paramref name="sweepHash"/>, the SHA-256 of <paramref name="normalizedSweep"/>), or of one that the new sweep
    /// only extends (more trials, a lower targetStdErr, a higher maxTrials: <see cref="SweepExtension"/>); an extension
    /// is announced on <paramref name="notes"/>. Anything else that changed is an input error that names each change.
    /// </summary>
    public static ResultsFile ReadForResume(string resultsJson, string sweepHash, string normalizedSweep, TextWriter notes)
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
        ResumeStates.CheckVersions(previous.Software.Generator, previous.Software.Engines);
        if (previous.SweepHash == sweepHash) return previous;

        using var current = JsonDocument.Parse(normalizedSweep);
        var changes = SweepExtension.Compare(previous.Sweep, current.RootElement);
        if (!SweepExtension.IsExtension(changes))
        {
            var refused = changes.Where(c => !c.Extends).Select(c => c.ToString());
            throw new InvalidInputException(
                $"--resume: {resultsJson} was written by a different sweep ({string.Join("; ", refused)}); only more trials, " +
                "a lower targetStdErr or a higher maxTrials continue a run: run with --force to start over, or use another --out");
        }
        notes.WriteLine($"resuming with {string.Join(", ", changes)}: the saved trials are kept and the rest computed, " +
                        "as a fresh run of the larger sweep would");
        return previous;
    }

    /// <summary>
    /// Opens the point-state store of <paramref name="directory"/> to continue it: it must exist and belong to the sweep
    /// the resumed results.json was written by (<paramref name="previousHash"/>). A record cut short by the kill that
    /// stopped the previous run is dropped. When the run is extended (<paramref name="sweepHash"/> differs, see
    /// <see cref="SweepExtension"/>) the store is rewritten once for the new sweep: a point finished under the old
    /// stopping rule is finished only if its state meets the new one, and a point whose prefix does not carry over
    /// starts again.
    /// </summary>
    public static PointStateStore OpenStoreForResume(string directory, string previousHash, string sweepHash, SimulationPlan plan)
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
        if (store.SweepHash == sweepHash) return store;
        if (store.SweepHash != previousHash)
        {
            store.Dispose();
            throw new InvalidInputException(
                $"--resume: {path} was written by a different sweep than results.json; " +
                "run with --force to start over, or use another --out");
        }
        try
        {
            return store.ExtendTo(sweepHash, plan);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new InvalidInputException($"--resume: {path}: a saved state does not fit the sweep ({e.Message})", e);
        }
    }

    /// <summary>The store of a fresh run (an older one in the directory is replaced).</summary>
    public static PointStateStore CreateStore(string directory, string sweepHash) =>
        PointStateStore.Create(Path.Combine(directory, PointStateStore.FileName), sweepHash);
}
