using System.Reflection;
using System.Text.RegularExpressions;
using Ntk.Numerics.Statistics;
using Ntk.Numerics.Tests.Support;
using Xunit;

namespace Ntk.Numerics.Tests;

public sealed class PurityTests
{
    private static readonly string[] ForbiddenPrefixes = ["Akka", "Serilog"];

    [Fact]
    public void Ntk_Numerics_references_no_Akka_or_Serilog_assembly_directly_or_transitively()
    {
        var root = typeof(PointAccumulator).Assembly;
        Assert.Equal("Ntk.Numerics", root.GetName().Name);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<Assembly>([root]);
        while (pending.Count > 0)
        {
            var assembly = pending.Pop();
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                var name = reference.Name ?? "";
                Assert.DoesNotContain(ForbiddenPrefixes, prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
                // Follow only the project's own and third-party references; the framework cannot reach Akka or Serilog.
                if (!seen.Add(name) || name.StartsWith("System", StringComparison.Ordinal) ||
                    name.StartsWith("Microsoft", StringComparison.Ordinal) || name is "netstandard" or "mscorlib") continue;
                pending.Push(Assembly.Load(reference));
            }
        }
        Assert.Contains("MathNet.Numerics", seen);
    }

    /// <summary>
    /// The C runtime's elementary functions differ in their last bits between systems, so nothing in Ntk.Numerics may
    /// call them, nor MathNet.Numerics' special functions built on them (docs/numerics.md §14; contract §7: the same
    /// bits on every machine). The one exception is the absolute sphere areas, an API no result uses.
    /// </summary>
    [Fact]
    public void Ntk_Numerics_takes_no_elementary_function_from_the_C_runtime()
    {
        var runtimeMath = new Regex(
            @"\b(Math|MathF)\.(Acos|Asin|Atan|Atan2|Cos|Sin|Tan|SinCos|Cosh|Sinh|Tanh|Exp|Log|Log2|Log10|Pow|Cbrt|Acosh|Asinh|Atanh)\s*\(" +
            @"|\bSpecialFunctions\.|\bIntegrate\.");
        Dictionary<string, int> allowed = new() { ["PaperClaims.cs"] = 3 }; // SphereArea, HypercapIntegral, LogSphereArea
        var found = new Dictionary<string, List<string>>();
        foreach (var file in RepositoryFiles.SourceFiles(Path.Combine("src", "Ntk.Numerics")))
            foreach (var (line, number) in File.ReadLines(file).Select((line, i) => (line, i + 1)))
            {
                var code = line.TrimStart();
                if (code.StartsWith("//", StringComparison.Ordinal)) continue;
                if (!runtimeMath.IsMatch(code)) continue;
                var name = Path.GetFileName(file);
                if (!found.TryGetValue(name, out var lines)) found[name] = lines = [];
                lines.Add($"{name}:{number}: {code}");
            }
        foreach (var (name, lines) in found)
            Assert.True(allowed.TryGetValue(name, out var count) && lines.Count <= count,
                "runtime math in Ntk.Numerics (use PortableMath):\n" + string.Join("\n", lines));
        Assert.True(found.ContainsKey("PaperClaims.cs"), "the scan found nothing at all: is it reading the sources?");
    }
}
