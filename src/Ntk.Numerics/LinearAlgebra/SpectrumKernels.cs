using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Ntk.Numerics.LinearAlgebra;

/// <summary>
/// Row kernels of the Householder tridiagonalization in <see cref="SymmetricEigensolver.TridiagonalQlEigenvalues"/>.
/// Every element is computed with the scalar operations of the textbook loop (a multiply, then an add or subtract;
/// never fused), only 8 (or <see cref="Vector{T}"/>.Count) elements at a time, so the result is bitwise the scalar
/// loop's on every machine and vector width.
/// </summary>
internal static class SpectrumKernels
{
    /// <summary>target[i] ← target[i] + row[i] · scale for i &lt; target.Length (multiply, then add).</summary>
    public static void AddScaled(Span<double> target, ReadOnlySpan<double> row, double scale)
    {
        var length = target.Length;
        if (row.Length < length) throw new ArgumentException("AddScaled: row too short", nameof(row));
        ref var t = ref MemoryMarshal.GetReference(target);
        ref var r = ref MemoryMarshal.GetReference(row);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(scale);
            for (; i <= length - 8; i += 8)
                (Vector512.LoadUnsafe(ref t, (nuint)i) + Vector512.LoadUnsafe(ref r, (nuint)i) * s).StoreUnsafe(ref t, (nuint)i);
        }
        else if (Vector.IsHardwareAccelerated)
        {
            var s = new Vector<double>(scale);
            for (; i <= length - Vector<double>.Count; i += Vector<double>.Count)
                (Vector.LoadUnsafe(ref t, (nuint)i) + Vector.LoadUnsafe(ref r, (nuint)i) * s).StoreUnsafe(ref t, (nuint)i);
        }
        for (; i < length; i++) Unsafe.Add(ref t, i) += Unsafe.Add(ref r, i) * scale;
    }

    /// <summary>
    /// target[i] ← (((target[i] + r0[i]·s0) + r1[i]·s1) + r2[i]·s2) + r3[i]·s3: four <see cref="AddScaled"/> calls in
    /// that order, with one load and store of the target instead of four.
    /// </summary>
    public static void AddScaled4(
        Span<double> target, ReadOnlySpan<double> r0, ReadOnlySpan<double> r1, ReadOnlySpan<double> r2,
        ReadOnlySpan<double> r3, double s0, double s1, double s2, double s3)
    {
        var length = target.Length;
        if (r0.Length < length || r1.Length < length || r2.Length < length || r3.Length < length)
            throw new ArgumentException("AddScaled4: row too short");
        ref var t = ref MemoryMarshal.GetReference(target);
        ref var a = ref MemoryMarshal.GetReference(r0);
        ref var b = ref MemoryMarshal.GetReference(r1);
        ref var c = ref MemoryMarshal.GetReference(r2);
        ref var d = ref MemoryMarshal.GetReference(r3);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<double> v0 = Vector512.Create(s0), v1 = Vector512.Create(s1);
            Vector512<double> v2 = Vector512.Create(s2), v3 = Vector512.Create(s3);
            for (; i <= length - 8; i += 8)
            {
                var sum = Vector512.LoadUnsafe(ref t, (nuint)i) + Vector512.LoadUnsafe(ref a, (nuint)i) * v0;
                sum += Vector512.LoadUnsafe(ref b, (nuint)i) * v1;
                sum += Vector512.LoadUnsafe(ref c, (nuint)i) * v2;
                (sum + Vector512.LoadUnsafe(ref d, (nuint)i) * v3).StoreUnsafe(ref t, (nuint)i);
            }
        }
        else if (Vector.IsHardwareAccelerated)
        {
            Vector<double> v0 = new(s0), v1 = new(s1), v2 = new(s2), v3 = new(s3);
            for (; i <= length - Vector<double>.Count; i += Vector<double>.Count)
            {
                var sum = Vector.LoadUnsafe(ref t, (nuint)i) + Vector.LoadUnsafe(ref a, (nuint)i) * v0;
                sum += Vector.LoadUnsafe(ref b, (nuint)i) * v1;
                sum += Vector.LoadUnsafe(ref c, (nuint)i) * v2;
                (sum + Vector.LoadUnsafe(ref d, (nuint)i) * v3).StoreUnsafe(ref t, (nuint)i);
            }
        }
        for (; i < length; i++)
        {
            var sum = Unsafe.Add(ref t, i) + Unsafe.Add(ref a, i) * s0;
            sum += Unsafe.Add(ref b, i) * s1;
            sum += Unsafe.Add(ref c, i) * s2;
            Unsafe.Add(ref t, i) = sum + Unsafe.Add(ref d, i) * s3;
        }
    }

    /// <summary>
    /// Row <paramref name="index"/> of the symmetric rank-2 update A ← A − v wᵀ − w vᵀ, with the textbook loop's
    /// rounding: row[j] ← (row[j] − v_i w_j) − w_i v_j for j ≤ i (the lower triangle) and, for j &gt; i, the mirror of
    /// entry (j, i), (row[j] − w_i v_j) − v_i w_j (the same two products, which commute exactly), so the updated
    /// matrix stays exactly symmetric.
    /// </summary>
    public static void SymmetricRankTwoRow(Span<double> row, ReadOnlySpan<double> v, ReadOnlySpan<double> w, int index)
    {
        var length = row.Length;
        if (v.Length < length || w.Length < length || (uint)index >= (uint)length)
            throw new ArgumentException("SymmetricRankTwoRow: spans too short or index outside the row");
        ref var r = ref MemoryMarshal.GetReference(row);
        ref var vRef = ref MemoryMarshal.GetReference(v);
        ref var wRef = ref MemoryMarshal.GetReference(w);
        var vi = v[index];
        var wi = w[index];
        if (Vector512.IsHardwareAccelerated && length >= 8)
        {
            // Whole vectors below the diagonal, the vector holding it (both formulas, selected lane by lane), whole
            // vectors above it, then the scalar tail: no scalar split at the diagonal.
            var j = 0;
            Vector512<double> viv = Vector512.Create(vi), wiv = Vector512.Create(wi);
            for (; j <= index - 7; j += 8)
            {
                var value = Vector512.LoadUnsafe(ref r, (nuint)j) - viv * Vector512.LoadUnsafe(ref wRef, (nuint)j);
                (value - wiv * Vector512.LoadUnsafe(ref vRef, (nuint)j)).StoreUnsafe(ref r, (nuint)j);
            }
            if (j <= length - 8)
            {
                var current = Vector512.LoadUnsafe(ref r, (nuint)j);
                var wj = Vector512.LoadUnsafe(ref wRef, (nuint)j);
                var vj = Vector512.LoadUnsafe(ref vRef, (nuint)j);
                var lower = (current - viv * wj) - wiv * vj;
                var upper = (current - wiv * vj) - viv * wj;
                var lanes = Vector512.Create(0L, 1, 2, 3, 4, 5, 6, 7) + Vector512.Create((long)j);
                var isLower = Vector512.LessThanOrEqual(lanes, Vector512.Create((long)index)).AsDouble();
                Vector512.ConditionalSelect(isLower, lower, upper).StoreUnsafe(ref r, (nuint)j);
                j += 8;
                for (; j <= length - 8; j += 8)
                {
                    var value = Vector512.LoadUnsafe(ref r, (nuint)j) - wiv * Vector512.LoadUnsafe(ref vRef, (nuint)j);
                    (value - viv * Vector512.LoadUnsafe(ref wRef, (nuint)j)).StoreUnsafe(ref r, (nuint)j);
                }
            }
            for (; j < length; j++)
                Unsafe.Add(ref r, j) = j <= index
                    ? (Unsafe.Add(ref r, j) - vi * Unsafe.Add(ref wRef, j)) - wi * Unsafe.Add(ref vRef, j)
                    : (Unsafe.Add(ref r, j) - wi * Unsafe.Add(ref vRef, j)) - vi * Unsafe.Add(ref wRef, j);
            return;
        }
        // j ≤ index: (r − v_i w_j) − w_i v_j.
        Update(ref r, ref wRef, ref vRef, vi, wi, 0, index + 1);
        // j > index: (r − w_i v_j) − v_i w_j.
        Update(ref r, ref vRef, ref wRef, wi, vi, index + 1, length);
    }

    /// <summary>r[j] ← (r[j] − s · x[j]) − u · y[j] for start ≤ j &lt; end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(ref double r, ref double x, ref double y, double s, double u, int start, int end)
    {
        var j = start;
        if (Vector512.IsHardwareAccelerated)
        {
            var sv = Vector512.Create(s);
            var uv = Vector512.Create(u);
            for (; j <= end - 8; j += 8)
            {
                var value = Vector512.LoadUnsafe(ref r, (nuint)j) - sv * Vector512.LoadUnsafe(ref x, (nuint)j);
                (value - uv * Vector512.LoadUnsafe(ref y, (nuint)j)).StoreUnsafe(ref r, (nuint)j);
            }
        }
        else if (Vector.IsHardwareAccelerated)
        {
            var sv = new Vector<double>(s);
            var uv = new Vector<double>(u);
            for (; j <= end - Vector<double>.Count; j += Vector<double>.Count)
            {
                var value = Vector.LoadUnsafe(ref r, (nuint)j) - sv * Vector.LoadUnsafe(ref x, (nuint)j);
                (value - uv * Vector.LoadUnsafe(ref y, (nuint)j)).StoreUnsafe(ref r, (nuint)j);
            }
        }
        for (; j < end; j++)
            Unsafe.Add(ref r, j) = (Unsafe.Add(ref r, j) - s * Unsafe.Add(ref x, j)) - u * Unsafe.Add(ref y, j);
    }
}
