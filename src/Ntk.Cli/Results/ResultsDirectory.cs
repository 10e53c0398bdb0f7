using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Ntk.Cli.Terminal;

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

    /// <summary>Carries a previous run's per-point completion times into the sink of the resumed run.</summary>
    public static void SeedTimings(ResultsSink sink, ResultsFile? previous)
    {
        if (previous is null) return;
        sink.SeedTimings(previous.Points.Where(p => p.ElapsedSeconds is not null).Select(p => (p.Point, p.ElapsedSeconds!.Value)));
    }
}
