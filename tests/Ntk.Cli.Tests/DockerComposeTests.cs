using System.Text.RegularExpressions;
using Xunit;

using Ntk.Cli.Tests.Support;

namespace Ntk.Cli.Tests;

/// <summary>
/// docker-compose.yml cannot be run here (no Docker): these tests check its structure instead — the services, the
/// scaling of the workers, the shared results volume, the seeds by service name — with a minimal reader of the
/// block-indented YAML the file uses (keys, nesting by indentation, lists; no flow mappings needed).
/// </summary>
public sealed class DockerComposeTests
{

    private static readonly Lazy<YamlNode> Compose = new(() => YamlNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docker-compose.yml"))));

    [Fact]
    public void It_has_a_coordinator_scaled_workers_and_postgres()
    {
        var services = Compose.Value["services"];
        Assert.NotNull(services["coordinator"]);
        Assert.NotNull(services["postgres"]);
        var replicas = services["worker"]["deploy"]["replicas"].Scalar;
        Assert.True(int.Parse(replicas!) >= 2, $"worker replicas = {replicas}");
        Assert.StartsWith("postgres", services["postgres"]["image"].Scalar);
        // The coordinator journals into that service (by its name), with the service's database and user.
        var journal = Ntk.Cluster.Persistence.SweepJournal.Parse(services["coordinator"]["environment"]["NTK_JOURNAL"].Scalar, "/results");
        Assert.Equal(Ntk.Cluster.Persistence.JournalBackend.PostgreSql, journal.Backend);
        Assert.Contains("Host=postgres", journal.ConnectionString);
        Assert.Contains($"Database={services["postgres"]["environment"]["POSTGRES_DB"].Scalar}", journal.ConnectionString);
        Assert.Contains($"Username={services["postgres"]["environment"]["POSTGRES_USER"].Scalar}", journal.ConnectionString);
    }

    [Fact]
    public void Workers_find_the_coordinator_by_service_name_and_the_coordinator_listens_on_the_seed_port()
    {
        var services = Compose.Value["services"];
        var coordinator = services["coordinator"]["environment"];
        var worker = services["worker"]["environment"];
        Assert.Equal("4053", coordinator["NTK_PORT"].Scalar);
        Assert.Equal("coordinator", coordinator["NTK_PUBLIC_HOSTNAME"].Scalar);
        Assert.Equal("0.0.0.0", worker["NTK_HOSTNAME"].Scalar);
        Assert.Equal("coordinator:4053", worker["NTK_SEEDS"].Scalar);
        Assert.Equal("coordinator:4053", coordinator["NTK_SEEDS"].Scalar);
        Assert.Contains("worker", services["worker"]["command"].Items.Select(i => i.Scalar));
        Assert.Contains("coordinator", services["coordinator"]["command"].Items.Select(i => i.Scalar));
    }

    [Fact]
    public void Coordinator_and_workers_share_the_results_volume()
    {
        var root = Compose.Value;
        Assert.NotNull(root["volumes"]["results"]);
        // The services take their volumes from the shared x-ntk-node anchor.
        var anchorVolumes = root["x-ntk-node"]["volumes"].Items.Select(i => i.Scalar).ToList();
        Assert.Contains("results:/results", anchorVolumes);
        var text = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docker-compose.yml"));
        foreach (var service in new[] { "coordinator", "worker" })
            Assert.Matches(new Regex($@"(?m)^  {service}:\n    <<: \*ntk-node$"), text);
        // The coordinator writes into the volume, and the workers log next to it.
        Assert.Contains(root["services"]["coordinator"]["command"].Items, i => i.Scalar!.StartsWith("/results/", StringComparison.Ordinal));
        Assert.StartsWith("/results/", root["services"]["worker"]["environment"]["NTK_LOG_DIR"].Scalar);
    }

    [Fact]
    public void The_dockerfile_builds_the_cli_and_runs_it()
    {
        var dockerfile = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "Dockerfile"));
        Assert.Contains("dotnet publish src/Ntk.Cli/Ntk.Cli.csproj", dockerfile);
        Assert.Contains("COPY cluster-config/", dockerfile);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"/app/ntk.dll\"]", dockerfile);
    }

    /// <summary>A block-style YAML node: a mapping (Children), a list (Items) or a scalar.</summary>
    private sealed class YamlNode
    {
        public Dictionary<string, YamlNode> Children { get; } = new(StringComparer.Ordinal);
        public List<YamlNode> Items { get; } = [];
        public string? Scalar { get; private set; }

        /// <summary>The child <paramref name="key"/>; a missing key gives an empty node whose lookups fail the test.</summary>
        public YamlNode this[string key] => Children.TryGetValue(key, out var child) ? child : throw new Xunit.Sdk.XunitException($"missing key {key}");

        public static YamlNode Parse(string text)
        {
            var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n')
                .Select(StripComment)
                .Where(l => l.Trim().Length > 0)
                .ToList();
            var index = 0;
            return ParseBlock(lines, ref index, 0);
        }

        private static YamlNode ParseBlock(List<string> lines, ref int index, int indent)
        {
            var node = new YamlNode();
            while (index < lines.Count)
            {
                var line = lines[index];
                var lineIndent = line.Length - line.TrimStart().Length;
                if (lineIndent < indent) break;
                var content = line.Trim();
                if (content.StartsWith("- ", StringComparison.Ordinal) || content == "-")
                {
                    index++;
                    node.Items.Add(new YamlNode { Scalar = Unquote(content[1..].Trim()) });
                    continue;
                }
                var colon = content.IndexOf(':');
                if (colon < 0) throw new FormatException($"not a key: {content}");
                var key = content[..colon].Trim();
                var value = content[(colon + 1)..].Trim();
                index++;
                if (value.Length > 0 && !value.StartsWith('&'))
                {
                    var child = new YamlNode { Scalar = Unquote(value) };
                    if (value.StartsWith('[') && value.EndsWith(']'))
                        child.Items.AddRange(value[1..^1].Split(',').Select(v => new YamlNode { Scalar = Unquote(v.Trim()) }));
                    node.Children[key] = child;
                }
                else
                {
                    var nextIndent = index < lines.Count ? lines[index].Length - lines[index].TrimStart().Length : 0;
                    node.Children[key] = nextIndent > lineIndent || (index < lines.Count && lines[index].Trim().StartsWith('-'))
                        ? ParseBlock(lines, ref index, Math.Max(nextIndent, lineIndent))
                        : new YamlNode();
                }
            }
            return node;
        }

        private static string StripComment(string line)
        {
            var inQuote = false;
            for (var i = 0; i < line.Length; i++)
            {
                if (line[i] == '"') inQuote = !inQuote;
                if (line[i] == '#' && !inQuote && (i == 0 || char.IsWhiteSpace(line[i - 1]))) return line[..i].TrimEnd();
            }
            return line.TrimEnd();
        }

        private static string Unquote(string value) =>
            value.Length >= 2 && (value[0] == '"' && value[^1] == '"' || value[0] == '\'' && value[^1] == '\'') ? value[1..^1] : value;
    }
}
