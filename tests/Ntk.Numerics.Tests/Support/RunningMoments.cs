namespace Ntk.Numerics.Tests.Support;

/// <summary>Welford's one-pass mean and variance (Welford 1962), for Monte Carlo assertions in tests.</summary>
internal sealed class RunningMoments
{
    private double _mean;
    private double _sumOfSquares;

    public long Count { get; private set; }

    public void Push(double value)
    {
        Count++;
        var delta = value - _mean;
        _mean += delta / Count;
        _sumOfSquares += delta * (value - _mean);
    }

    public double Mean => _mean;

    /// <summary>Unbiased sample variance; NaN below two values.</summary>
    public double Variance => Count < 2 ? double.NaN : _sumOfSquares / (Count - 1);

    /// <summary>Standard error of the mean.</summary>
    public double StandardError => Math.Sqrt(Variance / Count);

    /// <summary>(mean − exact) / standard error; 0 when both the spread and the difference are exactly 0.</summary>
    public double ZScore(double exact)
    {
        var difference = _mean - exact;
        var error = StandardError;
        if (error == 0) return difference == 0 ? 0 : double.PositiveInfinity * Math.Sign(difference);
        return difference / error;
    }
}
