using System.Globalization;
using System.Text;
using System.Text.Json;
using Ntk.Cli.Terminal;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Randomness;

namespace Ntk.Cli.Bench;

/// <summary>
/// The output of <c>ntk bench</c>: a plain-text table (limits first, then one row per configuration and engine) or
/// the same figures as JSON. Rates are per wall-clock second; the "% of limit" column compares per-CPU-second rates
/// of the engine and of the limit, both measured in the same run on one thread, so it is meaningful on a busy host.
/// </summary>
internal static class BenchReport
{
    public static void WriteTable(BenchResult result, TextWriter output)
    {
        var limits = result.Limits;
        output.WriteLine($"ntk bench  {result.Started:yyyy-MM-dd HH:mm} UTC  {Environment.ProcessorCount} cores, " +
                         $"{limits.VectorBits}-bit vectors, {result.SecondsPerMeasurement:0.###} s per measurement");
        output.WriteLine($"load average (1, 5, 15 min): {result.LoadBefore} at the start, {result.LoadAfter} at the end");
        output.WriteLine("limits: the better of two measurements, at the start and at the end of the run");
        output.WriteLine($"limit  Gaussian draws/s (1 thread):  {Sci(limits.GaussianDraws.PerSecond)}  " +
                         $"({Sci(limits.GaussianDraws.PerCpuSecond)} per CPU second)");
        output.WriteLine($"limit  float64 FMA/s (1 thread):     {Sci(limits.FusedMultiplyAdds.PerSecond)}  " +
                         $"({Sci(limits.FusedMultiplyAdds.PerCpuSecond)} per CPU second; 1 FMA = 2 FLOP)");
        WriteGeneratorTable(result.Generator, output);
        if (!result.Engines.IsEmpty) WriteEngineTable(result, output);
        if (!result.Pipelines.IsEmpty) WritePipelineTable(result, output);
        output.WriteLine($"total {result.TotalSeconds:0.0} s");
    }

    private static void WriteGeneratorTable(GeneratorResult generator, TextWriter output)
    {
        output.WriteLine();
        var counter = generator.CounterWords.PerCpuSecond;
        var table = new TextTable("generator", "draws/s 1 thr>", "draws/s CPU>", "× before>", "% of counter limit>");
        table.AddRow($"now: {RandomStream.GeneratorVersion}", Sci(generator.Current.PerSecond), Sci(generator.Current.PerCpuSecond),
            $"{generator.Current.PerCpuSecond / generator.Previous.PerCpuSecond:0.00}x", Percent(generator.Current.PerCpuSecond / counter));
        table.AddRow($"before: {BoxMullerGenerator.Version}", Sci(generator.Previous.PerSecond), Sci(generator.Previous.PerCpuSecond),
            "1.00x", Percent(generator.Previous.PerCpuSecond / counter));
        table.AddRow("counter limit: Philox4x32-10 words", Sci(generator.CounterWords.PerSecond), Sci(counter), "", "100.0%");
        table.Write(output);
        output.WriteLine("draws/s: FillGaussian (4096 per call, one thread); counter limit: the Philox words alone (FillWords), one per Gaussian,");
        output.WriteLine("so no one-word-per-draw transform can exceed it; before: the previous generator, kept for this row only.");
    }

    private static void WriteEngineTable(BenchResult result, TextWriter output)
    {
        var limits = result.Limits;
        output.WriteLine();
        var table = new TextTable("configuration", "engine", "draws/trial>", "FLOP/trial>", "trials/s 1 thr>",
            "trials/s CPU>", "shard loop>", $"trials/s {result.Threads} thr>", "speed-up>", "bound", "% of bound>", "draws %>", "FMA %>", "roofline %>");
        foreach (var engine in result.Engines)
        {
            table.AddRow(
                engine.Configuration.Label,
                EngineChoice.Name(engine.Engine),
                Sci(engine.WorkPerTrial.Draws),
                Sci(engine.WorkPerTrial.Flops),
                Fixed(engine.SingleThread.PerSecond),
                Fixed(engine.SingleThread.PerCpuSecond),
                Fixed(engine.ShardLoop.PerSecond),
                Fixed(engine.AllThreads.PerSecond),
                engine.SpeedUp.ToString("0.00", CultureInfo.InvariantCulture) + "x",
                engine.Bound == BenchBound.Draws ? "draws" : "FMA",
                Percent(engine.BoundFraction(limits)),
                Percent(engine.DrawFraction(limits)),
                Percent(engine.FlopFraction(limits)),
                Percent(engine.RooflineFraction(limits)));
        }
        table.Write(output);
        output.WriteLine();
        output.WriteLine("trials/s 1 thr: Sample() on one thread; trials/s CPU: the same per CPU second of that thread; " +
                         "shard loop: ShardRunner (Sample + accumulate) on one thread;");
        output.WriteLine($"trials/s {result.Threads} thr: one sampler per thread; speed-up: over 1 thread (wall clock). " +
                         "draws %, FMA %: draws/s and FLOP/s reached over the limits above (per CPU second, 1 thread);");
        output.WriteLine("roofline %: (draws/R_draw + FLOPs/(2 R_fma)) per trial over the measured time per trial; bound: " +
                         "the larger of the two terms; % of bound: draws % or FMA % accordingly.");
        output.WriteLine($"Every rate is the best of up to {Rate.MaxSlices} equal slices of its measurement (at least " +
                         $"{Rate.MinStepsPerSlice} steps each): on a shared machine the best slice estimates an unloaded core.");
    }

    private static void WritePipelineTable(BenchResult result, TextWriter output)
    {
        var threads = result.Threads;
        output.WriteLine();
        output.WriteLine($"pipeline: ntk run's actors against the bare shard loop, same process, same shards (best of {PipelineTimer.Rounds} interleaved rounds)");
        var table = new TextTable("case", "shard>", "bare 1 thr>", "pipeline 1 wkr>", "overhead>", "busy>", "CPU bare>",
            "CPU wkr>", "other CPU>", "end to end>",
            "start+stop s>", $"bare {threads} thr>", $"pipeline {threads} wkr>", "speed-up bare>", "speed-up pipeline>");
        foreach (var pipeline in result.Pipelines)
        {
            table.AddRow(
                pipeline.Case.Label,
                pipeline.ShardTrials.ToString(CultureInfo.InvariantCulture),
                Fixed(pipeline.BareSingle.PerSecond),
                Fixed(pipeline.PipelineSingle.PerSecond),
                Percent(pipeline.Overhead),
                Percent(pipeline.PipelineSingle.Busy),
                Percent(pipeline.BareSingle.CpuSeconds / pipeline.BareSingle.WallSeconds),
                Percent(pipeline.PipelineSingle.CpuShare),
                Percent(pipeline.PipelineAll.OtherCpuFraction),
                Fixed(pipeline.PipelineSingle.EndToEndPerSecond),
                pipeline.PipelineSingle.StartStopSeconds.ToString("0.00", CultureInfo.InvariantCulture),
                Fixed(pipeline.BareAll.PerSecond),
                Fixed(pipeline.PipelineAll.PerSecond),
                pipeline.BareSpeedUp.ToString("0.00", CultureInfo.InvariantCulture) + "x",
                pipeline.PipelineSpeedUp.ToString("0.00", CultureInfo.InvariantCulture) + "x");
        }
        table.Write(output);
        output.WriteLine();
        output.WriteLine("bare: ShardRunner.Run on dedicated threads taking the shards in turn; pipeline: LocalSweep (coordinator, workers, " +
                         "aggregator, results sink, snapshots and progress every 5 s, run.log) as ntk run drives it;");
        output.WriteLine("pipeline rates from the first shard leased to the last shard computed; overhead: 1 - pipeline 1 wkr / bare 1 thr; " +
                         "busy: the worker's time inside shards over that span;");
        output.WriteLine("CPU bare, CPU wkr: the computing thread's CPU time over its wall-clock time (below 100%: it waited for a core);");
        output.WriteLine($"other CPU: CPU time of the process outside the shards over the shards' CPU time, {threads} workers " +
                         "(actors, logging, snapshots, thread pool, GC, JIT: what the pipeline takes from the cores);");
        output.WriteLine("end to end: the whole run, actor system start and stop included (start+stop s); speed-up: all threads (workers) over one.");
    }

    public static void WriteJson(BenchResult result, TextWriter output)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            var limits = result.Limits;
            json.WriteStartObject();
            json.WriteString("started", result.Started.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            json.WriteNumber("cores", Environment.ProcessorCount);
            json.WriteNumber("threads", result.Threads);
            json.WriteNumber("vectorBits", limits.VectorBits);
            json.WriteNumber("secondsPerMeasurement", result.SecondsPerMeasurement);
            json.WriteNumber("totalSeconds", result.TotalSeconds);
            json.WriteString("loadAverageBefore", result.LoadBefore);
            json.WriteString("loadAverageAfter", result.LoadAfter);
            json.WriteStartObject("limits");
            WriteRate(json, "gaussianDraws", limits.GaussianDraws);
            WriteRate(json, "fusedMultiplyAdds", limits.FusedMultiplyAdds);
            json.WriteEndObject();
            json.WriteStartObject("generator");
            json.WriteString("version", RandomStream.GeneratorVersion);
            WriteRate(json, "gaussianDraws", result.Generator.Current);
            json.WriteString("previousVersion", BoxMullerGenerator.Version);
            WriteRate(json, "previousGaussianDraws", result.Generator.Previous);
            WriteRate(json, "counterWords", result.Generator.CounterWords);
            json.WriteEndObject();
            json.WriteStartArray("results");
            foreach (var engine in result.Engines)
            {
                var configuration = engine.Configuration;
                json.WriteStartObject();
                json.WriteNumber("inputDim", configuration.InputDim);
                json.WriteNumber("depth", configuration.Depth);
                json.WriteNumber("width", configuration.Width);
                json.WriteNumber("inputs", configuration.InputCount);
                json.WriteString("engine", EngineChoice.Name(engine.Engine));
                json.WriteNumber("drawsPerTrial", engine.WorkPerTrial.Draws);
                json.WriteNumber("flopsPerTrial", engine.WorkPerTrial.Flops);
                WriteRate(json, "singleThread", engine.SingleThread);
                WriteRate(json, "shardLoop", engine.ShardLoop);
                WriteRate(json, "allThreads", engine.AllThreads);
                json.WriteNumber("speedUp", Finite(engine.SpeedUp));
                json.WriteString("bound", engine.Bound == BenchBound.Draws ? "draws" : "fma");
                json.WriteNumber("fractionOfBoundLimit", Finite(engine.BoundFraction(limits)));
                json.WriteNumber("fractionOfDrawLimit", Finite(engine.DrawFraction(limits)));
                json.WriteNumber("fractionOfFmaLimit", Finite(engine.FlopFraction(limits)));
                json.WriteNumber("rooflineSecondsPerTrial", Finite(engine.RooflineSeconds(limits)));
                json.WriteNumber("fractionOfRoofline", Finite(engine.RooflineFraction(limits)));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("pipeline");
            foreach (var pipeline in result.Pipelines)
            {
                var configuration = pipeline.Case.Configuration;
                json.WriteStartObject();
                json.WriteNumber("inputDim", configuration.InputDim);
                json.WriteNumber("depth", configuration.Depth);
                json.WriteNumber("width", configuration.Width);
                json.WriteNumber("inputs", configuration.InputCount);
                json.WriteString("engine", EngineChoice.Name(pipeline.Case.Engine));
                json.WriteNumber("shardTrials", pipeline.ShardTrials);
                json.WriteNumber("threads", pipeline.Threads);
                json.WriteNumber("rounds", pipeline.Rounds);
                WriteRate(json, "bareSingleThread", pipeline.BareSingle);
                WritePipelineRun(json, "pipelineSingleWorker", pipeline.PipelineSingle);
                WriteRate(json, "bareAllThreads", pipeline.BareAll);
                WritePipelineRun(json, "pipelineAllWorkers", pipeline.PipelineAll);
                json.WriteNumber("overhead", Finite(pipeline.Overhead));
                json.WriteNumber("speedUpBare", Finite(pipeline.BareSpeedUp));
                json.WriteNumber("speedUpPipeline", Finite(pipeline.PipelineSpeedUp));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteRate(Utf8JsonWriter json, string name, Rate rate)
    {
        json.WriteStartObject(name);
        json.WriteNumber("units", rate.Units);
        json.WriteNumber("wallSeconds", rate.WallSeconds);
        json.WriteNumber("cpuSeconds", rate.CpuSeconds);
        json.WriteNumber("perSecond", Finite(rate.PerSecond));
        json.WriteNumber("perCpuSecond", Finite(rate.PerCpuSecond));
        json.WriteEndObject();
    }

    private static void WritePipelineRun(Utf8JsonWriter json, string name, PipelineRun run)
    {
        json.WriteStartObject(name);
        json.WriteNumber("workers", run.Workers);
        json.WriteNumber("trials", run.Trials);
        json.WriteNumber("wallSeconds", run.WallSeconds);
        json.WriteNumber("activeSeconds", run.ActiveSeconds);
        json.WriteNumber("shardSeconds", run.ShardSeconds);
        json.WriteNumber("perSecond", Finite(run.PerSecond));
        json.WriteNumber("endToEndPerSecond", Finite(run.EndToEndPerSecond));
        json.WriteNumber("busy", Finite(run.Busy));
        json.WriteNumber("shardCpuSeconds", run.ShardCpuSeconds);
        json.WriteNumber("cpuShare", Finite(run.CpuShare));
        json.WriteNumber("processCpuSeconds", run.ProcessCpuSeconds);
        json.WriteNumber("otherCpuFraction", Finite(run.OtherCpuFraction));
        json.WriteNumber("garbageCollections", run.Collections);
        json.WriteNumber("gcPauseSeconds", run.GcPauseSeconds);
        json.WriteEndObject();
    }

    /// <summary>JSON has no NaN: a rate that could not be measured (no CPU clock) is written as 0.</summary>
    private static double Finite(double value) => double.IsFinite(value) ? value : 0;

    private static string Sci(double value) => value.ToString("0.00e+00", CultureInfo.InvariantCulture);

    private static string Fixed(double value) =>
        !double.IsFinite(value) ? "-" : value >= 100 ? value.ToString("0", CultureInfo.InvariantCulture)
            : value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Percent(double fraction) =>
        double.IsFinite(fraction) ? (100 * fraction).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "-";
}
