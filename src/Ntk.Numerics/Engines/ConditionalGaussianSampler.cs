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
/// <para><b>Gram path</b> (m ≤ 4, when the pivoted Cholesky F Fᵀ = HᵀH of the distinct columns has every pivot above
/// <see cref="GramPathTolerance"/>; docs/numerics.md §13): the same law without the QR. Forward Z^l = U Fᵀ with
/// Q_r = H F⁻ᵀ implied; backward (W^l)ᵀ Δ_b = Y_b + H c_b with Y_b = s_l Σ_j Φ_bj X_j (X: ρ columns of n_{l−1} fresh
/// draws, Φ Φᵀ = ΔᵀΔ) and c_b = F⁻ᵀ (Uᵀ Δ_b − F⁻¹ Hᵀ Y_b), i.e. Q_r Uᵀ Δ_b + P⊥ Y_b. The choice depends on H only,
/// which the layer is conditioned on. Its passes, and for m ≤ 4 the forward and mask/Gram passes of every layer, use
/// the fused order of <see cref="FusedKernels"/>.</para>
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
/// (j = 0..ρ_l−1, each n_{l−1} − r_l values on the QR path, n_{l−1} values on the Gram path; ρ_l = numerical rank of
/// δ^l). Layer 1's backward draws nothing (δ^0 is not used). The counts depend on the trial only through the ranks and
/// the paths. The numbers these draws become are versioned by <see cref="EngineVersions"/>.</para>
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

    /// <summary>
    /// Gram-path cut (m ≤ 4): layer l samples through the Cholesky factor of h^{l−1}'s Gram matrix only when every
    /// pivot of its pivoted Cholesky exceeds 1e-6 of the largest diagonal entry, i.e. when no column of h^{l−1} lies
    /// within an angle of ~1e-3 of the span of the others. Then κ(h)² ≲ m·10⁶ and the projections of the backward pass,
    /// formed from the Gram matrix, are accurate to ~κ²·ε ≲ 1e-9 relative (docs/numerics.md §13); any other layer
    /// (ties are merged before, so: nearly or exactly dependent inputs, too few rows) takes the Householder QR.
    /// </summary>
    private const double GramPathTolerance = 1e-6;

    /// <summary>
    /// Up to this many inputs the forward and backward passes take the fused kernels of <see cref="FusedKernels"/> (at
    /// most 4 × 4 chains in registers), and a layer may take the Gram path; above it, the Householder QR at every layer.
    /// </summary>
    internal const int FusedUpTo = 4;

    /// <summary>
    /// The one-fill plan (<see cref="BeginDraws"/>) is used up to this many draws per trial (64 KB): it saves a fixed
    /// cost per fill, which only small fills feel, while a trial's draws made up front must wait in the cache, which at
    /// 10⁴–10⁵ draws costs more than it saves (docs/performance.md §0c).
    /// </summary>
    private const long PlannedDrawsLimit = 8192;

    private readonly PointDefinition _point;
    private readonly int _depth;
    private readonly int _inputCount;
    private readonly int[] _sizes;             // n_0 .. n_{L+1}
    private readonly double[] _scales;         // _scales[l] = s_l = √(2/n_{l−1}), l = 1..L+1
    private readonly double[][] _post;         // _post[l]: h^l input-major (m × n_l: h[a·n_l + i]), l = 0..L; _post[0] = x
    private readonly double[][] _postGram;     // _postGram[l]: HᵀH of h^l (m × m), l = 0..L
    private readonly double[] _preInputMajor;  // z^l input-major (m × n_l): the layers without the fused pass (m > 4, l = L+1)
    private readonly ulong[] _activeBits;      // m ≤ 4: ξ^l of the layer just sampled as bit sets, m × ⌈n_l/64⌉ words
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
    private readonly double[][] _basisArray;   // _basisArray[l]: where layer l's U is this trial (_basisDraws[l] or _plannedDraws)
    private readonly int[] _basisOffset;       // … and its offset there
    private readonly double[] _plannedDraws;   // m ≤ 4: a whole trial's draws in one fill, while the trial follows the plan
    private readonly int[] _plannedCounts;     // the 2L + 1 fills' sizes of the last trial, the plan of the next
    private readonly int[] _actualCounts;      // this trial's
    private readonly int[] _plannedOffsets;    // where each planned fill starts in _plannedDraws
    private readonly double[][] _preProjections; // m ≤ 2: [l] = h^{l−1}_a · X_j of layer l's planned backward draws, [a·ρ + j]
    private readonly int[] _preProjectedCount; // [l]: their ρ this trial (0: none)
    private int _plannedTotal;                 // their sum; 0: no plan (the first trial, or m > 4)
    private RandomStream _trialStart;          // the stream before the planned fill, to leave the plan
    private int _drawCursor;                   // draws of _plannedDraws taken so far
    private int _fillIndex;
    private bool _onPlan;
    private readonly int[] _representativeOf;  // input → representative index, −1 for a zero column
    private readonly int[] _representativeColumn; // representative index → input
    private readonly int[] _pivots;            // pivoted position → representative index
    private readonly int[] _positionOf;        // representative index → pivoted position
    private readonly double[] _firstLayerR;    // m × m: layer 1's R expanded to the inputs, once per point (x is fixed)
    private readonly int[] _firstLayerRepresentativeOf; // m: x's representatives, once per point
    private bool _firstLayerFactored;
    private readonly double[] _norms;          // m
    private readonly double[] _kernel;         // m × m
    private readonly double[] _workspace;      // m² + m
    private readonly int[] _counts;            // m
    private readonly int[] _basisOffsets;      // m², the (k, b) pairs of Uᵀ Δ: offset of U_k
    private readonly int[] _deltaOffsets;      // m², offset of Δ_b
    private readonly double[] _products;       // m², their products
    private readonly double[] _fusedProducts = new double[16]; // m ≤ 4: U_k · δ_b of the next layer down at [k·m + b]
    private readonly int[] _termOffsets = new int[32];     // m ≤ 4: the terms of T's columns for GateCombinationGram
    private readonly double[] _termCoefficients = new double[32];
    private readonly int[] _termCounts = new int[4];
    private readonly int[] _firstCounts = new int[4];
    private readonly bool[] _viaGram;          // _viaGram[l]: layer l sampled through the Cholesky factor of HᵀH
    private readonly double[][] _gramFactor;   // _gramFactor[l]: F (d × d, rows per distinct column) with F Fᵀ = HᵀH
    private readonly int[][] _gramPivots;      // _gramPivots[l]: its pivot order
    private readonly int[][] _gramColumns;     // _gramColumns[l][e]: the input whose h^{l−1} column is H's column e

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

        _viaGram = new bool[layers + 1];
        _gramFactor = new double[layers + 1][];
        _gramPivots = new int[layers + 1][];
        _gramColumns = new int[layers + 1][];
        for (var l = 0; l <= layers; l++)
        {
            _gramFactor[l] = new double[m * m];
            _gramPivots[l] = new int[m];
            _gramColumns[l] = new int[m];
        }

        _preInputMajor = new double[widest * m];
        _activeBits = new ulong[m * ((widest + 63) / 64)];
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
        _basisArray = new double[layers + 1][];
        _basisOffset = new int[layers + 1];
        _plannedCounts = new int[2 * layers - 1];
        _actualCounts = new int[2 * layers - 1];
        _plannedOffsets = new int[2 * layers - 1];
        _preProjections = new double[layers + 1][];
        for (var l = 0; l <= layers; l++) _preProjections[l] = new double[4];
        _preProjectedCount = new int[layers + 1];
        // At most m draws per unit forward and m per unit of the layer below backward (ranks ≤ m).
        var mostDraws = 0L;
        for (var l = 1; l <= layers; l++) mostDraws += (long)m * (_sizes[l] + (l >= 2 ? _sizes[l - 1] : 0));
        _plannedDraws = m <= FusedUpTo && mostDraws <= PlannedDrawsLimit ? new double[mostDraws] : [];
        _representativeOf = new int[m];
        _representativeColumn = new int[m];
        _pivots = new int[m];
        _positionOf = new int[m];
        _firstLayerR = new double[m * m];
        _firstLayerRepresentativeOf = new int[m];
        _norms = new double[m];
        _kernel = new double[m * m];
        _workspace = new double[m * m + m];
        _counts = new int[m];
        _basisOffsets = new int[m * m];
        _deltaOffsets = new int[m * m];
        _products = new double[m * m];
    }

    public MeasurementLayout Layout { get; }

    /// <summary>Whether the last sampled trial took the Gram path at layer <paramref name="layer"/> (1..L+1); for tests.</summary>
    internal bool SampledViaGram(int layer) => _viaGram[layer];

    /// <summary>
    /// Samples network <paramref name="trial"/> (≥ 0) and writes its measurement: per layer the activity (from z^l) and
    /// the conditional correlator (from the Gram matrix of h^{l−1}), then the kernel and its spectrum. Allocates nothing.
    /// </summary>
    public void Sample(long trial, Span<double> measurement)
    {
        if (measurement.Length < Layout.Count)
            throw new ArgumentException($"measurement: need {Layout.Count} values", nameof(measurement));
        var stream = RandomStream.For(_point.MasterSeed, _point.PointIndex, trial);
        BeginDraws(ref stream);
        MeasurementWriter.BeginTrial(Layout, measurement);

        for (var l = 1; l <= _depth + 1; l++)
        {
            SampleForwardLayer(l, ref stream);
            if (l <= _depth)
            {
                // ξ = 1[z > 0] = 1[h > 0] exactly (h = z where z > 0, else +0): the writer reads the bit sets the fused
                // pass made for m ≤ 4 (it stores no z), else h.
                if (_inputCount <= FusedUpTo)
                    MeasurementWriter.WriteLayerActivity(Layout, l, _activeBits, _sizes[l], measurement, _counts);
                else
                    MeasurementWriter.WriteLayerActivity(
                        Layout, l, _post[l], _sizes[l], inputMajor: true, measurement, _counts);
                MeasurementWriter.WriteConditionalStatistics(Layout, l, _postGram[l - 1], _sizes[l], measurement);
            }
        }

        SampleBackwardAndKernel(ref stream);
        EndDraws();
        MeasurementWriter.WriteKernel(Layout, _kernel, _workspace, measurement);
    }

    /// <summary>
    /// A trial draws in 2L + 1 fills (forward l = 1..L+1, backward l = L+1..2) whose sizes depend on it only through
    /// ranks and paths, which are the same in almost every trial. For m ≤ 4, where the draws are most of a trial and
    /// each fill's fixed cost counts (docs/performance.md §0c), the sizes of the last trial are the plan of this one: all
    /// its draws are made in one fill up front, and each fill that has its planned size takes the next slice of them.
    /// A fill of k values then of j values is a fill of k + j (<see cref="RandomStream.FillGaussian"/>), so the values
    /// are those of the separate fills; at the first fill off the plan the stream restarts and skips the draws taken.
    /// </summary>
    private void BeginDraws(ref RandomStream stream)
    {
        _fillIndex = 0;
        _drawCursor = 0;
        _onPlan = _plannedTotal > 0;
        if (!_onPlan) return;
        _trialStart = stream;
        stream.FillGaussian(_plannedDraws.AsSpan(0, _plannedTotal));
    }

    /// <summary>Where the trial's next <paramref name="count"/> draws are: the plan's slice, or freshly drawn into <paramref name="own"/>.</summary>
    private (double[] Array, int Offset) NextDraws(ref RandomStream stream, int count, double[] own)
    {
        var fill = _fillIndex++;
        _actualCounts[fill] = count;
        if (_onPlan)
        {
            if (_plannedCounts[fill] == count)
            {
                var offset = _drawCursor;
                _drawCursor += count;
                return (_plannedDraws, offset);
            }
            // Off the plan (a rank or a path changed): back to the trial's start, past the draws taken (in pieces of
            // the backward scratch, which holds nothing needed between fills).
            _onPlan = false;
            stream = _trialStart;
            for (var skipped = 0; skipped < _drawCursor;)
            {
                var piece = Math.Min(_complementDraws.Length, _drawCursor - skipped);
                stream.FillGaussian(_complementDraws.AsSpan(0, piece));
                skipped += piece;
            }
        }
        stream.FillGaussian(own.AsSpan(0, count));
        return (own, 0);
    }

    /// <summary>Whether this sampler draws a trial in one planned fill when it can (m ≤ 4, at most 8,192 draws).</summary>
    internal bool PlansDraws => _plannedDraws.Length > 0;

    /// <summary>Whether the last sampled trial took all its draws from the planned fill; for tests.</summary>
    internal bool FollowedPlan { get; private set; }

    /// <summary>After a trial: its fill sizes become the plan, unless they were it.</summary>
    private void EndDraws()
    {
        FollowedPlan = _onPlan && _drawCursor == _plannedTotal;
        if (_plannedDraws.Length == 0 || FollowedPlan) return;
        _actualCounts.CopyTo(_plannedCounts, 0);
        _plannedTotal = 0;
        for (var fill = 0; fill < _actualCounts.Length; fill++)
        {
            _plannedOffsets[fill] = _plannedTotal;
            _plannedTotal += _actualCounts[fill];
        }
    }

    /// <summary>Layer l's U (its first <paramref name="length"/> values), wherever this trial drew it.</summary>
    private Span<double> Basis(int l, int length) => _basisArray[l].AsSpan(_basisOffset[l], length);

    /// <summary>
    /// z^l = U R Pᵀ from the pivoted QR of h^{l−1}; for l ≤ L also h^l = relu(z^l) and its Gram matrix.
    /// </summary>
    private void SampleForwardLayer(int l, ref RandomStream stream)
    {
        var m = _inputCount;
        var width = _sizes[l];

        int rank;
        Span<double> r;
        if (l == 1 && _firstLayerFactored)
        {
            // h^0 = x is the same in every trial, and so are its representatives, its factorization (R, or F on the
            // Gram path: _qr[1], _gramFactor[1] keep it) and the path taken: done once per point, the same values as
            // recomputing them (an O(n_0 m²) QR per trial made 784-dimensional inputs 2× slower at m = 16).
            rank = _rank[1];
            r = _firstLayerR.AsSpan(0, rank * m); // only read below
            _firstLayerRepresentativeOf.CopyTo(_representativeOf.AsSpan());
        }
        else
        {
            rank = FactorPreviousLayer(l, out r);
            if (l == 1)
            {
                r.CopyTo(_firstLayerR);
                _representativeOf.CopyTo(_firstLayerRepresentativeOf.AsSpan());
                _firstLayerFactored = true;
            }
        }

        (_basisArray[l], _basisOffset[l]) = NextDraws(ref stream, rank * width, _basisDraws[l]);
        var basis = Basis(l, rank * width);
        var scale = _scales[l];
        if (l <= _depth && m <= FusedUpTo)
        {
            // Scale, z = U R, relu and the Gram of h in one pass per L1-sized chunk, the same operations per element
            // and the same Dot order per Gram entry as the separate passes below (bitwise the same values).
            var projected = 0; // layer l + 1's products h^l · X taken here (set every trial: read only for it)
            if (m <= 2 && Vector512.IsHardwareAccelerated)
            {
                // On the plan so far, layer l + 1's backward draws X are already drawn, so the products h^l_a · X_j its
                // backward pass needs (TransposedProductTermsViaGram) are taken here, from h in registers.
                ReadOnlySpan<double> projectionDraws = default;
                var fill = 2 * _depth + 1 - l; // fills: forward l = 1..L+1, then backward l = L+1..2
                var count = _plannedCounts[fill];
                if (_onPlan && count > 0 && count % width == 0 && count / width <= m)
                {
                    projected = count / width;
                    projectionDraws = _plannedDraws.AsSpan(_plannedOffsets[fill], count);
                }
                AssemblePair(basis, scale, rank, width, m, r, _representativeOf, _post[l].AsSpan(0, m * width),
                    _postGram[l], _activeBits, projectionDraws, projected, _preProjections[l + 1]);
            }
            else
                AssembleHiddenLayer(basis, scale, rank, width, m, r, _representativeOf, _post[l].AsSpan(0, m * width),
                    _postGram[l], _activeBits);
            _preProjectedCount[l + 1] = projected;
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
    /// Layer l's factorization of h^{l−1}: its representatives (<see cref="FindRepresentatives"/>), then the Gram path's
    /// pivoted Cholesky where it applies (<see cref="_viaGram"/>), else the pivoted QR; <paramref name="r"/> is R (or
    /// F) expanded to the inputs, rank × m. Returns the rank.
    /// </summary>
    private int FactorPreviousLayer(int l, out Span<double> r)
    {
        var m = _inputCount;
        var rows = _sizes[l - 1];
        var previous = _post[l - 1];
        var qr = _qr[l];

        var distinct = FindRepresentatives(previous, rows, _postGram[l - 1]);
        int rank;
        if (_viaGram[l] = m <= FusedUpTo && FactorPostGram(l, distinct))
        {
            // Gram path: z_a = Σ_k F_ak U_k with F Fᵀ = HᵀH (F from the Gram matrix the previous layer already summed),
            // the same law as U R Pᵀ: its rows are iid N(0, s_l² HᵀH). Q_r = H F⁻ᵀ is the implied orthonormal basis.
            rank = _rank[l] = distinct;
            var factor = _gramFactor[l];
            r = _rFactor.AsSpan(0, rank * m);
            r.Clear();
            for (var a = 0; a < m; a++)
            {
                var representative = _representativeOf[a];
                if (representative < 0) continue;
                for (var k = 0; k < rank; k++) r[k * m + a] = factor[representative * rank + k];
            }
        }
        else
        {
            for (var j = 0; j < distinct; j++)
                previous.AsSpan(_representativeColumn[j] * rows, rows).CopyTo(qr.AsSpan(j * rows, rows));
            rank = _rank[l] = SmallDenseLinearAlgebra.PivotedQr(
                qr, rows, distinct, QrRankTolerance, _tau[l], _pivots, _norms);

            // R expanded to the inputs: column a is the R column of a's representative (zero for a dead input).
            for (var p = 0; p < distinct; p++) _positionOf[_pivots[p]] = p;
            r = _rFactor.AsSpan(0, rank * m);
            r.Clear();
            for (var a = 0; a < m; a++)
            {
                var representative = _representativeOf[a];
                if (representative < 0) continue;
                var p = _positionOf[representative];
                var last = Math.Min(p, rank - 1);
                for (var k = 0; k <= last; k++) r[k * m + a] = qr[p * rows + k];
            }
        }
        return rank;
    }

    /// <summary>
    /// Pivoted Cholesky of the Gram matrix of h^{l−1}'s <paramref name="distinct"/> representative columns (from
    /// <see cref="FindRepresentatives"/>) into layer l's <see cref="_gramFactor"/>, <see cref="_gramPivots"/> and
    /// <see cref="_gramColumns"/>. True when it has full rank with every pivot above <see cref="GramPathTolerance"/>:
    /// the layer then takes the Gram path.
    /// </summary>
    private bool FactorPostGram(int l, int distinct)
    {
        if (distinct == 0 || distinct > _sizes[l - 1]) return false;
        var m = _inputCount;
        var gram = _postGram[l - 1];
        var compressed = _compressedGram.AsSpan(0, distinct * distinct);
        var columns = _gramColumns[l];
        for (var j = 0; j < distinct; j++)
        {
            columns[j] = _representativeColumn[j];
            for (var k = 0; k < distinct; k++)
                compressed[j * distinct + k] = gram[_representativeColumn[j] * m + _representativeColumn[k]];
        }
        return SmallDenseLinearAlgebra.PivotedCholesky(compressed, distinct, GramPathTolerance, _gramFactor[l],
            _choleskyWork, _choleskyUsed, _gramPivots[l]) == distinct;
    }

    /// <summary>
    /// For m ≤ 4, in one pass over <paramref name="width"/>: U ← s·U (the raw draws, in place), z_a = Σ_k R_ka U_k for
    /// every input with a representative (else exactly +0; z itself is not stored), h = relu(z) and the Gram matrix of h, all in the fused
    /// order of <see cref="FusedKernels"/>: z_a = R_0a U_0, then z_a ← fma(R_ka, U_k, z_a) in increasing k (+0 for rank
    /// 0); each Gram entry is the fused dot product of h_a and h_b, all ten kept in registers, so h is never
    /// read back. The same bits with AVX-512, with Vector256 halves and in software.
    /// </summary>
    internal static void AssembleHiddenLayer(
        Span<double> basis, double scale, int rank, int width, int m, ReadOnlySpan<double> r,
        ReadOnlySpan<int> representativeOf, Span<double> post, Span<double> gram, Span<ulong> activeBits)
    {
        var words = (width + 63) >> 6;
        if (m > 4 || rank > 4 || basis.Length < rank * width || post.Length < m * width
            || r.Length < rank * m || gram.Length < m * m || representativeOf.Length < m || activeBits.Length < m * words
            || !BitConverter.IsLittleEndian)
            throw new ArgumentException("AssembleHiddenLayer: spans too short, m > 4 or a big-endian machine");
        // ξ = 1[z > 0] of input a, unit i: bit i mod 64 of activeBits[a·words + i/64], i.e. (little-endian) bit i mod 8
        // of byte a·8·words + i/8; one byte per block of 8 units from the compare the relu makes anyway.
        activeBits[..(m * words)].Clear();
        ref var bitRef = ref MemoryMarshal.GetReference(MemoryMarshal.AsBytes(activeBits));
        Span<double> c = stackalloc double[16];
        for (var k = 0; k < rank; k++)
            for (var a = 0; a < m; a++) c[a * 4 + k] = r[k * m + a];
        Span<double> live = stackalloc double[4];
        for (var a = 0; a < m; a++) live[a] = BitConverter.Int64BitsToDouble(representativeOf[a] >= 0 ? -1L : 0L);
        ref var uRef = ref MemoryMarshal.GetReference(basis);
        ref var hRef = ref MemoryMarshal.GetReference(post);
        var lastU = Math.Max(rank - 1, 0);
        ref var u0 = ref uRef;
        ref var u1 = ref Unsafe.Add(ref uRef, Math.Min(1, lastU) * width);
        ref var u2 = ref Unsafe.Add(ref uRef, Math.Min(2, lastU) * width);
        ref var u3 = ref Unsafe.Add(ref uRef, Math.Min(3, lastU) * width);
        var last = m - 1;
        ref var h0 = ref hRef;
        ref var h1 = ref Unsafe.Add(ref hRef, Math.Min(1, last) * width);
        ref var h2 = ref Unsafe.Add(ref hRef, Math.Min(2, last) * width);
        ref var h3 = ref Unsafe.Add(ref hRef, Math.Min(3, last) * width);
        ref var b0 = ref bitRef;
        ref var b1 = ref Unsafe.Add(ref bitRef, Math.Min(1, last) * 8 * words);
        ref var b2 = ref Unsafe.Add(ref bitRef, Math.Min(2, last) * 8 * words);
        ref var b3 = ref Unsafe.Add(ref bitRef, Math.Min(3, last) * 8 * words);
        var blocks = width & ~7;
        Span<double> g = stackalloc double[16];
        if (Vector512.IsHardwareAccelerated)
        {
            var s8 = Vector512.Create(scale);
            Vector512<double> e00 = Vector512.Create(c[0]), e01 = Vector512.Create(c[1]), e02 = Vector512.Create(c[2]), e03 = Vector512.Create(c[3]);
            Vector512<double> e10 = Vector512.Create(c[4]), e11 = Vector512.Create(c[5]), e12 = Vector512.Create(c[6]), e13 = Vector512.Create(c[7]);
            Vector512<double> e20 = Vector512.Create(c[8]), e21 = Vector512.Create(c[9]), e22 = Vector512.Create(c[10]), e23 = Vector512.Create(c[11]);
            Vector512<double> e30 = Vector512.Create(c[12]), e31 = Vector512.Create(c[13]), e32 = Vector512.Create(c[14]), e33 = Vector512.Create(c[15]);
            var l0 = Vector512.Create(live[0]);
            var l1 = Vector512.Create(live[Math.Min(1, last)]);
            var l2 = Vector512.Create(live[Math.Min(2, last)]);
            var l3 = Vector512.Create(live[Math.Min(3, last)]);
            Vector512<double> g00 = default, g01 = default, g02 = default, g03 = default, g11 = default, g12 = default,
                g13 = default, g22 = default, g23 = default, g33 = default;
            for (var i = 0; i < blocks; i += 8)
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
                var x0 = Combine(rank, v0, v1, v2, v3, e00, e01, e02, e03) & l0;
                var k0 = Vector512.GreaterThan(x0, Vector512<double>.Zero);
                x0 &= k0;
                Unsafe.Add(ref b0, i >> 3) = (byte)k0.ExtractMostSignificantBits();
                x0.StoreUnsafe(ref h0, (nuint)i);
                g00 = Vector512.FusedMultiplyAdd(x0, x0, g00);
                if (m > 1)
                {
                    var x1 = Combine(rank, v0, v1, v2, v3, e10, e11, e12, e13) & l1;
                    var k1 = Vector512.GreaterThan(x1, Vector512<double>.Zero);
                    x1 &= k1;
                    Unsafe.Add(ref b1, i >> 3) = (byte)k1.ExtractMostSignificantBits();
                    x1.StoreUnsafe(ref h1, (nuint)i);
                    g01 = Vector512.FusedMultiplyAdd(x0, x1, g01);
                    g11 = Vector512.FusedMultiplyAdd(x1, x1, g11);
                    if (m > 2)
                    {
                        var x2 = Combine(rank, v0, v1, v2, v3, e20, e21, e22, e23) & l2;
                        var k2 = Vector512.GreaterThan(x2, Vector512<double>.Zero);
                        x2 &= k2;
                        Unsafe.Add(ref b2, i >> 3) = (byte)k2.ExtractMostSignificantBits();
                        x2.StoreUnsafe(ref h2, (nuint)i);
                        g02 = Vector512.FusedMultiplyAdd(x0, x2, g02);
                        g12 = Vector512.FusedMultiplyAdd(x1, x2, g12);
                        g22 = Vector512.FusedMultiplyAdd(x2, x2, g22);
                        if (m > 3)
                        {
                            var x3 = Combine(rank, v0, v1, v2, v3, e30, e31, e32, e33) & l3;
                            var k3 = Vector512.GreaterThan(x3, Vector512<double>.Zero);
                            x3 &= k3;
                            Unsafe.Add(ref b3, i >> 3) = (byte)k3.ExtractMostSignificantBits();
                            x3.StoreUnsafe(ref h3, (nuint)i);
                            g03 = Vector512.FusedMultiplyAdd(x0, x3, g03);
                            g13 = Vector512.FusedMultiplyAdd(x1, x3, g13);
                            g23 = Vector512.FusedMultiplyAdd(x2, x3, g23);
                            g33 = Vector512.FusedMultiplyAdd(x3, x3, g33);
                        }
                    }
                }
            }
            FusedKernels.StoreUpperSums(g, g00, g01, g02, g03, g11, g12, g13, g22, g23, g33);
        }
        else
        {
            // The same lanes as two Vector256 halves.
            var s4 = Vector256.Create(scale);
            Vector256<double> e00 = Vector256.Create(c[0]), e01 = Vector256.Create(c[1]), e02 = Vector256.Create(c[2]), e03 = Vector256.Create(c[3]);
            Vector256<double> e10 = Vector256.Create(c[4]), e11 = Vector256.Create(c[5]), e12 = Vector256.Create(c[6]), e13 = Vector256.Create(c[7]);
            Vector256<double> e20 = Vector256.Create(c[8]), e21 = Vector256.Create(c[9]), e22 = Vector256.Create(c[10]), e23 = Vector256.Create(c[11]);
            Vector256<double> e30 = Vector256.Create(c[12]), e31 = Vector256.Create(c[13]), e32 = Vector256.Create(c[14]), e33 = Vector256.Create(c[15]);
            var l0 = Vector256.Create(live[0]);
            var l1 = Vector256.Create(live[Math.Min(1, last)]);
            var l2 = Vector256.Create(live[Math.Min(2, last)]);
            var l3 = Vector256.Create(live[Math.Min(3, last)]);
            FusedKernels.Lanes8 g00 = default, g01 = default, g02 = default, g03 = default, g11 = default, g12 = default,
                g13 = default, g22 = default, g23 = default, g33 = default;
            for (var i = 0; i < blocks; i += 8)
            {
                FusedKernels.Lanes8 v0 = default, v1 = default, v2 = default, v3 = default;
                if (rank > 0)
                {
                    v0 = FusedKernels.Lanes8.Times(s4, FusedKernels.Lanes8.Load(ref u0, i));
                    v0.Store(ref u0, i);
                    if (rank > 1)
                    {
                        v1 = FusedKernels.Lanes8.Times(s4, FusedKernels.Lanes8.Load(ref u1, i));
                        v1.Store(ref u1, i);
                        if (rank > 2)
                        {
                            v2 = FusedKernels.Lanes8.Times(s4, FusedKernels.Lanes8.Load(ref u2, i));
                            v2.Store(ref u2, i);
                            if (rank > 3)
                            {
                                v3 = FusedKernels.Lanes8.Times(s4, FusedKernels.Lanes8.Load(ref u3, i));
                                v3.Store(ref u3, i);
                            }
                        }
                    }
                }
                var x0 = FusedKernels.Lanes8.And(Combine(rank, v0, v1, v2, v3, e00, e01, e02, e03), l0);
                x0 = FusedKernels.Lanes8.Relu(x0, out var k0);
                Unsafe.Add(ref b0, i >> 3) = k0;
                x0.Store(ref h0, i);
                g00.Accumulate(x0, x0);
                if (m > 1)
                {
                    var x1 = FusedKernels.Lanes8.And(Combine(rank, v0, v1, v2, v3, e10, e11, e12, e13), l1);
                    x1 = FusedKernels.Lanes8.Relu(x1, out var k1);
                    Unsafe.Add(ref b1, i >> 3) = k1;
                    x1.Store(ref h1, i);
                    g01.Accumulate(x0, x1);
                    g11.Accumulate(x1, x1);
                    if (m > 2)
                    {
                        var x2 = FusedKernels.Lanes8.And(Combine(rank, v0, v1, v2, v3, e20, e21, e22, e23), l2);
                        x2 = FusedKernels.Lanes8.Relu(x2, out var k2);
                        Unsafe.Add(ref b2, i >> 3) = k2;
                        x2.Store(ref h2, i);
                        g02.Accumulate(x0, x2);
                        g12.Accumulate(x1, x2);
                        g22.Accumulate(x2, x2);
                        if (m > 3)
                        {
                            var x3 = FusedKernels.Lanes8.And(Combine(rank, v0, v1, v2, v3, e30, e31, e32, e33), l3);
                            x3 = FusedKernels.Lanes8.Relu(x3, out var k3);
                            Unsafe.Add(ref b3, i >> 3) = k3;
                            x3.Store(ref h3, i);
                            g03.Accumulate(x0, x3);
                            g13.Accumulate(x1, x3);
                            g23.Accumulate(x2, x3);
                            g33.Accumulate(x3, x3);
                        }
                    }
                }
            }
            FusedKernels.StoreUpperSums(g, g00, g01, g02, g03, g11, g12, g13, g22, g23, g33);
        }
        Span<double> x = stackalloc double[4];
        for (var i = blocks; i < width; i++)
        {
            AssembleTailRow(basis, scale, rank, width, m, i, c, representativeOf, post, ref bitRef, words, x);
            FusedKernels.AccumulateUpper(x, m, g);
        }
        FusedKernels.CopySymmetric(g, m, gram);
    }

    /// <summary>
    /// <see cref="AssembleHiddenLayer"/> for m ≤ 2 where AVX-512 runs (the same operations, so the same bits), with fewer
    /// live registers, and the fused dot products of each h_a with the <paramref name="projected"/> ≤ 2 columns of
    /// <paramref name="projectionDraws"/> (<paramref name="width"/> values each) into projections[a·projected + j]:
    /// bitwise <see cref="FusedKernels.FusedProducts"/>' chains, taken while h is in registers.
    /// </summary>
    internal static void AssemblePair(
        Span<double> basis, double scale, int rank, int width, int m, ReadOnlySpan<double> r,
        ReadOnlySpan<int> representativeOf, Span<double> post, Span<double> gram, Span<ulong> activeBits,
        ReadOnlySpan<double> projectionDraws, int projected, Span<double> projections)
    {
        var words = (width + 63) >> 6;
        if (m is < 1 or > 2 || rank > m || rank < 0 || basis.Length < rank * width || post.Length < m * width
            || r.Length < rank * m || gram.Length < m * m || representativeOf.Length < m || activeBits.Length < m * words
            || projected is < 0 or > 2 || projectionDraws.Length < projected * width || projections.Length < m * projected
            || !BitConverter.IsLittleEndian || !Vector512.IsHardwareAccelerated)
            throw new ArgumentException("AssemblePair: spans too short, m > 2, or no AVX-512");
        activeBits[..(m * words)].Clear(); // as in AssembleHiddenLayer
        ref var bitRef = ref MemoryMarshal.GetReference(MemoryMarshal.AsBytes(activeBits));
        ref var b0 = ref bitRef;
        ref var b1 = ref Unsafe.Add(ref bitRef, (m - 1) * 8 * words);
        ref var u0 = ref MemoryMarshal.GetReference(basis);
        ref var u1 = ref Unsafe.Add(ref u0, Math.Max(rank - 1, 0) * width);
        ref var h0 = ref MemoryMarshal.GetReference(post);
        ref var h1 = ref Unsafe.Add(ref h0, (m - 1) * width);
        ref var q0 = ref MemoryMarshal.GetReference(projectionDraws);
        ref var q1 = ref Unsafe.Add(ref q0, Math.Max(projected - 1, 0) * width);
        double c00 = rank > 0 ? r[0] : 0, c01 = rank > 1 ? r[m] : 0; // input 0: R_00, R_10
        double c10 = rank > 0 && m > 1 ? r[1] : 0, c11 = rank > 1 ? r[m + 1] : 0; // input 1: R_01, R_11
        var live0 = representativeOf[0] >= 0;
        var live1 = m > 1 && representativeOf[1] >= 0;
        var l0 = Vector512.Create(BitConverter.Int64BitsToDouble(live0 ? -1L : 0L));
        var l1 = Vector512.Create(BitConverter.Int64BitsToDouble(live1 ? -1L : 0L));
        Vector512<double> e00 = Vector512.Create(c00), e01 = Vector512.Create(c01);
        Vector512<double> e10 = Vector512.Create(c10), e11 = Vector512.Create(c11);
        var s8 = Vector512.Create(scale);
        Vector512<double> g00 = default, g01 = default, g11 = default;
        Vector512<double> t00 = default, t01 = default, t10 = default, t11 = default; // [a, j]
        var blocks = width & ~7;
        for (var i = 0; i < blocks; i += 8)
        {
            Vector512<double> v0 = default, v1 = default;
            if (rank > 0)
            {
                v0 = Vector512.LoadUnsafe(ref u0, (nuint)i) * s8;
                v0.StoreUnsafe(ref u0, (nuint)i);
                if (rank > 1)
                {
                    v1 = Vector512.LoadUnsafe(ref u1, (nuint)i) * s8;
                    v1.StoreUnsafe(ref u1, (nuint)i);
                }
            }
            Vector512<double> p0 = default, p1 = default;
            if (projected > 0)
            {
                p0 = Vector512.LoadUnsafe(ref q0, (nuint)i);
                if (projected > 1) p1 = Vector512.LoadUnsafe(ref q1, (nuint)i);
            }
            var x0 = Pair(rank, v0, v1, e00, e01) & l0;
            var k0 = Vector512.GreaterThan(x0, Vector512<double>.Zero);
            x0 &= k0;
            Unsafe.Add(ref b0, i >> 3) = (byte)k0.ExtractMostSignificantBits();
            x0.StoreUnsafe(ref h0, (nuint)i);
            g00 = Vector512.FusedMultiplyAdd(x0, x0, g00);
            if (projected > 0)
            {
                t00 = Vector512.FusedMultiplyAdd(x0, p0, t00);
                if (projected > 1) t01 = Vector512.FusedMultiplyAdd(x0, p1, t01);
            }
            if (m > 1)
            {
                var x1 = Pair(rank, v0, v1, e10, e11) & l1;
                var k1 = Vector512.GreaterThan(x1, Vector512<double>.Zero);
                x1 &= k1;
                Unsafe.Add(ref b1, i >> 3) = (byte)k1.ExtractMostSignificantBits();
                x1.StoreUnsafe(ref h1, (nuint)i);
                g01 = Vector512.FusedMultiplyAdd(x0, x1, g01);
                g11 = Vector512.FusedMultiplyAdd(x1, x1, g11);
                if (projected > 0)
                {
                    t10 = Vector512.FusedMultiplyAdd(x1, p0, t10);
                    if (projected > 1) t11 = Vector512.FusedMultiplyAdd(x1, p1, t11);
                }
            }
        }
        Span<double> g = stackalloc double[16];
        g[0] = FusedKernels.Sum(g00);
        g[1] = FusedKernels.Sum(g01);
        g[5] = FusedKernels.Sum(g11);
        if (projected > 0)
        {
            projections[0] = FusedKernels.Sum(t00);
            if (projected > 1) projections[1] = FusedKernels.Sum(t01);
            if (m > 1)
            {
                projections[projected] = FusedKernels.Sum(t10);
                if (projected > 1) projections[projected + 1] = FusedKernels.Sum(t11);
            }
        }
        Span<double> x = stackalloc double[4];
        Span<double> c = stackalloc double[16]; // AssembleHiddenLayer's layout, c[a·4 + k] = R_ka
        c[0] = c00;
        c[1] = c01;
        c[4] = c10;
        c[5] = c11;
        for (var i = blocks; i < width; i++)
        {
            AssembleTailRow(basis, scale, rank, width, m, i, c, representativeOf, post, ref bitRef, words, x);
            for (var a = 0; a < m; a++)
                for (var j = 0; j < projected; j++) // FusedProducts' tail: after the lane sums, row by row
                    projections[a * projected + j] = Math.FusedMultiplyAdd(x[a], projectionDraws[j * width + i], projections[a * projected + j]);
            FusedKernels.AccumulateUpper(x, m, g);
        }
        FusedKernels.CopySymmetric(g, m, gram);
    }

    /// <summary><see cref="Combine(int, Vector512{double}, Vector512{double}, Vector512{double}, Vector512{double}, Vector512{double}, Vector512{double}, Vector512{double}, Vector512{double})"/> for rank ≤ 2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Pair(int count, Vector512<double> x0, Vector512<double> x1, Vector512<double> c0,
        Vector512<double> c1)
    {
        if (count == 0) return Vector512<double>.Zero;
        var sum = c0 * x0;
        if (count > 1) sum = Vector512.FusedMultiplyAdd(c1, x1, sum);
        return sum;
    }

    /// <summary>
    /// Row i (at or past the last whole block of 8) of the fused forward pass, in scalar: U ← s·U, z_a = c_a0 U_0 then
    /// fma(c_ak, U_k, ·) (+0 for a dead input or rank 0; c[a·4 + k] = R_ka), h_a = relu(z_a) into post and
    /// <paramref name="x"/>, and ξ_a's bit.
    /// </summary>
    private static void AssembleTailRow(Span<double> basis, double scale, int rank, int width, int m, int i,
        ReadOnlySpan<double> c, ReadOnlySpan<int> representativeOf, Span<double> post, ref byte bits, int words,
        Span<double> x)
    {
        for (var k = 0; k < rank; k++) basis[k * width + i] *= scale;
        for (var a = 0; a < m; a++)
        {
            var sum = 0.0;
            if (representativeOf[a] >= 0 && rank > 0)
            {
                sum = c[a * 4] * basis[i];
                for (var k = 1; k < rank; k++) sum = Math.FusedMultiplyAdd(c[a * 4 + k], basis[k * width + i], sum);
            }
            x[a] = sum > 0 ? sum : 0.0;
            post[a * width + i] = x[a];
            if (sum > 0) Unsafe.Add(ref bits, a * 8 * words + (i >> 3)) |= (byte)(1 << (i & 7));
        }
    }

    /// <summary>c0 x0, then fma(c_k, x_k, ·) for k = 1 … count − 1; +0 for count 0 (<see cref="FusedKernels"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Combine(
        int count, Vector512<double> x0, Vector512<double> x1, Vector512<double> x2, Vector512<double> x3,
        Vector512<double> c0, Vector512<double> c1, Vector512<double> c2, Vector512<double> c3)
    {
        if (count == 0) return Vector512<double>.Zero;
        var sum = c0 * x0;
        if (count > 1) sum = Vector512.FusedMultiplyAdd(c1, x1, sum);
        if (count > 2) sum = Vector512.FusedMultiplyAdd(c2, x2, sum);
        if (count > 3) sum = Vector512.FusedMultiplyAdd(c3, x3, sum);
        return sum;
    }

    /// <summary>The same combination on two Vector256 halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static FusedKernels.Lanes8 Combine(
        int count, FusedKernels.Lanes8 x0, FusedKernels.Lanes8 x1, FusedKernels.Lanes8 x2, FusedKernels.Lanes8 x3,
        Vector256<double> c0, Vector256<double> c1, Vector256<double> c2, Vector256<double> c3)
    {
        if (count == 0) return default;
        var sum = FusedKernels.Lanes8.Times(c0, x0);
        if (count > 1) sum.Accumulate(c1, x1);
        if (count > 2) sum.Accumulate(c2, x2);
        if (count > 3) sum.Accumulate(c3, x3);
        return sum;
    }

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
            var basis = Basis(l, rank * width);
            var viaGram = _viaGram[l];
            // The Gram path draws G'ᵀΔ's rows for all of R^{n_{l−1}} and projects them; the QR path draws only the
            // n_{l−1} − r coordinates of the complement in its Householder basis.
            var complementRows = viaGram ? rows : rows - rank;
            var factorRank = FactorDeltaGram(delta, width);
            var (drawArray, drawOffset) = NextDraws(ref stream, factorRank * complementRows, _complementDraws);
            var draws = drawArray.AsSpan(drawOffset, factorRank * complementRows);
            var scale = _scales[l];

            // QR path: T (rows × m, column-major): top r rows Uᵀ Δ = Q_rᵀ (W^l)ᵀ Δ, fixed by the forward values; the
            // other rows Q_⊥ᵀ P⊥ Gᵀ Δ, iid N(0, s_l² ΔᵀΔ), drawn as s_l G' Fᵀ. Then (W^l)ᵀ Δ = Q T. (Gram path: the
            // terms of (W^l)ᵀ Δ, TransposedProductTermsViaGram.)
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
            if (fused) // all rank × m products are there (_fusedProducts[k·m + b]); take the ones needed
                for (var p = 0; p < pairs; p++)
                    _products[p] = _fusedProducts[_basisOffsets[p] / width * m + _deltaOffsets[p] / width];
            else
                SmallDenseLinearAlgebra.DotBatch(
                    basis, delta, width, _basisOffsets.AsSpan(0, pairs), _deltaOffsets.AsSpan(0, pairs), _products);
            pairs = 0;
            if (viaGram)
                TransposedProductTermsViaGram(l, rows, rank, distinct, factorRank, draws, scale,
                    // From the plan's slice (where the forward pass read X) and with as many columns as it took.
                    precomputed: drawArray == _plannedDraws && _preProjectedCount[l] == factorRank);
            else if (distinct <= 4 && factorRank <= 4)
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
            if (m <= FusedUpTo && distinct > 0)
            {
                // T (combined on the fly from its terms on the Gram path; its stored columns, each one term of
                // coefficient 1, on the QR path), the mask and δ^{l−1}'s Gram in one pass; then for l − 1 ≥ 2 the
                // products of δ^{l−1} with U of layer l − 1 in another.
                ReadOnlySpan<double> first = draws, second = post;
                if (!viaGram)
                {
                    for (var c = 0; c < distinct; c++)
                    {
                        _termOffsets[c * 8] = c * rows;
                        _termCoefficients[c * 8] = 1.0;
                        _termCounts[c] = _firstCounts[c] = 1;
                    }
                    first = second = t;
                }
                var nextRank = l - 1 >= 2 ? _rank[l - 1] : 0;
                FusedKernels.GateCombinationGram(first, second, _termOffsets, _termCounts, _firstCounts,
                    _termCoefficients, distinct, rows, m, _representativeOf, post, _delta, _deltaGram,
                    Basis(l - 1, nextRank * rows), nextRank, _fusedProducts);
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
    /// The Gram path's (W^l)ᵀ Δ for the <paramref name="distinct"/> representative columns of Δ (docs/science.md §3):
    /// with H the d = <paramref name="rank"/> distinct columns of h^{l−1}, F Fᵀ = HᵀH and Q_r = H F⁻ᵀ,
    /// (W^l)ᵀ Δ_b = Q_r (Uᵀ Δ_b) + P⊥ Y_b, where Y_b = s_l Σ_j Φ_bj X_j (X the ρ fresh columns of
    /// <paramref name="draws"/>, Φ Φᵀ = ΔᵀΔ) has rows iid N(0, s_l² ΔᵀΔ) and P⊥ Y_b = Y_b − H (HᵀH)⁻¹ Hᵀ Y_b. Both
    /// terms in span(H) collapse into one coefficient vector, c_b = F⁻ᵀ (Uᵀ Δ_b − F⁻¹ (Hᵀ X) (s_l Φ_b)ᵀ), so
    /// T_b = Σ_j s_l Φ_bj X_j + Σ_e c_be H_e: one set of d·ρ dot products and one linear combination per column.
    /// </summary>
    private void TransposedProductTermsViaGram(
        int l, int rows, int rank, int distinct, int factorRank, ReadOnlySpan<double> draws, double scale, bool precomputed)
    {
        var m = _inputCount;
        var post = _post[l - 1];
        var columns = _gramColumns[l];
        var factor = _gramFactor[l];
        var pivots = _gramPivots[l];
        Span<int> hOffsets = stackalloc int[16];
        Span<int> xOffsets = stackalloc int[16];
        Span<double> projections = stackalloc double[16]; // H_e · X_j at [e·ρ + j]
        if (precomputed) // the same fused dot products, taken in the forward pass of layer l − 1 (m ≤ 2)
        {
            var pre = _preProjections[l];
            for (var e = 0; e < rank; e++)
                for (var j = 0; j < factorRank; j++) projections[e * factorRank + j] = pre[columns[e] * factorRank + j];
        }
        else
        {
            for (var e = 0; e < rank; e++) hOffsets[e] = columns[e] * rows;
            for (var j = 0; j < factorRank; j++) xOffsets[j] = j * rows;
            FusedKernels.FusedProducts(post, hOffsets[..rank], draws, xOffsets, factorRank, rows, projections);
        }

        Span<double> w = stackalloc double[4]; // s_l Φ_b
        Span<double> v = stackalloc double[4];
        Span<double> u = stackalloc double[4];
        Span<double> coefficients = stackalloc double[4];
        var pairs = 0;
        for (var c = 0; c < distinct; c++)
        {
            var b = _representativeColumn[c];
            for (var j = 0; j < factorRank; j++) w[j] = scale * _factor[b * m + j];
            for (var e = 0; e < rank; e++) // Hᵀ Y_b
            {
                var sum = 0.0;
                for (var j = 0; j < factorRank; j++) sum += projections[e * factorRank + j] * w[j];
                v[e] = sum;
            }
            SmallDenseLinearAlgebra.SolvePivotedLower(factor, rank, pivots, v[..rank], u);
            for (var k = 0; k < rank; k++) u[k] = _products[pairs++] - u[k];
            SmallDenseLinearAlgebra.SolvePivotedLowerTransposed(factor, rank, pivots, u[..rank], coefficients);

            // T_b's terms, Σ_j w_j X_j then Σ_e c_e H_e, for the fused pass (FusedKernels.GateCombinationGram); the
            // zero entries of Φ's pivoted triangle are skipped.
            var terms = 0;
            for (var j = 0; j < factorRank; j++)
                if (w[j] != 0)
                {
                    _termOffsets[c * 8 + terms] = j * rows;
                    _termCoefficients[c * 8 + terms++] = w[j];
                }
            _firstCounts[c] = terms;
            for (var e = 0; e < rank; e++)
            {
                _termOffsets[c * 8 + terms] = columns[e] * rows;
                _termCoefficients[c * 8 + terms++] = coefficients[e];
            }
            _termCounts[c] = terms;
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
