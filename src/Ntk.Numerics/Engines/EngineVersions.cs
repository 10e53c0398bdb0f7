namespace Ntk.Numerics.Engines;

/// <summary>
/// Names what the engines make of the random sequence (<see cref="Randomness.RandomStream.GeneratorVersion"/>): the
/// order in which each engine consumes its draws and the arithmetic that turns them into a measurement. Together the
/// two strings fix the numbers a (sweep, seed) gives; results record both and --resume refuses a state made under
/// others (docs/contract.md §7). Any change of an engine's numbers for the same draws must change this string.
/// </summary>
public static class EngineVersions
{
    /// <summary>
    /// dense/1: <see cref="DenseSampler"/>. conditional/2: <see cref="ConditionalGaussianSampler"/> with the Gram path
    /// and fused kernels for m ≤ 4 (docs/numerics.md §13); conditional/1 was Householder QR at every layer.
    /// </summary>
    public const string Current = "dense/1 conditional/2";
}
