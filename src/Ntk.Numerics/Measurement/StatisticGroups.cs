namespace Ntk.Numerics.Measurement;

/// <summary>
/// The groups of per-network statistics a sweep may record (the sweep file's <c>"statistics"</c> list). A point's
/// <see cref="MeasurementLayout"/> holds only the selected groups, so the measurement vector, every accumulator,
/// shard result, snapshot and results.csv shrink with the selection, and the engines skip what is not recorded.
/// </summary>
/// <remarks>
/// A new kind of statistic slots in as a new group (one flag, one name in <see cref="StatisticSelection"/>, one block
/// in <see cref="MeasurementLayout"/>'s constructor and its writer in <see cref="MeasurementWriter"/>); blocks are laid
/// out in a fixed order, so adding one never moves the entries of another when it is not selected.
/// </remarks>
[Flags]
public enum StatisticGroups
{
    None = 0,
    /// <summary>"kernel": K_ab for a ≤ b, m(m+1)/2 entries (their moments: mean, variance, skewness, kurtosis).</summary>
    Kernel = 1,
    /// <summary>"spectrum": λ_max, λ_min and the condition number of K (3 entries; O(m³) per network to compute).</summary>
    Spectrum = 2,
    /// <summary>"correlators": per layer ĉ_l(a,b) and, for Gaussian weights, the conditional ĉ_l(a,b): L·m(m−1) entries.</summary>
    Correlators = 4,
    /// <summary>"activity": per layer the active fraction of each input, and each input's dead-layer flag: (L+1)·m entries.</summary>
    Activity = 8,
    /// <summary>"path-product": Π_l ĉ_l(a,b) for a &lt; b, m(m−1)/2 entries.</summary>
    PathProduct = 16,
    /// <summary>
    /// "patterns": per layer the activation-pattern statistics for a &lt; b: agreement, whole-pattern equality and, for
    /// Gaussian weights, its conditional probability: L·m(m−1) (L·3m(m−1)/2) entries. Laid out last.
    /// </summary>
    Patterns = 32,
    /// <summary>Every group.</summary>
    All = Kernel | Spectrum | Correlators | Activity | PathProduct | Patterns,
}

/// <summary>Names, parsing and the default of <see cref="StatisticGroups"/>.</summary>
public static class StatisticSelection
{
    /// <summary>
    /// Up to this many inputs a sweep records every group by default. Beyond it the default drops the per-layer m×m
    /// correlators, the path product and the activation patterns (L·m² + m²/2 entries and more: at m = 2048, L = 1 they would be 3 of the 4 million
    /// statistics) and keeps the kernel, its spectrum and the O(L·m) activity.
    /// </summary>
    public const int EveryGroupUpToInputs = 256;

    /// <summary>The groups in layout order, with their sweep-file names.</summary>
    public static readonly IReadOnlyList<(StatisticGroups Group, string Name)> Groups =
    [
        (StatisticGroups.Kernel, "kernel"),
        (StatisticGroups.Spectrum, "spectrum"),
        (StatisticGroups.Correlators, "correlators"),
        (StatisticGroups.Activity, "activity"),
        (StatisticGroups.PathProduct, "path-product"),
        (StatisticGroups.Patterns, "patterns"),
    ];

    /// <summary>The default selection for m inputs (see <see cref="EveryGroupUpToInputs"/>).</summary>
    public static StatisticGroups Default(int inputCount) =>
        inputCount <= EveryGroupUpToInputs
            ? StatisticGroups.All
            : StatisticGroups.Kernel | StatisticGroups.Spectrum | StatisticGroups.Activity;

    /// <summary>Parses one group name; throws <see cref="FormatException"/> naming the accepted names.</summary>
    public static StatisticGroups Parse(string name)
    {
        foreach (var (group, groupName) in Groups)
            if (string.Equals(groupName, name.Trim(), StringComparison.OrdinalIgnoreCase)) return group;
        throw new FormatException(
            $"statistics: unknown group \"{name}\"; expected one of {string.Join(", ", Groups.Select(g => g.Name))}");
    }

    /// <summary>The names of the selected groups, in layout order.</summary>
    public static IReadOnlyList<string> Names(StatisticGroups groups) =>
        [.. Groups.Where(g => (groups & g.Group) != 0).Select(g => g.Name)];

    /// <summary>"kernel, spectrum, activity".</summary>
    public static string Describe(StatisticGroups groups) => string.Join(", ", Names(groups));

    /// <summary>
    /// Length of the measurement vector for m inputs, L layers and <paramref name="groups"/> (with the conditional
    /// correlator when <paramref name="conditional"/>), without building the layout (which holds one key per entry).
    /// </summary>
    public static long StatisticCount(long m, long depth, bool conditional, StatisticGroups groups, int learningRates = 0)
    {
        var pairs = m * (m - 1) / 2;
        long count = 0;
        if ((groups & StatisticGroups.Kernel) != 0) count += m * (m + 1) / 2;
        if ((groups & StatisticGroups.Correlators) != 0) count += depth * pairs * (conditional ? 2 : 1);
        if ((groups & StatisticGroups.Activity) != 0) count += depth * m + m;
        if ((groups & StatisticGroups.PathProduct) != 0) count += pairs;
        if ((groups & StatisticGroups.Spectrum) != 0) count += 3;
        if ((groups & StatisticGroups.Patterns) != 0) count += depth * pairs * (conditional ? 3 : 2);
        // One instability indicator 1[λ_max > 2/η] per listed learning rate, after everything else (with the spectrum).
        if ((groups & StatisticGroups.Spectrum) != 0) count += learningRates;
        return count;
    }
}
