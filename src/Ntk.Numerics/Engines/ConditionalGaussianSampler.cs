using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Ntk.Numerics.LinearAlgebra;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;

namespace Ntk.Numerics.Engines;

/// <summary>
/// The conditional engine for Gaussian weights (docs/science.md §3): samples trial t's forward values and backward pass
/// without materializing any weight matrix, at cost O(L·n·m² + L·m³) per network instead of O(m Σ n_l n_{l−1}).
/// It samples exactly the joint law of (z^1, …, z^{L+1}, δ^1, …, δ^L) of the dense network, hence the same law of
/// every statistic of the measurement vector as <see cref="DenseSampler"/> (not the same numbers).
/// </summary>
/// <remarks>
/// <para><b>Forward</b>, l = 1..L+1, H = h^{l−1} (n_{l−1} × m; h^0 = x), s_l = √(2/n_{l−1}): a pivoted Householder QR
/// H P = Q_r R (rank r) gives Z^l = W^l H = U R Pᵀ with U = W^l Q_r, whose entries are iid N(0, s_l²) because Q_r
/// has orthonormal columns and is independent of W^l. So Z^l costs n_l·r Gaussians and O(n m²) flops, and its rows
/// are iid N(0, s_l² HᵀH).</para>
/// <para><b>Backward</b>, after all forward values, l = L+1 down to 2, Δ = δ^l (δ^{L+1} = 1): conditional on the
/// forward values, W^l = U Q_rᵀ + G P⊥ with G iid N(0, s_l²) independent of everything sampled so far (δ^l depends
/// on W^l only through Z^l). Writing Q = [Q_r Q_⊥] for the full Householder basis,
/// (W^l)ᵀ Δ = Q [Uᵀ Δ ; (G Q_⊥)ᵀ Δ], where Uᵀ Δ = Q_rᵀ (W^l)ᵀ Δ = (H⁺)ᵀ Zᵀ Δ expressed in the basis Q_r, and the
/// n_{l−1} − r rows of (G Q_⊥)ᵀ Δ = Q_⊥ᵀ (P⊥ Gᵀ Δ) are iid N(0, s_l² ΔᵀΔ); they are drawn as s_l · G' Fᵀ with
/// F Fᵀ = ΔᵀΔ a pivoted Cholesky factor. Then δ^{l−1} = ξ^{l−1} ⊙ (W^l)ᵀ Δ. No n × n matrix is formed.</para>
/// <para><b>Kernel</b> (docs/science.md §2): K_ab = Σ_{l=1}^{L+1} s_l² (δ^l_a · δ^l_b)(h^{l−1}_a · h^{l−1}_b), from the
/// Gram matrices alone.</para>
/// <para><b>Exact zeros and ties.</b> Before each factorization, inputs whose column is exactly zero (a dead input)
/// are dropped and inputs whose column equals an earlier one bit for bit (identical inputs, θ = 0; the all-ones
/// δ^{L+1}) are mapped onto it. A dead input's z (or (W^l)ᵀ Δ column) is then exactly 0, as W·0 is in the dense
/// network, and tied inputs get bitwise-identical values, so the strict indicator 1[z &gt; 0] is never flipped by
/// rounding residue.</para>
/// <para><b>Order of random draws</b> from <c>RandomStream.For(seed, point, t)</c>, all by <c>FillGaussian</c>:
/// first, for l = 1..L+1, the columns of U/s_l one after the other (basis vector k = 0..r_l−1, each n_l values by
/// unit; r_l = numerical rank of h^{l−1}); then, for l = L+1 down to 2, the columns of G' one after the other
/// (j = 0..ρ_l−1, each n_{l−1} − r_l values; ρ_l = numerical rank of δ^l). Layer 1's backward draws nothing
/// (δ^0 is not used). The counts depend on the trial only through the ranks.</para>
/// <para><b>Storage.</b> Internally vectors are input-major (h^l, δ^l, columns of U and of the QR factor contiguous),
/// so every O(n) loop is a long contiguous dot product or axpy; <see cref="MeasurementWriter"/> reads z^l input-major
/// too (its activity bit sets are the same in either layout).</para>
/// </remarks>
public sealed class ConditionalGaussianSampler : ITrialSampler
{
    /// <summary>
    /// QR rank cut: a column whose residual, after projecting out the pivots so far, has norm ≤ 1e-13 of the largest
    /// column norm is treated as lying in their span. That moves z by ≤ 1e-13 relative (far below any Monte Carlo
    /// resolution) and sits above the ~√n·ε rounding noise of the projection for n up to ~10⁵; it catches exactly
    /// parallel or opposite inputs (θ = 0, π) whose columns are not bitwise ties.
    /// </summary>
    private const double QrRankTolerance = 1e-13;

    /// <summary>
    /// Cholesky rank cut for ΔᵀΔ: stop when the largest remaining pivot is ≤ 1e-13 of the largest diagonal; the
    /// covariance of the sampled rows is then off by at most m·1e-13 relative, above the O(m·ε) rounding of the Gram.
    /// </summary>
    private const double CholeskyRankTolerance = 1e-13;

    private readonly PointDefinition _point;
    private readonly int _depth;
    private readonly int _inputCount;
    private readonly int[] _sizes;             // n_0 .. n_{L+1}
    private readonly double[] _scales;         // _scales[l] = s_l = √(2/n_{l−1}), l = 1..L+1
    private readonly double[][] _post;         // _post[l]: h^l input-major (m × n_l: h[a·n_l + i]), l = 0..L; _post[0] = x
    private readonly double[][] _postGram;     // _postGram[l]: HᵀH of h^l (m × m), l = 0..L
    private readonly double[] _preInputMajor;  // z^l input-major (m × n_l), also what MeasurementWriter reads
    private readonly double[][] _qr;           // _qr[l]: pivoted QR of the distinct non-zero columns of h^{l−1}, column-major
    private readonly double[][] _tau;          // _tau[l]: reflector coefficients of _qr[l]
    private readonly int[] _rank;              // _rank[l] = r_l
    private readonly double[][] _basisDraws;   // _basisDraws[l]: U = W^l Q_r column-major (r_l × n_l: U[k·n_l + i])
    private readonly double[] _rFactor;        // r × m, R expanded to the inputs (column a = R column of a's representative)
    private readonly double[] _delta;          // δ^l input-major
    private readonly double[] _transposedProduct; // (W^l)ᵀ δ^l input-major (m × n_{l−1})
    private readonly double[] _deltaGram;      // m × m
    private int _deltaDistinct;                // number of distinct non-zero columns of δ^l (FactorDeltaGram)
    private readonly double[] _compressedGram; // m' × m' Gram of the representative columns
    private readonly double[] _compressedFactor; // m' × m'
    private readonly double[] _factor;         // m × m, F with F Fᵀ = ΔᵀΔ, rows per input
    private readonly double[] _choleskyWork;   // m × m
    private readonly bool[] _choleskyUsed;     // m
    private readonly double[] _complementDraws; // G' column-major (ρ × (n − r)), ≤ n_max × m
    private readonly int[] _representativeOf;  // input → representative index, −1 for a zero column
    private readonly int[] _representativeColumn; // representative index → input
    private readonly int[] _pivots;            // pivoted position → representative index
    private readonly int[] _positionOf;        // representative index → pivoted position
    private readonly double[] _norms;          // m
    private readonly double[] _kernel;         // m × m
    private readonly double[] _workspace;      // m² + m
    private readonly int[] _counts;            // m
    private readonly int[] _basisOffsets;      // m², the (k, b) pairs of Uᵀ Δ: offset of U_k
    private readonly int[] _deltaOffsets;      // m², offset of Δ_b
    private readonly double[] _products;       // m², their products
    private readonly double[] _fusedProducts = new double[16]; // m ≤ 4: U_k · δ_b of the next layer down at [k·4 + b]

    /// <summary>Allocates every buffer for <paramref name="point"/>; its weight law must be Gaussian.</summary>
    public ConditionalGaussianSampler(PointDefinition point)
    {
        _point = point ?? throw new ArgumentNullException(nameof(point));
        if (point.Network.Law.Kind != WeightLawKind.Gaussian)
            throw new ArgumentException(
                $"engine: conditional requires gaussian weights, but the law is {point.Network.Law.Name}", nameof(point));
        Layout = point.Layout;
        var network = point.Network;
        _depth = network.Depth;
        var m = _inputCount = point.Inputs.Count;
        var layers = _depth + 1;

        _sizes = new int[layers + 1];
        for (var l = 0; l <= layers; l++) _sizes[l] = network.LayerSize(l);
        var widest = _sizes.Max();

        _scales = new double[layers + 1];
        for (var l = 1; l <= layers; l++) _scales[l] = Math.Sqrt(2.0 / _sizes[l - 1]);

        _post = new double[layers][];
        _postGram = new double[layers][];
        for (var l = 0; l < layers; l++)
        {
            _post[l] = new double[_sizes[l] * m];
            _postGram[l] = new double[m * m];
        }
        for (var a = 0; a < m; a++) point.Inputs.Input(a).CopyTo(_post[0].AsSpan(a * _sizes[0], _sizes[0]));
        Gram(_post[0], _sizes[0], m, _postGram[0]);

        _qr = new double[layers + 1][];
        _tau = new double[layers + 1][];
        _basisDraws = new double[layers + 1][];
        _rank = new int[layers + 1];
        _qr[0] = _tau[0] = _basisDraws[0] = [];
        for (var l = 1; l <= layers; l++)
        {
            _qr[l] = new double[_sizes[l - 1] * m];
            _tau[l] = new double[m];
            _basisDraws[l] = new double[_sizes[l] * m];
        }

        _preInputMajor = new double[widest * m];
        _rFactor = new double[m * m];
        _delta = new double[widest * m];
        _transposedProduct = new double[widest * m];
        _deltaGram = new double[m * m];
        _compressedGram = new double[m * m];
        _compressedFactor = new double[m * m];
        _factor = new double[m * m];
        _choleskyWork = new double[m * m];
        _choleskyUsed = new bool[m];
        _complementDraws = new double[widest * m];
        _representativeOf = new int[m];
        _representativeColumn = new int[m];
        _pivots = new int[m];
        _positionOf = new int[m];
        _norms = new double[m];
        _kernel = new double[m * m];
        _workspace = new double[m * m + m];
        _counts = new int[m];
        _basisOffsets = new int[m * m];
        _deltaOffsets = new int[m * m];
        _products = new double[m * m];
    }

    public MeasurementLayout Layout { get; }

    /// <summary>
    /// Samples network <paramref name="trial"/> (≥ 0) and writes its measurement: per layer the activity (from z^l) and
    /// the conditional correlator (from the Gram matrix of h^{l−1}), then the kernel and its spectrum. Allocates nothing.
    /// </summary>
    public void Sample(long trial, Span<double> measurement)
    {
        if (measurement.Length < Layout.Count)
            throw new ArgumentException($"measurement: need {Layout.Count} values", nameof(measurement));
        var stream = RandomStream.For(_point.MasterSeed, _point.PointIndex, trial);
        MeasurementWriter.BeginTrial(Layout, measurement);

        for (var l = 1; l <= _depth + 1; l++)
        {
            SampleForwardLayer(l, ref stream);
            if (l <= _depth)
            {
                MeasurementWriter.WriteLayerActivity(
                    Layout, l, _preInputMajor, _sizes[l], inputMajor: true, measurement, _counts);
                MeasurementWriter.WriteConditionalCorrelator(Layout, l, _postGram[l - 1], measurement);
                MeasurementWriter.WritePatternEqualCond(Layout, l, _postGram[l - 1], _sizes[l], measurement);
            }
        }

        SampleBackwardAndKernel(ref stream);
        MeasurementWriter.WriteKernel(Layout, _kernel, _workspace, measurement);
    }

    /// <summary>
    /// z^l = U R Pᵀ from the pivoted QR of h^{l−1}; for l ≤ L also h^l = relu(z^l) and its Gram matrix.
    /// </summary>
    private void SampleForwardLayer(int l, ref RandomStream stream)
    {
        var m = _inputCount;
        var rows = _sizes[l - 1];
        var width = _sizes[l];
        var previous = _post[l - 1];
        var qr = _qr[l];

        var distinct = FindRepresentatives(previous, rows, _postGram[l - 1]);
        for (var j = 0; j < distinct; j++)
            previous.AsSpan(_representativeColumn[j] * rows, rows).CopyTo(qr.AsSpan(j * rows, rows));
        var rank = _rank[l] = SmallDenseLinearAlgebra.PivotedQr(
            qr, rows, distinct, QrRankTolerance, _tau[l], _pivots, _norms);

        // R expanded to the inputs: column a is the R column of a's representative (zero for a dead input).
        for (var p = 0; p < distinct; p++) _positionOf[_pivots[p]] = p;
        var r = _rFactor.AsSpan(0, rank * m);
        r.Clear();
        for (var a = 0; a < m; a++)
        {
            var representative = _representativeOf[a];
            if (representative < 0) continue;
            var p = _positionOf[representative];
            var last = Math.Min(p, rank - 1);
            for (var k = 0; k <= last; k++) r[k * m + a] = qr[p * rows + k];
        }

        var basis = _basisDraws[l].AsSpan(0, rank * width);
        stream.FillGaussian(basis);
        var scale = _scales[l];
        if (l <= _depth && m <= 4)
        {
            // Scale, z = U R, relu and the Gram of h in one pass per L1-sized chunk, the same operations per element
            // and the same Dot order per Gram entry as the separate passes below (bitwise the same values).
            AssembleHiddenLayer(basis, scale, rank, width, m, r, _representativeOf, _preInputMajor.AsSpan(0, m * width),
                _post[l].AsSpan(0, m * width), _postGram[l]);
            return;
        }
        TensorPrimitives.Multiply(basis, scale, basis); // elementwise: the same products as a scalar loop

        // z_a = Σ_k R_ka U_k. A dead input's z is set to exactly 0, as W·0 is in the dense network; inputs that share a
        // representative get the same operations, hence bitwise-equal z.
        var z = _preInputMajor.AsSpan(0, m * width);
        z.Clear();
        for (var a = 0; a < m; a++)
        {
            if (_representativeOf[a] < 0) continue;
            var column = z.Slice(a * width, width);
            var k = 0;
            for (; k + 1 < rank; k += 2) // two accumulations per pass, in the order of one Axpy after another
                SmallDenseLinearAlgebra.Axpy2(
                    r[k * m + a], basis.Slice(k * width, width), r[(k + 1) * m + a], basis.Slice((k + 1) * width, width), column);
            for (; k < rank; k++)
                SmallDenseLinearAlgebra.Axpy(r[k * m + a], basis.Slice(k * width, width), column);
        }

        if (l > _depth) return;
        var post = _post[l].AsSpan(0, m * width);
        DenseKernels.Gate(z, z, post); // post[e] = z[e] > 0 ? z[e] : 0, branch-free (random signs)
        Gram(post, width, m, _postGram[l]);
    }

    /// <summary>
    /// For m ≤ 4, in one pass over <paramref name="width"/>: U ← s·U (the raw draws, in place), z_a = Σ_k R_ka U_k for
    /// every input with a representative (else exactly 0), h = relu(z) and the Gram matrix of h. Bitwise the separate
    /// passes: the scaling is elementwise; each z element is ((+0 + R_0a U_0) + R_1a U_1) + … in increasing k, as the
    /// cleared vector plus one axpy after another; relu is <see cref="DenseKernels.Gate"/>'s masking; each Gram entry
    /// is <see cref="SmallDenseLinearAlgebra.Dot"/>'s chain (four lane sums over the 4-aligned rows, (s0 + s1) +
    /// (s2 + s3), then the tail in increasing i), all ten kept in registers, so h is never read back.
    /// </summary>
    internal static void AssembleHiddenLayer(
        Span<double> basis, double scale, int rank, int width, int m, ReadOnlySpan<double> r,
        ReadOnlySpan<int> representativeOf, Span<double> z, Span<double> post, Span<double> gram)
    {
        if (m > 4 || basis.Length < rank * width || z.Length < m * width || post.Length < m * width
            || r.Length < rank * m || gram.Length < m * m || representativeOf.Length < m)
            throw new ArgumentException("AssembleHiddenLayer: spans too short or m > 4");
        Span<double> c = stackalloc double[16];
        for (var k = 0; k < rank; k++)
            for (var a = 0; a < m; a++) c[a * 4 + k] = r[k * m + a];
        ref var uRef = ref MemoryMarshal.GetReference(basis);
        ref var zRef = ref MemoryMarshal.GetReference(z);
        ref var hRef = ref MemoryMarshal.GetReference(post);
        var lastU = Math.Max(rank - 1, 0);
        ref var u0 = ref uRef;
        ref var u1 = ref Unsafe.Add(ref uRef, Math.Min(1, lastU) * width);
        ref var u2 = ref Unsafe.Add(ref uRef, Math.Min(2, lastU) * width);
        ref var u3 = ref Unsafe.Add(ref uRef, Math.Min(3, lastU) * width);
        var last = m - 1;
        ref var z0 = ref zRef;
        ref var z1 = ref Unsafe.Add(ref zRef, Math.Min(1, last) * width);
        ref var z2 = ref Unsafe.Add(ref zRef, Math.Min(2, last) * width);
        ref var z3 = ref Unsafe.Add(ref zRef, Math.Min(3, last) * width);
        ref var h0 = ref hRef;
        ref var h1 = ref Unsafe.Add(ref hRef, Math.Min(1, last) * width);
        ref var h2 = ref Unsafe.Add(ref hRef, Math.Min(2, last) * width);
        ref var h3 = ref Unsafe.Add(ref hRef, Math.Min(3, last) * width);
        // A dead input's z and h are exactly 0: all its coefficients 0 and its mask 0 would give ±0 sums, so it is
        // written as +0 through the mask instead (z & 0).
        var live0 = representativeOf[0] >= 0 ? Vector256<double>.AllBitsSet : Vector256<double>.Zero;
        var live1 = m > 1 && representativeOf[1] >= 0 ? Vector256<double>.AllBitsSet : Vector256<double>.Zero;
        var live2 = m > 2 && representativeOf[2] >= 0 ? Vector256<double>.AllBitsSet : Vector256<double>.Zero;
        var live3 = m > 3 && representativeOf[3] >= 0 ? Vector256<double>.AllBitsSet : Vector256<double>.Zero;
        var s = Vector256.Create(scale);
        Vector256<double> c00 = Vector256.Create(c[0]), c01 = Vector256.Create(c[1]), c02 = Vector256.Create(c[2]), c03 = Vector256.Create(c[3]);
        Vector256<double> c10 = Vector256.Create(c[4]), c11 = Vector256.Create(c[5]), c12 = Vector256.Create(c[6]), c13 = Vector256.Create(c[7]);
        Vector256<double> c20 = Vector256.Create(c[8]), c21 = Vector256.Create(c[9]), c22 = Vector256.Create(c[10]), c23 = Vector256.Create(c[11]);
        Vector256<double> c30 = Vector256.Create(c[12]), c31 = Vector256.Create(c[13]), c32 = Vector256.Create(c[14]), c33 = Vector256.Create(c[15]);
        Vector256<double> g00 = default, g01 = default, g02 = default, g03 = default, g11 = default, g12 = default,
            g13 = default, g22 = default, g23 = default, g33 = default;
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // 8 rows at a time: U, z and h elementwise in 8 lanes; each Gram product's lower half (rows i..i+3) then its
            // upper half (rows i+4..i+7) into the 4-lane sums: the order the 4-row loop below would take.
            var s8 = Vector512.Create(scale);
            Vector512<double> e00 = Vector512.Create(c[0]), e01 = Vector512.Create(c[1]), e02 = Vector512.Create(c[2]), e03 = Vector512.Create(c[3]);
            Vector512<double> e10 = Vector512.Create(c[4]), e11 = Vector512.Create(c[5]), e12 = Vector512.Create(c[6]), e13 = Vector512.Create(c[7]);
            Vector512<double> e20 = Vector512.Create(c[8]), e21 = Vector512.Create(c[9]), e22 = Vector512.Create(c[10]), e23 = Vector512.Create(c[11]);
            Vector512<double> e30 = Vector512.Create(c[12]), e31 = Vector512.Create(c[13]), e32 = Vector512.Create(c[14]), e33 = Vector512.Create(c[15]);
            var l0 = Vector512.Create(live0, live0);
            var l1 = Vector512.Create(live1, live1);
            var l2 = Vector512.Create(live2, live2);
            var l3 = Vector512.Create(live3, live3);
            for (; i + 7 < width; i += 8)
            {
                Vector512<double> v0 = default, v1 = default, v2 = default, v3 = default;
                if (rank > 0)
                {
                    v0 = Vector512.LoadUnsafe(ref u0, (nuint)i) * s8;
                    v0.StoreUnsafe(ref u0, (nuint)i);
                    if (rank > 1)
                    {
                        v1 = Vector512.LoadUnsafe(ref u1, (nuint)i) * s8;
                        v1.StoreUnsafe(ref u1, (nuint)i);
                        if (rank > 2)
                        {
                            v2 = Vector512.LoadUnsafe(ref u2, (nuint)i) * s8;
                            v2.StoreUnsafe(ref u2, (nuint)i);
                            if (rank > 3)
                            {
                                v3 = Vector512.LoadUnsafe(ref u3, (nuint)i) * s8;
                                v3.StoreUnsafe(ref u3, (nuint)i);
                            }
                        }
                    }
                }
                var x0 = SmallDenseLinearAlgebra.LinearCombination(rank, v0, v1, v2, v3, e00, e01, e02, e03) & l0;
                x0.StoreUnsafe(ref z0, (nuint)i);
                x0 &= Vector512.GreaterThan(x0, Vector512<double>.Zero);
                x0.StoreUnsafe(ref h0, (nuint)i);
                Accumulate(ref g00, x0 * x0);
                if (m > 1)
                {
                    var x1 = SmallDenseLinearAlgebra.LinearCombination(rank, v0, v1, v2, v3, e10, e11, e12, e13) & l1;
                    x1.StoreUnsafe(ref z1, (nuint)i);
                    x1 &= Vector512.GreaterThan(x1, Vector512<double>.Zero);
                    x1.StoreUnsafe(ref h1, (nuint)i);
                    Accumulate(ref g01, x0 * x1);
                    Accumulate(ref g11, x1 * x1);
                    if (m > 2)
                    {
                        var x2 = SmallDenseLinearAlgebra.LinearCombination(rank, v0, v1, v2, v3, e20, e21, e22, e23) & l2;
                        x2.StoreUnsafe(ref z2, (nuint)i);
                        x2 &= Vector512.GreaterThan(x2, Vector512<double>.Zero);
                        x2.StoreUnsafe(ref h2, (nuint)i);
                        Accumulate(ref g02, x0 * x2);
                        Accumulate(ref g12, x1 * x2);
                        Accumulate(ref g22, x2 * x2);
                        if (m > 3)
                        {
                            var x3 = SmallDenseLinearAlgebra.LinearCombination(rank, v0, v1, v2, v3, e30, e31, e32, e33) & l3;
                            x3.StoreUnsafe(ref z3, (nuint)i);
                            x3 &= Vector512.GreaterThan(x3, Vector512<double>.Zero);
                            x3.StoreUnsafe(ref h3, (nuint)i);
                            Accumulate(ref g03, x0 * x3);
                            Accumulate(ref g13, x1 * x3);
                            Accumulate(ref g23, x2 * x3);
                            Accumulate(ref g33, x3 * x3);
                        }
                    }
                }
            }
        }
        for (; i + 3 < width; i += 4)
        {
            Vector256<double> v0 = default, v1 = default, v2 = default, v3 = default;
            if (rank > 0)
            {
                v0 = Vector256.LoadUnsafe(ref u0, (nuint)i) * s;
                v0.StoreUnsafe(ref u0, (nuint)i);
                if (rank > 1)
                {
                    v1 = Vector256.LoadUnsafe(ref u1, (nuint)i) * s;
                    v1.StoreUnsafe(ref u1, (nuint)i);
                    if (rank > 2)
                    {
                        v2 = Vector256.LoadUnsafe(ref u2, (nuint)i) * s;
                        v2.StoreUnsafe(ref u2, (nuint)i);
                        if (rank > 3)
                        {
                            v3 = Vector256.LoadUnsafe(ref u3, (nuint)i) * s;
                            v3.StoreUnsafe(ref u3, (nuint)i);
                        }
                    }
                }
            }
            var x0 = SmallDenseLinearAlgebra.LinearCombination(rank, v0, v1, v2, v3, c00, c01, c02, c03) & live0;
            x0.StoreUnsafe(ref z0, (nuint)i);
            x0 &= Vector256.GreaterThan(x0, Vector256<double>.Zero);
            x0.StoreUnsafe(ref h0, (nuint)i);
            g00 += x0 * x0;
            if (m > 1)
            {
                var x1 = SmallDenseLinearAlgebra.LinearCombination(rank, v0, v1, v2, v3, c10, c11, c12, c13) & live1;
                x1.StoreUnsafe(ref z1, (nuint)i);
                x1 &= Vector256.GreaterThan(x1, Vector256<double>.Zero);
                x1.StoreUnsafe(ref h1, (nuint)i);
                g01 += x0 * x1;
                g11 += x1 * x1;
                if (m > 2)
                {
                    var x2 = SmallDenseLinearAlgebra.LinearCombination(rank, v0, v1, v2, v3, c20, c21, c22, c23) & live2;
                    x2.StoreUnsafe(ref z2, (nuint)i);
                    x2 &= Vector256.GreaterThan(x2, Vector256<double>.Zero);
                    x2.StoreUnsafe(ref h2, (nuint)i);
                    g02 += x0 * x2;
                    g12 += x1 * x2;
                    g22 += x2 * x2;
                    if (m > 3)
                    {
                        var x3 = SmallDenseLinearAlgebra.LinearCombination(rank, v0, v1, v2, v3, c30, c31, c32, c33) & live3;
                        x3.StoreUnsafe(ref z3, (nuint)i);
                        x3 &= Vector256.GreaterThan(x3, Vector256<double>.Zero);
                        x3.StoreUnsafe(ref h3, (nuint)i);
                        g03 += x0 * x3;
                        g13 += x1 * x3;
                        g23 += x2 * x3;
                        g33 += x3 * x3;
                    }
                }
            }
        }
        Span<double> g = stackalloc double[16];
        g[0] = Combine(g00); g[1] = Combine(g01); g[2] = Combine(g02); g[3] = Combine(g03);
        g[5] = Combine(g11); g[6] = Combine(g12); g[7] = Combine(g13);
        g[10] = Combine(g22); g[11] = Combine(g23); g[15] = Combine(g33);
        Span<double> x = stackalloc double[4];
        for (; i < width; i++)
        {
            for (var k = 0; k < rank; k++) basis[k * width + i] *= scale;
            for (var a = 0; a < m; a++)
            {
                var sum = 0.0;
                if (representativeOf[a] >= 0)
                    for (var k = 0; k < rank; k++) sum += c[a * 4 + k] * basis[k * width + i];
                z[a * width + i] = sum;
                x[a] = sum > 0 ? sum : 0.0;
                post[a * width + i] = x[a];
            }
            for (var a = 0; a < m; a++)
                for (var b = a; b < m; b++) g[a * 4 + b] += x[a] * x[b];
        }
        for (var a = 0; a < m; a++)
            for (var b = a; b < m; b++) gram[a * m + b] = gram[b * m + a] = g[a * 4 + b];
    }

    /// <summary>sums += the lower half of the 8 products, then += their upper half (rows i..i+3, then i+4..i+7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref Vector256<double> sums, Vector512<double> products)
    {
        sums += products.GetLower();
        sums += products.GetUpper();
    }

    /// <summary>
    /// For m ≤ 4, in one pass over the rows: δ_a = h_a &gt; 0 ? T[representativeOf[a]] : +0 (+0 throughout for a dead
    /// δ column: its T column would be exactly 0), the Gram matrix of δ, and products[k·4 + b] = U_k · δ_b for every
    /// k &lt; rank and input b. Bitwise <see cref="DenseKernels.Gate"/>, <see cref="Gram"/> and
    /// <see cref="SmallDenseLinearAlgebra.DotBatch"/>: each sum is <see cref="SmallDenseLinearAlgebra.Dot"/>'s chain
    /// (four lane sums over the 4-aligned rows, (s0 + s1) + (s2 + s3), then the tail), only all of them side by side:
    /// each δ and U value is loaded once for up to 26 sums.
    /// </summary>
    internal static void GateGramAndProducts(
        ReadOnlySpan<double> t, int rows, int m, ReadOnlySpan<int> representativeOf, ReadOnlySpan<double> post,
        Span<double> delta, ReadOnlySpan<double> basis, int rank, Span<double> gram, Span<double> products)
    {
        if (m > 4 || rank > 4 || delta.Length < m * rows || post.Length < m * rows || basis.Length < rank * rows
            || gram.Length < m * m || products.Length < 16 || representativeOf.Length < m)
            throw new ArgumentException("GateGramAndProducts: spans too short or m > 4");
        for (var a = 0; a < m; a++)
            if (representativeOf[a] >= 0 && (long)(representativeOf[a] + 1) * rows > t.Length)
                throw new ArgumentException("GateGramAndProducts: T too short");
        ref var tRef = ref MemoryMarshal.GetReference(t);
        ref var hRef = ref MemoryMarshal.GetReference(post);
        ref var dRef = ref MemoryMarshal.GetReference(delta);
        ref var uRef = ref MemoryMarshal.GetReference(basis);
        // Per input: its T column (any valid column for a dead input, whose mask is forced to 0).
        var live0 = representativeOf[0] >= 0;
        var live1 = m > 1 && representativeOf[1] >= 0;
        var live2 = m > 2 && representativeOf[2] >= 0;
        var live3 = m > 3 && representativeOf[3] >= 0;
        ref var t0 = ref Unsafe.Add(ref tRef, Math.Max(representativeOf[0], 0) * rows);
        ref var t1 = ref Unsafe.Add(ref tRef, (m > 1 ? Math.Max(representativeOf[1], 0) : 0) * rows);
        ref var t2 = ref Unsafe.Add(ref tRef, (m > 2 ? Math.Max(representativeOf[2], 0) : 0) * rows);
        ref var t3 = ref Unsafe.Add(ref tRef, (m > 3 ? Math.Max(representativeOf[3], 0) : 0) * rows);
        var last = m - 1;
        ref var h0 = ref hRef;
        ref var h1 = ref Unsafe.Add(ref hRef, Math.Min(1, last) * rows);
        ref var h2 = ref Unsafe.Add(ref hRef, Math.Min(2, last) * rows);
        ref var h3 = ref Unsafe.Add(ref hRef, Math.Min(3, last) * rows);
        ref var d0 = ref dRef;
        ref var d1 = ref Unsafe.Add(ref dRef, Math.Min(1, last) * rows);
        ref var d2 = ref Unsafe.Add(ref dRef, Math.Min(2, last) * rows);
        ref var d3 = ref Unsafe.Add(ref dRef, Math.Min(3, last) * rows);
        var lastU = Math.Max(rank - 1, 0);
        ref var u0 = ref uRef;
        ref var u1 = ref Unsafe.Add(ref uRef, Math.Min(1, lastU) * rows);
        ref var u2 = ref Unsafe.Add(ref uRef, Math.Min(2, lastU) * rows);
        ref var u3 = ref Unsafe.Add(ref uRef, Math.Min(3, lastU) * rows);
        var m0 = live0 ? Vector256<double>.AllBitsSet : Vector256<double>.Zero;
        var m1 = live1 ? Vector256<double>.AllBitsSet : Vector256<double>.Zero;
        var m2 = live2 ? Vector256<double>.AllBitsSet : Vector256<double>.Zero;
        var m3 = live3 ? Vector256<double>.AllBitsSet : Vector256<double>.Zero;

        Vector256<double> g00 = default, g01 = default, g02 = default, g03 = default, g11 = default, g12 = default,
            g13 = default, g22 = default, g23 = default, g33 = default;
        Vector256<double> p00 = default, p01 = default, p02 = default, p03 = default, p10 = default, p11 = default,
            p12 = default, p13 = default, p20 = default, p21 = default, p22 = default, p23 = default, p30 = default,
            p31 = default, p32 = default, p33 = default;
        var i = 0;
        for (; i + 3 < rows; i += 4)
        {
            var x0 = Vector256.LoadUnsafe(ref t0, (nuint)i) & Vector256.GreaterThan(Vector256.LoadUnsafe(ref h0, (nuint)i), Vector256<double>.Zero) & m0;
            x0.StoreUnsafe(ref d0, (nuint)i);
            g00 += x0 * x0;
            Vector256<double> x1 = default, x2 = default, x3 = default;
            if (m > 1)
            {
                x1 = Vector256.LoadUnsafe(ref t1, (nuint)i) & Vector256.GreaterThan(Vector256.LoadUnsafe(ref h1, (nuint)i), Vector256<double>.Zero) & m1;
                x1.StoreUnsafe(ref d1, (nuint)i);
                g01 += x0 * x1;
                g11 += x1 * x1;
                if (m > 2)
                {
                    x2 = Vector256.LoadUnsafe(ref t2, (nuint)i) & Vector256.GreaterThan(Vector256.LoadUnsafe(ref h2, (nuint)i), Vector256<double>.Zero) & m2;
                    x2.StoreUnsafe(ref d2, (nuint)i);
                    g02 += x0 * x2;
                    g12 += x1 * x2;
                    g22 += x2 * x2;
                    if (m > 3)
                    {
                        x3 = Vector256.LoadUnsafe(ref t3, (nuint)i) & Vector256.GreaterThan(Vector256.LoadUnsafe(ref h3, (nuint)i), Vector256<double>.Zero) & m3;
                        x3.StoreUnsafe(ref d3, (nuint)i);
                        g03 += x0 * x3;
                        g13 += x1 * x3;
                        g23 += x2 * x3;
                        g33 += x3 * x3;
                    }
                }
            }
            // rank ≤ m: U_k · δ_b for b < m only (the other sums stay 0 and are never read).
            if (rank > 0)
            {
                var u = Vector256.LoadUnsafe(ref u0, (nuint)i);
                p00 += u * x0;
                if (m > 1)
                {
                    p01 += u * x1;
                    if (m > 2)
                    {
                        p02 += u * x2;
                        if (m > 3) p03 += u * x3;
                    }
                }
                if (rank > 1)
                {
                    u = Vector256.LoadUnsafe(ref u1, (nuint)i);
                    p10 += u * x0;
                    p11 += u * x1;
                    if (m > 2)
                    {
                        p12 += u * x2;
                        if (m > 3) p13 += u * x3;
                    }
                    if (rank > 2)
                    {
                        u = Vector256.LoadUnsafe(ref u2, (nuint)i);
                        p20 += u * x0; p21 += u * x1; p22 += u * x2;
                        if (m > 3) p23 += u * x3;
                        if (rank > 3)
                        {
                            u = Vector256.LoadUnsafe(ref u3, (nuint)i);
                            p30 += u * x0; p31 += u * x1; p32 += u * x2; p33 += u * x3;
                        }
                    }
                }
            }
        }
        Span<double> g = stackalloc double[16];
        Span<double> p = stackalloc double[16];
        g[0] = Combine(g00); g[1] = Combine(g01); g[2] = Combine(g02); g[3] = Combine(g03);
        g[5] = Combine(g11); g[6] = Combine(g12); g[7] = Combine(g13);
        g[10] = Combine(g22); g[11] = Combine(g23); g[15] = Combine(g33);
        p[0] = Combine(p00); p[1] = Combine(p01); p[2] = Combine(p02); p[3] = Combine(p03);
        p[4] = Combine(p10); p[5] = Combine(p11); p[6] = Combine(p12); p[7] = Combine(p13);
        p[8] = Combine(p20); p[9] = Combine(p21); p[10] = Combine(p22); p[11] = Combine(p23);
        p[12] = Combine(p30); p[13] = Combine(p31); p[14] = Combine(p32); p[15] = Combine(p33);
        Span<double> x = stackalloc double[4];
        for (; i < rows; i++)
        {
            for (var a = 0; a < m; a++)
            {
                var live = representativeOf[a] >= 0;
                var value = live ? t[representativeOf[a] * rows + i] : 0.0;
                x[a] = live && post[a * rows + i] > 0 ? value : 0.0;
                delta[a * rows + i] = x[a];
            }
            for (var a = 0; a < m; a++)
                for (var b = a; b < m; b++) g[a * 4 + b] += x[a] * x[b];
            for (var k = 0; k < rank; k++)
            {
                var u = basis[k * rows + i];
                for (var b = 0; b < m; b++) p[k * 4 + b] += u * x[b];
            }
        }
        for (var a = 0; a < m; a++)
            for (var b = a; b < m; b++) gram[a * m + b] = gram[b * m + a] = g[a * 4 + b];
        p.CopyTo(products);
    }

    /// <summary>(s0 + s1) + (s2 + s3): <see cref="SmallDenseLinearAlgebra.Dot"/>'s combination of its lane sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Combine(Vector256<double> s) => DenseKernels.LaneSum(s);

    /// <summary>Backward pass from the output layer down, accumulating K = Σ_l s_l² (ΔᵀΔ) ∘ (HᵀH).</summary>
    private void SampleBackwardAndKernel(ref RandomStream stream)
    {
        var m = _inputCount;
        var kernel = _kernel.AsSpan();
        kernel.Clear();
        Span<double> coefficients = stackalloc double[16]; // scale · F row of each T column, m ≤ 4
        var fusedNext = false;
        _delta.AsSpan(0, m).Fill(1.0); // δ^{L+1} = 1 for every input (n_{L+1} = 1).

        for (var l = _depth + 1; l >= 1; l--)
        {
            var width = _sizes[l];
            var rows = _sizes[l - 1];
            var delta = _delta.AsSpan(0, m * width);
            var fused = fusedNext; // δ^l's Gram and its products with U of layer l came with the mask of the layer above
            fusedNext = false;
            if (!fused) Gram(delta, width, m, _deltaGram);

            var variance = _scales[l] * _scales[l];
            var previousGram = _postGram[l - 1];
            for (var e = 0; e < m * m; e++) kernel[e] += variance * _deltaGram[e] * previousGram[e];
            if (l == 1) break;

            var rank = _rank[l];
            var basis = _basisDraws[l].AsSpan(0, rank * width);
            var complementRows = rows - rank;
            var factorRank = FactorDeltaGram(delta, width);
            var draws = _complementDraws.AsSpan(0, factorRank * complementRows);
            stream.FillGaussian(draws);
            var scale = _scales[l];

            // T (rows × m, column-major): top r rows Uᵀ Δ = Q_rᵀ (W^l)ᵀ Δ, fixed by the forward values; the other rows
            // Q_⊥ᵀ P⊥ Gᵀ Δ, iid N(0, s_l² ΔᵀΔ), drawn as s_l G' Fᵀ. Then (W^l)ᵀ Δ = Q T.
            var t = _transposedProduct.AsSpan(0, m * rows);
            // Only the distinct non-zero columns of Δ (FactorDeltaGram's representatives) get a column of T: a tied
            // input's column would be the same operations on bitwise-equal data, a dead one's is exactly 0 (below).
            var distinct = _deltaDistinct;
            // Every Uᵀ Δ entry at once: independent Dot chains, four side by side (DotBatch).
            var pairs = 0;
            for (var j = 0; j < distinct; j++)
            {
                var b = _representativeColumn[j];
                for (var k = 0; k < rank; k++)
                {
                    _basisOffsets[pairs] = k * width;
                    _deltaOffsets[pairs++] = b * width;
                }
            }
            if (fused) // all rank × m products are there (input-major: _fusedProducts[k·4 + b]); take the ones needed
                for (var p = 0; p < pairs; p++)
                    _products[p] = _fusedProducts[_basisOffsets[p] / width * 4 + _deltaOffsets[p] / width];
            else
                SmallDenseLinearAlgebra.DotBatch(
                    basis, delta, width, _basisOffsets.AsSpan(0, pairs), _deltaOffsets.AsSpan(0, pairs), _products);
            pairs = 0;
            if (distinct <= 4 && factorRank <= 4)
            {
                // The bottom rows are filled in the pass that takes the last reflector's products (bitwise the axpys
                // below, see FillBottomAndApplyQ).
                for (var c = 0; c < distinct; c++)
                {
                    var b = _representativeColumn[c];
                    for (var k = 0; k < rank; k++) t[c * rows + k] = _products[pairs++];
                    for (var j = 0; j < factorRank; j++) coefficients[4 * c + j] = scale * _factor[b * m + j];
                }
                SmallDenseLinearAlgebra.FillBottomAndApplyQ(
                    _qr[l], rows, rank, _tau[l], t, distinct, draws, factorRank, coefficients);
            }
            else
            {
                for (var c = 0; c < distinct; c++)
                {
                    var b = _representativeColumn[c];
                    var column = t.Slice(c * rows, rows);
                    for (var k = 0; k < rank; k++) column[k] = _products[pairs++];
                    var bottom = column[rank..];
                    bottom.Clear();
                    var j = 0;
                    for (; j + 1 < factorRank; j += 2) // two accumulations per pass, in the order of one Axpy after another
                        SmallDenseLinearAlgebra.Axpy2(
                            scale * _factor[b * m + j], draws.Slice(j * complementRows, complementRows),
                            scale * _factor[b * m + j + 1], draws.Slice((j + 1) * complementRows, complementRows), bottom);
                    for (; j < factorRank; j++)
                        SmallDenseLinearAlgebra.Axpy(
                            scale * _factor[b * m + j], draws.Slice(j * complementRows, complementRows), bottom);
                }
                SmallDenseLinearAlgebra.ApplyQFused(_qr[l], rows, rank, _tau[l], t, distinct);
            }

            // δ^{l−1} = ξ^{l−1} ⊙ (W^l)ᵀ δ^l, with ξ = 1[z > 0] ⇔ h > 0; a dead δ^l_a gives (W^l)ᵀ δ^l_a = 0 exactly, and
            // the mask of +0 is +0.
            var post = _post[l - 1];
            if (m <= 4 && distinct > 0)
            {
                // The mask, δ^{l−1}'s Gram and (for l − 1 ≥ 2) its products with U of layer l − 1, in one pass.
                var nextRank = l - 1 >= 2 ? _rank[l - 1] : 0;
                GateGramAndProducts(t, rows, m, _representativeOf, post, _delta, _basisDraws[l - 1], nextRank,
                    _deltaGram, _fusedProducts);
                fusedNext = true;
                continue;
            }
            for (var a = 0; a < m; a++)
            {
                var next = _delta.AsSpan(a * rows, rows);
                var representative = _representativeOf[a];
                if (representative < 0) next.Clear();
                else DenseKernels.Gate(post.AsSpan(a * rows, rows), t.Slice(representative * rows, rows), next);
            }
        }
    }

    /// <summary>
    /// Writes F (m × ρ, rows per input, in <see cref="_factor"/>) with F Fᵀ = ΔᵀΔ via pivoted Cholesky of the distinct
    /// non-zero columns of Δ (input-major, <paramref name="rows"/> long); a zero column gets a zero row, tied columns
    /// identical rows. Leaves <see cref="_representativeOf"/> describing Δ. Returns ρ.
    /// </summary>
    private int FactorDeltaGram(ReadOnlySpan<double> delta, int rows)
    {
        var m = _inputCount;
        var distinct = _deltaDistinct = FindRepresentatives(delta, rows, _deltaGram);
        var compressed = _compressedGram.AsSpan(0, distinct * distinct);
        for (var j = 0; j < distinct; j++)
            for (var k = 0; k < distinct; k++)
                compressed[j * distinct + k] = _deltaGram[_representativeColumn[j] * m + _representativeColumn[k]];
        var rank = SmallDenseLinearAlgebra.PivotedCholesky(
            compressed, distinct, CholeskyRankTolerance, _compressedFactor, _choleskyWork, _choleskyUsed);

        for (var a = 0; a < m; a++)
        {
            var row = _factor.AsSpan(a * m, m);
            row.Clear();
            var representative = _representativeOf[a];
            if (representative >= 0) _compressedFactor.AsSpan(representative * distinct, rank).CopyTo(row);
        }
        return rank;
    }

    /// <summary>
    /// Groups the m columns of X (input-major: column a is x[a·rows .. (a+1)·rows)) with Gram matrix
    /// <paramref name="gram"/>: a zero column gets representative −1; a column bitwise equal to an earlier
    /// representative's column shares it; any other column becomes a new representative. Fills
    /// <see cref="_representativeOf"/> and <see cref="_representativeColumn"/>; returns the number of representatives.
    /// </summary>
    private int FindRepresentatives(ReadOnlySpan<double> x, int rows, ReadOnlySpan<double> gram)
    {
        var m = _inputCount;
        var count = 0;
        for (var a = 0; a < m; a++)
        {
            var norm2 = gram[a * m + a];
            if (!(norm2 > 0))
            {
                _representativeOf[a] = -1;
                continue;
            }
            var found = -1;
            var column = x.Slice(a * rows, rows);
            for (var j = 0; j < count && found < 0; j++)
            {
                var b = _representativeColumn[j];
                // Equal columns have equal Gram entries; only then compare them element by element.
                if (gram[b * m + b] != norm2 || gram[a * m + b] != norm2) continue;
                if (column.SequenceEqual(x.Slice(b * rows, rows))) found = j;
            }
            if (found >= 0) _representativeOf[a] = found;
            else
            {
                _representativeOf[a] = count;
                _representativeColumn[count++] = a;
            }
        }
        return count;
    }

    /// <summary>
    /// G = XᵀX (m × m, full symmetric) for X input-major (column a = x[a·rows .. (a+1)·rows)). A zero column gives an
    /// exactly-zero row and column; equal columns give bitwise-equal rows (same operations in the same order).
    /// </summary>
    /// <remarks>
    /// Each entry is bitwise <see cref="SmallDenseLinearAlgebra.Dot"/>(x_a, x_b) (four interleaved lane sums, multiply
    /// then add, (s0 + s1) + (s2 + s3), then the tail); up to four entries of a row are accumulated together so that
    /// each load of x_a feeds four independent sums instead of one latency-bound chain.
    /// </remarks>
    internal static void Gram(ReadOnlySpan<double> x, int rows, int m, Span<double> gram)
    {
        if (m <= 4)
        {
            // At most 10 entries: all of them as independent Dot chains four at a time (DotBatch) rather than row by
            // row, where m ≤ 3 would leave each entry a chain of its own, waiting on one adder.
            Span<int> first = stackalloc int[10];
            Span<int> second = stackalloc int[10];
            Span<double> products = stackalloc double[10];
            var count = 0;
            for (var a = 0; a < m; a++)
                for (var b = a; b < m; b++)
                {
                    first[count] = a * rows;
                    second[count++] = b * rows;
                }
            SmallDenseLinearAlgebra.DotBatch(x, x, rows, first[..count], second[..count], products);
            count = 0;
            for (var a = 0; a < m; a++)
                for (var b = a; b < m; b++)
                    gram[a * m + b] = gram[b * m + a] = products[count++];
            return;
        }
        Span<int> rowOffsets = stackalloc int[4];
        Span<int> columnOffsets = stackalloc int[4];
        for (var a = 0; a < m; a++)
        {
            rowOffsets.Fill(a * rows);
            var b = a;
            for (; b + 3 < m; b += 4)
            {
                for (var j = 0; j < 4; j++) columnOffsets[j] = (b + j) * rows;
                SmallDenseLinearAlgebra.DotBatch(x, x, rows, rowOffsets, columnOffsets, gram.Slice(a * m + b, 4));
            }
            for (; b < m; b++) gram[a * m + b] = SmallDenseLinearAlgebra.Dot(x.Slice(a * rows, rows), x.Slice(b * rows, rows));
            for (b = a + 1; b < m; b++) gram[b * m + a] = gram[a * m + b];
        }
    }
}
