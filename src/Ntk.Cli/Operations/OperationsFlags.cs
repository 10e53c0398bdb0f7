using System.Collections.Immutable;
using System.CommandLine;
using System.Globalization;
using Ntk.Cli.CommandLine;
using Ntk.Cli.Terminal;
using Ntk.Cluster.Clustering;
using Ntk.Cluster.Operations;

namespace Ntk.Cli.Operations;

/// <summary>What a node was asked to do besides the sweep: its HTTP endpoint and how it finds the cluster.</summary>
/// <param name="HttpPort">Port of /healthz/live, /healthz/ready and /metrics (null: no endpoint).</param>
/// <param name="Discovery">Cluster Bootstrap instead of seeds (null: seeds).</param>
/// <param name="Hold">Coordinator: after a completed sweep, keep running (endpoint up) until SIGTERM or Ctrl-C.</param>
/// <param name="Tls">Mutual TLS between nodes (null: plain TCP).</param>
internal sealed record OperationsOptions(int? HttpPort, DiscoveryOptions? Discovery, bool Hold = false, TlsOptions? Tls = null)
{
    public static readonly OperationsOptions None = new(null, null);

    /// <summary>The node options with this discovery and TLS.</summary>
    public ClusterNodeOptions Apply(ClusterNodeOptions node) => node with { Discovery = Discovery, Tls = Tls };
}

/// <summary>
/// The operations flags of `ntk coordinator` and `ntk worker`, each with an environment fallback (containers):
/// --http-port (NTK_HTTP_PORT), --discovery (NTK_DISCOVERY), --tls-certificate (NTK_TLS_CERTIFICATE), --tls-password
/// (NTK_TLS_PASSWORD), --tls-ca (NTK_TLS_CA) and, on the coordinator, --hold (NTK_HOLD=1). A flag wins over its variable. See docs/cluster.md, "Deploy" and "Observe".
/// </summary>
internal sealed class OperationsFlags
{
    private readonly Option<int?> _httpPort = TypedOptions.OptionalInteger("--http-port",
        "Serve /healthz/live, /healthz/ready and /metrics (Prometheus) on this port (env NTK_HTTP_PORT; default: none).",
        minimum: 1, maximum: 65535, helpName: "P");
    private readonly Option<string?> _discovery = new("--discovery")
    {
        Description = "Form the cluster through Akka.Management Cluster Bootstrap instead of --seeds: \"config:HOST:PORT[,..]\" " +
            "(HTTP endpoints to probe, normally the coordinator's --http-port) or \"kubernetes[:LABEL-SELECTOR]\" (env NTK_DISCOVERY).",
    };
    private readonly Option<string?> _tlsCertificate = new("--tls-certificate")
    {
        Description = "Mutual TLS between nodes: this node's certificate and private key, PKCS#12 (env NTK_TLS_CERTIFICATE; default: plain TCP).",
    };
    private readonly Option<string?> _tlsPassword = new("--tls-password")
    {
        Description = "Password of the --tls-certificate file (env NTK_TLS_PASSWORD, preferable: a flag shows in the process list).",
    };
    private readonly Option<string?> _tlsCa = new("--tls-ca")
    {
        Description = "The CA certificate (PEM/DER) every node's certificate must chain to; peers signed by anything else are refused (env NTK_TLS_CA).",
    };
    private readonly Option<bool>? _hold;

    /// <param name="hold">Offer --hold (the coordinator).</param>
    public OperationsFlags(bool hold = false)
    {
        if (hold)
            _hold = new Option<bool>("--hold")
            {
                Description = "After a completed sweep keep running, health and metrics endpoint up, until SIGTERM or Ctrl-C " +
                    "(a Kubernetes StatefulSet restarts a coordinator that exits; env NTK_HOLD=1).",
            };
    }

    public void AddTo(Command command)
    {
        command.Add(_httpPort);
        command.Add(_discovery);
        command.Add(_tlsCertificate);
        command.Add(_tlsPassword);
        command.Add(_tlsCa);
        if (_hold is not null) command.Add(_hold);
    }

    /// <summary>The flags, else the environment; throws <see cref="InvalidInputException"/> for a malformed value.</summary>
    public OperationsOptions Read(ParseResult parse, NodeRole role)
    {
        var httpPort = parse.GetValue(_httpPort) ?? Port("NTK_HTTP_PORT");
        if (httpPort == 0) throw new InvalidInputException("--http-port: give a port in 1..65535 (probes need to know it)");
        var discoveryText = parse.GetValue(_discovery) ?? Environment("NTK_DISCOVERY");
        if (discoveryText is not null && role == NodeRole.Coordinator && httpPort is null)
            throw new InvalidInputException("--discovery: the coordinator is the contact point workers probe; give it --http-port (or NTK_HTTP_PORT)");
        var hold = _hold is not null && (parse.GetValue(_hold) || Environment("NTK_HOLD") is "1" or "true");
        var certificate = parse.GetValue(_tlsCertificate) ?? Environment("NTK_TLS_CERTIFICATE");
        var password = parse.GetValue(_tlsPassword) ?? Environment("NTK_TLS_PASSWORD");
        var authority = parse.GetValue(_tlsCa) ?? Environment("NTK_TLS_CA");
        if (certificate is null && (authority is not null || password is not null))
            throw new InvalidInputException("--tls-ca / --tls-password: give the node's --tls-certificate too");
        foreach (var (flag, path) in new[] { ("--tls-certificate", certificate), ("--tls-ca", authority) })
            if (path is not null && !File.Exists(path)) throw new InvalidInputException($"{flag}: {path} does not exist");
        return new OperationsOptions(httpPort, discoveryText is null ? null : ParseDiscovery(discoveryText, httpPort ?? 0), hold,
            certificate is null ? null : new TlsOptions(certificate, password, authority));
    }

    /// <summary>"config:HOST:PORT[,..]" or "kubernetes[:SELECTOR]".</summary>
    internal static DiscoveryOptions ParseDiscovery(string text, int httpPort)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var method = (colon < 0 ? text : text[..colon]).Trim();
        var argument = colon < 0 ? "" : text[(colon + 1)..].Trim();
        if (method.Equals("config", StringComparison.OrdinalIgnoreCase))
        {
            if (argument.Length == 0)
                throw new InvalidInputException("--discovery: \"config:\" needs the management endpoints HOST:PORT[,..] to probe");
            try
            {
                return new DiscoveryOptions(DiscoveryMethod.Config, SeedAddress.ParseList(argument), httpPort, null);
            }
            catch (FormatException e)
            {
                throw new InvalidInputException("--discovery: " + e.Message.Replace("seed", "contact point", StringComparison.Ordinal), e);
            }
        }
        if (method.Equals("kubernetes", StringComparison.OrdinalIgnoreCase))
            return new DiscoveryOptions(DiscoveryMethod.Kubernetes, ImmutableArray<SeedAddress>.Empty, httpPort,
                argument.Length == 0 ? null : argument);
        throw new InvalidInputException($"--discovery: \"{text}\" is neither config:HOST:PORT[,..] nor kubernetes[:LABEL-SELECTOR]");
    }

    private static int? Port(string variable)
    {
        if (Environment(variable) is not { } text) return null;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            throw new InvalidInputException($"{variable}: \"{text}\" is not a port in 0..65535");
        return port;
    }

    private static string? Environment(string name) =>
        System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
