using System.Collections.Immutable;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Akka.Management.Dsl;
using Newtonsoft.Json;
using Ntk.Cluster.Clustering;

namespace Ntk.Cluster.Operations;

/// <summary>How nodes find each other without fixed seed nodes.</summary>
public enum DiscoveryMethod
{
    /// <summary>A static list of Akka.Management endpoints (HOST:PORT), e.g. the coordinator's: compose, bare machines.</summary>
    Config,
    /// <summary>Pods found through the Kubernetes API by label (the pod needs RBAC to list pods).</summary>
    Kubernetes,
}

/// <summary>
/// Cluster formation through Akka.Management Cluster Bootstrap instead of <c>akka.cluster.seed-nodes</c>.
/// </summary>
/// <param name="Method">Where the contact points come from.</param>
/// <param name="ContactPoints">Config method: the HTTP endpoints (HOST:PORT of `--http-port`) to probe, at least the
/// coordinator's.</param>
/// <param name="HttpPort">This node's own HTTP port (its contact point; 0 = it has none, fine for a worker).</param>
/// <param name="LabelSelector">Kubernetes method: the label selector of the contact-point pods.</param>
public sealed record DiscoveryOptions(
    DiscoveryMethod Method, ImmutableArray<SeedAddress> ContactPoints, int HttpPort, string? LabelSelector)
{
    /// <summary>Default Kubernetes label selector: the pods of the coordinator (deploy/k8s/ labels it so).</summary>
    public const string DefaultLabelSelector = "app.kubernetes.io/name=ntk,app.kubernetes.io/component=coordinator";

    /// <summary>Name of the container port probed on Kubernetes pods (deploy/k8s/).</summary>
    public const string KubernetesPortName = "http";
}

/// <summary>
/// Cluster Bootstrap (Akka.Management) over the node's own HTTP endpoint (docs/cluster.md, "Deploy"). Only the
/// coordinator node forms the cluster: it joins itself, as with fixed seeds (it must be the oldest member for the
/// split brain resolver's keep-oldest), and its endpoint answers <c>GET /bootstrap/seed-nodes</c> with its members
/// in Akka.Management's contact-point format. Every other node runs Cluster Bootstrap with
/// <c>new-cluster-enabled = off</c>: it probes the discovered contact points and joins the members one of them
/// reports, so workers never form a cluster of their own, and a worker that starts first keeps probing until the
/// coordinator is up. Akka.Management's own HTTP server is not used: its transport (Akka.Http.Shim over Ceen.Httpd)
/// fails at run time with the Ceen.Httpd version available to this build (MissingMethodException), and one port per
/// node for probes, metrics and bootstrap is simpler to run anyway.
/// </summary>
public static class ClusterDiscovery
{
    /// <summary>The service name looked up in discovery (config method: the key under akka.discovery.config.services).</summary>
    public const string ServiceName = "ntk";

    /// <summary>HOCON of the bootstrap and its discovery method.</summary>
    internal static string Hocon(DiscoveryOptions options)
    {
        var hocon = new StringBuilder();
        hocon.AppendLine($$"""
            akka.management.cluster.bootstrap {
              new-cluster-enabled = off
              contact-point-discovery {
                service-name = {{ServiceName}}
                required-contact-point-nr = 1
                contact-with-all-contact-points = false
                interval = 1s
                stable-margin = 1s
              }
              contact-point {
                probe-interval = 1s
                # Config endpoints carry their ports; pods are probed on their named port.
                filter-on-fallback-port = false
                fallback-port = 9110
              }
            }
            """);
        if (options.Method == DiscoveryMethod.Config)
        {
            var endpoints = string.Join(", ", options.ContactPoints.Select(c => Quote(c.ToString())));
            hocon.AppendLine("akka.discovery.method = config");
            hocon.AppendLine($"akka.discovery.config.services.{ServiceName}.endpoints = [{endpoints}]");
        }
        else
        {
            hocon.AppendLine("akka.discovery.method = kubernetes-api");
            hocon.AppendLine($"akka.management.cluster.bootstrap.contact-point-discovery.port-name = {DiscoveryOptions.KubernetesPortName}");
            hocon.AppendLine($"akka.discovery.kubernetes-api.pod-label-selector = {Quote(options.LabelSelector ?? DiscoveryOptions.DefaultLabelSelector)}");
        }
        return hocon.ToString();
    }

    /// <summary>Starts Cluster Bootstrap on a worker node: it probes the contact points and joins by itself.</summary>
    /// <param name="selfContactPoint">This node's own contact point (its HTTP endpoint, or port 0 without one).</param>
    internal static Task StartBootstrapAsync(ActorSystem system, Uri selfContactPoint)
    {
        var bootstrap = ClusterBootstrap.Get(system);
        // Routes() is how Akka.Management hands the bootstrap its own contact point; the routes themselves are served
        // by the node's endpoint (SeedNodesJson).
        bootstrap.Routes(ManagementRouteProviderSettings.Create(selfContactPoint, readOnly: true));
        return bootstrap.Start();
    }

    /// <summary>
    /// The answer to <c>GET /bootstrap/seed-nodes</c>: this node's address and its Up, WeaklyUp or Joining reachable
    /// members, serialized with Akka.Management's own protocol types (what probing nodes deserialize); an empty list
    /// while the node is leaving or not yet a member.
    /// </summary>
    public static string SeedNodesJson(Akka.Cluster.Cluster cluster)
    {
        var self = cluster.SelfMember;
        var members = ImmutableList<HttpBootstrapJsonProtocol.ClusterMember>.Empty;
        if (self.Status is not (MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving or MemberStatus.Removed))
        {
            var state = cluster.State;
            members = state.Members
                .Where(m => !state.Unreachable.Contains(m) && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
                .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
                .ToImmutableList();
        }
        return JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(self.UniqueAddress.Address, members));
    }

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
