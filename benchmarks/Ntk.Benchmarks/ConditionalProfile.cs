using System.Collections.Immutable;
using System.Diagnostics;
using Ntk.Numerics.Engines;
using Ntk.Numerics.LinearAlgebra;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;
using Ntk.Numerics.Statistics;

namespace Ntk.Benchmarks;

/// <summary>
/// Where a trial of the conditional engine goes (issue 12, item 2): a Stopwatch breakdown, not a test.
/// <c>dotnet run -c Release --project benchmarks/Ntk.Benchmarks -- conditional-profile 10,5,1024,2 [seconds]</c>.
/// </summary>
/// <remarks>
/// It times the whole <c>Sample</c> and, separately, each step the sampler performs per trial (docs/science.md §3), on
/// data of the same shapes: the Gaussian draws of one trial (the same counts, in one fill where the sampler plans one), the
/// pivoted QR of h^{l−1}, the assembly z = U R, relu, the Gram matrices, the unit-major copy of z, the layer statistics
/// and kernel/spectrum of <see cref="MeasurementWriter"/>, the backward dots/axpys and reflector applications, the ξ
/// mask, and <see cref="PointAccumulator.Push"/>. Each step is summed over the layers of the configuration; the sum of
/// the steps against the whole trial shows what the breakdown misses (call overhead, cache effects between steps).
/// Every time is CPU time per call, the best of 5 slices (a shared machine only ever slows a slice down).
/// </remarks>
public static class ConditionalProfile
{
    public static void Run(string[] args)
    {
        if (args.Length > 2 && args[2] == "loop")
        {
            Loop(args[1], long.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
            return;
        }
        Breakdown(args);
    }

    /// <summary>
    /// <c>conditional-profile n0,L,n,m loop N</c>: only N trials of <c>Sample</c> (public API only, so the same binary runs
    /// against another build of Ntk.Numerics), for a cycle count such as <c>perf stat -e cycles:u</c>, which a loaded
    /// machine disturbs far less than a clock.
    /// </summary>
    private static void Loop(string configuration, long trials)
    {
        var sampler = LoopPoint(configuration).CreateSampler();
        var measurement = new double[sampler.Layout.Count];
        for (var t = 0; t < 2000; t++) sampler.Sample(-1 - t + 100_000_000, measurement); // warm-up: optimized tiers
        Thread.Sleep(500);
        var start = Environment.CpuUsage.TotalTime;
        var sum = 0.0;
        for (long t = 0; t < trials; t++)
        {
            sampler.Sample(t, measurement);
            sum += measurement[0];
        }
        var cpu = (Environment.CpuUsage.TotalTime - start).TotalSeconds;
        Console.WriteLine($"{trials} trials, {trials / cpu:F0} trials per CPU second (checksum {sum:R})");
    }

    /// <summary>The point of the loop (and of <c>engine-ab</c>): n0,L,n,m of uniform width, m random Gaussian inputs.</summary>
    internal static PointDefinition LoopPoint(string configuration)
    {
        var parts = configuration.Split(',').Select(int.Parse).ToArray();
        int n0 = parts[0], depth = parts[1], n = parts[2], m = parts[3];
        var values = new double[m * n0];
        var setup = RandomStream.For(1, 1_000_000, 0);
        setup.FillGaussian(values);
        return new PointDefinition(0, NetworkSpec.Uniform(n0, depth, n, WeightLaw.Gaussian),
            new InputSet(n0, ImmutableArray.Create(values)), EngineKind.Conditional, 20261129);
    }

    private static void Breakdown(string[] args)
    {
        var configuration = args.Length > 1 ? args[1] : "10,5,1024,2";
        var parts = configuration.Split(',').Select(int.Parse).ToArray();
        var seconds = args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1.0;
        int n0 = parts[0], depth = parts[1], n = parts[2], m = parts[3];

        var sampler = LoopPoint(configuration).CreateSampler();
        var measurement = new double[sampler.Layout.Count];
        var layout = sampler.Layout;
        var accumulator = new PointAccumulator(layout);
        long trial = 0;

        // Shapes of one trial (full ranks: generic inputs): forward l = 1..L+1 draws m·n_l (n_{L+1} = 1), backward
        // l = L+1..2 draws ρ_l·n_{l−1} (Gram path, m ≤ 4) or ρ_l·(n_{l−1} − m) (QR path) with ρ_{L+1} = 1 (δ^{L+1} = 1)
        // and ρ_l = m below.
        var sizes = new int[depth + 2];
        sizes[0] = n0;
        for (var l = 1; l <= depth; l++) sizes[l] = n;
        sizes[depth + 1] = 1;
        var forwardDraws = new int[depth + 2];
        var backwardDraws = new int[depth + 2];
        long totalDraws = 0;
        for (var l = 1; l <= depth + 1; l++)
        {
            forwardDraws[l] = Math.Min(m, sizes[l - 1]) * sizes[l];
            // The Gram path (m ≤ 4, full rank) draws all n_{l−1} rows of the complement noise; the QR path n_{l−1} − r_l.
            var gramPath = m <= 4 && m <= sizes[l - 1];
            if (l >= 2) backwardDraws[l] = (l == depth + 1 ? 1 : m) * (sizes[l - 1] - (gramPath ? 0 : Math.Min(m, sizes[l - 1])));
            totalDraws += forwardDraws[l] + backwardDraws[l];
        }
        // Whether the sampler draws a trial's values in one fill (its plan, m ≤ 4 and few draws), else per layer and direction.
        var planned = ((ConditionalGaussianSampler)sampler).PlansDraws;
        var pairForward = m <= 2 && planned && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
        var drawBuffer = new double[Math.Max(planned ? (int)totalDraws : 1, sizes.Max() * m)];

        var h = new double[n * m];
        var z = new double[n * m];
        var qr = new double[n * m];
        var basis = new double[n * m];
        var t = new double[n * m];
        var gram = new double[m * m];
        var activeBits = new ulong[m * ((n + 63) / 64)];
        var kernel = new double[m * m];
        var workspace = new double[m * m + m];
        var tau = new double[m];
        var pivots = new int[m];
        var norms = new double[m];
        var counts = new int[m];
        var offsets = new int[m * m];
        var deltaOffsets = new int[m * m];
        var products = new double[m * m];
        var rFactor = new double[m * m];
        for (var k = 0; k < m; k++)
            for (var a = k; a < m; a++) rFactor[k * m + a] = 0.5 + 0.1 * a;
        var representatives = Enumerable.Range(0, m).ToArray();
        // The Gram path's backward shapes: m draw columns and m columns of h per T column (a full pivoted triangle of
        // Φ would skip some; all m is the upper bound).
        var cholesky = new double[m * m];
        var used = new bool[m];
        var gramOffsets = Enumerable.Range(0, Math.Min(m, 4)).Select(k => k * n).ToArray();
        var termOffsets = new int[32];
        var termCounts = new int[4];
        var firstCounts = new int[4];
        var termCoefficients = new double[32];
        for (var c = 0; c < Math.Min(m, 4); c++)
        {
            termCounts[c] = 2 * m;
            firstCounts[c] = m;
            for (var j = 0; j < 2 * m; j++)
            {
                termOffsets[c * 8 + j] = j % m * n;
                termCoefficients[c * 8 + j] = 0.1 * (j + 1);
            }
        }
        var fill = RandomStream.For(2, 1_000_000, 0);
        fill.FillGaussian(z);
        fill.FillGaussian(basis);
        DenseKernels.Gate(z, z, h);
        DenseKernels.Gram(h, n, m, gram);
        for (var a = 0; a < m; a++)
            for (var b = 0; b < m; b++) kernel[a * m + b] = gram[a * m + b] + (a == b ? 1 : 0);
        // Warm-up: every method reaches its optimized tier (the background JIT lags on a loaded machine).
        var warmUp = Stopwatch.StartNew();
        while (warmUp.Elapsed.TotalSeconds < 2) sampler.Sample(trial++, measurement);
        Thread.Sleep(500);
        var hidden = depth; // layers 1..L of width n take every O(n) step; layer L+1 (one unit) is negligible

        var steps = new List<(string Name, double Seconds)>
        {
            ("whole Sample()", Time(seconds, () => sampler.Sample(trial++, measurement))),
            (planned ? "draws: RandomStream.For + one fill of the trial's draws (the plan)" : "draws: RandomStream.For + one fill per layer and direction",
                Time(seconds, () =>
            {
                var stream = RandomStream.For(20261129, 0, trial++);
                if (planned)
                {
                    stream.FillGaussian(drawBuffer.AsSpan(0, (int)totalDraws));
                    return;
                }
                for (var l = 1; l <= depth + 1; l++) stream.FillGaussian(drawBuffer.AsSpan(0, forwardDraws[l]));
                for (var l = depth + 1; l >= 2; l--) stream.FillGaussian(drawBuffer.AsSpan(0, backwardDraws[l]));
            })),
            ("forward, Gram path (m <= 4): pivoted Cholesky of h's Gram (per layer)", m > 4 ? 0 : hidden * Time(seconds, () =>
                SmallDenseLinearAlgebra.PivotedCholesky(kernel, m, 1e-6, products, cholesky, used, pivots))),
            // For m ≤ 2 on AVX-512 with the plan the forward pass takes these products (AssemblePair, below).
            ("backward, Gram path: h^T X projections (FusedProducts, per layer)", m > 4 || pairForward ? 0 : hidden * Time(seconds, () =>
                FusedKernels.FusedProducts(h, gramOffsets, basis, gramOffsets, m, n, products))),
            // For m ≤ 2 the pass also takes the next layer's Uᵀ δ products (as the sampler does); for m = 3, 4 they are a
            // pass of their own.
            ("backward, Gram path: T, mask, delta Gram [+ U^T delta, m <= 2] (per layer)", m > 4 ? 0 : hidden * Time(seconds, () =>
                FusedKernels.GateCombinationGram(basis, h, termOffsets, termCounts, firstCounts, termCoefficients, m, n, m,
                    representatives, h, t, gram, basis, m <= 2 ? m : 0, products))),
            ("backward, Gram path, m = 3, 4: U^T delta products (FusedProducts, per layer)", m is <= 2 or > 4 ? 0 : hidden * Time(seconds, () =>
                FusedKernels.FusedProducts(basis, gramOffsets, t, gramOffsets, m, n, products))),
            ("forward, QR path (m > 4): copy h + pivoted QR (per layer)", m <= 4 ? 0 : hidden * Time(seconds, () =>
            {
                h.CopyTo(qr, 0);
                SmallDenseLinearAlgebra.PivotedQr(qr, n, m, 1e-13, tau, pivots, norms);
            })),
            ("forward, QR path: scale draws + z = U R (per layer)", m <= 4 ? 0 : hidden * Time(seconds, () =>
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(basis, 0.5, t);
                Array.Clear(z);
                for (var a = 0; a < m; a++)
                    for (var k = 0; k < m; k++)
                        SmallDenseLinearAlgebra.Axpy(0.25, t.AsSpan(k * n, n), z.AsSpan(a * n, n));
            })),
            ("forward, QR path: relu + Gram of h (per layer)", m <= 4 ? 0 : hidden * Time(seconds, () =>
            {
                DenseKernels.Gate(z, z, h);
                ConditionalGaussianSampler.Gram(h, n, m, gram);
            })),
            ("forward, m <= 4: scale, z = U R, relu, Gram (AssembleHiddenLayer, per layer)", m > 4 || pairForward ? 0 : hidden * Time(seconds, () =>
                ConditionalGaussianSampler.AssembleHiddenLayer(basis, 1.0, m, n, m, rFactor, representatives, h, gram, activeBits))),
            ("forward, m <= 2: the same + h^T X of the next draws (AssemblePair, per layer)", !pairForward ? 0 : hidden * Time(seconds, () =>
                ConditionalGaussianSampler.AssemblePair(basis, 1.0, m, n, m, rFactor, representatives, h, gram, activeBits,
                    z.AsSpan(0, m * n), m, products))),
            ("writer: activity + correlators (per layer)", hidden * Time(seconds, () =>
            {
                // m ≤ 4: from the bit sets the fused forward pass made.
                if (m <= 4) MeasurementWriter.WriteLayerActivity(layout, 1, activeBits, n, measurement, counts);
                else MeasurementWriter.WriteLayerActivity(layout, 1, z, n, inputMajor: true, measurement, counts);
                MeasurementWriter.WriteConditionalStatistics(layout, 1, gram, n, measurement);
            })),
            ("backward, QR path: Gram of delta + U^T delta dots + complement axpys (per layer)", m <= 4 ? 0 : hidden * Time(seconds, () =>
            {
                ConditionalGaussianSampler.Gram(z, n, m, gram);
                for (var b = 0; b < m; b++)
                {
                    var column = t.AsSpan(b * n, n);
                    for (var k = 0; k < m; k++) offsets[b * m + k] = k * n;
                    for (var k = 0; k < m; k++) deltaOffsets[b * m + k] = b * n;
                }
                SmallDenseLinearAlgebra.DotBatch(basis, z, n, offsets, deltaOffsets, products);
                for (var b = 0; b < m; b++)
                {
                    var column = t.AsSpan(b * n, n);
                    for (var k = 0; k < m; k++) column[k] = products[b * m + k];
                    for (var j = 0; j < m; j++)
                        SmallDenseLinearAlgebra.Axpy(0.1, basis.AsSpan(j * n, n - m), column[m..]);
                }
            })),
            ("backward, QR path: apply Q (per layer)", m <= 4 ? 0 : hidden * Time(seconds, () =>
                SmallDenseLinearAlgebra.ApplyQFused(qr, n, m, tau, t, m))),
            ("backward, QR path: xi mask (per layer)", m <= 4 ? 0 : hidden * Time(seconds, () => DenseKernels.Gate(h, t, z))),
            ("writer: kernel + spectrum", Time(seconds, () => MeasurementWriter.WriteKernel(layout, kernel, workspace, measurement))),
            ("accumulator: PointAccumulator.Push (shard loop, not in Sample)", Time(seconds, () => accumulator.Push(measurement))),
        };

        steps.RemoveAll(step => step.Seconds == 0); // the other path's steps
        var whole = steps[0].Seconds;
        Console.WriteLine($"conditional engine, n0={n0} L={depth} n={n} m={m}: {1 / whole:F0} trials per CPU second (best of 5 slices, {seconds} s per step)");
        Console.WriteLine($"draws per trial {totalDraws:N0}");
        Console.WriteLine();
        Console.WriteLine($"{"step",-72}  {"CPU µs/trial",12}  {"% of trial",10}");
        foreach (var (name, time) in steps)
            Console.WriteLine($"{name,-72}  {time * 1e6,12:F2}  {100 * time / whole,9:F1}%");
        var sum = steps.Skip(1).Take(steps.Count - 2).Sum(s => s.Seconds);
        Console.WriteLine($"{"sum of the Sample() steps",-72}  {sum * 1e6,12:F2}  {100 * sum / whole,9:F1}%");
    }

    /// <summary>
    /// CPU seconds (of the process: this thread does all its work) per call of <paramref name="action"/>, the best of 5
    /// equal slices of about <paramref name="seconds"/> in all: CPU time, because other jobs on the machine take its cores.
    /// </summary>
    private static double Time(double seconds, Action action)
    {
        var calibrate = Stopwatch.StartNew();
        var calls = 0;
        while (calibrate.Elapsed.TotalSeconds < 0.05 || calls < 10)
        {
            action();
            calls++;
        }
        var perSlice = Math.Max(10, (int)(calls / calibrate.Elapsed.TotalSeconds * seconds / 5));
        var best = double.MaxValue;
        for (var slice = 0; slice < 5; slice++)
        {
            var start = Environment.CpuUsage.TotalTime;
            for (var i = 0; i < perSlice; i++) action();
            best = Math.Min(best, (Environment.CpuUsage.TotalTime - start).TotalSeconds / perSlice);
        }
        return best;
    }
}
