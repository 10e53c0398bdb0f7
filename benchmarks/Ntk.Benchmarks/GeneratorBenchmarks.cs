using BenchmarkDotNet.Attributes;
using Ntk.Numerics.Randomness;

namespace Ntk.Benchmarks;

/// <summary>
/// The generator: 4096 standard Gaussians per operation from a fresh trial stream (Philox4x32-10 blocks and the
/// portable Box–Muller, vectorized). Gaussians/s = 4096 / mean time.
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private readonly double[] _buffer = new double[4096];
    private long _trial;

    [Benchmark(OperationsPerInvoke = 4096)]
    public double FillGaussian4096()
    {
        var stream = RandomStream.For(20261129, 0, _trial++);
        stream.FillGaussian(_buffer);
        return _buffer[^1];
    }

    [Benchmark(OperationsPerInvoke = 4096)]
    public double NextGaussian4096()
    {
        var stream = RandomStream.For(20261129, 0, _trial++);
        var sum = 0.0;
        for (var i = 0; i < 4096; i++) sum += stream.NextGaussian();
        return sum;
    }
}
