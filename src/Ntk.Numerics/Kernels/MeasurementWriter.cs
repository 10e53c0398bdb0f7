namespace Ntk.Numerics.Kernels;

/// <summary>
/// Turns one sampled network's forward values and kernel into the flat measurement vector of a
/// <see cref="MeasurementLayout"/>. Shared by every engine, so engines differ only in how they sample.
/// Nothing here allocates; matrices are row-major spans.
/// </summary>
/// <remarks>
/// Layer quantities are read from pre-activations stored unit-major: z[i·m + a] is z^l_{i;a}, i.e. the n_l × m
/// matrix Z = W H. The activation indicator is the strict ξ = 1[z &gt; 0] (SCIENCE.md §1): an exactly-zero
/// pre-activation (a dead input) is inactive.
/// </remarks>
public static class MeasurementWriter
{
    /// <summary>Resets the entries that are built up layer by layer (path product to 1, dead flags to 0).</summary>
    public static void BeginTrial(MeasurementLayout layout, Span<double> measurement)
    {
        var m = layout.InputCount;
        for (var a = 0; a < m; a++)
        {
            measurement[layout.DeadLayer(a)] = 0;
            for (var b = a + 1; b < m; b++) measurement[layout.PathProduct(a, b)] = 1;
        }
    }

    /// <summary>
    /// Writes ĉ_l(a,b), the active fractions of layer <paramref name="layer"/>, multiplies the path products by ĉ_l(a,b)
    /// (Σ over paths of Π_l ξξ factorizes into Π_l of per-layer means) and raises the dead flag of any input with no
    /// active unit. <paramref name="counts"/> is scratch of length ≥ m.
    /// </summary>
    public static void WriteLayerActivity(
        MeasurementLayout layout, int layer, ReadOnlySpan<double> preactivations, int width,
        Span<double> measurement, Span<int> counts)
    {
        var m = layout.InputCount;
        if (preactivations.Length < width * m) throw new ArgumentException("preactivations: need width × m values");
        var active = counts[..m];
        // Active counts per input and per pair (exact integers, from bit sets; see MeasurementKernels).
        MeasurementKernels.CountActivity(preactivations, width, m, active, measurement, layout, layer);

        var inverseWidth = 1.0 / width;
        for (var a = 0; a < m; a++)
        {
            measurement[layout.ActiveFraction(layer, a)] = active[a] * inverseWidth;
            if (active[a] == 0) measurement[layout.DeadLayer(a)] = 1;
            for (var b = a + 1; b < m; b++)
            {
                var c = measurement[layout.Correlator(layer, a, b)] * inverseWidth;
                measurement[layout.Correlator(layer, a, b)] = c;
                measurement[layout.PathProduct(a, b)] *= c;
            }
        }
    }

    /// <summary>
    /// Writes the Rao–Blackwellized correlator of layer l from the Gram matrix G = HᵀH of the previous layer's
    /// post-activations (h^0 = x): E[ξ^l_a ξ^l_b | h^{l−1}] = (π − θ̂)/(2π), cos θ̂ = G_ab/√(G_aa G_bb)
    /// (SCIENCE.md §5; the Gaussian hemisphere integral). It is 0 when h_a or h_b is zero, because then z_a = W·0 = 0
    /// exactly and the strict indicator is 0. Valid for Gaussian weights only.
    /// </summary>
    public static void WriteConditionalCorrelator(
        MeasurementLayout layout, int layer, ReadOnlySpan<double> previousGram, Span<double> measurement)
    {
        var m = layout.InputCount;
        for (var a = 0; a < m; a++)
        {
            var gaa = previousGram[a * m + a];
            for (var b = a + 1; b < m; b++)
            {
                var gbb = previousGram[b * m + b];
                double value;
                if (gaa <= 0 || gbb <= 0) value = 0;
                else
                {
                    var rho = Math.Clamp(previousGram[a * m + b] / Math.Sqrt(gaa * gbb), -1.0, 1.0);
                    value = (Math.PI - Math.Acos(rho)) / (2 * Math.PI);
                }
                measurement[layout.CorrelatorCond(layer, a, b)] = value;
            }
        }
    }

    /// <summary>
    /// G = HᵀH for H stored unit-major (h[i·m + a]), written as a full symmetric m × m matrix.
    /// </summary>
    public static void Gram(ReadOnlySpan<double> h, int rows, int m, Span<double> gram)
    {
        gram[..(m * m)].Clear();
        for (var i = 0; i < rows; i++)
        {
            var row = h.Slice(i * m, m);
            for (var a = 0; a < m; a++)
            {
                var ha = row[a];
                if (ha == 0) continue;
                for (var b = a; b < m; b++) gram[a * m + b] += ha * row[b];
            }
        }
        for (var a = 0; a < m; a++)
            for (var b = a + 1; b < m; b++) gram[b * m + a] = gram[a * m + b];
    }

    /// <summary>
    /// Writes K_ab (a ≤ b) and the spectrum summary: λ_max, λ_min and the condition number λ_max/λ_min, clamped to
    /// [1, <see cref="MeasurementLayout.MaxConditionNumber"/>] (K is singular whenever inputs coincide, and K = 0 when a
    /// whole layer is dead for every input; both report the cap). <paramref name="workspace"/> needs m² + m doubles.
    /// </summary>
    public static void WriteKernel(
        MeasurementLayout layout, ReadOnlySpan<double> kernel, Span<double> workspace, Span<double> measurement)
    {
        var m = layout.InputCount;
        for (var a = 0; a < m; a++)
            for (var b = a; b < m; b++)
                measurement[layout.Ntk(a, b)] = kernel[a * m + b];

        var matrix = workspace[..(m * m)];
        var eigenvalues = workspace.Slice(m * m, m);
        kernel[..(m * m)].CopyTo(matrix);
        SymmetricEigenvalues(matrix, m, eigenvalues);
        var max = double.NegativeInfinity;
        var min = double.PositiveInfinity;
        foreach (var e in eigenvalues)
        {
            if (e > max) max = e;
            if (e < min) min = e;
        }
        measurement[layout.LambdaMaxIndex] = max;
        measurement[layout.LambdaMinIndex] = min;
        double condition;
        if (!(max > 0) || !(min > 0)) condition = MeasurementLayout.MaxConditionNumber;
        else condition = Math.Clamp(max / min, 1.0, MeasurementLayout.MaxConditionNumber);
        measurement[layout.ConditionIndex] = condition;
    }

    /// <summary>
    /// Eigenvalues of a symmetric m × m matrix by cyclic Jacobi rotations (Golub &amp; Van Loan §8.5; the rotation of
    /// Numerical Recipes §11.1). <paramref name="matrix"/> is destroyed. Deterministic and allocation-free; converges
    /// quadratically, so a handful of sweeps suffice for the m ≤ a few hundred used here.
    /// </summary>
    public static void SymmetricEigenvalues(Span<double> matrix, int m, Span<double> eigenvalues)
    {
        for (var sweep = 0; sweep < 64; sweep++)
        {
            double offDiagonal = 0, diagonal = 0;
            for (var p = 0; p < m; p++)
            {
                diagonal += matrix[p * m + p] * matrix[p * m + p];
                for (var q = p + 1; q < m; q++) offDiagonal += matrix[p * m + q] * matrix[p * m + q];
            }
            if (offDiagonal == 0 || offDiagonal <= 1e-32 * diagonal) break;

            for (var p = 0; p < m - 1; p++)
            {
                for (var q = p + 1; q < m; q++)
                {
                    var apq = matrix[p * m + q];
                    if (apq == 0) continue;
                    var theta = (matrix[q * m + q] - matrix[p * m + p]) / (2 * apq);
                    var t = Math.Sign(theta) == 0
                        ? 1.0
                        : Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    var c = 1 / Math.Sqrt(t * t + 1);
                    var s = t * c;
                    for (var k = 0; k < m; k++)
                    {
                        var akp = matrix[k * m + p];
                        var akq = matrix[k * m + q];
                        matrix[k * m + p] = c * akp - s * akq;
                        matrix[k * m + q] = s * akp + c * akq;
                    }
                    for (var k = 0; k < m; k++)
                    {
                        var apk = matrix[p * m + k];
                        var aqk = matrix[q * m + k];
                        matrix[p * m + k] = c * apk - s * aqk;
                        matrix[q * m + k] = s * apk + c * aqk;
                    }
                    matrix[p * m + q] = 0;
                    matrix[q * m + p] = 0;
                }
            }
        }
        for (var p = 0; p < m; p++) eigenvalues[p] = matrix[p * m + p];
    }
}
