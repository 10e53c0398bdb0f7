using System.Runtime.Intrinsics;
using Ntk.Numerics.LinearAlgebra;

namespace Ntk.Numerics.Measurement;

/// <summary>
/// Turns one sampled network's forward values and kernel into the flat measurement vector of a
/// <see cref="MeasurementLayout"/>. Shared by every engine, so engines differ only in how they sample.
/// Nothing here allocates; matrices are row-major spans.
/// </summary>
/// <remarks>
/// Layer quantities are read from pre-activations stored unit-major: z[i·m + a] is z^l_{i;a}, i.e. the n_l × m
/// matrix Z = W H. The activation indicator is the strict ξ = 1[z &gt; 0] (docs/science.md §1): an exactly-zero
/// pre-activation (a dead input) is inactive.
/// </remarks>
public static class MeasurementWriter
{
    private const double Ln2 = 0.69314718055994530942;

    /// <summary>Resets the entries that are built up layer by layer (path product to 1, dead flags to 0), where recorded.</summary>
    public static void BeginTrial(MeasurementLayout layout, Span<double> measurement)
    {
        var m = layout.InputCount;
        if (layout.Has(StatisticGroups.Activity))
            for (var a = 0; a < m; a++) measurement[layout.DeadLayer(a)] = 0;
        if (layout.Has(StatisticGroups.PathProduct))
            for (var a = 0; a < m; a++)
                for (var b = a + 1; b < m; b++) measurement[layout.PathProduct(a, b)] = 1;
    }

    /// <summary>True when the layout records anything <see cref="WriteLayerActivity"/> writes (a sampler may skip the call).</summary>
    public static bool RecordsLayerActivity(MeasurementLayout layout) =>
        (layout.Groups & (StatisticGroups.Correlators | StatisticGroups.Activity | StatisticGroups.PathProduct
            | StatisticGroups.Patterns)) != 0;

    /// <summary>
    /// Writes ĉ_l(a,b), the active fractions of layer <paramref name="layer"/>, multiplies the path products by ĉ_l(a,b)
    /// (Σ over paths of Π_l ξξ factorizes into Π_l of per-layer means) and raises the dead flag of any input with no
    /// active unit. <paramref name="counts"/> is scratch of length ≥ m.
    /// </summary>
    public static void WriteLayerActivity(
        MeasurementLayout layout, int layer, ReadOnlySpan<double> preactivations, int width,
        Span<double> measurement, Span<int> counts) =>
        WriteLayerActivity(layout, layer, preactivations, width, inputMajor: false, measurement, counts);

    /// <summary>
    /// <see cref="WriteLayerActivity(MeasurementLayout, int, ReadOnlySpan{double}, int, Span{double}, Span{int})"/> for
    /// z stored unit-major (<paramref name="inputMajor"/> false, z[i·m + a]) or input-major (true, z[a·width + i]); the
    /// counts are exact integers, so both give the same measurement.
    /// </summary>
    public static void WriteLayerActivity(
        MeasurementLayout layout, int layer, ReadOnlySpan<double> preactivations, int width, bool inputMajor,
        Span<double> measurement, Span<int> counts)
    {
        if (!RecordsLayerActivity(layout)) return;
        var m = layout.InputCount;
        if (preactivations.Length < width * m) throw new ArgumentException("preactivations: need width × m values");
        var active = counts[..m];
        // Active counts per input and per pair (exact integers, from bit sets; see MeasurementKernels).
        MeasurementKernels.CountActivity(preactivations, width, m, inputMajor, active, measurement, layout, layer);
        FinishLayerActivity(layout, layer, width, measurement, active);
    }

    /// <summary>
    /// <see cref="WriteLayerActivity(MeasurementLayout, int, ReadOnlySpan{double}, int, bool, Span{double}, Span{int})"/>
    /// from the bit sets of ξ = 1[z &gt; 0] (<see cref="MeasurementKernels.CountFromBits"/>: per input ⌈width/64⌉ words,
    /// unit i at bit i mod 64 of word i/64, bits from width on clear): the same integer counts, so the same measurement.
    /// </summary>
    public static void WriteLayerActivity(
        MeasurementLayout layout, int layer, ReadOnlySpan<ulong> activeBits, int width, Span<double> measurement,
        Span<int> counts)
    {
        if (!RecordsLayerActivity(layout)) return;
        var active = counts[..layout.InputCount];
        MeasurementKernels.CountFromBits(activeBits, width, layout.InputCount, active, measurement, layout, layer);
        FinishLayerActivity(layout, layer, width, measurement, active);
    }

    private static void FinishLayerActivity(
        MeasurementLayout layout, int layer, int width, Span<double> measurement, ReadOnlySpan<int> active)
    {
        var m = layout.InputCount;
        var inverseWidth = 1.0 / width;
        if (layout.Has(StatisticGroups.Activity))
            for (var a = 0; a < m; a++)
            {
                measurement[layout.ActiveFraction(layer, a)] = active[a] * inverseWidth;
                if (active[a] == 0) measurement[layout.DeadLayer(a)] = 1;
            }
        // Without the correlators CountActivity has already multiplied the path products and written the patterns.
        if (!layout.Has(StatisticGroups.Correlators) || m < 2) return;
        var path = layout.Has(StatisticGroups.PathProduct);
        var patterns = layout.Has(StatisticGroups.Patterns);
        // Pair (a, b), a < b, has the same rank p in every per-pair block (MeasurementLayout.Pair: row-major upper
        // triangle), so each block is addressed from its first index: one index computation per layer, not per pair.
        var correlators = measurement.Slice(layout.Correlator(layer, 0, 1), layout.PairCount);
        var pathProducts = path ? measurement.Slice(layout.PathProduct(0, 1), layout.PairCount) : default;
        var agreement = patterns ? measurement.Slice(layout.PatternAgreement(layer, 0, 1), layout.PairCount) : default;
        var equal = patterns ? measurement.Slice(layout.PatternEqual(layer, 0, 1), layout.PairCount) : default;
        var p = 0;
        for (var a = 0; a < m; a++)
            for (var b = a + 1; b < m; b++, p++)
            {
                var both = correlators[p];
                var c = both * inverseWidth;
                correlators[p] = c;
                if (path) pathProducts[p] *= c;
                if (patterns)
                {
                    // Units where the patterns differ: active for exactly one of a, b (exact integer counts).
                    var differ = active[a] + active[b] - 2 * (int)both;
                    agreement[p] = (width - differ) * inverseWidth;
                    equal[p] = differ == 0 ? 1 : 0;
                }
            }
    }

    /// <summary>
    /// Writes the Rao–Blackwellized correlator of layer l from the Gram matrix G = HᵀH of the previous layer's
    /// post-activations (h^0 = x): E[ξ^l_a ξ^l_b | h^{l−1}] = (π − θ̂)/(2π), cos θ̂ = G_ab/√(G_aa G_bb)
    /// (docs/science.md §5; the Gaussian hemisphere integral). It is 0 when h_a or h_b is zero, because then z_a = W·0 = 0
    /// exactly and the strict indicator is 0. Valid for Gaussian weights only.
    /// </summary>
    public static void WriteConditionalCorrelator(
        MeasurementLayout layout, int layer, ReadOnlySpan<double> previousGram, Span<double> measurement) =>
        WriteConditional(layout, layer, previousGram, 0, measurement, correlator: true, pattern: false);

    /// <summary>
    /// Writes the Rao–Blackwellized probability that the whole layer-l activation patterns of a and b coincide, given
    /// the previous layer (Gaussian weights; docs/numerics.md §11): each of the n_l independent rows puts h_a and h_b
    /// on the same side of its hyperplane with probability 1 − θ̂/π, so P = (1 − θ̂/π)^{n_l}, evaluated as
    /// exp(n_l·log(1 − θ̂/π)) (log domain; an underflow is an honest 0). If h_a = h_b = 0 both patterns are
    /// all-inactive (P = 1); if exactly one is 0, the other's units are active with probability ½ each (P = 2^{−n_l}).
    /// arccos, log and exp are <see cref="PortableMath"/>'s, so the bits do not depend on the machine's C runtime.
    /// </summary>
    public static void WritePatternEqualCond(
        MeasurementLayout layout, int layer, ReadOnlySpan<double> previousGram, int width, Span<double> measurement) =>
        WriteConditional(layout, layer, previousGram, width, measurement, correlator: false, pattern: true);

    /// <summary>
    /// <see cref="WriteConditionalCorrelator"/> and <see cref="WritePatternEqualCond"/> together (each where the layout
    /// records it): both start from the same θ̂ of each pair, computed once here (the same operations, so the same bits).
    /// </summary>
    public static void WriteConditionalStatistics(
        MeasurementLayout layout, int layer, ReadOnlySpan<double> previousGram, int width, Span<double> measurement) =>
        WriteConditional(layout, layer, previousGram, width, measurement, correlator: true, pattern: true);

    private static void WriteConditional(
        MeasurementLayout layout, int layer, ReadOnlySpan<double> previousGram, int width, Span<double> measurement,
        bool correlator, bool pattern)
    {
        correlator &= layout.HasConditionalCorrelator;
        pattern &= layout.HasConditionalPattern;
        var m = layout.InputCount;
        if ((!correlator && !pattern) || m < 2) return;
        // Pair (a, b), a < b, has rank p in each per-pair block (see WriteLayerActivity).
        var correlators = correlator ? measurement.Slice(layout.CorrelatorCond(layer, 0, 1), layout.PairCount) : default;
        var patterns = pattern ? measurement.Slice(layout.PatternEqualCond(layer, 0, 1), layout.PairCount) : default;
        var p = 0;
        if (layout.PairCount >= 2 && Vector256.IsHardwareAccelerated)
        {
            // Four pairs per step, lane-wise the operations of the scalar loop below (PortableVectorMath), so the same bits.
            Span<double> aa = stackalloc double[4], bb = stackalloc double[4], ab = stackalloc double[4];
            Span<double> c = stackalloc double[4], e = stackalloc double[4];
            var oneDead = PortableMath.Exp(-width * Ln2);
            int a = 0, b = 1;
            while (p < layout.PairCount)
            {
                var lanes = Math.Min(4, layout.PairCount - p);
                for (var k = 0; k < 4; k++)
                {
                    if (k < lanes)
                    {
                        aa[k] = previousGram[a * m + a];
                        bb[k] = previousGram[b * m + b];
                        ab[k] = previousGram[a * m + b];
                        if (++b == m) b = ++a + 1;
                    }
                    else (aa[k], bb[k], ab[k]) = (1.0, 1.0, 0.0); // a filler pair, not written
                }
                var (correlatorLanes, patternLanes) = ConditionalLanes(
                    Vector256.Create(aa), Vector256.Create(bb), Vector256.Create(ab), width, oneDead, correlator, pattern);
                correlatorLanes.CopyTo(c);
                patternLanes.CopyTo(e);
                if (correlator) c[..lanes].CopyTo(correlators[p..]);
                if (pattern) e[..lanes].CopyTo(patterns[p..]);
                p += lanes;
            }
            return;
        }
        for (var a = 0; a < m; a++)
        {
            var gaa = previousGram[a * m + a];
            for (var b = a + 1; b < m; b++, p++)
            {
                var gbb = previousGram[b * m + b];
                var angle = 0.0; // θ̂, when both h are nonzero
                if (!(gaa <= 0 || gbb <= 0))
                {
                    var rho = Math.Clamp(previousGram[a * m + b] / Math.Sqrt(gaa * gbb), -1.0, 1.0);
                    angle = PortableMath.Acos(rho);
                }
                if (correlator) correlators[p] = gaa <= 0 || gbb <= 0 ? 0 : (Math.PI - angle) / (2 * Math.PI);
                if (pattern)
                {
                    // PortableMath, not the C runtime's acos/log/exp, so that every machine gives these bits.
                    var same = 1 - angle / Math.PI; // probability of the same side of one row's hyperplane
                    if (gaa <= 0 && gbb <= 0) patterns[p] = 1;
                    else if (gaa <= 0 || gbb <= 0) patterns[p] = PortableMath.Exp(-width * Ln2);
                    else patterns[p] = same > 0 ? PortableMath.Exp(width * PortableMath.Log(same)) : 0;
                }
            }
        }
    }

    /// <summary>
    /// The scalar loop of <see cref="WriteConditional"/> for four pairs (G_aa, G_bb, G_ab) at once: the conditional
    /// correlator and pattern probability of each lane, by the same operations in the same order.
    /// </summary>
    private static (Vector256<double> Correlator, Vector256<double> Pattern) ConditionalLanes(
        Vector256<double> gaa, Vector256<double> gbb, Vector256<double> gab, int width, double oneDead,
        bool correlator, bool pattern)
    {
        var aDead = Vector256.LessThanOrEqual(gaa, Vector256<double>.Zero);
        var bDead = Vector256.LessThanOrEqual(gbb, Vector256<double>.Zero);
        var live = ~(aDead | bDead);
        var rho = gab / Vector256.Sqrt(gaa * gbb);
        // Math.Clamp(ρ, −1, 1), NaN kept
        rho = Vector256.ConditionalSelect(Vector256.LessThan(rho, Vector256.Create(-1.0)), Vector256.Create(-1.0), rho);
        rho = Vector256.ConditionalSelect(Vector256.GreaterThan(rho, Vector256<double>.One), Vector256<double>.One, rho);
        var angle = PortableVectorMath.Acos(rho) & live; // 0 (+0) where an input is dead
        var correlators = correlator
            ? ((Vector256.Create(Math.PI) - angle) / Vector256.Create(2 * Math.PI)) & live
            : default;
        if (!pattern) return (correlators, default);
        var same = Vector256<double>.One - angle / Vector256.Create(Math.PI);
        var positive = Vector256.GreaterThan(same, Vector256<double>.Zero) & live;
        // The logarithm only of live positive lanes (it wants positive normal numbers); the others take 1 and are not used.
        var log = PortableVectorMath.Log(Vector256.ConditionalSelect(positive, same, Vector256<double>.One));
        var equal = PortableVectorMath.Exp(Vector256.Create((double)width) * log) & positive;
        var patterns = Vector256.ConditionalSelect(live, equal,
            Vector256.ConditionalSelect(aDead & bDead, Vector256<double>.One, Vector256.Create(oneDead)));
        return (correlators, patterns);
    }

    /// <summary>
    /// Writes K_ab (a ≤ b) and the spectrum summary: λ_max, λ_min and the condition number λ_max/λ_min, clamped to
    /// [1, <see cref="MeasurementLayout.MaxConditionNumber"/>] (K is singular whenever inputs coincide, and K = 0 when a
    /// whole layer is dead for every input; both report the cap). <paramref name="workspace"/> needs m² + m doubles.
    /// λ_max and λ_min come from cyclic Jacobi for m &lt; 8 (all eigenvalues, as <see cref="SymmetricEigensolver.SymmetricEigenvalues"/>) and
    /// from Householder tridiagonalization + bisection for m ≥ 8 (<see cref="SymmetricEigensolver.ExtremeTridiagonalEigenvalues"/>); only the
    /// lower triangle of K is read then. Both are accurate to a few ε·‖K‖ (MeasurementWriterTests).
    /// </summary>
    public static void WriteKernel(
        MeasurementLayout layout, ReadOnlySpan<double> kernel, Span<double> workspace, Span<double> measurement)
    {
        var m = layout.InputCount;
        if (layout.Has(StatisticGroups.Kernel))
        {
            // Row a of the upper triangle, K_aa .. K_a(m−1), is contiguous in both.
            for (var a = 0; a < m; a++)
                kernel.Slice(a * m + a, m - a).CopyTo(measurement.Slice(layout.Ntk(a, a), m - a));
        }
        // The spectrum is the O(m³) part of a trial; without it nothing else is computed here.
        if (!layout.Has(StatisticGroups.Spectrum)) return;

        var matrix = workspace[..(m * m)];
        var eigenvalues = workspace.Slice(m * m, m);
        kernel[..(m * m)].CopyTo(matrix);
        double max, min;
        if (m >= SymmetricEigensolver.TridiagonalFromSize)
        {
            // Only λ_max and λ_min are reported: bisection on the tridiagonal form instead of every eigenvalue by QL.
            Span<double> offDiagonal = m <= 1024 ? stackalloc double[m] : new double[m];
            SymmetricEigensolver.Tridiagonalize(matrix, m, eigenvalues, offDiagonal);
            (min, max) = SymmetricEigensolver.ExtremeTridiagonalEigenvalues(eigenvalues, offDiagonal, m);
        }
        else
        {
            SymmetricEigensolver.JacobiEigenvalues(matrix, m, eigenvalues);
            max = double.NegativeInfinity;
            min = double.PositiveInfinity;
            foreach (var e in eigenvalues)
            {
                if (e > max) max = e;
                if (e < min) min = e;
            }
        }
        measurement[layout.LambdaMaxIndex] = max;
        // Gradient descent with step η on the linearized model is unstable when λ_max > 2/η (docs/science.md §7).
        var thresholds = layout.InstabilityThresholds;
        for (var k = 0; k < thresholds.Length; k++) measurement[layout.Unstable(k)] = max > thresholds[k] ? 1 : 0;
        measurement[layout.LambdaMinIndex] = min;
        double condition;
        if (!(max > 0) || !(min > 0)) condition = MeasurementLayout.MaxConditionNumber;
        else condition = Math.Clamp(max / min, 1.0, MeasurementLayout.MaxConditionNumber);
        measurement[layout.ConditionIndex] = condition;
    }
}
