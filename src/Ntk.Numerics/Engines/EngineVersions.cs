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
    /// dense/2, conditional/3: <see cref="DenseSampler"/> and <see cref="ConditionalGaussianSampler"/> (Gram path and
    /// fused kernels for m ≤ 4, docs/numerics.md §13), with the conditional correlator and pattern statistics computed by
    /// the portable arccos, log and exp (<see cref="LinearAlgebra.PortableMath"/>; docs/numerics.md §14), on pair inputs
    /// whose cosines and sines are portable too (<see cref="Networks.InputSet.PairDegrees"/>). dense/1 and
    /// conditional/2 took all of these from the C runtime, whose last bits may differ between systems; conditional/1
    /// was Householder QR at every layer.
    /// </summary>
    public const string Current = "dense/2 conditional/3";
}
