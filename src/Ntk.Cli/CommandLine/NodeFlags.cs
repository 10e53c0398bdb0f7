using System.Collections.Immutable;
using System.CommandLine;
using Ntk.Cli.Terminal;
using Ntk.Cluster.Clustering;

namespace Ntk.Cli.CommandLine;

/// <summary>
/// The address flags every cluster node takes, each with an environment-variable fallback (for containers):
/// --hostname (NTK_HOSTNAME), --public-hostname (NTK_PUBLIC_HOSTNAME), --port (NTK_PORT), --seeds (NTK_SEEDS),
/// --config (NTK_CONFIG). A flag wins over its variable; both win over cluster-config/*.hocon.
/// </summary>
internal sealed class NodeFlags
{
    private readonly Option<string?> _hostname = new("--hostname")
    {
        Description = "Interface to bind (default 127.0.0.1; env NTK_HOSTNAME). Use 0.0.0.0 with --public-hostname to accept other machines.",
    };
    private readonly Option<string?> _publicHostname = new("--public-hostname")
    {
        Description = "Address other nodes use to reach this one (default: the bound hostname; env NTK_PUBLIC_HOSTNAME).",
    };
    private readonly Option<int?> _port = TypedOptions.OptionalInteger("--port",
        "TCP port (env NTK_PORT; coordinator default 4053, worker default 0 = any).", minimum: 0, maximum: 65535, helpName: "P");
    private readonly Option<string?> _seeds;
    private readonly Option<string?> _config = new("--config")
    {
        Description = "Extra HOCON file layered over cluster-config/*.hocon (env NTK_CONFIG).",
    };

    private NodeFlags(string seedsDescription)
    {
        _seeds = new Option<string?>("--seeds") { Description = seedsDescription };
    }

    public static NodeFlags Create(string seedsDescription) => new(seedsDescription);

    public void AddTo(Command command)
    {
        command.Add(_hostname);
        command.Add(_publicHostname);
        command.Add(_port);
        command.Add(_seeds);
        command.Add(_config);
    }

    /// <summary>The flags, else the environment; throws <see cref="InvalidInputException"/> for a malformed value.</summary>
    public ClusterNodeOptions Read(ParseResult parse)
    {
        var hostname = HostName("--hostname", parse.GetValue(_hostname) ?? Environment("NTK_HOSTNAME"));
        var publicHostname = HostName("--public-hostname", parse.GetValue(_publicHostname) ?? Environment("NTK_PUBLIC_HOSTNAME"));
        var port = parse.GetValue(_port);
        if (port is null && Environment("NTK_PORT") is { } portText)
        {
            if (!TypedOptions.TryParseInteger(portText, out var parsed) || parsed < 0 || parsed > 65535)
                throw new InvalidInputException($"NTK_PORT: \"{portText}\" is not a port in 0..65535");
            port = parsed;
        }
        var seedsText = parse.GetValue(_seeds) ?? Environment("NTK_SEEDS");
        var seeds = ImmutableArray<SeedAddress>.Empty;
        if (seedsText is not null)
        {
            try
            {
                seeds = SeedAddress.ParseList(seedsText);
            }
            catch (FormatException e)
            {
                throw new InvalidInputException("--seeds: " + e.Message, e);
            }
        }
        var config = parse.GetValue(_config) ?? Environment("NTK_CONFIG");
        if (config is not null && !File.Exists(config)) throw new InvalidInputException($"--config: {config} does not exist");
        return new ClusterNodeOptions(hostname, publicHostname, port, seeds, config);
    }

    /// <summary>A DNS name or an IPv4/IPv6 address, else an input error (Akka would fail later, at bind or join).</summary>
    private static string? HostName(string option, string? value) =>
        value is null || Uri.CheckHostName(value) != UriHostNameType.Unknown ? value
            : throw new InvalidInputException($"{option}: expected a host name or IP address, got '{value}'");

    private static string? Environment(string name) =>
        System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
