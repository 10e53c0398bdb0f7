using Ntk.Cluster.Diagnostics;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Ntk.Numerics.Randomness;

namespace Ntk.Cli.Bench;

/// <summary>
/// This machine's limits for one thread, measured in the same run as the engines: standard Gaussians per second from
/// the project's generator (Philox4x32-10 + the ziggurat, <see cref="RandomStream.FillGaussian"/>), and float64 fused
/// multiply-adds per second of a register-blocked SIMD loop (12 independent Vector512 — else Vector256 — accumulators
/// fed from an L1-resident array: no memory traffic, no dependency stall, so it runs at the FMA units' throughput).
/// </summary>
internal static class MachineLimits
{
    /// <summary>Gaussian draws per wall-clock second and per CPU second of one thread, filling 4096 at a time.</summary>
    public static Rate GaussianDraws(double seconds)
    {
        var buffer = new double[4096];
        var trial = 0L;
        void Step()
        {
            var stream = RandomStream.For(BenchConfiguration.Seed, 0, trial++);
            stream.FillGaussian(buffer);
        }
        return Rate.Measure(Step, buffer.Length, seconds);
    }

    /// <summary>
    /// The previous generator (Box–Muller on word pairs, <see cref="BoxMullerGenerator"/>), timed like
    /// <see cref="GaussianDraws"/>: the "before" of the generator row.
    /// </summary>
    public static Rate BoxMullerDraws(double seconds)
    {
        var buffer = new double[4096];
        var trial = 0L;
        void Step() => BoxMullerGenerator.Fill(BenchConfiguration.Seed, 0, trial++, buffer);
        return Rate.Measure(Step, buffer.Length, seconds);
    }

    /// <summary>
    /// Philox4x32-10 words per second (<see cref="RandomStream.FillWords"/>, 4096 at a time, vectorized): the counter
    /// generator's own limit, which bounds any transform taking one word per Gaussian.
    /// </summary>
    public static Rate PhiloxWords(double seconds)
    {
        var buffer = new ulong[4096];
        var trial = 0L;
        void Step()
        {
            var stream = RandomStream.For(BenchConfiguration.Seed, 0, trial++);
            stream.FillWords(buffer);
        }
        return Rate.Measure(Step, buffer.Length, seconds);
    }

    /// <summary>Float64 fused multiply-adds (lanes, not instructions) per second of one thread.</summary>
    public static Rate FusedMultiplyAdds(double seconds)
    {
        var data = new double[256]; // 2 KB: stays in L1
        for (var i = 0; i < data.Length; i++) data[i] = 0.999 + 1e-6 * i;
        var sink = 0.0;
        const int Iterations = 4096;
        var lanes = Vector512.IsHardwareAccelerated ? 8 : Vector256.IsHardwareAccelerated ? 4 : 1;
        void Step() => sink += lanes switch
        {
            8 => Loop512(data, Iterations),
            4 => Loop256(data, Iterations),
            _ => LoopScalar(data, Iterations),
        };
        var rate = Rate.Measure(Step, 12.0 * lanes * Iterations, seconds);
        GC.KeepAlive(sink);
        return rate;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Loop512(double[] data, int iterations)
    {
        var c = Vector512.Create(1e-3);
        Vector512<double> a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c, a8 = c, a9 = c, a10 = c, a11 = c;
        ref var start = ref data[0];
        var mask = data.Length / 8 - 1;
        for (var k = 0; k < iterations; k++)
        {
            var x = Vector512.LoadUnsafe(ref start, (nuint)((k & mask) * 8));
            a0 = Vector512.FusedMultiplyAdd(a0, x, c);
            a1 = Vector512.FusedMultiplyAdd(a1, x, c);
            a2 = Vector512.FusedMultiplyAdd(a2, x, c);
            a3 = Vector512.FusedMultiplyAdd(a3, x, c);
            a4 = Vector512.FusedMultiplyAdd(a4, x, c);
            a5 = Vector512.FusedMultiplyAdd(a5, x, c);
            a6 = Vector512.FusedMultiplyAdd(a6, x, c);
            a7 = Vector512.FusedMultiplyAdd(a7, x, c);
            a8 = Vector512.FusedMultiplyAdd(a8, x, c);
            a9 = Vector512.FusedMultiplyAdd(a9, x, c);
            a10 = Vector512.FusedMultiplyAdd(a10, x, c);
            a11 = Vector512.FusedMultiplyAdd(a11, x, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Loop256(double[] data, int iterations)
    {
        var c = Vector256.Create(1e-3);
        Vector256<double> a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c, a8 = c, a9 = c, a10 = c, a11 = c;
        ref var start = ref data[0];
        var mask = data.Length / 4 - 1;
        for (var k = 0; k < iterations; k++)
        {
            var x = Vector256.LoadUnsafe(ref start, (nuint)((k & mask) * 4));
            a0 = Vector256.FusedMultiplyAdd(a0, x, c);
            a1 = Vector256.FusedMultiplyAdd(a1, x, c);
            a2 = Vector256.FusedMultiplyAdd(a2, x, c);
            a3 = Vector256.FusedMultiplyAdd(a3, x, c);
            a4 = Vector256.FusedMultiplyAdd(a4, x, c);
            a5 = Vector256.FusedMultiplyAdd(a5, x, c);
            a6 = Vector256.FusedMultiplyAdd(a6, x, c);
            a7 = Vector256.FusedMultiplyAdd(a7, x, c);
            a8 = Vector256.FusedMultiplyAdd(a8, x, c);
            a9 = Vector256.FusedMultiplyAdd(a9, x, c);
            a10 = Vector256.FusedMultiplyAdd(a10, x, c);
            a11 = Vector256.FusedMultiplyAdd(a11, x, c);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double LoopScalar(double[] data, int iterations)
    {
        const double c = 1e-3;
        double a0 = c, a1 = c, a2 = c, a3 = c, a4 = c, a5 = c, a6 = c, a7 = c, a8 = c, a9 = c, a10 = c, a11 = c;
        var mask = data.Length - 1;
        for (var k = 0; k < iterations; k++)
        {
            var x = data[k & mask];
            a0 = Math.FusedMultiplyAdd(a0, x, c);
            a1 = Math.FusedMultiplyAdd(a1, x, c);
            a2 = Math.FusedMultiplyAdd(a2, x, c);
            a3 = Math.FusedMultiplyAdd(a3, x, c);
            a4 = Math.FusedMultiplyAdd(a4, x, c);
            a5 = Math.FusedMultiplyAdd(a5, x, c);
            a6 = Math.FusedMultiplyAdd(a6, x, c);
            a7 = Math.FusedMultiplyAdd(a7, x, c);
            a8 = Math.FusedMultiplyAdd(a8, x, c);
            a9 = Math.FusedMultiplyAdd(a9, x, c);
            a10 = Math.FusedMultiplyAdd(a10, x, c);
            a11 = Math.FusedMultiplyAdd(a11, x, c);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    }
}

/// <summary>
/// A measured rate: <paramref name="Units"/> of work (draws, FMAs, trials) done in <paramref name="WallSeconds"/> of
/// wall-clock time using <paramref name="CpuSeconds"/> of CPU time.
/// </summary>
internal readonly record struct Rate(double Units, double WallSeconds, double CpuSeconds)
{
    public double PerSecond => Units / WallSeconds;

    /// <summary>Units per CPU second: what the code achieves when it has the core to itself.</summary>
    public double PerCpuSecond => CpuSeconds > 0 ? Units / CpuSeconds : double.NaN;

    /// <summary>Most slices a measurement is cut into (the best one is reported).</summary>
    public const int MaxSlices = 5;

    /// <summary>Fewest steps per slice, so that a slice's rate is not a rounding of a few steps.</summary>
    public const int MinStepsPerSlice = 20;

    /// <summary>
    /// Runs <paramref name="step"/> (worth <paramref name="unitsPerStep"/> units) for a warm-up of a quarter of the
    /// budget (at least one step: JIT tiering), then for <paramref name="seconds"/> on this thread, cut into
    /// <see cref="SliceCount"/> equal slices; returns the fastest slice. On a shared machine other jobs slow some
    /// slices down, never speed one up, so the best slice estimates the rate of an unloaded core.
    /// </summary>
    public static Rate Measure(Action step, double unitsPerStep, double seconds)
    {
        var warmUp = Stopwatch.StartNew();
        var warmUpSteps = 0;
        do
        {
            step();
            warmUpSteps++;
        } while (warmUp.Elapsed.TotalSeconds < seconds / 4);
        var slices = SliceCount(seconds, warmUp.Elapsed.TotalSeconds / warmUpSteps);
        var best = new Rate(0, 1, 0);
        for (var slice = 0; slice < slices; slice++)
        {
            var steps = 0L;
            var cpuStart = ThreadClock.ThreadSeconds();
            var clock = Stopwatch.StartNew();
            do
            {
                step();
                steps++;
            } while (clock.Elapsed.TotalSeconds < seconds / slices);
            var rate = new Rate(steps * unitsPerStep, clock.Elapsed.TotalSeconds, ThreadClock.ThreadSeconds() - cpuStart);
            if (rate.PerSecond > best.PerSecond) best = rate;
        }
        return best;
    }

    /// <summary>
    /// Slices of a <paramref name="seconds"/> budget for steps of about <paramref name="secondsPerStep"/>: as many as
    /// fit with at least <see cref="MinStepsPerSlice"/> steps each, between 1 and <see cref="MaxSlices"/>.
    /// </summary>
    public static int SliceCount(double seconds, double secondsPerStep) =>
        (int)Math.Clamp(Math.Floor(seconds / (MinStepsPerSlice * Math.Max(secondsPerStep, 1e-9))), 1, MaxSlices);
}
