using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;

namespace Ntk.Benchmarks;

/// <summary>
/// One trial (Sample) of each engine on the configurations of <c>ntk bench</c>; trials/s = 1 / mean time.
/// The engine is allocation-free per trial, which the memory diagnoser shows.
/// </summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private ITrialSampler _sampler = null!;
    private double[] _measurement = [];
    private long _trial;

    [Params("10,1,64,2", "10,3,256,2", "10,5,1024,2", "32,3,256,32", "784,2,512,128")]
    public string Configuration { get; set; } = "10,1,64,2";

    [Params(EngineKind.Dense, EngineKind.Conditional)]
    public EngineKind Engine { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var parts = Configuration.Split(',').Select(int.Parse).ToArray();
        int inputDim = parts[0], depth = parts[1], width = parts[2], inputCount = parts[3];
        var values = new double[inputCount * inputDim];
        var stream = RandomStream.For(1, 1_000_000, 0);
        stream.FillGaussian(values);
        var point = new PointDefinition(0, NetworkSpec.Uniform(inputDim, depth, width, WeightLaw.Gaussian),
            new InputSet(inputDim, ImmutableArray.Create(values)), Engine, 20261129);
        _sampler = point.CreateSampler();
        _measurement = new double[_sampler.Layout.Count];
    }

    [Benchmark]
    public double Sample()
    {
        _sampler.Sample(_trial++, _measurement);
        return _measurement[0];
    }
}
