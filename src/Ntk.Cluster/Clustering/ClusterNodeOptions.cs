using System.Collections.Immutable;
using System.Globalization;

namespace Ntk.Cluster.Clustering;

/// <summary>A seed node's address: host name or IP, and TCP port.</summary>
public readonly record struct SeedAddress(string Host, int Port)
{
    /// <summary>The Akka address of a node of the "ntk" actor system at this host and port.</summary>
    public string AkkaAddress => AkkaAddressOver(tls: false);

    /// <summary>The address over plain TCP ("akka.tcp") or TLS ("akka.ssl.tcp", the protocol of a TLS transport).</summary>
    public string AkkaAddressOver(bool tls) =>
        $"{(tls ? "akka.ssl.tcp" : "akka.tcp")}://{ClusterHocon.SystemName}@{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    public override string ToString() => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses "HOST:PORT[,HOST:PORT...]" (spaces ignored). Throws <see cref="FormatException"/> saying
    /// which entry is wrong.</summary>
    public static ImmutableArray<SeedAddress> ParseList(string text)
    {
        var seeds = ImmutableArray.CreateBuilder<SeedAddress>();
        foreach (var raw in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = raw.LastIndexOf(':');
            if (colon <= 0 || colon == raw.Length - 1
                || !int.TryParse(raw[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                || port < 1 || port > 65535)
                throw new FormatException($"seed \"{raw}\": expected HOST:PORT with a port in 1..65535");
            seeds.Add(new SeedAddress(raw[..colon], port));
        }
        if (seeds.Count == 0) throw new FormatException("seeds: expected at least one HOST:PORT");
        return seeds.ToImmutable();
    }
}

/// <summary>
/// Where a node listens and whom it joins; every field overrides cluster-config/*.hocon. Null means "as configured".
/// </summary>
/// <param name="Hostname">Interface to bind (akka.remote.dot-netty.tcp.hostname).</param>
/// <param name="PublicHostname">Address other nodes use to reach this one (public-hostname).</param>
/// <param name="Port">TCP port; 0 = any free port.</param>
/// <param name="Seeds">Seed nodes; empty = the configured ones (for the coordinator: itself).</param>
/// <param name="ConfigFile">Extra HOCON file taking precedence over cluster-config (null = none).</param>
public sealed record ClusterNodeOptions(
    string? Hostname, string? PublicHostname, int? Port, ImmutableArray<SeedAddress> Seeds, string? ConfigFile)
{
    /// <summary>Form the cluster through Cluster Bootstrap instead of seeds (null: seeds).</summary>
    public Operations.DiscoveryOptions? Discovery { get; init; }

    /// <summary>Mutual TLS between nodes (null: plain TCP).</summary>
    public Operations.TlsOptions? Tls { get; init; }

    /// <summary>Where the node reports its health steps (null: nobody asks).</summary>
    public Operations.NodeHealth? Health { get; init; }
}
