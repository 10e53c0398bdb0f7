using System.CommandLine;
using System.Globalization;
using Ntk.Cli.CommandLine;
using Ntk.Cli.Terminal;
using Ntk.Numerics.Analytic;
using Ntk.Numerics.Networks;

namespace Ntk.Cli.Commands;

/// <summary>What <c>ntk theory</c> was asked: one configuration, two unit inputs at each angle θ.</summary>
internal sealed record TheoryRequest(int InputDim, int Depth, int Width, IReadOnlyList<double> ThetaDegrees, WeightLaw Law);

/// <summary>
/// <c>ntk theory --input-dim N --depth L --width W --theta DEG [DEG ...] [--weights LAW]</c>: prints the analytic
/// predictions for two unit inputs at angle θ (docs/science.md §4–§6): for one angle the full report layer by layer, for
/// several one row per angle. Exit 0; 2 for a missing or invalid option.
/// </summary>
internal static class TheoryCommand
{
    /// <summary>Deepest network the command accepts: the recursion is O(L), but its table is not meant to be.</summary>
    public const int MaxDepth = 1_000_000;

    /// <summary>Layers shown in full; a deeper network shows the first <see cref="HeadLayers"/> and the last <see cref="TailLayers"/>.</summary>
    public const int FullTableLayers = 24;
    private const int HeadLayers = 12;
    private const int TailLayers = 8;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var inputDim = TypedOptions.RequiredInteger("--input-dim",
            "Input dimension n0 (at least 2: two unit inputs at an angle span a plane).", minimum: 2, helpName: "N");
        var depth = TypedOptions.RequiredInteger("--depth", "Number of hidden layers L (at least 1).", minimum: 1,
            maximum: MaxDepth, helpName: "L");
        var width = TypedOptions.RequiredInteger("--width", "Width n of every hidden layer (at least 1).", minimum: 1, helpName: "W");
        var theta = TypedOptions.NumberList("--theta",
            "Angle between the two unit inputs, in degrees, in [0, 180]; several angles (--theta 0 45 90) give one row each.",
            minimum: 0, maximum: 180, unit: " degrees", required: true, helpName: "DEG");
        var weights = new Option<string>("--weights")
        {
            Description = "Weight law: gaussian | uniform | laplace | student-t:ν | rademacher.",
            DefaultValueFactory = _ => "gaussian",
            HelpName = "LAW",
        };
        weights.Validators.Add(result =>
        {
            var law = result.Tokens.Count == 0 ? "gaussian" : result.Tokens[^1].Value;
            try
            {
                WeightLaw.Parse(law);
            }
            catch (FormatException error)
            {
                result.AddError("--" + error.Message);
            }
        });

        var command = new Command("theory", "Print the analytic predictions (infinite-width NTK and correlators, exact diagonal, each paper claim) for one configuration.")
        {
            inputDim, depth, width, theta, weights,
        };
        command.SetAction(parse => Execute(
            new TheoryRequest(parse.GetValue(inputDim), parse.GetValue(depth), parse.GetValue(width), parse.GetValue(theta)!,
                WeightLaw.Parse(parse.GetValue(weights) ?? "gaussian")),
            stdout, stderr));
        return command;
    }

    public static int Execute(TheoryRequest request, TextWriter stdout, TextWriter stderr) =>
        CommandLineErrors.Guard(stderr, () =>
        {
            if (request.Law.HasAtoms)
                stderr.WriteLine($"warning: {request.Law.Name} has atoms, which violates the paper's assumption of an atomless " +
                                 "weight law (docs/science.md §1); the exact finite-width facts below need not hold for it");
            if (request.ThetaDegrees.Count == 1) Print(request, stdout);
            else PrintAngles(request, stdout);
            return ExitCodes.Success;
        });

    /// <summary>
    /// Several angles: what does not depend on θ once, then one row per angle with Θ_ab, c_1, c_L, Π c_l and the
    /// θ-dependent claims (Theorem 1.1, Theorem 2.2's bound).
    /// </summary>
    internal static void PrintAngles(TheoryRequest request, TextWriter output)
    {
        var n0 = request.InputDim;
        var depth = request.Depth;
        var angles = string.Join(", ", request.ThetaDegrees.Select(Number));
        output.WriteLine($"configuration: n0 = {n0}, L = {depth}, width {request.Width} in every hidden layer, " +
                         $"θ = {angles} (degrees), weights {request.Law.Name}");
        output.WriteLine("inputs: unit vectors x_a = (1, 0, …), x_b = (cos θ, sin θ, 0, …)");
        var xa = InputSet.Pair(n0, 0).Input(0);
        output.WriteLine($"exact diagonal E[K_aa] = 2(L+1)‖x‖²/n0 = {Number(AnalyticNtk.ExactDiagonal(xa, depth))} " +
                         $"(Corollary 1.1 says 2L‖x‖²/n0 = {Number(PaperClaims.Corollary11(xa, depth))}); " +
                         $"Θ_aa = {Number(AnalyticNtk.Pair(xa, xa, depth).Theta)}");
        output.WriteLine();
        output.WriteLine("per angle: infinite width (docs/science.md §4) and the paper's θ-dependent claims (docs/science.md §6)");
        var table = new TextTable("θ (deg)>", "x_a·x_b>", "Θ_ab>", "c_1>", $"c_{depth}>", "Π_l c_l>",
            "Theorem 1.1>", "Theorem 2.2 bound>", "bound");
        foreach (var degrees in request.ThetaDegrees)
        {
            var inputs = InputSet.PairDegrees(n0, degrees);
            var xb = inputs.Input(1);
            var analytic = AnalyticNtk.Pair(inputs.Input(0), xb, depth);
            var bound = PaperClaims.Theorem22Bound(inputs.Input(0), xb, depth);
            table.AddRow(Number(degrees), CosineMultiple(xb[0]), Number(analytic.Theta), Number(analytic.Correlator(1)),
                Number(analytic.Correlator(depth)), Number(analytic.PathProduct),
                CosineMultiple(PaperClaims.Theorem11(inputs.Input(0), xb, depth)), CosineMultiple(bound),
                Math.Abs(analytic.Theta) > bound ? "violated" : "holds");
        }
        table.Write(output);
        output.WriteLine("(one angle prints the full report: the recursion layer by layer and every claim)");
    }

    /// <summary>
    /// The report: the configuration, the infinite-width recursion layer by layer (ρ_l, Σ^l(a,b), c_l), Θ_aa and Θ_ab,
    /// the exact finite-width facts (docs/science.md §5), then each paper claim's value next to the correct one with what is
    /// known about it (docs/science.md §6). Inputs are the pair of unit vectors of docs/contract.md §5 with phase 0.
    /// </summary>
    internal static void Print(TheoryRequest request, TextWriter output)
    {
        var n0 = request.InputDim;
        var depth = request.Depth;
        var thetaDegrees = request.ThetaDegrees[0];
        var thetaRadians = thetaDegrees * Math.PI / 180;
        var gaussian = request.Law.Kind == WeightLawKind.Gaussian;
        var inputs = InputSet.PairDegrees(n0, thetaDegrees);
        var xa = inputs.Input(0);
        var xb = inputs.Input(1);
        var analytic = AnalyticNtk.Pair(xa, xb, depth);
        var thetaAa = AnalyticNtk.Pair(xa, xa, depth).Theta;
        var exactDiagonal = AnalyticNtk.ExactDiagonal(xa, depth);
        var dot = 0.0;
        for (var i = 0; i < n0; i++) dot += xa[i] * xb[i];

        output.WriteLine($"configuration: n0 = {n0}, L = {depth}, width {request.Width} in every hidden layer, " +
                         $"θ = {Number(thetaDegrees)}°, weights {request.Law.Name}");
        output.WriteLine($"inputs: unit vectors x_a = (1, 0, …), x_b = (cos θ, sin θ, 0, …); x_a·x_b = cos θ = {CosineMultiple(dot)}");
        output.WriteLine();

        output.WriteLine("infinite width (arc-cosine recursion, docs/science.md §4; the same for every width profile and, by the CLT, every variance-1 law)");
        var table = new TextTable("layer l>", "ρ_l>", "Σ^l(a,b)>", "c_l>");
        foreach (var layer in ShownLayers(depth + 1))
        {
            if (layer < 0)
            {
                table.AddRow("⋮", $"({-layer} layers not shown)", "", "");
                continue;
            }
            table.AddRow(
                layer.ToString(CultureInfo.InvariantCulture),
                layer == 1 ? CosineMultiple(analytic.Rho[0]) : Number(analytic.Rho[layer - 1]),
                layer == 1 ? CosineMultiple(analytic.Sigma[0]) : Number(analytic.Sigma[layer - 1]),
                layer <= depth ? Number(analytic.Correlator(layer)) : "(output)");
        }
        table.Write(output);
        output.WriteLine($"Θ_aa = {Number(thetaAa)}");
        output.WriteLine($"Θ_ab = {Number(analytic.Theta)}");
        output.WriteLine($"Π_l c_l = {Number(analytic.PathProduct)}");
        output.WriteLine();

        output.WriteLine("exact at every width (docs/science.md §5" + (gaussian ? ")" : "; proved for Gaussian weights, not for " + request.Law.Name + ")"));
        output.WriteLine($"exact diagonal E[K_aa] = 2(L+1)‖x‖²/n0 = {Number(exactDiagonal)}");
        output.WriteLine($"first-layer correlator c_1 = (π − θ)/(2π) = {Number(AnalyticNtk.FirstLayerCorrelator(thetaRadians))}" +
                         (gaussian ? "" : " (Gaussian weights only; other laws differ at finite n0)"));
        if (depth == 1)
            output.WriteLine($"L = 1: E[K_ab] = Θ_ab = {Number(AnalyticNtk.DepthOneTheta(xa, xb))} at every width (Gaussian weights)");
        var beta = (double)depth / request.Width;
        output.WriteLine($"finite-width scale β = Σ_l 1/n_l = L/n = {Number(beta)}: off-diagonal E[K_ab] departs from Θ_ab as β grows " +
                         $"(Hanin & Nica: E[K_aa²]/E[K_aa]² ≈ exp(5β) = {Number(Math.Exp(5 * beta))}, approached from below)");
        output.WriteLine();

        var corollary = PaperClaims.Corollary11(xa, depth);
        var theorem11 = PaperClaims.Theorem11(xa, xb, depth);
        var theorem21 = PaperClaims.Theorem21(n0, thetaRadians);
        var bound = PaperClaims.Theorem22Bound(xa, xb, depth);
        var deepest = analytic.Correlator(depth);
        output.WriteLine("paper claims (docs/science.md §6): the paper's value next to the correct one");
        var claims = new TextTable("claim", "statement", "paper>", "correct>", "what is known");
        claims.AddRow("Theorem 1.1", "E[K_ab] = (x_a·x_b)(L/n0) 2^(L+1) Π_l c_l", CosineMultiple(theorem11), Number(analytic.Theta) + " (Θ_ab)",
            "does not hold: it drops the Σ^l terms for l ≥ 2, and is 0 at θ = 90° where K_ab is not");
        claims.AddRow("Corollary 1.1", "E[K_aa] = 2L‖x‖²/n0", Number(corollary), Number(exactDiagonal) + " (exact)",
            "off by one layer: the truth is 2(L+1)‖x‖²/n0");
        // At θ = 0 (z_b = z_a) and θ = 180° (z_b = −z_a) c_1 is 1/2 and 0 for every symmetric atomless law.
        var lawFree = thetaDegrees is 0 or 180 && !request.Law.HasAtoms;
        claims.AddRow("Theorem 2.1", "c_1 = hypercap formula 1/2 − J_n/A_n", Number(theorem21),
            gaussian || lawFree ? Number(AnalyticNtk.FirstLayerCorrelator(thetaRadians)) + " ((π−θ)/2π)" : "measure it",
            gaussian ? "holds for Gaussian weights (n0 = 2 needs the limit I_x(0, ½) = 1)" : $"fails for non-Gaussian laws such as {request.Law.Name}");
        claims.AddRow("Theorem 2.2", "|E K_ab| ≤ |x_a·x_b| (4L/n0) c_1", CosineMultiple(bound), Number(Math.Abs(analytic.Theta)) + " (|Θ_ab|)",
            (Math.Abs(analytic.Theta) > bound ? "violated here at infinite width" : "holds here at infinite width") +
            "; violated in most (depth, width, angle) cells, e.g. θ = 0 and θ = 90°");
        claims.AddRow("Remark §2.2", $"deep correlators tend to 1/4 (c_{depth})", Number(PaperClaims.RemarkDeepCorrelatorLimit),
            Number(deepest) + $" (c_{depth})",
            "they tend to 1/2: θ = 0 is the attracting fixed point, c_l ≈ 1/2 − 3/(2l)");
        claims.AddRow("Independence", "E[Π_l ξξ] = Π_l E[ξξ]", Number(PaperClaims.IndependenceProduct(analytic.Correlators.AsSpan())),
            "measure it", "exact only at infinite width; at finite width dead layers correlate the factors");
        claims.Write(output);
    }

    /// <summary>Eight significant digits, invariant culture: enough to compare with a measured mean ± SE.</summary>
    private static string Number(double value) => value.ToString("G8", CultureInfo.InvariantCulture);

    /// <summary>
    /// <see cref="Number"/> for quantities proportional to x_a·x_b = cos θ (Σ^1, ρ_1, Theorem 1.1, Theorem 2.2's bound):
    /// below 1e-15 in magnitude they are the rounding of cos 90° = 6e-17 and print as 0.
    /// </summary>
    private static string CosineMultiple(double value) => Math.Abs(value) < 1e-15 ? "0" : Number(value);

    /// <summary>
    /// The layers 1..<paramref name="rows"/> of the recursion table; beyond <see cref="FullTableLayers"/> rows the first
    /// and the last few, with one negative entry (minus the number left out) where the elision goes.
    /// </summary>
    internal static IEnumerable<int> ShownLayers(int rows)
    {
        if (rows <= FullTableLayers)
        {
            for (var layer = 1; layer <= rows; layer++) yield return layer;
            yield break;
        }
        for (var layer = 1; layer <= HeadLayers; layer++) yield return layer;
        yield return -(rows - HeadLayers - TailLayers);
        for (var layer = rows - TailLayers + 1; layer <= rows; layer++) yield return layer;
    }
}
