using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Ntk.Numerics.Kernels;

/// <summary>
/// Fast paths of <see cref="MeasurementWriter"/> that give bitwise the values of its plain loops: activity counts from
/// bit sets and popcounts (integers, exact), and the cyclic Jacobi eigenvalue iteration with its row updates
/// vectorized and its column updates replaced by the equal (symmetric) row values.
/// </summary>
internal static class MeasurementKernels
{
    [ThreadStatic] private static ulong[]? t_activeBits;

    /// <summary>
    /// For z stored unit-major (z[i·m + a], i &lt; width): active[a] = #{i : z_{i;a} &gt; 0}, and for every pair a &lt; b
    /// writes #{i : z_{i;a} &gt; 0 and z_{i;b} &gt; 0} (as a double) to measurement[correlatorIndex(a, b)].
    /// Cost O(width·m + m²·width/64). Uses a per-thread scratch of m·⌈width/64⌉ words, allocated once.
    /// </summary>
    public static void CountActivity(
        ReadOnlySpan<double> preactivations, int width, int m, Span<int> active, Span<double> measurement,
        MeasurementLayout layout, int layer)
    {
        var words = (width + 63) >> 6;
        var needed = m * words;
        var bits = t_activeBits;
        if (bits is null || bits.Length < needed) t_activeBits = bits = new ulong[Math.Max(needed, 64)];
        var masks = bits.AsSpan(0, needed);
        masks.Clear();
        for (var i = 0; i < width; i++)
        {
            var row = preactivations.Slice(i * m, m);
            var word = i >> 6;
            var bit = 1UL << (i & 63);
            for (var a = 0; a < m; a++)
                if (row[a] > 0) masks[a * words + word] |= bit;
        }
        for (var a = 0; a < m; a++)
        {
            var maskA = masks.Slice(a * words, words);
            var count = 0;
            foreach (var w in maskA) count += BitOperations.PopCount(w);
            active[a] = count;
            for (var b = a + 1; b < m; b++)
            {
                var maskB = masks.Slice(b * words, words);
                var both = 0;
                for (var k = 0; k < words; k++) both += BitOperations.PopCount(maskA[k] & maskB[k]);
                measurement[layout.Correlator(layer, a, b)] = both;
            }
        }
    }

    /// <summary>
    /// Exactly the iteration of <see cref="MeasurementWriter.SymmetricEigenvalues"/> (same sweeps, rotations and
    /// floating-point operations, hence the same bits) for a bitwise symmetric matrix. Each rotation (p, q) of the
    /// plain loop updates columns p, q and then rows p, q; for k ∉ {p, q} the new column entries equal the new row
    /// entries bit for bit (the matrix stays exactly symmetric), so the rows are updated with vectors and copied into
    /// the columns, and the 2 × 2 block is updated in the plain order. A matrix that is not bitwise symmetric takes
    /// the plain path.
    /// </summary>
    public static bool TrySymmetricEigenvalues(Span<double> matrix, int m, Span<double> eigenvalues)
    {
        for (var p = 0; p < m; p++)
            for (var q = p + 1; q < m; q++)
                if (BitConverter.DoubleToInt64Bits(matrix[p * m + q]) != BitConverter.DoubleToInt64Bits(matrix[q * m + p]))
                    return false;
        ref var a = ref MemoryMarshal.GetReference(matrix);
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
                    Rotate(ref a, m, p, q, c, s);
                }
            }
        }
        for (var p = 0; p < m; p++) eigenvalues[p] = matrix[p * m + p];
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rotate(ref double a, int m, int p, int q, double c, double s)
    {
        ref var rowP = ref Unsafe.Add(ref a, p * m);
        ref var rowQ = ref Unsafe.Add(ref a, q * m);
        // The plain column update of the 2 × 2 block (rows p, q of columns p, q), then the row update reads it.
        double bpp = Unsafe.Add(ref rowP, p), bpq = Unsafe.Add(ref rowP, q);
        double bqp = Unsafe.Add(ref rowQ, p), bqq = Unsafe.Add(ref rowQ, q);
        Unsafe.Add(ref rowP, p) = c * bpp - s * bpq;
        Unsafe.Add(ref rowP, q) = s * bpp + c * bpq;
        Unsafe.Add(ref rowQ, p) = c * bqp - s * bqq;
        Unsafe.Add(ref rowQ, q) = s * bqp + c * bqq;
        // Row update over all k (for k ∉ {p, q} the column update did not touch rows p, q).
        var k = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var cv = Vector256.Create(c);
            var sv = Vector256.Create(s);
            for (; k <= m - 4; k += 4)
            {
                var apk = Vector256.LoadUnsafe(ref rowP, (nuint)k);
                var aqk = Vector256.LoadUnsafe(ref rowQ, (nuint)k);
                (cv * apk - sv * aqk).StoreUnsafe(ref rowP, (nuint)k);
                (sv * apk + cv * aqk).StoreUnsafe(ref rowQ, (nuint)k);
            }
        }
        for (; k < m; k++)
        {
            var apk = Unsafe.Add(ref rowP, k);
            var aqk = Unsafe.Add(ref rowQ, k);
            Unsafe.Add(ref rowP, k) = c * apk - s * aqk;
            Unsafe.Add(ref rowQ, k) = s * apk + c * aqk;
        }
        // Columns p, q equal rows p, q off the block.
        for (k = 0; k < m; k++)
        {
            if (k == p || k == q) continue;
            Unsafe.Add(ref a, k * m + p) = Unsafe.Add(ref rowP, k);
            Unsafe.Add(ref a, k * m + q) = Unsafe.Add(ref rowQ, k);
        }
        Unsafe.Add(ref rowP, q) = 0;
        Unsafe.Add(ref rowQ, p) = 0;
    }
}
