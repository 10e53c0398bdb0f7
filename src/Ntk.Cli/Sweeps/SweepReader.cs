using Ntk.Numerics.Measurement;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ntk.Cli.Terminal;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;

namespace Ntk.Cli.Sweeps;

/// <summary>
/// Reads a sweep file (docs/contract.md §5) into a <see cref="SweepDocument"/>, or throws a <see cref="SweepException"/> that
/// names the file, the JSON path of the offending field and its line and column. Reading writes nothing.
/// </summary>
/// <remarks>
/// <para>Syntax: JSON with <c>//</c> and <c>/* */</c> comments and trailing commas. Unknown fields are errors (with the
/// nearest valid name), as are fields given twice.</para>
/// <para>Fields and defaults:
/// <c>name</c> (default: the file name without extension; must be usable as a directory name),
/// <c>description</c> (free text, ignored),
/// <c>seed</c> (integer ≥ 0; default 0),
/// <c>trials</c> (integer ≥ 1) or <c>targetStdErr</c> (number &gt; 0) with <c>maxTrials</c> (integer ≥ 2, default
/// 1,000,000) — exactly one of trials and targetStdErr,
/// <c>shardTrials</c> (integer ≥ 1, or "auto": from the work estimate, <see cref="ShardSizing"/>; default
/// min(trials or maxTrials, 1000)),
/// <c>statistics</c> (a list of statistic groups, <see cref="StatisticSelection"/>, or "all"; default by m:
/// <see cref="StatisticSelection.Default"/>),
/// <c>learningRates</c> (a number &gt; 0 or a list of them: an instability indicator 1[λ_max &gt; 2/η] each; needs the
/// spectrum; default none),
/// <c>network.inputDim</c> (required except for csv inputs, where it defaults to the CSV's row length),
/// <c>network.depth</c> + <c>network.width</c>, or <c>network.widths</c> (a list of width lists, one network each;
/// depth then absent or equal to every list's length),
/// <c>network.weights</c> (default gaussian), <c>network.engine</c> (default auto),
/// <c>inputs</c>: pair (<c>thetaDegrees</c> in [0, 180], <c>phaseDegrees</c> default 0), sphere (<c>count</c> ≥ 1,
/// <c>seed</c> default 0), csv (<c>path</c> relative to the sweep file's folder, <c>normalize</c> default false,
/// optional <c>sha256</c> of the file, checked when given; the normalized sweep always carries it).
/// Every scalar of <c>network</c> and every angle may be a list; the sweep is the Cartesian product.</para>
/// <para>The reader turns the file into typed axes; <see cref="SweepGrid"/> expands them into numbered points and fixes
/// their order (inputDim, network shape, weights, engine, phase, θ — the last varying fastest). The shape axis lists
/// depth, then width within it, or the widths lists in file order; every axis keeps the order the file lists it.</para>
/// </remarks>
internal static class SweepReader
{
    public const long DefaultMaxTrials = 1_000_000;
    public const int DefaultShardTrialsCap = 1000;
    public const ulong DefaultSeed = 0;
    public const ulong DefaultSphereSeed = 0;

    /// <summary>A sweep larger than this is almost certainly a typo (a list where a value was meant).</summary>
    public const int MaxPoints = 100_000;

    /// <summary>
    /// Cap on the measurement vector of one point (MeasurementLayout: with every group the m×m kernel and L per-layer
    /// m×m correlators, O(L·m²) entries, each kept with its moments by every accumulator): with the default statistics
    /// m = 4,096 inputs (kernel, spectrum, activity: 8.4 million at L = 1), with every group about m = 2,000 at L = 1. Beyond it a
    /// run would exhaust memory long after it started; the reader refuses it up front (and <c>ntk validate</c> states
    /// the memory and message sizes of what it accepts: <see cref="SweepFootprint"/>).
    /// </summary>
    public const long MaxStatisticsPerPoint = 9_000_000;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private static readonly string[] RootFields =
        ["name", "description", "seed", "trials", "targetStdErr", "maxTrials", "shardTrials", "statistics", "learningRates", "network", "inputs"];
    private static readonly string[] NetworkFields = ["inputDim", "depth", "width", "widths", "weights", "engine"];
    private static readonly string[] InputKinds = ["pair", "sphere", "csv"];
    private static readonly string[] PairFields = ["kind", "thetaDegrees", "phaseDegrees"];
    private static readonly string[] SphereFields = ["kind", "count", "seed"];
    private static readonly string[] CsvFields = ["kind", "path", "normalize", "sha256"];

    /// <summary>Reads the sweep file at <paramref name="path"/>; CSV paths inside it are relative to its folder.</summary>
    public static SweepDocument Read(string path) => ReadFile(path);

    /// <summary>Reads the sweep file at <paramref name="path"/>; CSV paths inside it are relative to its folder.</summary>
    public static SweepDocument ReadFile(string path)
    {
        if (Directory.Exists(path))
            throw new SweepException(path, null, null, null, "is a directory; expected a sweep file (.json)");
        if (!File.Exists(path))
            throw new SweepException(path, null, null, null, "sweep file not found");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new SweepException(path, null, null, null, "cannot read the sweep file: " + error.Message, error);
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? Directory.GetCurrentDirectory();
        return Read(bytes, path, folder, Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>Reads sweep text; <paramref name="displayPath"/> names it in errors.</summary>
    public static SweepDocument Read(string json, string displayPath, string baseDirectory, string defaultName) =>
        Read(Encoding.UTF8.GetBytes(json), displayPath, baseDirectory, defaultName);

    /// <summary>
    /// Reads UTF-8 sweep text. <paramref name="baseDirectory"/> resolves relative CSV paths;
    /// <paramref name="defaultName"/> is the name when the file gives none.
    /// </summary>
    public static SweepDocument Read(byte[] utf8, string displayPath, string baseDirectory, string defaultName)
    {
        ReadOnlyMemory<byte> text = utf8;
        if (utf8.AsSpan().StartsWith(Encoding.UTF8.Preamble)) text = text[Encoding.UTF8.Preamble.Length..];

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, DocumentOptions);
        }
        catch (JsonException error)
        {
            throw new SweepException(displayPath, null, (int?)error.LineNumber + 1, (int?)error.BytePositionInLine + 1,
                "malformed JSON: " + StripJsonLocation(error.Message), error);
        }

        using (document)
        {
            var reader = new Reader(displayPath, baseDirectory, defaultName, JsonPositions.Build(text.Span, ReaderOptions));
            return reader.ReadSweep(new Node(document.RootElement, ""));
        }
    }

    /// <summary>System.Text.Json appends "LineNumber: … | BytePositionInLine: …"; the location is printed up front instead.</summary>
    private static string StripJsonLocation(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        var trimmed = (cut < 0 ? message : message[..cut]).TrimEnd();
        return trimmed.EndsWith('.') ? trimmed[..^1] : trimmed;
    }

    /// <summary>A JSON value and its path in the file.</summary>
    private readonly record struct Node(JsonElement Element, string Path)
    {
        public Node Child(string name, JsonElement element) => new(element, JsonPositions.Child(Path, name));
    }

    /// <summary>The values of a field that may be a scalar or a list, each with its own path.</summary>
    private readonly record struct Axis<T>(string Path, ImmutableArray<(T Value, string Path)> Items)
    {
        public int Count => Items.Length;
    }

    private sealed class Reader(string file, string baseDirectory, string defaultName, JsonPositions positions)
    {
        private readonly List<string> _warnings = [];

        public SweepDocument ReadSweep(Node root)
        {
            var fields = Fields(root, RootFields, "the sweep");

            var hasName = fields.TryGetValue("name", out var nameNode);
            var name = hasName ? String(nameNode) : defaultName;
            CheckDirectoryName(name, "name", fromFile: hasName);
            if (fields.TryGetValue("description", out var description)) String(description);
            var seed = fields.TryGetValue("seed", out var seedNode) ? Seed(seedNode) : DefaultSeed;

            var stopping = ReadStopping(root, fields);
            var hasShardTrials = fields.TryGetValue("shardTrials", out var shardNode);
            var autoShards = hasShardTrials && shardNode.Element.ValueKind == JsonValueKind.String;
            if (autoShards && String(shardNode) != "auto")
                throw Fail(shardNode.Path, $"expected an integer ≥ 1 or \"auto\", got {Raw(shardNode)}");
            var shardTrials = hasShardTrials && !autoShards
                ? Integer(shardNode, 1, int.MaxValue)
                : (int)Math.Min(stopping.TrialCap, DefaultShardTrialsCap);
            StatisticGroups? statisticsChoice = fields.TryGetValue("statistics", out var statisticsNode)
                ? Statistics(statisticsNode)
                : null;

            var learningRates = fields.TryGetValue("learningRates", out var ratesNode)
                ? LearningRates(ratesNode, statisticsChoice)
                : null;

            var network = Required(root, fields, "network", "the network to sample, e.g. {\"inputDim\": 10, \"depth\": 3, \"width\": 64}");
            var inputs = Required(root, fields, "inputs", "the inputs, e.g. {\"kind\": \"pair\", \"thetaDegrees\": [0, 90]}");
            var networkFields = Fields(network, NetworkFields, "network");
            var (kind, inputFields) = ReadInputFields(inputs);

            // Inputs first for csv: its row length is the default inputDim.
            double[][]? csvRows = null;
            string? csvPath = null, csvHash = null;
            var normalize = false;
            if (kind == SweepInputKind.Csv)
            {
                var pathNode = Required(inputs, inputFields, "path", "the CSV file, relative to the sweep file's folder");
                csvPath = String(pathNode);
                normalize = inputFields.TryGetValue("normalize", out var normalizeNode) && Boolean(normalizeNode);
                csvRows = ReadCsv(pathNode, csvPath, normalize, out csvHash);
                if (inputFields.TryGetValue("sha256", out var hashNode) &&
                    !string.Equals(String(hashNode), csvHash, StringComparison.OrdinalIgnoreCase))
                    throw Fail(hashNode.Path,
                        $"the CSV file {csvPath} has changed since this sweep was written: its SHA-256 is {csvHash}");
            }

            var inputDims = networkFields.TryGetValue("inputDim", out var inputDimNode)
                ? Items(inputDimNode, node => Integer(node, 1, int.MaxValue))
                : kind == SweepInputKind.Csv
                    ? new Axis<int>("network.inputDim", [(csvRows![0].Length, "network.inputDim")])
                    : throw Missing(network, "inputDim", "the input dimension n0, e.g. \"inputDim\": 10");
            if (kind == SweepInputKind.Csv)
                foreach (var (dim, path) in inputDims.Items)
                    if (dim != csvRows![0].Length)
                        throw Fail(path, $"is {dim}, but the CSV file {csvPath} has {csvRows[0].Length} values per row");

            var shapes = ReadShapes(network, networkFields);
            var laws = networkFields.TryGetValue("weights", out var weightsNode)
                ? Items(weightsNode, Law)
                : new Axis<WeightLaw>("network.weights", [(WeightLaw.Gaussian, "network.weights")]);
            var engines = networkFields.TryGetValue("engine", out var engineNode)
                ? Items(engineNode, Engine)
                : new Axis<EngineKind>("network.engine", [(EngineKind.Auto, "network.engine")]);
            foreach (var (engine, enginePath) in engines.Items)
                if (engine == EngineKind.Conditional)
                    foreach (var (law, lawPath) in laws.Items)
                        if (law.Kind != WeightLawKind.Gaussian)
                            throw Fail(enginePath,
                                $"conditional requires gaussian weights, but {lawPath} is {law.Name}; use \"dense\" or \"auto\" for that law");
            foreach (var (law, lawPath) in laws.Items)
                if (law.HasAtoms)
                    _warnings.Add(Fail(lawPath, $"{law.Name} has atoms, which violates the paper's assumption of an atomless " +
                                                "weight law (docs/science.md §1); its points show what breaks, not what the theorems predict").Message);

            Axis<double> thetas = default, phases = default;
            var sphereCount = 0;
            var sphereSeed = DefaultSphereSeed;
            switch (kind)
            {
                case SweepInputKind.Pair:
                    thetas = Items(Required(inputs, inputFields, "thetaDegrees", "the angles between the two inputs, in degrees"), Angle);
                    phases = inputFields.TryGetValue("phaseDegrees", out var phaseNode)
                        ? Items(phaseNode, Number)
                        : new Axis<double>("inputs.phaseDegrees", [(0.0, "inputs.phaseDegrees")]);
                    if (phases.Count > 1 && laws.Items.All(law => law.Value.Kind == WeightLawKind.Gaussian))
                        _warnings.Add(Fail(phases.Path, "several phases with only gaussian weights: the Gaussian law is rotation " +
                                                        "invariant, so these points sample the same distribution").Message);
                    foreach (var (dim, path) in inputDims.Items)
                        if (dim < 2)
                            throw Fail(path, $"pair inputs need inputDim ≥ 2 (two unit vectors at an angle span a plane), got {dim}");
                    break;
                case SweepInputKind.Sphere:
                    sphereCount = Integer(Required(inputs, inputFields, "count", "the number of points on the sphere"), 1, int.MaxValue);
                    if (inputFields.TryGetValue("seed", out var sphereSeedNode)) sphereSeed = Seed(sphereSeedNode);
                    break;
            }

            GridInputs gridInputs = kind switch
            {
                SweepInputKind.Pair => new GridInputs.Pair([.. phases.Items.Select(item => item.Value)], [.. thetas.Items.Select(item => item.Value)]),
                SweepInputKind.Sphere => new GridInputs.Sphere(sphereCount, sphereSeed),
                _ => new GridInputs.Listed([.. csvRows!.Select(row => ImmutableArray.Create(row))]),
            };
            var groups = statisticsChoice ?? StatisticSelection.Default(gridInputs.Count);
            var grid = new SweepGrid([.. inputDims.Items.Select(item => item.Value)], [.. shapes.Items.Select(item => item.Value)],
                [.. laws.Items.Select(item => item.Value)], [.. engines.Items.Select(item => item.Value)], gridInputs, groups, learningRates);
            var statistics = grid.MaxStatisticsPerPoint;
            if (statistics > MaxStatisticsPerPoint)
                throw Fail(statisticsChoice is null ? (kind == SweepInputKind.Sphere ? "inputs.count" : "inputs.path") : "statistics",
                    $"{gridInputs.Count} inputs at depth {grid.MaxDepth} make {statistics} statistics per network ({StatisticSelection.Describe(groups)}); " +
                    $"at most {MaxStatisticsPerPoint} are supported (one point's state is 48 bytes per statistic, held by every " +
                    "accumulator), so use fewer inputs or fewer statistics (e.g. \"statistics\": [\"kernel\", \"spectrum\"])");

            var pointCount = grid.PointCount;
            if (pointCount > MaxPoints)
                throw Fail("", $"the sweep has {pointCount} points (the product of every list); at most {MaxPoints} are allowed");

            var (sweepPoints, requestedEngines) = grid.Expand(seed);
            var sources = requestedEngines.Select(engine => new SweepPointSource(engine)).ToImmutableArray();
            if (autoShards) shardTrials = ShardSizing.AutoShardTrials(sweepPoints, stopping);
            var plan = new SimulationPlan(name, seed, shardTrials, stopping, sweepPoints);
            var footprint = SweepFootprint.For(plan);
            var memory = SweepFootprint.MachineMemoryBytes();
            if (footprint.Largest.SingleProcessBytes > memory)
                throw Fail(statisticsChoice is null ? (kind == SweepInputKind.Pair ? "network" : kind == SweepInputKind.Sphere ? "inputs.count" : "inputs.path") : "statistics",
                    $"point {footprint.LargestPointIndex} needs about {SweepFootprint.Bytes(footprint.Largest.SingleProcessBytes)} " +
                    $"(one worker thread {SweepFootprint.Bytes(footprint.Largest.WorkerThreadBytes)}, its aggregator " +
                    $"{SweepFootprint.Bytes(footprint.Largest.AggregatorBytes)}; state {SweepFootprint.Bytes(footprint.Largest.StateBytes)} " +
                    $"for {footprint.Largest.Statistics} statistics), but this machine has {SweepFootprint.Bytes(memory)}; " +
                    "use fewer inputs, narrower networks or fewer statistics");
            var normalized = Normalize(plan, inputDims, shapes, laws, engines, kind, thetas, phases, sphereCount, sphereSeed,
                csvPath, csvHash, normalize, statisticsChoice, learningRates);
            return new SweepDocument(file, plan, kind, sources, normalized, [.. _warnings]);
        }

        private StoppingRule ReadStopping(Node root, Dictionary<string, Node> fields)
        {
            var hasTrials = fields.TryGetValue("trials", out var trialsNode);
            var hasTarget = fields.TryGetValue("targetStdErr", out var targetNode);
            var hasMax = fields.TryGetValue("maxTrials", out var maxNode);
            if (hasTrials && hasTarget)
                throw Fail(targetNode.Path,
                    "trials and targetStdErr are both set; give trials (a fixed count per point) or targetStdErr (stop at that precision), not both");
            if (hasTrials)
            {
                if (hasMax) throw Fail(maxNode.Path, "only applies with targetStdErr; with trials, every point runs exactly that many");
                return StoppingRule.Fixed(Long(trialsNode, 1));
            }
            if (hasTarget)
            {
                var target = Number(targetNode);
                if (!(target > 0)) throw Fail(targetNode.Path, $"must be a positive number, got {Raw(targetNode)}");
                var max = hasMax ? Long(maxNode, 2) : DefaultMaxTrials;
                return StoppingRule.Target(target, max);
            }
            throw Fail(root.Path,
                "missing the stopping rule: give \"trials\" (a fixed number per point) or \"targetStdErr\" (with an optional \"maxTrials\")");
        }

        private (SweepInputKind Kind, Dictionary<string, Node> Fields) ReadInputFields(Node inputs)
        {
            if (inputs.Element.ValueKind != JsonValueKind.Object)
                throw Fail(inputs.Path, $"expected an object such as {{\"kind\": \"pair\", \"thetaDegrees\": [0, 90]}}, got {Describe(inputs.Element)}");
            if (!inputs.Element.TryGetProperty("kind", out var kindElement))
                throw Fail(inputs.Path, "missing field 'kind'; expected \"pair\", \"sphere\" or \"csv\"");
            var kindNode = inputs.Child("kind", kindElement);
            var kindText = String(kindNode);
            var kind = kindText switch
            {
                "pair" => SweepInputKind.Pair,
                "sphere" => SweepInputKind.Sphere,
                "csv" => SweepInputKind.Csv,
                _ => throw Fail(kindNode.Path, $"unknown input kind \"{kindText}\"" +
                    (CommandLineErrors.NearestName(kindText, InputKinds) is { } near ? $"; did you mean \"{near}\"?" : "; expected pair, sphere or csv")),
            };
            var known = kind switch { SweepInputKind.Pair => PairFields, SweepInputKind.Sphere => SphereFields, _ => CsvFields };
            return (kind, Fields(inputs, known, $"inputs of kind {kindText}"));
        }

        private Axis<ImmutableArray<int>> ReadShapes(Node network, Dictionary<string, Node> fields)
        {
            var hasDepth = fields.TryGetValue("depth", out var depthNode);
            var hasWidth = fields.TryGetValue("width", out var widthNode);
            if (fields.TryGetValue("widths", out var widthsNode))
            {
                if (hasWidth)
                    throw Fail(widthNode.Path, "give either width (the same width in every layer, with depth) or widths (one list per network), not both");
                int? depth = null;
                if (hasDepth)
                {
                    if (depthNode.Element.ValueKind == JsonValueKind.Array)
                        throw Fail(depthNode.Path, "with widths, depth must be a single integer (each widths list sets its own depth) or absent");
                    depth = Integer(depthNode, 1, int.MaxValue);
                }
                if (widthsNode.Element.ValueKind != JsonValueKind.Array)
                    throw Fail(widthsNode.Path, $"expected a list of width lists, e.g. [[8, 16, 32], [64, 64]], got {Describe(widthsNode.Element)}");
                var networks = ImmutableArray.CreateBuilder<(ImmutableArray<int>, string)>();
                var index = 0;
                foreach (var element in widthsNode.Element.EnumerateArray())
                {
                    var item = new Node(element, $"{widthsNode.Path}[{index++}]");
                    if (element.ValueKind != JsonValueKind.Array)
                        throw Fail(item.Path, $"expected a list of widths (one network), e.g. [64, 64], got {Describe(element)}; " +
                                              "widths is a list of lists, so one network is written [[64, 64]]");
                    var layers = ImmutableArray.CreateBuilder<int>();
                    var layer = 0;
                    foreach (var width in element.EnumerateArray())
                        layers.Add(Integer(new Node(width, $"{item.Path}[{layer++}]"), 1, int.MaxValue));
                    if (layers.Count == 0)
                        throw Fail(item.Path, "is an empty list; a network needs at least one hidden layer");
                    if (depth is { } d && layers.Count != d)
                        throw Fail(item.Path, $"has {layers.Count} hidden layers but network.depth is {d}");
                    networks.Add((layers.ToImmutable(), item.Path));
                }
                if (networks.Count == 0)
                    throw Fail(widthsNode.Path, "is an empty list; give at least one network, e.g. [[64, 64]]");
                RefuseDuplicates(networks, SequenceComparer.Instance);
                return new Axis<ImmutableArray<int>>(widthsNode.Path, networks.ToImmutable());
            }

            if (!hasDepth) throw Missing(network, "depth", "the number of hidden layers (or give \"widths\")");
            if (!hasWidth) throw Missing(network, "width", "the width of every hidden layer (or give \"widths\")");
            var depths = Items(depthNode, node => Integer(node, 1, int.MaxValue));
            var widths = Items(widthNode, node => Integer(node, 1, int.MaxValue));
            var shapes = ImmutableArray.CreateBuilder<(ImmutableArray<int>, string)>(depths.Count * widths.Count);
            foreach (var (depth, depthPath) in depths.Items)
                foreach (var (width, widthPath) in widths.Items)
                    shapes.Add(([.. Enumerable.Repeat(width, depth)], widthPath));
            return new Axis<ImmutableArray<int>>(network.Path, shapes.MoveToImmutable());
        }

        /// <summary>
        /// A learning rate η or a non-empty list of them, each a finite number &gt; 0, each once: the instability indicators
        /// 1[λ_max &gt; 2/η] (docs/science.md §7). They need λ_max, so a statistics selection without "spectrum" is refused.
        /// </summary>
        private double[] LearningRates(Node node, StatisticGroups? statistics)
        {
            var items = new List<Node>();
            if (node.Element.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var element in node.Element.EnumerateArray()) items.Add(new Node(element, $"{node.Path}[{index++}]"));
                if (items.Count == 0) throw Fail(node.Path, "is an empty list; give at least one learning rate, e.g. [0.1, 1.0], or leave the field out");
            }
            else items.Add(node);
            var rates = new double[items.Count];
            for (var i = 0; i < items.Count; i++)
            {
                var eta = Number(items[i]);
                if (!(eta > 0)) throw Fail(items[i].Path, $"a learning rate must be a number > 0, got {Raw(items[i])}");
                if (Array.IndexOf(rates, eta, 0, i) >= 0) throw Fail(items[i].Path, $"{Raw(items[i])} is listed twice");
                rates[i] = eta;
            }
            if (statistics is { } chosen && (chosen & StatisticGroups.Spectrum) == 0)
                throw Fail(node.Path, "needs the spectrum (λ_max): add \"spectrum\" to \"statistics\" or leave learningRates out");
            return rates;
        }

        /// <summary>"all", or a non-empty list of group names (each once).</summary>
        private StatisticGroups Statistics(Node node)
        {
            if (node.Element.ValueKind == JsonValueKind.String && String(node) == "all") return StatisticGroups.All;
            if (node.Element.ValueKind != JsonValueKind.Array)
                throw Fail(node.Path,
                    $"expected \"all\" or a list of statistic groups ({string.Join(", ", StatisticSelection.Groups.Select(g => g.Name))}), got {Describe(node.Element)}");
            var groups = StatisticGroups.None;
            var index = 0;
            foreach (var element in node.Element.EnumerateArray())
            {
                var item = new Node(element, $"{node.Path}[{index++}]");
                StatisticGroups group;
                try
                {
                    group = StatisticSelection.Parse(String(item));
                }
                catch (FormatException error)
                {
                    throw Fail(item.Path, StripPrefix(error.Message, "statistics: "));
                }
                if ((groups & group) != 0) throw Fail(item.Path, $"\"{String(item)}\" is listed twice");
                groups |= group;
            }
            if (groups == StatisticGroups.None)
                throw Fail(node.Path, "is an empty list; give at least one group, e.g. [\"kernel\", \"spectrum\"]");
            return groups;
        }

        private double[][] ReadCsv(Node pathNode, string csvPath, bool normalize, out string sha256)
        {
            if (csvPath.Length == 0) throw Fail(pathNode.Path, "is empty; give the CSV file's path");
            var fullPath = Path.GetFullPath(Path.Combine(baseDirectory, csvPath));
            var displayDirectory = Path.GetDirectoryName(file);
            var displayPath = Path.IsPathRooted(csvPath) || string.IsNullOrEmpty(displayDirectory)
                ? csvPath
                : Path.Combine(displayDirectory, csvPath);
            if (!File.Exists(fullPath))
                throw Fail(pathNode.Path, $"CSV file not found: {displayPath} (paths are relative to the sweep file's folder)");
            return CsvInputReader.Read(fullPath, displayPath, normalize, out sha256);
        }

        // ---- fields ------------------------------------------------------------------------------------------

        private Dictionary<string, Node> Fields(Node node, string[] known, string where)
        {
            if (node.Element.ValueKind != JsonValueKind.Object)
                throw Fail(node.Path, $"expected an object, got {Describe(node.Element)}");
            var fields = new Dictionary<string, Node>(StringComparer.Ordinal);
            foreach (var property in node.Element.EnumerateObject())
            {
                var child = node.Child(property.Name, property.Value);
                if (Array.IndexOf(known, property.Name) < 0)
                {
                    var near = CommandLineErrors.NearestName(property.Name, known);
                    throw Fail(child.Path, $"unknown field '{property.Name}' in {where}; " +
                                           (near is not null ? $"did you mean '{near}'?" : $"expected one of: {string.Join(", ", known)}"));
                }
                if (!fields.TryAdd(property.Name, child))
                    throw Fail(child.Path, $"field '{property.Name}' appears twice in {where}");
            }
            return fields;
        }

        private Node Required(Node parent, Dictionary<string, Node> fields, string name, string what) =>
            fields.TryGetValue(name, out var node) ? node : throw Missing(parent, name, what);

        private SweepException Missing(Node parent, string name, string what) =>
            Fail(parent.Path, $"missing field '{name}': {what}");

        /// <summary>A scalar (one item, at the field's own path) or a non-empty list (items at path[i]).</summary>
        private Axis<T> Items<T>(Node node, Func<Node, T> read)
        {
            if (node.Element.ValueKind != JsonValueKind.Array)
                return new Axis<T>(node.Path, [(read(node), node.Path)]);
            var items = ImmutableArray.CreateBuilder<(T, string)>();
            var index = 0;
            foreach (var element in node.Element.EnumerateArray())
            {
                var item = new Node(element, $"{node.Path}[{index++}]");
                if (element.ValueKind == JsonValueKind.Array)
                    throw Fail(item.Path, "expected a value, got a nested list");
                items.Add((read(item), item.Path));
            }
            if (items.Count == 0) throw Fail(node.Path, "is an empty list; give at least one value");
            RefuseDuplicates(items, EqualityComparer<T>.Default);
            return new Axis<T>(node.Path, items.ToImmutable());
        }

        /// <summary>
        /// A value listed twice would make two points of the Cartesian product sample the same distribution under two
        /// point indices (twice the work, and two rows a reader takes for independent evidence): an error at the second.
        /// </summary>
        private void RefuseDuplicates<T>(IReadOnlyList<(T Value, string Path)> items, IEqualityComparer<T> comparer)
        {
            for (var i = 1; i < items.Count; i++)
                for (var j = 0; j < i; j++)
                    if (comparer.Equals(items[i].Value, items[j].Value))
                        throw Fail(items[i].Path, $"repeats the value of {items[j].Path}; each value of a list must differ " +
                                                  "(a repeated value would run the same point twice)");
        }

        /// <summary>Width lists compared element by element (ImmutableArray compares references).</summary>
        private sealed class SequenceComparer : IEqualityComparer<ImmutableArray<int>>
        {
            public static readonly SequenceComparer Instance = new();
            public bool Equals(ImmutableArray<int> x, ImmutableArray<int> y) => x.AsSpan().SequenceEqual(y.AsSpan());
            public int GetHashCode(ImmutableArray<int> obj) => obj.Length;
        }

        // ---- scalars -----------------------------------------------------------------------------------------

        private int Integer(Node node, int min, int max) => (int)WholeNumber(node, min, max);

        private long Long(Node node, long min) => WholeNumber(node, min, long.MaxValue);

        /// <summary>An integer in [min, max]; accepts whole numbers written with an exponent (1e6).</summary>
        private long WholeNumber(Node node, long min, long max)
        {
            if (node.Element.ValueKind != JsonValueKind.Number)
                throw Fail(node.Path, $"expected an integer, got {Describe(node.Element)}");
            long value;
            if (!node.Element.TryGetInt64(out value))
            {
                if (!node.Element.TryGetDouble(out var number) || number != Math.Floor(number))
                    throw Fail(node.Path, $"expected an integer, got {Raw(node)}");
                // 2^63 is exactly representable, so this admits only doubles that fit in a long.
                if (Math.Abs(number) >= 9.2233720368547758e18)
                    throw Fail(node.Path, number > 0 ? $"must be at most {max}, got {Raw(node)}" : $"must be at least {min}, got {Raw(node)}");
                value = (long)number;
            }
            if (value < min) throw Fail(node.Path, $"must be at least {min}, got {Raw(node)}");
            if (value > max) throw Fail(node.Path, $"must be at most {max}, got {Raw(node)}");
            return value;
        }

        private ulong Seed(Node node)
        {
            if (node.Element.ValueKind != JsonValueKind.Number)
                throw Fail(node.Path, $"expected an integer seed ≥ 0, got {Describe(node.Element)}");
            if (node.Element.TryGetUInt64(out var seed)) return seed;
            if (node.Element.TryGetInt64(out var negative) && negative < 0)
                throw Fail(node.Path, $"must be at least 0, got {Raw(node)}");
            throw Fail(node.Path, $"expected an integer seed in [0, 2^64), got {Raw(node)}");
        }

        private double Number(Node node)
        {
            if (node.Element.ValueKind != JsonValueKind.Number)
                throw Fail(node.Path, $"expected a number, got {Describe(node.Element)}");
            if (!node.Element.TryGetDouble(out var value) || !double.IsFinite(value))
                throw Fail(node.Path, $"is not a finite number: {Raw(node)}");
            return value;
        }

        private double Angle(Node node)
        {
            var degrees = Number(node);
            if (degrees is < 0 or > 180)
                throw Fail(node.Path, $"the angle between two inputs must be in [0, 180] degrees, got {Raw(node)}");
            return degrees;
        }

        private string String(Node node) =>
            node.Element.ValueKind == JsonValueKind.String
                ? node.Element.GetString()!
                : throw Fail(node.Path, $"expected a string, got {Describe(node.Element)}");

        private bool Boolean(Node node) => node.Element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Fail(node.Path, $"expected true or false, got {Describe(node.Element)}"),
        };

        private WeightLaw Law(Node node)
        {
            var text = String(node);
            try
            {
                return WeightLaw.Parse(text);
            }
            catch (FormatException error)
            {
                throw Fail(node.Path, StripPrefix(error.Message, "weights: "));
            }
        }

        private EngineKind Engine(Node node)
        {
            var text = String(node);
            try
            {
                return EngineChoice.Parse(text);
            }
            catch (FormatException error)
            {
                throw Fail(node.Path, StripPrefix(error.Message, "engine: "));
            }
        }

        private void CheckDirectoryName(string name, string path, bool fromFile)
        {
            var where = fromFile ? path : "name (taken from the file name)";
            string? problem = null;
            if (string.IsNullOrWhiteSpace(name)) problem = "is empty";
            else if (name != name.Trim()) problem = "starts or ends with white space";
            else if (name is "." or "..") problem = $"cannot be \"{name}\"";
            else if (name.Length > 200) problem = "is longer than 200 characters";
            else if (name.FirstOrDefault(c => char.IsControl(c) || "/\\:*?\"<>|".Contains(c)) is var bad && bad != default)
                problem = $"contains '{(char.IsControl(bad) ? "\\u" + ((int)bad).ToString("x4", CultureInfo.InvariantCulture) : bad.ToString())}'";
            if (problem is not null)
                throw Fail(fromFile ? path : "",
                    $"{(fromFile ? "" : where + " ")}\"{name}\" {problem}; the sweep name becomes the results directory, so use letters, digits, '-', '_' or '.'");
        }

        // ---- errors ------------------------------------------------------------------------------------------

        private SweepException Fail(string path, string detail)
        {
            var position = positions.Find(path);
            return new SweepException(file, path, position?.Line, position?.Column, detail);
        }

        private static string Raw(Node node) => node.Element.GetRawText();

        private static string StripPrefix(string message, string prefix) =>
            message.StartsWith(prefix, StringComparison.Ordinal) ? message[prefix.Length..] : message;

        private static string Describe(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.String => $"a string ({element.GetRawText()})",
            JsonValueKind.Number => $"the number {element.GetRawText()}",
            JsonValueKind.True or JsonValueKind.False => element.GetRawText(),
            JsonValueKind.Null => "null",
            JsonValueKind.Array => "a list",
            JsonValueKind.Object => "an object",
            _ => element.ValueKind.ToString(),
        };

        // ---- canonical form -----------------------------------------------------------------------------------

        private static string Normalize(SimulationPlan plan, Axis<int> inputDims, Axis<ImmutableArray<int>> shapes,
            Axis<WeightLaw> laws, Axis<EngineKind> engines, SweepInputKind kind, Axis<double> thetas, Axis<double> phases,
            int sphereCount, ulong sphereSeed, string? csvPath, string? csvHash, bool normalize, StatisticGroups? statistics,
            double[]? learningRates)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteString("name", plan.Name);
                json.WriteNumber("seed", plan.MasterSeed);
                if (plan.Stopping.TargetStdErr is { } target)
                {
                    json.WriteNumber("targetStdErr", target);
                    json.WriteNumber("maxTrials", plan.Stopping.MaxTrials);
                }
                else
                    json.WriteNumber("trials", plan.Stopping.Trials);
                json.WriteNumber("shardTrials", plan.ShardTrials);
                // Written only when the file chose it: the default depends on m alone, so a sweep without the field
                // reads back to the same selection (and keeps the normalized text, hence the sweep hash, of earlier versions).
                if (statistics is { } chosen)
                {
                    json.WriteStartArray("statistics");
                    foreach (var groupName in StatisticSelection.Names(chosen)) json.WriteStringValue(groupName);
                    json.WriteEndArray();
                }
                // Written only when given, like the statistics: sweeps without it keep their normalized text and hash.
                if (learningRates is not null)
                {
                    json.WriteStartArray("learningRates");
                    foreach (var eta in learningRates) json.WriteNumberValue(eta);
                    json.WriteEndArray();
                }

                json.WriteStartObject("network");
                json.WriteStartArray("inputDim");
                foreach (var (dim, _) in inputDims.Items) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("widths");
                foreach (var (widths, _) in shapes.Items)
                {
                    json.WriteStartArray();
                    foreach (var width in widths) json.WriteNumberValue(width);
                    json.WriteEndArray();
                }
                json.WriteEndArray();
                json.WriteStartArray("weights");
                foreach (var (law, _) in laws.Items) json.WriteStringValue(law.Name);
                json.WriteEndArray();
                json.WriteStartArray("engine");
                foreach (var (engine, _) in engines.Items) json.WriteStringValue(EngineChoice.Name(engine));
                json.WriteEndArray();
                json.WriteEndObject();

                json.WriteStartObject("inputs");
                switch (kind)
                {
                    case SweepInputKind.Pair:
                        json.WriteString("kind", "pair");
                        json.WriteStartArray("thetaDegrees");
                        foreach (var (theta, _) in thetas.Items) json.WriteNumberValue(theta);
                        json.WriteEndArray();
                        json.WriteStartArray("phaseDegrees");
                        foreach (var (phase, _) in phases.Items) json.WriteNumberValue(phase);
                        json.WriteEndArray();
                        break;
                    case SweepInputKind.Sphere:
                        json.WriteString("kind", "sphere");
                        json.WriteNumber("count", sphereCount);
                        json.WriteNumber("seed", sphereSeed);
                        break;
                    case SweepInputKind.Csv:
                        json.WriteString("kind", "csv");
                        json.WriteString("path", csvPath);
                        json.WriteBoolean("normalize", normalize);
                        // The data's fingerprint: results.json then names exactly which data it was computed from, and
                        // reading it back (or resuming) fails if the file changed.
                        json.WriteString("sha256", csvHash);
                        break;
                }
                json.WriteEndObject();
                json.WriteEndObject();
            }
            return Encoding.UTF8.GetString(buffer.ToArray());
        }
    }
}
