using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ntk.Numerics.Networks;

namespace Ntk.Numerics.Randomness;

/// <summary>
/// The random stream of one trial: a pure function of (master seed, point index, trial), defined by this code alone
/// (Philox4x32-10 plus the portable transforms of <see cref="WeightSampling"/>; no System.Random, no libm), so any
/// thread, process or node that samples trial t of a point draws the same numbers bit for bit.
/// </summary>
/// <remarks>
/// <para>Philox key = master seed (low word k0, high word k1). Counter = (block index, trial low 32 bits, trial high
/// 32 bits, point index): every (seed, point, trial) owns a stream of 2^32 blocks of 128 bits, read as a sequence of
/// 64-bit words w = x0 | x1 &lt;&lt; 32, then x2 | x3 &lt;&lt; 32. Running past 2^32 blocks throws.</para>
/// <para>Consumption: <see cref="NextUniform"/> takes one word (53 bits; a zero draw is skipped, probability 2^−53).
/// Gaussians come in Box–Muller pairs from two consecutive words; the second of a pair is kept for the next Gaussian
/// request, so <see cref="FillGaussian"/> gives exactly what as many <see cref="NextGaussian"/> calls would.
/// <see cref="Fill"/> for other laws takes one word per draw (Student-t: two per polar attempt).</para>
/// <para>A mutable struct: pass it by <c>ref</c>; a copy continues the same sequence independently.</para>
/// </remarks>
public struct RandomStream
{
    /// <summary>Blocks generated per bulk step of <see cref="FillGaussian"/> (stack buffer of 4 words each).</summary>
    private const int ChunkBlocks = 256;

    private const ulong BlockLimit = 1UL << 32;

    private readonly uint _key0;
    private readonly uint _key1;
    private readonly uint _counter1;
    private readonly uint _counter2;
    private readonly uint _counter3;
    private ulong _nextBlock;
    private ulong _word0;
    private ulong _word1;
    private int _bufferedWords; // 0..2 unread words of the current block; the next one is _word1 when 1 is left
    private double _spareGaussian;
    private bool _hasSpareGaussian;

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
        _spareGaussian = 0;
        _hasSpareGaussian = false;
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

    /// <summary>A standard normal variate (Box–Muller on two words, the partner kept for the next call).</summary>
    public double NextGaussian()
    {
        if (_hasSpareGaussian)
        {
            _hasSpareGaussian = false;
            return _spareGaussian;
        }
        var radiusWord = NextWord();
        var angleWord = NextWord();
        WeightSampling.GaussianPair(radiusWord, angleWord, out var first, out var second);
        _spareGaussian = second;
        _hasSpareGaussian = true;
        return first;
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with standard normal variates, identical to calling
    /// <see cref="NextGaussian"/> once per element. Generates Philox blocks in bulk; allocates nothing.
    /// </summary>
    public void FillGaussian(Span<double> destination)
    {
        var filled = 0;
        if (destination.IsEmpty) return;
        if (_hasSpareGaussian)
        {
            destination[0] = _spareGaussian;
            _hasSpareGaussian = false;
            filled = 1;
        }

        // Buffers sized to the request (at most ChunkBlocks blocks), so short fills do not clear 4 KB of stack.
        var chunkBlocks = Math.Min(ChunkBlocks, ((destination.Length - filled + 1) >> 1) + 1);
        Span<uint> blockWords = BitConverter.IsLittleEndian ? [] : stackalloc uint[4 * chunkBlocks];
        Span<ulong> words = stackalloc ulong[2 * chunkBlocks + 2];
        Span<double> pairBuffer = stackalloc double[2];
        while (filled < destination.Length)
        {
            var pairs = Math.Min((destination.Length - filled + 1) >> 1, chunkBlocks);
            var wordCount = 0;
            // Unread words of the current block come first, exactly as NextWord would hand them out.
            while (_bufferedWords > 0 && wordCount < 2 * pairs) words[wordCount++] = TakeBufferedWord();
            var blocks = (2 * pairs - wordCount + 1) >> 1;
            if (blocks > 0)
            {
                var first = ReserveBlocks(blocks);
                if (BitConverter.IsLittleEndian)
                {
                    // Block (x0, x1, x2, x3) in memory is the word pair (x0 | x1 << 32, x2 | x3 << 32): no copy.
                    var target = MemoryMarshal.Cast<ulong, uint>(words.Slice(wordCount, 2 * blocks));
                    Philox4x32.GenerateBlocks(_key0, _key1, first, _counter1, _counter2, _counter3, target);
                    wordCount += 2 * blocks;
                }
                else
                {
                    var raw = blockWords[..(4 * blocks)];
                    Philox4x32.GenerateBlocks(_key0, _key1, first, _counter1, _counter2, _counter3, raw);
                    for (var j = 0; j < blocks; j++)
                    {
                        words[wordCount++] = raw[4 * j] | ((ulong)raw[4 * j + 1] << 32);
                        words[wordCount++] = raw[4 * j + 2] | ((ulong)raw[4 * j + 3] << 32);
                    }
                }
            }
            if (wordCount > 2 * pairs)
            {
                // One word of the last block is left over: it stays buffered for the next draw.
                _word1 = words[2 * pairs];
                _bufferedWords = 1;
            }

            var fullPairs = Math.Min(pairs, (destination.Length - filled) >> 1);
            WeightSampling.GaussianPairs(words[..(2 * fullPairs)], destination.Slice(filled, 2 * fullPairs));
            filled += 2 * fullPairs;
            if (fullPairs < pairs)
            {
                WeightSampling.GaussianPairs(words.Slice(2 * fullPairs, 2), pairBuffer);
                destination[filled++] = pairBuffer[0];
                _spareGaussian = pairBuffer[1];
                _hasSpareGaussian = true;
            }
        }
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

    /// <summary>The next 64 random bits of the stream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ulong NextWord()
    {
        if (_bufferedWords == 0) RefillBlock();
        return TakeBufferedWord();
    }

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
        if (first + (ulong)count > BlockLimit)
            throw new InvalidOperationException("RandomStream: a trial's stream is limited to 2^32 blocks of 128 bits");
        _nextBlock = first + (ulong)count;
        return (uint)first;
    }
}
