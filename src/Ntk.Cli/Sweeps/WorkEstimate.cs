using Ntk.Numerics.Engines;
using Ntk.Numerics.Networks;

namespace Ntk.Cli.Sweeps;

/// <summary>
/// Rough cost of sampling one network (one trial): random draws and floating-point operations. Used by
/// <c>ntk validate</c> to size a sweep before it runs and by <c>ntk bench</c> to turn trials/s into draws/s and FLOP/s.
/// Leading terms only; lower-order work (ReLU, Gram matrices, the m×m eigenvalues) is left out.
/// </summary>
/// <param name="Draws">Random numbers drawn per trial.</param>
/// <param name="Flops">Floating-point operations per trial (a fused multiply-add counts as 2).</param>
internal readonly record struct WorkEstimate(double Draws, double Flops)
{
    /// <summary>
    /// Per-trial work of <paramref name="engine"/> (already resolved) on <paramref name="network"/> with m inputs.
    /// Dense: every weight is drawn, P = Σ_{l=1}^{L+1} n_l n_{l−1} draws; the forward pass is P·m multiply-adds and the
    /// backward pass as many again, so FLOPs ≈ 2·m·P × 2. Conditional (docs/science.md §3): per layer l = 1..L+1 an
    /// n_l × m block of Gaussians and about n_l·m² + m³ operations (the m×m factorization plus the n_l × m product).
    /// These are operation counts, not times: <see cref="EngineChoice.Resolve"/> chooses between the engines from measured
    /// times instead (the conditional engine's constant factor is much larger).
    /// </summary>
    public static WorkEstimate PerTrial(NetworkSpec network, int inputCount, EngineKind engine)
    {
        double m = inputCount;
        switch (engine)
        {
            case EngineKind.Dense:
            {
                double parameters = network.ParameterCount;
                return new WorkEstimate(parameters, 2 * m * parameters * 2);
            }
            case EngineKind.Conditional:
            {
                double draws = 0, flops = 0;
                for (var layer = 1; layer <= network.Depth + 1; layer++)
                {
                    double size = network.LayerSize(layer);
                    draws += size * m;
                    flops += size * m * m + m * m * m;
                }
                return new WorkEstimate(draws, flops);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(engine), engine, "the engine must be resolved (dense or conditional)");
        }
    }

    public static WorkEstimate operator *(WorkEstimate work, double trials) => new(work.Draws * trials, work.Flops * trials);

    public static WorkEstimate operator +(WorkEstimate a, WorkEstimate b) => new(a.Draws + b.Draws, a.Flops + b.Flops);
}
