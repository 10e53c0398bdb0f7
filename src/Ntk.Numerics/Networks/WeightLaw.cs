using System.Globalization;

namespace Ntk.Numerics.Networks;

/// <summary>The family of the unscaled weight law μ (docs/science.md §1).</summary>
public enum WeightLawKind
{
    /// <summary>Standard normal N(0, 1).</summary>
    Gaussian,
    /// <summary>Uniform on [−√3, √3] (variance 1).</summary>
    Uniform,
    /// <summary>Laplace with scale b = 1/√2 (variance 2b² = 1).</summary>
    Laplace,
    /// <summary>Student-t with ν &gt; 2 degrees of freedom, scaled by √((ν−2)/ν) to variance 1.</summary>
    StudentT,
    /// <summary>±1 with probability ½ each. Has atoms: violates the paper's assumptions, kept to show what breaks.</summary>
    Rademacher,
}

/// <summary>
/// A symmetric, mean-0, variance-1 law for the unscaled weights Ŵ. The layer scale sqrt(2/n_{l−1}) is applied
/// by the samplers, never here.
/// </summary>
public sealed record WeightLaw(WeightLawKind Kind, double DegreesOfFreedom = double.NaN)
{
    public static readonly WeightLaw Gaussian = new(WeightLawKind.Gaussian);
    public static readonly WeightLaw Uniform = new(WeightLawKind.Uniform);
    public static readonly WeightLaw Laplace = new(WeightLawKind.Laplace);
    public static readonly WeightLaw Rademacher = new(WeightLawKind.Rademacher);

    /// <summary>Student-t with <paramref name="degreesOfFreedom"/> &gt; 2, scaled to unit variance.</summary>
    public static WeightLaw StudentT(double degreesOfFreedom)
    {
        if (!(degreesOfFreedom > 2) || double.IsInfinity(degreesOfFreedom))
            throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom,
                "weights: student-t needs a finite ν > 2 (its variance is infinite for ν ≤ 2)");
        return new WeightLaw(WeightLawKind.StudentT, degreesOfFreedom);
    }

    /// <summary>True for laws with atoms (Rademacher), which the paper's theorems exclude.</summary>
    public bool HasAtoms => Kind == WeightLawKind.Rademacher;

    /// <summary>The sweep-file spelling: gaussian | uniform | laplace | student-t:ν | rademacher.</summary>
    public string Name => Kind switch
    {
        WeightLawKind.Gaussian => "gaussian",
        WeightLawKind.Uniform => "uniform",
        WeightLawKind.Laplace => "laplace",
        WeightLawKind.StudentT => "student-t:" + DegreesOfFreedom.ToString("R", CultureInfo.InvariantCulture),
        WeightLawKind.Rademacher => "rademacher",
        _ => throw new InvalidOperationException($"unknown law {Kind}"),
    };

    public override string ToString() => Name;

    /// <summary>Names accepted by <see cref="Parse"/>, for error messages.</summary>
    public static readonly IReadOnlyList<string> KnownNames = ["gaussian", "uniform", "laplace", "student-t:ν", "rademacher"];

    /// <summary>Parses the sweep-file spelling; throws <see cref="FormatException"/> naming the accepted laws.</summary>
    public static WeightLaw Parse(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        switch (t)
        {
            case "gaussian" or "normal": return Gaussian;
            case "uniform": return Uniform;
            case "laplace": return Laplace;
            case "rademacher": return Rademacher;
        }
        if (t.StartsWith("student-t", StringComparison.Ordinal))
        {
            var rest = t["student-t".Length..];
            if (rest.StartsWith(':') &&
                double.TryParse(rest[1..], NumberStyles.Float, CultureInfo.InvariantCulture, out var nu))
            {
                if (!(nu > 2) || double.IsInfinity(nu))
                    throw new FormatException($"weights: student-t needs a finite ν > 2, got {rest[1..]}");
                return new WeightLaw(WeightLawKind.StudentT, nu);
            }
            throw new FormatException($"weights: write student-t with its degrees of freedom, e.g. \"student-t:5\" (got \"{text}\")");
        }
        throw new FormatException(
            $"weights: unknown law \"{text}\"; expected one of {string.Join(", ", KnownNames)}");
    }
}
