using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;

namespace Ntk.Benchmarks;

/// <summary>
/// <c>engine-ab n0,L,n,m seconds dirA dirB …</c>: the same engine from several builds in one process, alternated, for
/// a speed ratio that the noise of a shared machine does not swamp (docs/performance.md §0c).
/// </summary>
/// <remarks>
/// Each directory holds a build of Ntk.Numerics (a bin directory of this project or of the CLI, e.g. of a
/// <c>git archive</c> of an older commit). Each build is loaded into an <see cref="AssemblyLoadContext"/> of its own
/// together with a copy of this assembly, whose <see cref="Loop"/> then runs against that build, through its public
/// API only. Slices of about 50 ms go round the builds in turn; each slice's rate is CPU trials per second, and the
/// ratio of build k to build 0 is taken per round, so a slow minute of the machine slows both sides of a ratio. The
/// median paired ratio and its interquartile range are printed, with each build's checksum (the same trials, so
/// equal checksums when a change keeps the bits).
/// </remarks>
public static class PairedComparison
{
    public static void Run(string[] args)
    {
        if (args.Length < 5)
        {
            Console.Error.WriteLine("usage: engine-ab n0,L,n,m seconds dirA dirB [dirC …] (conditional engine; dir: a build's bin directory)");
            Environment.Exit(2);
        }
        var configuration = args[1];
        var seconds = double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        var directories = args.Skip(3).Select(Path.GetFullPath).ToArray();
        var self = typeof(PairedComparison).Assembly.Location;
        var loops = new List<Func<long, int, double>>();
        foreach (var directory in directories)
        {
            if (!File.Exists(Path.Combine(directory, "Ntk.Numerics.dll")))
            {
                Console.Error.WriteLine($"engine-ab: no Ntk.Numerics.dll in {directory}");
                Environment.Exit(2);
            }
            var context = new BuildContext(directory);
            var copy = context.LoadFromAssemblyPath(self);
            var create = copy.GetType(typeof(PairedComparison).FullName!)!.GetMethod(nameof(Loop))!;
            loops.Add((Func<long, int, double>)create.Invoke(null, [configuration])!);
        }

        // Warm-up (optimized tiers), then one slice size for all, from the first build's rate.
        foreach (var loop in loops) loop(100_000_000, 3000);
        var calibrate = Stopwatch.StartNew();
        var calibrated = 0;
        while (calibrate.Elapsed.TotalSeconds < 0.2)
        {
            loops[0](200_000_000 + calibrated, 50);
            calibrated += 50;
        }
        var perSlice = Math.Max(10, (int)(calibrated / calibrate.Elapsed.TotalSeconds * 0.05));
        Thread.Sleep(300);

        var rates = loops.Select(_ => new List<double>()).ToArray();
        var checksums = new double[loops.Count];
        var clock = Stopwatch.StartNew();
        long trial = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (var v = 0; v < loops.Count; v++)
            {
                var start = Environment.CpuUsage.TotalTime;
                checksums[v] += loops[v](trial, perSlice);
                rates[v].Add(perSlice / (Environment.CpuUsage.TotalTime - start).TotalSeconds);
            }
            trial += perSlice;
        }

        Console.WriteLine($"conditional engine, n0,L,n,m = {configuration}: {rates[0].Count} rounds of {perSlice} trials per build");
        for (var v = 0; v < loops.Count; v++)
        {
            var sorted = rates[v].Order().ToArray();
            Console.WriteLine($"  build {v} ({directories[v]}): median {sorted[sorted.Length / 2]:F0}, best {sorted[^1]:F0} trials per CPU second; checksum {checksums[v]:R}");
        }
        for (var v = 1; v < loops.Count; v++)
        {
            var ratios = rates[v].Zip(rates[0], (b, a) => b / a).Order().ToArray();
            Console.WriteLine($"  build {v} / build 0: median paired ratio {ratios[ratios.Length / 2]:F3} (interquartile {ratios[ratios.Length / 4]:F3}–{ratios[3 * ratios.Length / 4]:F3})");
        }
    }

    /// <summary>
    /// The conditional engine at (n0, L, n, m) with the inputs of <c>conditional-profile … loop</c>, as a function
    /// (first trial, count) → Σ measurement[0]; called in each build's load context, so it runs that build.
    /// </summary>
    public static Func<long, int, double> Loop(string configuration)
    {
        var point = ConditionalProfile.LoopPoint(configuration);
        var measurement = new double[point.Layout.Count];
        return (first, count) =>
        {
            // A new sampler per slice: where its buffers land (cache sets, 4 KB aliasing between them) moves a build's
            // speed by a few percent for as long as they stay; new ones each slice average that out.
            var sampler = point.CreateSampler();
            var sum = 0.0;
            for (var t = 0; t < count; t++)
            {
                sampler.Sample(first + t, measurement);
                sum += measurement[0];
            }
            return sum;
        };
    }

    /// <summary>Resolves Ntk.Numerics and its packages from one build's directory; the framework from the default context.</summary>
    private sealed class BuildContext(string buildDirectory) : AssemblyLoadContext("build " + Path.GetFileName(buildDirectory), isCollectible: false)
    {
        protected override Assembly? Load(AssemblyName name)
        {
            if (name.Name == typeof(PairedComparison).Assembly.GetName().Name) return null; // this tool: loaded by path
            var path = Path.Combine(buildDirectory, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
