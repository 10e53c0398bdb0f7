using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Ntk.Numerics.Networks;

namespace Ntk.Numerics.Randomness;

/// <summary>
/// The random stream of one trial: a pure function of (master seed, point index, trial), defined by this code alone
/// (Philox4x32-10 plus the portable transforms of <see cref="WeightSampling"/> and <see cref="ZigguratGaussian"/>; no
/// System.Random, no libm), so any thread, process or node that samples trial t of a point draws the same numbers bit
/// for bit. The sequence is named by <see cref="GeneratorVersion"/>, which results record and --resume checks.
/// </summary>
/// <remarks>
/// <para>Philox key = master seed (low word k0, high word k1). Counter = (block index, trial low 32 bits, trial high
/// 32 bits, point index). Blocks are read as 64-bit words w = x0 | x1 &lt;&lt; 32, then x2 | x3 &lt;&lt; 32. Every
/// (seed, point, trial) owns three disjoint block ranges: the main sequence (blocks 0 .. 2^30 − 1), the overflow
/// sequence (2^30 .. 2^31 − 1) and one slot block per main word (2^31 + g for main word g). Running past a range throws.
/// </para>
/// <para>Consumption: <see cref="NextUniform"/> takes one main word (53 bits; a zero draw is skipped, probability
/// 2^−53). A Gaussian takes exactly one main word g (the ziggurat of <see cref="ZigguratGaussian"/>); when the fast
/// path does not accept it (0.44%) the slow path reads the two words of slot block 2^31 + g, and after those (rarely:
/// a rejected wedge followed by a second slow attempt, or the tail) words of the overflow sequence, in the order of the
/// Gaussians. So Gaussian g depends only on main word g, its slot block and the overflow words before it, whichever
/// path (vector, scalar, bulk, one by one) computes it; <see cref="FillGaussian"/> gives exactly what as many
/// <see cref="NextGaussian"/> calls would, and the rejected values of a bulk fill can be finished independently.
/// <see cref="Fill"/> for other laws takes one main word per draw (Student-t: two per polar attempt).</para>
/// <para>A mutable struct: pass it by <c>ref</c>; a copy continues the same sequence independently.</para>
/// </remarks>
public struct RandomStream
{
    /// <summary>
    /// Names the random sequence: the Philox counter layout, the Gaussian transform and the sub-stream rule above.
    /// Any change of the numbers a (seed, point, trial) gives must change this string (docs/numerics.md §12).
    /// </summary>
    public const string GeneratorVersion = "philox4x32-10/ziggurat1024/1";

    /// <summary>Blocks generated per bulk step of <see cref="FillGaussian"/> (2 Gaussians each).</summary>
    private const int ChunkBlocks = 256;

    /// <summary>
    /// Rejected words whose slot blocks <see cref="FillGaussian"/> encrypts together (a multiple of 8: whole AVX-512
    /// vectors of blocks).
    /// </summary>
    private const int SlotBatch = 32;

    /// <summary>
    /// <see cref="FillGaussian"/> finishes its rejected words once this many have gathered over its chunks (and at the
    /// end), not after every chunk: a chunk has ~2 of them, too few to fill the 8 lanes that encrypt slot blocks.
    /// </summary>
    private const int PendingLimit = SlotBatch;

    /// <summary>Blocks of the main and of the overflow sequence; the overflow sequence starts at this block index.</summary>
    private const ulong SequenceBlocks = 1UL << 30;

    /// <summary>Block index of main word 0's slot block.</summary>
    private const uint FirstSlotBlock = 1U << 31;

    private readonly uint _key0;
    private readonly uint _key1;
    private readonly uint _counter1;
    private readonly uint _counter2;
    private readonly uint _counter3;
    private ulong _nextBlock;
    private ulong _word0;
    private ulong _word1;
    private int _bufferedWords; // 0..2 unread words of the current block; the next one is _word1 when 1 is left
    private ulong _nextOverflowBlock;
    private ulong _overflowWord;
    private bool _hasOverflowWord;

    private RandomStream(ulong masterSeed, int pointIndex, long trial)
    {
        _key0 = (uint)masterSeed;
        _key1 = (uint)(masterSeed >> 32);
        _counter1 = (uint)(ulong)trial;
        _counter2 = (uint)((ulong)trial >> 32);
        _counter3 = (uint)pointIndex;
        _nextBlock = 0;
        _word0 = 0;
        _word1 = 0;
        _bufferedWords = 0;
        _nextOverflowBlock = 0;
        _overflowWord = 0;
        _hasOverflowWord = false;
    }

    /// <summary>The stream of trial <paramref name="trial"/> (≥ 0) of point <paramref name="pointIndex"/> (≥ 0).</summary>
    public static RandomStream For(ulong masterSeed, int pointIndex, long trial)
    {
        if (pointIndex < 0) throw new ArgumentOutOfRangeException(nameof(pointIndex), pointIndex, "pointIndex: must be ≥ 0");
        if (trial < 0) throw new ArgumentOutOfRangeException(nameof(trial), trial, "trial: must be ≥ 0");
        return new RandomStream(masterSeed, pointIndex, trial);
    }

    /// <summary>Uniform on the open interval (0, 1): k·2^−53 for a random 53-bit k ≠ 0.</summary>
    public double NextUniform()
    {
        while (true)
        {
            var k = NextWord() >> 11;
            if (k != 0) return k * (1.0 / 9007199254740992.0);
        }
    }

    /// <summary>A standard normal variate: the ziggurat on the next main word (see the remarks).</summary>
    public double NextGaussian()
    {
        var word = NextWord();
        return ZigguratGaussian.TryFast(word, out var value) ? value : ZigguratGaussian.Slow(word, LastWordIndex(), ref this);
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with standard normal variates, identical to calling
    /// <see cref="NextGaussian"/> once per element. Philox blocks are written straight into the destination (as
    /// words) and transformed in place; allocates nothing.
    /// </summary>
    public void FillGaussian(Span<double> destination)
    {
        var filled = 0;
        // An unread word of the current block comes first, exactly as NextWord would hand it out.
        while (_bufferedWords > 0 && filled < destination.Length)
        {
            var word = TakeBufferedWord();
            destination[filled++] = ZigguratGaussian.TryFast(word, out var value)
                ? value : ZigguratGaussian.Slow(word, LastWordIndex(), ref this);
        }
        if (BitConverter.IsLittleEndian && destination.Length - filled >= 2)
        {
            // The bulk part: main words firstWord + k for the values bulk[k]; chunk by chunk, Philox blocks then the
            // fast path; the rejected positions (relative to bulk) gather in `rejected` and are finished in ascending
            // order, PendingLimit or more at a time and before anything else reads the stream, so the overflow words
            // are read in the order one NextGaussian per value would read them.
            var bulk = destination[filled..];
            var chunkValues = 2 * Math.Min(ChunkBlocks, bulk.Length >> 1);
            // Room for the pending positions and one more chunk's, rounded up so SlotWords may read whole vectors.
            Span<int> rejected = stackalloc int[(PendingLimit + chunkValues + 7) & ~7];
            Span<ulong> slotWords = stackalloc ulong[2 * SlotBatch];
            var firstWord = 2 * _nextBlock;
            var done = 0;
            var pending = 0;
            while (bulk.Length - done >= 2)
            {
                var blocks = Math.Min(ChunkBlocks, (bulk.Length - done) >> 1);
                var chunk = bulk.Slice(done, 2 * blocks);
                // Block (x0, x1, x2, x3) in memory is the word pair (x0 | x1 << 32, x2 | x3 << 32): each value's
                // slot first holds its own word, which the transform then replaces by the variate.
                var first = ReserveBlocks(blocks);
                Philox4x32.GenerateBlocks(_key0, _key1, first, _counter1, _counter2, _counter3, MemoryMarshal.Cast<double, uint>(chunk));
                var rejectedCount = ZigguratGaussian.TransformInPlace(chunk, rejected[pending..]);
                for (var r = pending; r < pending + rejectedCount; r++) rejected[r] += done;
                pending += rejectedCount;
                done += 2 * blocks;
                if (pending >= PendingLimit)
                {
                    FinishRejected(bulk, (uint)firstWord, rejected, pending, slotWords);
                    pending = 0;
                }
            }
            FinishRejected(bulk, (uint)firstWord, rejected, pending, slotWords);
            filled += done;
        }
        while (filled < destination.Length) destination[filled++] = NextGaussian();
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with unit-variance draws of <paramref name="law"/> (docs/science.md §1):
    /// Gaussian N(0,1); uniform on [−√3, √3]; Laplace with b = 1/√2; Student-t with ν degrees of freedom scaled by
    /// √((ν−2)/ν); Rademacher ±1. Allocates nothing.
    /// </summary>
    public void Fill(WeightLaw law, Span<double> destination)
    {
        switch (law.Kind)
        {
            case WeightLawKind.Gaussian:
                FillGaussian(destination);
                break;
            case WeightLawKind.Uniform:
                for (var i = 0; i < destination.Length; i++) destination[i] = WeightSampling.Uniform(NextWord());
                break;
            case WeightLawKind.Laplace:
                for (var i = 0; i < destination.Length; i++) destination[i] = WeightSampling.Laplace(NextWord());
                break;
            case WeightLawKind.Rademacher:
                for (var i = 0; i < destination.Length; i++) destination[i] = WeightSampling.Rademacher(NextWord());
                break;
            case WeightLawKind.StudentT:
                var degreesOfFreedom = law.DegreesOfFreedom;
                for (var i = 0; i < destination.Length; i++)
                {
                    double value;
                    while (true)
                    {
                        var firstWord = NextWord();
                        var secondWord = NextWord();
                        if (WeightSampling.TryStudentT(firstWord, secondWord, degreesOfFreedom, out value)) break;
                    }
                    destination[i] = value;
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(law), law.Kind, "weights: unknown law");
        }
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with the next main words, exactly as one <see cref="NextWord"/> per
    /// element would (Philox blocks in bulk): the raw bits whose rate bounds every transform that takes one word per
    /// draw (<c>ntk bench</c>'s counter limit).
    /// </summary>
    public void FillWords(Span<ulong> destination)
    {
        var filled = 0;
        while (_bufferedWords > 0 && filled < destination.Length) destination[filled++] = TakeBufferedWord();
        var blocks = (destination.Length - filled) >> 1;
        if (blocks > 0 && BitConverter.IsLittleEndian)
        {
            var first = ReserveBlocks(blocks);
            Philox4x32.GenerateBlocks(_key0, _key1, first, _counter1, _counter2, _counter3,
                MemoryMarshal.Cast<ulong, uint>(destination.Slice(filled, 2 * blocks)));
            filled += 2 * blocks;
        }
        while (filled < destination.Length) destination[filled++] = NextWord();
    }

    /// <summary>The next 64 random bits of the stream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong NextWord()
    {
        if (_bufferedWords == 0) RefillBlock();
        return TakeBufferedWord();
    }

    /// <summary>The next 64 random bits of the overflow sequence (blocks 2^30 + j): the ziggurat's slow path only.</summary>
    internal ulong NextOverflowWord()
    {
        if (_hasOverflowWord)
        {
            _hasOverflowWord = false;
            return _overflowWord;
        }
        if (_nextOverflowBlock >= SequenceBlocks)
            throw new InvalidOperationException("RandomStream: a trial's overflow sequence is limited to 2^30 blocks of 128 bits");
        uint x0 = (uint)(SequenceBlocks + _nextOverflowBlock++), x1 = _counter1, x2 = _counter2, x3 = _counter3;
        Philox4x32.Encrypt(ref x0, ref x1, ref x2, ref x3, _key0, _key1);
        _overflowWord = x2 | ((ulong)x3 << 32);
        _hasOverflowWord = true;
        return x0 | ((ulong)x1 << 32);
    }

    /// <summary>The two words of the slot block of main word <paramref name="wordIndex"/> (block 2^31 + index).</summary>
    internal readonly void SlotWords(uint wordIndex, out ulong first, out ulong second)
    {
        uint x0 = FirstSlotBlock | wordIndex, x1 = _counter1, x2 = _counter2, x3 = _counter3;
        Philox4x32.Encrypt(ref x0, ref x1, ref x2, ref x3, _key0, _key1);
        first = x0 | ((ulong)x1 << 32);
        second = x2 | ((ulong)x3 << 32);
    }

    /// <summary>
    /// Finishes the values bulk[positions[r]], r &lt; <paramref name="count"/> (ascending), whose words the fast path
    /// rejected; bulk[k] holds main word <paramref name="firstWord"/> + k. Their slot blocks are encrypted a batch at a
    /// time first: independent of each other, these overlap in the core instead of waiting one for another.
    /// <paramref name="positions"/> has room for <paramref name="count"/> rounded up to 8.
    /// </summary>
    private void FinishRejected(Span<double> bulk, uint firstWord, Span<int> positions, int count, Span<ulong> slotWords)
    {
        for (var batch = 0; batch < count; batch += SlotBatch)
        {
            var end = Math.Min(count, batch + SlotBatch);
            SlotWords(firstWord, positions[batch..], end - batch, slotWords);
            for (var r = batch; r < end; r++)
            {
                var position = positions[r];
                bulk[position] = ZigguratGaussian.Slow(
                    BitConverter.DoubleToUInt64Bits(bulk[position]), slotWords[2 * (r - batch)], slotWords[2 * (r - batch) + 1], ref this);
            }
        }
    }

    /// <summary>
    /// The slot words of main words <paramref name="firstIndex"/> + offsets[k], k &lt; <paramref name="count"/>
    /// (≤ <see cref="SlotBatch"/>), into words[2k], words[2k + 1]: 8 blocks at a time in AVX-512 lanes where present
    /// (the same integer operations, the same bits as one by one). <paramref name="offsets"/> must hold
    /// <paramref name="count"/> rounded up to 8 entries; the lanes past <paramref name="count"/> encrypt whatever
    /// they hold and their words are not used.
    /// </summary>
    private readonly void SlotWords(uint firstIndex, ReadOnlySpan<int> offsets, int count, Span<ulong> words)
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            if (offsets.Length < ((count + 7) & ~7) || words.Length < 2 * ((count + 7) & ~7))
                throw new ArgumentException("offsets, words: need room for whole vectors of 8 blocks", nameof(offsets));
            ref var offset = ref MemoryMarshal.GetReference(offsets);
            ref var output = ref MemoryMarshal.GetReference(words);
            var interleaveLow = Vector512.Create(0UL, 8, 1, 9, 2, 10, 3, 11);
            var interleaveHigh = Vector512.Create(4UL, 12, 5, 13, 6, 14, 7, 15);
            for (var k = 0; k < count; k += 8)
            {
                // Lane b: the low 32 bits of (offset + firstIndex) | 2^31 are FirstSlotBlock | (firstIndex + offset).
                var counters = (Avx512F.ConvertToVector512Int64(Vector256.LoadUnsafe(ref offset, (nuint)k)).AsUInt64()
                    + Vector512.Create((ulong)firstIndex)) | Vector512.Create((ulong)FirstSlotBlock);
                Philox4x32.Encrypt512(
                    counters, Vector512.Create((ulong)_counter1), Vector512.Create((ulong)_counter2),
                    Vector512.Create((ulong)_counter3), _key0, _key1, out var word0, out var word1);
                Avx512F.PermuteVar8x64x2(word0, interleaveLow, word1).StoreUnsafe(ref output, (nuint)(2 * k));
                Avx512F.PermuteVar8x64x2(word0, interleaveHigh, word1).StoreUnsafe(ref output, (nuint)(2 * k + 8));
            }
            return;
        }
        for (var k = 0; k < count; k++)
            SlotWords(firstIndex + (uint)offsets[k], out words[2 * k], out words[2 * k + 1]);
    }

    /// <summary>Index in the main sequence of the word <see cref="NextWord"/> returned last (&lt; 2^31).</summary>
    private readonly uint LastWordIndex() => (uint)(2 * _nextBlock - (ulong)_bufferedWords - 1);

    private ulong TakeBufferedWord()
    {
        if (_bufferedWords == 2)
        {
            _bufferedWords = 1;
            return _word0;
        }
        _bufferedWords = 0;
        return _word1;
    }

    private void RefillBlock()
    {
        uint x0 = ReserveBlocks(1), x1 = _counter1, x2 = _counter2, x3 = _counter3;
        Philox4x32.Encrypt(ref x0, ref x1, ref x2, ref x3, _key0, _key1);
        _word0 = x0 | ((ulong)x1 << 32);
        _word1 = x2 | ((ulong)x3 << 32);
        _bufferedWords = 2;
    }

    /// <summary>Claims the next <paramref name="count"/> block indices and returns the first.</summary>
    private uint ReserveBlocks(int count)
    {
        var first = _nextBlock;
        if (first + (ulong)count > SequenceBlocks)
            throw new InvalidOperationException("RandomStream: a trial's stream is limited to 2^30 blocks of 128 bits");
        _nextBlock = first + (ulong)count;
        return (uint)first;
    }
}
