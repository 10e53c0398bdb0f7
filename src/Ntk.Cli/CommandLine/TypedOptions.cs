using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Ntk.Cli.CommandLine;

/// <summary>
/// Options whose values are numbers, parsed in one way for every command: invariant culture, no group separators
/// (so "4,5" is an error, not 45), one error line per bad value that names the option and quotes what was given
/// ("--workers: expected an integer, got 'abc'"), and the range checked in the same place. The errors are parse errors,
/// so <c>Program</c> reports them with a usage hint and exit code 2 before any command runs.
/// </summary>
/// <remarks>
/// System.CommandLine's own conversion is culture-sensitive and its validators cannot read a value that did not
/// convert (reading one throws), which is why every numeric option of <c>ntk</c> is built here.
/// </remarks>
internal static class TypedOptions
{
    /// <summary>An integer option in [<paramref name="minimum"/>, <paramref name="maximum"/>] with a default.</summary>
    public static Option<int> Integer(string name, string description, Func<int> defaultValue, int minimum,
        int maximum = int.MaxValue, string? helpName = null)
    {
        var option = new Option<int>(name) { Description = description, HelpName = helpName, DefaultValueFactory = _ => defaultValue() };
        option.CustomParser = result => result.Tokens.Count == 0 ? defaultValue() : ParseInteger(result, minimum, maximum) ?? 0;
        return option;
    }

    /// <summary>A required integer option in [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public static Option<int> RequiredInteger(string name, string description, int minimum, int maximum = int.MaxValue,
        string? helpName = null)
    {
        var option = new Option<int>(name) { Description = description, HelpName = helpName, Required = true };
        option.CustomParser = result => result.Tokens.Count == 0 ? 0 : ParseInteger(result, minimum, maximum) ?? 0;
        return option;
    }

    /// <summary>An integer option in [<paramref name="minimum"/>, <paramref name="maximum"/>]; null when absent.</summary>
    public static Option<int?> OptionalInteger(string name, string description, int minimum, int maximum = int.MaxValue,
        string? helpName = null)
    {
        var option = new Option<int?>(name) { Description = description, HelpName = helpName };
        option.CustomParser = result => result.Tokens.Count == 0 ? null : ParseInteger(result, minimum, maximum);
        return option;
    }

    /// <summary>A finite number in (0, <paramref name="maximum"/>] (seconds, intervals) with a default.</summary>
    public static Option<double> Positive(string name, string description, Func<double> defaultValue,
        double maximum = double.MaxValue, string? helpName = null)
    {
        var option = new Option<double>(name) { Description = description, HelpName = helpName, DefaultValueFactory = _ => defaultValue() };
        option.CustomParser = result => result.Tokens.Count == 0 ? defaultValue() : ParsePositive(result, maximum) ?? 0;
        return option;
    }

    /// <summary>A finite number in (0, <paramref name="maximum"/>]; null when absent.</summary>
    public static Option<double?> OptionalPositive(string name, string description, double maximum = double.MaxValue,
        string? helpName = null)
    {
        var option = new Option<double?>(name) { Description = description, HelpName = helpName };
        option.CustomParser = result => result.Tokens.Count == 0 ? null : ParsePositive(result, maximum);
        return option;
    }

    /// <summary>
    /// One or more numbers in [<paramref name="minimum"/>, <paramref name="maximum"/>], given as separate words
    /// (<c>--theta 30 60 90</c>) or by repeating the option. A comma is rejected with a hint rather than read as a
    /// decimal or group separator.
    /// </summary>
    public static Option<double[]> NumberList(string name, string description, double minimum, double maximum,
        string unit, bool required, string? helpName = null)
    {
        var option = new Option<double[]>(name)
        {
            Description = description,
            HelpName = helpName,
            Required = required,
            AllowMultipleArgumentsPerToken = true,
            Arity = ArgumentArity.OneOrMore,
        };
        option.CustomParser = result =>
        {
            var values = new double[result.Tokens.Count];
            for (var i = 0; i < values.Length; i++)
            {
                var text = result.Tokens[i].Value;
                if (!TryParseNumber(text, out var value))
                {
                    result.AddError(text.Contains(',', StringComparison.Ordinal)
                        ? $"{name}: expected a number, got '{text}' (the decimal separator is '.'; give several values as {name} 30 60)"
                        : $"{name}: expected a number, got '{text}'");
                    return [];
                }
                if (!(value >= minimum && value <= maximum))
                {
                    result.AddError($"{name}: must be in [{Format(minimum)}, {Format(maximum)}]{unit}, got {text}");
                    return [];
                }
                values[i] = value;
            }
            return values;
        };
        return option;
    }

    /// <summary>An integer as the options and environment variables of <c>ntk</c> write it: invariant digits with an optional sign.</summary>
    public static bool TryParseInteger(string text, out int value) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>A decimal number, invariant culture: sign, digits, '.', exponent; no group separators, no "NaN"/"∞".</summary>
    public static bool TryParseNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    private static int? ParseInteger(ArgumentResult result, int minimum, int maximum)
    {
        var name = OptionName(result);
        var text = result.Tokens[^1].Value;
        if (!TryParseInteger(text, out var value))
        {
            result.AddError($"{name}: expected an integer, got '{text}'");
            return null;
        }
        if (value < minimum || value > maximum)
        {
            result.AddError(maximum == int.MaxValue
                ? $"{name}: must be at least {minimum}, got {text}"
                : $"{name}: must be in {minimum}..{maximum}, got {text}");
            return null;
        }
        return value;
    }

    private static double? ParsePositive(ArgumentResult result, double maximum)
    {
        var name = OptionName(result);
        var text = result.Tokens[^1].Value;
        if (!TryParseNumber(text, out var value))
        {
            result.AddError($"{name}: expected a number, got '{text}'");
            return null;
        }
        if (!(value > 0 && value <= maximum))
        {
            result.AddError(maximum == double.MaxValue
                ? $"{name}: must be a positive number, got {text}"
                : $"{name}: must be in (0, {Format(maximum)}], got {text}");
            return null;
        }
        return value;
    }

    private static string OptionName(ArgumentResult result) =>
        result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;

    private static string Format(double value) => value.ToString("G", CultureInfo.InvariantCulture);
}
