using Ntk.Cluster.Diagnostics;
using System.Diagnostics;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;

namespace Ntk.Cli.Bench;

/// <summary>
/// Trials per second of one engine on one point: on the calling thread, and on T threads at once (one sampler per
/// thread, independent trials t ≡ k mod T on thread k — how the workers of <c>ntk run</c> use the cores).
/// Only <c>Sample</c> is timed: no accumulation, no actors (docs/performance.md measures those separately).
/// </summary>
internal static class EngineTimer
{
    /// <summary>Trials of <paramref name="point"/> per second on this thread over about <paramref name="seconds"/>.</summary>
    public static Rate SingleThread(PointDefinition point, double seconds)
    {
        var sampler = point.CreateSampler();
        var measurement = new double[sampler.Layout.Count];
        var trial = 0L;
        return Rate.Measure(() => sampler.Sample(trial++, measurement), 1, seconds);
    }

    /// <summary>
    /// Trials per second of the bare engine loop of a worker on this thread: <see cref="ShardRunner.Run"/> (Sample and
    /// PointAccumulator.Push per trial) over shards of about 10 ms (sized from <paramref name="sampleRate"/>).
    /// The baseline of the actor pipeline's overhead (docs/performance.md).
    /// </summary>
    public static Rate ShardLoop(PointDefinition point, double seconds, Rate sampleRate)
    {
        var sampler = point.CreateSampler();
        var shardTrials = (int)Math.Clamp(sampleRate.PerSecond * 0.01, 1, 100_000);
        var first = 0L;
        return Rate.Measure(() =>
        {
            ShardRunner.Run(sampler, first, shardTrials);
            first += shardTrials;
        }, shardTrials, seconds);
    }

    /// <summary>
    /// Trials per second of <paramref name="threads"/> threads sampling together for about <paramref name="seconds"/>
    /// (each warmed up first, then started at a barrier), cut into slices like <see cref="Rate.Measure"/>; returns the
    /// fastest slice. CPU time is the whole process's.
    /// </summary>
    public static Rate AllThreads(PointDefinition point, int threads, double seconds)
    {
        const int Stride = 16; // one counter per 128 bytes: no false sharing between the threads' counters
        var counts = new long[threads * Stride];
        var warmUpTrialSeconds = new double[threads];
        using var ready = new Barrier(threads + 1);
        using var go = new ManualResetEventSlim(false);
        var stop = 0;
        var failures = new Exception?[threads];
        var workers = new Thread[threads];
        for (var k = 0; k < threads; k++)
        {
            var index = k;
            workers[k] = new Thread(() =>
            {
                try
                {
                    var sampler = point.CreateSampler();
                    var measurement = new double[sampler.Layout.Count];
                    var trial = (long)index;
                    var warmUp = Stopwatch.StartNew();
                    var warmUpTrials = 0;
                    do
                    {
                        sampler.Sample(trial, measurement);
                        trial += threads;
                        warmUpTrials++;
                    } while (warmUp.Elapsed.TotalSeconds < seconds / 4);
                    warmUpTrialSeconds[index] = warmUp.Elapsed.TotalSeconds / warmUpTrials;
                    ready.SignalAndWait();
                    go.Wait();
                    var done = 0L;
                    while (Volatile.Read(ref stop) == 0)
                    {
                        sampler.Sample(trial, measurement);
                        trial += threads;
                        Volatile.Write(ref counts[index * Stride], ++done);
                    }
                }
                catch (Exception error)
                {
                    failures[index] = error;
                    ready.RemoveParticipant();
                }
            }) { IsBackground = true, Name = $"bench-{index}" };
            workers[k].Start();
        }
        ready.SignalAndWait();
        // Every thread contributes about 1/threads of the trials, so a slice needs threads × as long a trial time.
        var slices = Rate.SliceCount(seconds, warmUpTrialSeconds.Max() / threads);
        var best = new Rate(0, 1, 0);
        go.Set();
        var clock = Stopwatch.StartNew();
        var previousTrials = 0L;
        var previousWall = 0.0;
        var previousCpu = ThreadClock.ProcessSeconds();
        for (var slice = 1; slice <= slices; slice++)
        {
            var wait = seconds * slice / slices - clock.Elapsed.TotalSeconds;
            if (wait > 0) Thread.Sleep(TimeSpan.FromSeconds(wait));
            var trials = 0L;
            for (var k = 0; k < threads; k++) trials += Volatile.Read(ref counts[k * Stride]);
            var wall = clock.Elapsed.TotalSeconds;
            var cpu = ThreadClock.ProcessSeconds();
            var rate = new Rate(trials - previousTrials, wall - previousWall, cpu - previousCpu);
            if (rate.PerSecond > best.PerSecond) best = rate;
            (previousTrials, previousWall, previousCpu) = (trials, wall, cpu);
        }
        Volatile.Write(ref stop, 1);
        foreach (var worker in workers) worker.Join();
        foreach (var failure in failures)
            if (failure is not null) throw new InvalidOperationException("a benchmark thread failed: " + failure.Message, failure);
        if (best.Units == 0)
        {
            // Not one trial finished within the budget (a tiny --seconds): count the trials done by the stop.
            var trials = 0L;
            for (var k = 0; k < threads; k++) trials += Volatile.Read(ref counts[k * Stride]);
            best = new Rate(Math.Max(trials, 1), clock.Elapsed.TotalSeconds, ThreadClock.ProcessSeconds() - previousCpu);
        }
        return best;
    }
}
