using System.Globalization;
using System.Text;
using Akka.Configuration;
using Ntk.Cluster.Settings;

namespace Ntk.Cluster.Clustering;

/// <summary>The role of a node in a multi-node sweep.</summary>
public enum NodeRole
{
    /// <summary>Owns the sweep: coordinator singleton, journaled aggregators, result writer.</summary>
    Coordinator,
    /// <summary>Pulls shards and computes them.</summary>
    Worker,
}

/// <summary>
/// Builds a node's configuration from cluster-config/*.hocon (embedded in this assembly), the optional extra file and
/// the command-line overrides, with the sweep actors' own HOCON (sweep.hocon) as the fallback.
/// </summary>
internal static class ClusterHocon
{
    /// <summary>Name of the actor system on every node; part of every address.</summary>
    public const string SystemName = "ntk";

    public const string CoordinatorRole = "coordinator";
    public const string WorkerRole = "worker";
    /// <summary>Nodes that host aggregator entities: the coordinator node always, worker nodes on request.</summary>
    public const string AggregatorRole = "aggregator";

    /// <summary>The text of cluster-config/<paramref name="name"/>.hocon.</summary>
    public static string Text(string name)
    {
        var resource = $"Ntk.Cluster.ClusterConfig.{name}.hocon";
        using var stream = typeof(ClusterHocon).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded resource {resource} is missing from Ntk.Cluster");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// The full configuration of a node: overrides, then the extra file, then the role's file, then base.hocon, then
    /// sweep.hocon. Throws <see cref="ArgumentException"/> when the extra file is missing or not HOCON.
    /// </summary>
    /// <param name="minWorkers">Coordinator only: worker nodes to wait for (ntk.coordinator.min-workers).</param>
    public static Config Build(NodeRole role, ClusterNodeOptions options, string akkaLogLevel, int? minWorkers = null)
    {
        var overrides = new StringBuilder();
        overrides.AppendLine($"akka.loglevel = {akkaLogLevel}");
        if (options.Hostname is not null) overrides.AppendLine($"akka.remote.dot-netty.tcp.hostname = {Quote(options.Hostname)}");
        var publicHostname = options.PublicHostname;
        // Bound to every interface without a public name (containers, replicas): advertise this machine's own address,
        // since "0.0.0.0" is not an address other nodes can connect to.
        if (publicHostname is null && options.Hostname is "0.0.0.0" or "::") publicHostname = LocalAddress();
        if (publicHostname is not null)
            overrides.AppendLine($"akka.remote.dot-netty.tcp.public-hostname = {Quote(publicHostname)}");
        if (options.Port is { } port) overrides.AppendLine($"akka.remote.dot-netty.tcp.port = {port.ToString(CultureInfo.InvariantCulture)}");
        if (!options.Seeds.IsDefaultOrEmpty)
            overrides.AppendLine($"akka.cluster.seed-nodes = [{string.Join(", ", options.Seeds.Select(s => Quote(s.AkkaAddressOver(options.Tls is not null))))}]");
        if (minWorkers is { } min)
            overrides.AppendLine($"ntk.coordinator.min-workers = {min.ToString(CultureInfo.InvariantCulture)}");

        var config = ConfigurationFactory.ParseString(overrides.ToString());
        if (options.ConfigFile is not null)
        {
            string text;
            try
            {
                text = File.ReadAllText(options.ConfigFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"--config: cannot read {options.ConfigFile}: {e.Message}", e);
            }
            try
            {
                config = config.WithFallback(ConfigurationFactory.ParseString(text));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new ArgumentException($"--config: {options.ConfigFile} is not valid HOCON: {e.Message}", e);
            }
        }
        config = config
            .WithFallback(ConfigurationFactory.ParseString(Text(role == NodeRole.Coordinator ? "coordinator" : "worker")))
            .WithFallback(ConfigurationFactory.ParseString(Text("base")))
            .WithFallback(SweepHocon.Config);
        if (options.Tls is { } tls)
        {
            Operations.ClusterTls.Setup(tls); // reads both files now: a wrong path or password fails before anything starts
            config = ConfigurationFactory.ParseString(Operations.ClusterTls.Hocon).WithFallback(config);
        }
        if (options.Discovery is { } discovery)
        {
            if (!options.Seeds.IsDefaultOrEmpty)
                throw new ArgumentException("--seeds and --discovery exclude each other: nodes either join fixed seeds or find each other");
            config = ConfigurationFactory.ParseString(Operations.ClusterDiscovery.Hocon(discovery)).WithFallback(config);
        }
        return config;
    }

    /// <summary>Reads ntk.sweep into the actors' settings; the snapshot interval comes from the coordinator's
    /// options (zero on worker nodes, which publish nothing).</summary>
    public static SweepActorSettings ActorSettings(Config config, TimeSpan snapshotInterval)
    {
        var sweep = config.GetConfig("ntk.sweep")
            ?? throw new InvalidOperationException("ntk.sweep is missing from the configuration");
        return new SweepActorSettings(
            LeaseWindow: sweep.GetInt("lease-window"),
            LeaseTimeout: sweep.GetTimeSpan("lease-timeout"),
            WorkRetryInterval: sweep.GetTimeSpan("work-retry-interval"),
            WorkRequestTimeout: sweep.GetTimeSpan("work-request-timeout"),
            RestoreRetryInterval: sweep.GetTimeSpan("restore-retry-interval"),
            SnapshotInterval: snapshotInterval,
            ProgressInterval: OffOrDuration(sweep, "progress-interval"),
            SnapshotTimeout: sweep.GetTimeSpan("snapshot-timeout"),
            PointWindow: sweep.HasPath("point-window") ? sweep.GetInt("point-window") : SweepActorSettings.DefaultPointWindow);
    }

    /// <summary>A duration key that may be "off" (→ zero).</summary>
    public static TimeSpan OffOrDuration(Config config, string key) =>
        string.Equals(config.GetString(key), "off", StringComparison.OrdinalIgnoreCase) ? TimeSpan.Zero : config.GetTimeSpan(key);

    /// <summary>The first IPv4 address of an interface that is up and not loopback; the host name if there is none.</summary>
    internal static string LocalAddress()
    {
        foreach (var nic in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != System.Net.NetworkInformation.OperationalStatus.Up
                || nic.NetworkInterfaceType == System.Net.NetworkInformation.NetworkInterfaceType.Loopback) continue;
            foreach (var address in nic.GetIPProperties().UnicastAddresses)
                if (address.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
                    && !System.Net.IPAddress.IsLoopback(address.Address))
                    return address.Address.ToString();
        }
        return System.Net.Dns.GetHostName();
    }

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
