using Ntk.Cli.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests;

public sealed class TheoryCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Theory_prints_the_exact_diagonal()
    {
        // 2(L+1)‖x‖²/n0 with L = 3, n0 = 10, unit inputs: 0.8 (docs/science.md §4).
        var result = await CliRunner.RunAsync("theory", "--input-dim", "10", "--depth", "3", "--width", "64", "--theta", "45");
        output.WriteLine(result.ToString());

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("2(L+1)‖x‖²/n0 = 0.8", result.Stdout);
    }

    [Fact]
    public async Task Depth_one_at_a_right_angle_shows_theorem_1_1_at_zero_where_theta_is_one_over_pi()
    {
        // L = 1, n0 = 2, θ = π/2: Θ_ab = (2/n0)[2(π−θ)cos θ + sin θ]/π = 1/π; Theorem 1.1 has the factor x_a·x_b = 0.
        var result = await CliRunner.RunAsync("theory", "--input-dim", "2", "--depth", "1", "--width", "8", "--theta", "90");
        output.WriteLine(result.ToString());

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Θ_ab = 0.31830989", result.Stdout);
        Assert.Contains("2(L+1)‖x‖²/n0 = 2", result.Stdout);
        Assert.Contains("c_1 = (π − θ)/(2π) = 0.25", result.Stdout);
        var theorem11 = result.Stdout.Split('\n').Single(line => line.StartsWith("Theorem 1.1", StringComparison.Ordinal));
        Assert.Matches(@"\s0(\.0+)?(e[-+]?\d+)?\s+0\.31830989 \(Θ_ab\)", theorem11);
        var corollary = result.Stdout.Split('\n').Single(line => line.StartsWith("Corollary 1.1", StringComparison.Ordinal));
        Assert.Matches(@"\s1\s+2 \(exact\)", corollary);
    }

    [Fact]
    public async Task Non_gaussian_weights_are_flagged_where_the_exact_facts_need_gaussian_weights()
    {
        var result = await CliRunner.RunAsync("theory", "--input-dim", "4", "--depth", "2", "--width", "16", "--theta", "60", "--weights", "uniform");
        output.WriteLine(result.ToString());

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("proved for Gaussian weights, not for uniform", result.Stdout);
        Assert.Contains("fails for non-Gaussian laws such as uniform", result.Stdout);
    }

    [Theory]
    [InlineData("--input-dim", "10", "--depth", "3", "--width", "64")]                          // --theta missing
    [InlineData("--input-dim", "10", "--depth", "3", "--width", "64", "--theta", "200")]        // angle out of range
    [InlineData("--input-dim", "10", "--depth", "0", "--width", "64", "--theta", "45")]         // depth 0
    [InlineData("--input-dim", "10", "--depth", "3", "--width", "-4", "--theta", "45")]         // negative width
    [InlineData("--input-dim", "1", "--depth", "3", "--width", "64", "--theta", "45")]          // n0 < 2
    [InlineData("--input-dim", "10", "--depth", "3", "--width", "64", "--theta", "abc")]        // not a number
    [InlineData("--input-dim", "10", "--depth", "3", "--width", "64", "--theta", "45", "--weights", "cauchy")]
    [InlineData("--input-dim", "10", "--depth", "3", "--width", "64", "--theta", "45", "--bogus")]
    public async Task Bad_options_exit_2_with_a_usage_hint(params string[] options)
    {
        var result = await CliRunner.RunAsync(["theory", .. options]);
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.StartsWith("error: ", result.Stderr);
        Assert.Contains("usage: ntk theory --input-dim <N> --depth <L> --width <W> --theta <DEG> [options]", result.Stderr);
    }
}
