using System.Reflection;
using Ntk.Numerics.Statistics;
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
}
