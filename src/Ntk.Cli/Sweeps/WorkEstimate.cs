using Ntk.Numerics.Measurement;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Networks;

namespace Ntk.Cli.Sweeps;

/// <summary>
/// Rough cost of sampling one network (one trial): random draws and floating-point operations. Used by
/// <c>ntk validate</c> to size a sweep before it runs and by <c>ntk bench</c> to turn trials/s into draws/s and FLOP/s.
/// Leading terms only; lower-order work (ReLU, activity counts) is left out. The m×m terms that dominate data-set
/// points (the Gram matrices and, with the spectrum, the tridiagonalization) are included.
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
    /// <remarks>
    /// On top of that, both engines form two m × m Gram matrices per hidden layer (of h^l and of δ^l; about m²·n_l
    /// multiply-adds each), and with the spectrum (<see cref="StatisticGroups.Spectrum"/>, m ≥ 8) the Householder
    /// tridiagonalization of K, (4/3)m³ FLOPs (Golub &amp; Van Loan, Algorithm 8.3.1); bisection for λ_max and λ_min is
    /// O(m) per step. At m = 2,048 the tridiagonalization is 90% of a trial.
    /// </remarks>
    public static WorkEstimate PerTrial(
        NetworkSpec network, int inputCount, EngineKind engine, StatisticGroups statistics = StatisticGroups.All)
    {
        double m = inputCount;
        double matrices = 0;
        for (var layer = 1; layer <= network.Depth; layer++) matrices += 2 * 2 * m * m * network.LayerSize(layer);
        if ((statistics & StatisticGroups.Spectrum) != 0 && inputCount >= 8) matrices += 4.0 / 3.0 * m * m * m;
        return Engine(network, m, engine) + new WorkEstimate(0, matrices);
    }

    /// <summary>
    /// <see cref="PerTrial"/> with every Gaussian the engine draws, for the roofline of <c>ntk bench</c>. Equal to it
    /// for dense; for conditional the forward draws are r_l·n_l (r_l = min(m, n_{l−1}), the rank of h^{l−1} for
    /// generic inputs) and the backward pass draws another ρ_l·n_{l−1} on the Gram path (m ≤ 4 and r_l = m) or
    /// ρ_l·(n_{l−1} − r_l) on the QR path, for l = L+1 down to 2 (ρ_{L+1} = 1 for δ^{L+1} = 1, ρ_l = min(m, n_l)
    /// below; docs/science.md §3), about twice <see cref="PerTrial"/>'s count.
    /// </summary>
    /// <remarks>
    /// Kept apart from <see cref="PerTrial"/> because that one also sizes <c>"shardTrials": "auto"</c>
    /// (<see cref="ShardSizing"/>): changing it would change those sweeps' shards, hence their results' last bits.
    /// </remarks>
    public static WorkEstimate PerTrialAllDraws(
        NetworkSpec network, int inputCount, EngineKind engine, StatisticGroups statistics = StatisticGroups.All)
    {
        var estimate = PerTrial(network, inputCount, engine, statistics);
        if (engine != EngineKind.Conditional) return estimate;
        double draws = 0;
        for (var layer = 1; layer <= network.Depth + 1; layer++)
        {
            var rank = Math.Min(inputCount, network.LayerSize(layer - 1));
            draws += (double)rank * network.LayerSize(layer);
            if (layer < 2) continue;
            var deltaRank = layer == network.Depth + 1 ? 1 : Math.Min(inputCount, network.LayerSize(layer));
            // The Gram path (m ≤ 4, h^{l−1} of full rank) draws the whole n_{l−1}-vector and projects it; the QR
            // path only the n_{l−1} − r_l complement coordinates.
            var gramPath = inputCount <= 4 && rank == inputCount;
            draws += (double)deltaRank * (network.LayerSize(layer - 1) - (gramPath ? 0 : rank));
        }
        return estimate with { Draws = draws };
    }

    private static WorkEstimate Engine(NetworkSpec network, double m, EngineKind engine)
    {
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
