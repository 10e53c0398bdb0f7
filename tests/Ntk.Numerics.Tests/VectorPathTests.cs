using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// Every vector path must give the scalar path's bits (docs/performance.md §4), but a run of the tests only takes the
/// widest path its CPU has. So the bitwise and pinned-value tests run again here, in child test runs of this assembly
/// with the runtime's vector switches off: <c>DOTNET_EnableAVX512=0</c> (the AVX2 paths, where the CPU has them) and
/// <c>DOTNET_EnableHWIntrinsic=0</c> (no vector instructions: the scalar paths). A CPU with AVX-512 (as in CI) thus
/// checks all three paths in one <c>dotnet test</c>.
/// </summary>
public sealed class VectorPathTests(ITestOutputHelper output)
{
    /// <summary>
    /// The classes whose tests compare a fast path with its reference bitwise, pin a hash or values of the random
    /// sequence or of an engine's measurements, or check an engine's determinism and law (docs/performance.md §4).
    /// </summary>
    private static readonly string[] BitwiseClasses =
    [
        nameof(FastPathTests), nameof(SimdKernelTests), nameof(RandomStreamTests), nameof(PhiloxTests),
        nameof(ZigguratTests), nameof(MeasurementWriterTests), nameof(DenseSamplerTests),
        nameof(ConditionalSamplerTests), nameof(SmallDenseLinearAlgebraTests), nameof(SamplerEquivalenceTests),
    ];

    [Theory]
    [InlineData("DOTNET_EnableAVX512", FastPathTests.Without512)]         // Vector512 off: the 256-bit paths
    [InlineData("DOTNET_EnableHWIntrinsic", FastPathTests.ScalarOnly)]    // every intrinsic off: the scalar paths
    public async Task The_bitwise_tests_pass_with_the_vector_switch_off(string switchName, string expectedPaths)
    {
        if (Environment.GetEnvironmentVariable(switchName) == "0")
            return; // already a child run (the filter below excludes this class; this guards a hand-made filter)
        var filter = string.Join('|', BitwiseClasses.Select(c => "FullyQualifiedName~" + c));
        var workingDirectory = Directory.CreateTempSubdirectory("ntk-vector-paths-");
        try
        {
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = workingDirectory.FullName, // vstest may leave a TestResults folder behind
            };
            foreach (var argument in new[]
                     {
                         "test", typeof(VectorPathTests).Assembly.Location, "--filter", filter,
                         "--logger", "console;verbosity=normal",
                     })
                info.ArgumentList.Add(argument);
            // The outer `dotnet test` sets MSBuild variables for its own build; the child runs a built assembly.
            foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
                info.Environment.Remove(name);
            info.Environment[switchName] = "0";
            // What the child must see (checked by FastPathTests): a switch the runtime ignores fails there.
            info.Environment[FastPathTests.ExpectedPathsVariable] = expectedPaths;
            using var process = Process.Start(info)!;
            var standardError = process.StandardError.ReadToEndAsync();
            var text = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            var errors = await standardError;

            var passed = Regex.Matches(text, @"^\s*Passed (Ntk\.Numerics\.Tests\.\S+)", RegexOptions.Multiline)
                .Select(match => match.Groups[1].Value).ToList();
            output.WriteLine($"{switchName}=0: exit code {process.ExitCode}, {passed.Count} tests passed");
            Assert.True(process.ExitCode == 0,
                $"child test run with {switchName}=0 failed:\n{FailedTests(text)}\n{Tail(text)}\n{Tail(errors)}");
            // Every class ran (a renamed class would silently drop out of the filter), and the switch took effect.
            foreach (var name in BitwiseClasses)
                Assert.True(passed.Any(test => test.Contains("." + name + ".", StringComparison.Ordinal)),
                    $"no test of {name} ran in the child run:\n{Tail(text)}");
            Assert.Contains($"Ntk.Numerics.Tests.{nameof(FastPathTests)}.{nameof(FastPathTests.The_vector_switches_of_the_environment_take_effect)}", passed);
            Assert.True(passed.Count >= 100, $"only {passed.Count} tests passed in the child run");
        }
        finally
        {
            workingDirectory.Delete(recursive: true);
        }
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : "…" + text[^4000..];

    /// <summary>Each failed test of the child's output with the start of its message (the tail may not reach it).</summary>
    private static string FailedTests(string text) => string.Join("\n", Regex.Matches(text, @"^\s*Failed Ntk\.Numerics\.Tests\.", RegexOptions.Multiline)
        .Select(match => text.Substring(match.Index, Math.Min(2000, text.Length - match.Index))));
}
