using System.Globalization;
using Ntk.Cluster.Operations;
using Xunit;
using YamlDotNet.RepresentationModel;

using Ntk.Cli.Tests.Support;

namespace Ntk.Cli.Tests;

/// <summary>
/// Structure of deploy/k8s/ (no Kubernetes here): every manifest parses, and the cross-references hold — services
/// select the pods they serve and name ports those pods have, the workers' discovery finds the coordinator's pods on
/// the port name Cluster Bootstrap probes, probes hit the node's endpoint paths, the service account can list pods,
/// secrets referenced exist with their keys, grace periods cover a graceful leave.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Directory = Path.Combine(RepositoryRoot.Path, "deploy", "k8s");
    private static readonly Lazy<List<YamlMappingNode>> Documents = new(Load);

    /// <summary>ClusterSweep's coordinated shutdown waits up to 30 s; the pod must not be killed before.</summary>
    private const int GracefulLeaveSeconds = 30;

    [Fact]
    public void Every_manifest_is_listed_in_the_kustomization_and_every_object_has_kind_name_and_namespace()
    {
        var kustomization = Parse(Path.Combine(Directory, "kustomization.yaml")).Single();
        var listed = Seq(kustomization, "resources").Select(n => ((YamlScalarNode)n).Value!).Order().ToList();
        var files = System.IO.Directory.GetFiles(Directory, "*.yaml").Select(f => Path.GetFileName(f)).Where(f => f != "kustomization.yaml").Order().ToList();
        Assert.Equal(files, listed);
        foreach (var document in Documents.Value)
        {
            Assert.False(string.IsNullOrEmpty(Str(document, "apiVersion")));
            var kind = Str(document, "kind");
            Assert.False(string.IsNullOrEmpty(Str(document, "metadata", "name")), kind);
            if (kind != "Namespace") Assert.Equal("ntk", Str(document, "metadata", "namespace"));
        }
    }

    [Fact]
    public void Services_select_existing_pods_and_target_ports_those_pods_declare()
    {
        foreach (var service in OfKind("Service"))
        {
            var selector = Labels(Map(service, "spec", "selector"));
            var pods = Workloads().Where(w => Contains(Labels(Map(w, "spec", "template", "metadata", "labels")), selector)).ToList();
            Assert.True(pods.Count > 0, $"service {Str(service, "metadata", "name")} selects no pod template");
            foreach (var port in Seq(service, "spec", "ports").Cast<YamlMappingNode>())
            {
                var target = Str(port, "targetPort");
                Assert.All(pods, pod => Assert.Contains(target, ContainerPorts(pod).Keys));
            }
        }
        foreach (var set in OfKind("StatefulSet"))
            Assert.Contains(OfKind("Service"), s => Str(s, "metadata", "name") == Str(set, "spec", "serviceName"));
    }

    [Fact]
    public void Workers_discover_the_coordinator_pods_on_the_port_bootstrap_probes_with_no_seed_nodes()
    {
        var worker = Workload("Deployment", "ntk-worker");
        var coordinator = Workload("StatefulSet", "ntk-coordinator");
        var env = Env(worker);
        Assert.False(env.ContainsKey("NTK_SEEDS"));
        var discovery = env["NTK_DISCOVERY"];
        Assert.StartsWith("kubernetes", discovery, StringComparison.Ordinal);
        var selector = discovery.Contains(':', StringComparison.Ordinal) ? discovery[(discovery.IndexOf(':', StringComparison.Ordinal) + 1)..] : DiscoveryOptions.DefaultLabelSelector;
        var wanted = selector.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
        Assert.True(Contains(Labels(Map(coordinator, "spec", "template", "metadata", "labels")), wanted), "the selector misses the coordinator pod");
        Assert.False(Contains(Labels(Map(worker, "spec", "template", "metadata", "labels")), wanted), "the selector also picks workers");
        // Bootstrap probes the port named DiscoveryOptions.KubernetesPortName, where the coordinator serves NTK_HTTP_PORT.
        var ports = ContainerPorts(coordinator);
        Assert.Equal(int.Parse(Env(coordinator)["NTK_HTTP_PORT"], CultureInfo.InvariantCulture), ports[DiscoveryOptions.KubernetesPortName]);
        Assert.Equal(int.Parse(Env(coordinator)["NTK_PORT"], CultureInfo.InvariantCulture), ports["remoting"]);
        Assert.Equal(int.Parse(Env(worker)["NTK_HTTP_PORT"], CultureInfo.InvariantCulture), ContainerPorts(worker)["http"]);
        foreach (var pod in new[] { worker, coordinator })
        {
            Assert.Equal("0.0.0.0", Env(pod)["NTK_HOSTNAME"]);
            Assert.Equal("status.podIP", Str(EnvEntry(pod, "NTK_PUBLIC_HOSTNAME"), "valueFrom", "fieldRef", "fieldPath"));
        }
        Assert.Equal("1", Str(coordinator, "spec", "replicas"));
        Assert.Contains("--hold", Seq(Container(coordinator), "args").Select(a => ((YamlScalarNode)a).Value));
    }

    [Fact]
    public void The_service_account_of_the_pods_may_list_pods()
    {
        var role = OfKind("Role").Single();
        Assert.Contains(Seq(role, "rules").Cast<YamlMappingNode>(), rule =>
            Seq(rule, "resources").Any(r => ((YamlScalarNode)r).Value == "pods")
            && new[] { "get", "list", "watch" }.All(v => Seq(rule, "verbs").Any(x => ((YamlScalarNode)x).Value == v)));
        var binding = OfKind("RoleBinding").Single();
        Assert.Equal(Str(role, "metadata", "name"), Str(binding, "roleRef", "name"));
        var account = Str((YamlMappingNode)Seq(binding, "subjects")[0], "name");
        Assert.Contains(OfKind("ServiceAccount"), a => Str(a, "metadata", "name") == account);
        Assert.Equal(account, Str(Workload("Deployment", "ntk-worker"), "spec", "template", "spec", "serviceAccountName"));
    }

    [Fact]
    public void Pods_have_probes_on_the_endpoint_paths_resource_requests_grace_for_a_graceful_leave_and_existing_secrets()
    {
        var secrets = OfKind("Secret").ToDictionary(s => Str(s, "metadata", "name"), s => Map(s, "stringData").Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet());
        foreach (var workload in Workloads())
        {
            var container = Container(workload);
            Assert.NotNull(Map(container, "resources", "requests"));
            foreach (var entry in Seq(container, "env").Cast<YamlMappingNode>())
                if (TryMap(entry, out var reference, "valueFrom", "secretKeyRef"))
                    Assert.Contains(Str(reference, "key"), secrets[Str(reference, "name")]);
            if (Str(container, "image").StartsWith("postgres", StringComparison.Ordinal)) continue;
            Assert.Equal("/healthz/live", Str(container, "livenessProbe", "httpGet", "path"));
            Assert.Equal("/healthz/ready", Str(container, "readinessProbe", "httpGet", "path"));
            Assert.Equal("http", Str(container, "readinessProbe", "httpGet", "port"));
            var grace = int.Parse(Str(workload, "spec", "template", "spec", "terminationGracePeriodSeconds"), CultureInfo.InvariantCulture);
            Assert.True(grace > GracefulLeaveSeconds, $"{Str(workload, "metadata", "name")}: grace {grace} s ≤ the graceful leave's {GracefulLeaveSeconds} s");
        }
        Assert.Equal("ntk-journal", Str(EnvEntry(Workload("StatefulSet", "ntk-coordinator"), "NTK_JOURNAL"), "valueFrom", "secretKeyRef", "name"));
        var autoscaler = OfKind("HorizontalPodAutoscaler").Single();
        Assert.Equal("ntk-worker", Str(autoscaler, "spec", "scaleTargetRef", "name"));
        Assert.Equal("Deployment", Str(autoscaler, "spec", "scaleTargetRef", "kind"));
    }


    private static List<YamlMappingNode> Load() =>
        System.IO.Directory.GetFiles(Directory, "*.yaml").Where(f => !f.EndsWith("kustomization.yaml", StringComparison.Ordinal))
            .SelectMany(Parse).ToList();

    private static IEnumerable<YamlMappingNode> Parse(string file)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(file);
        stream.Load(reader);
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode);
    }

    private static IEnumerable<YamlMappingNode> OfKind(string kind) => Documents.Value.Where(d => Str(d, "kind") == kind);

    private static IEnumerable<YamlMappingNode> Workloads() => OfKind("StatefulSet").Concat(OfKind("Deployment"));

    private static YamlMappingNode Workload(string kind, string name) => OfKind(kind).Single(w => Str(w, "metadata", "name") == name);

    private static YamlMappingNode Container(YamlMappingNode workload) =>
        (YamlMappingNode)Seq(workload, "spec", "template", "spec", "containers").Single();

    private static Dictionary<string, int> ContainerPorts(YamlMappingNode workload) =>
        Seq(Container(workload), "ports").Cast<YamlMappingNode>()
            .ToDictionary(p => Str(p, "name"), p => int.Parse(Str(p, "containerPort"), CultureInfo.InvariantCulture));

    private static YamlMappingNode EnvEntry(YamlMappingNode workload, string name) =>
        Seq(Container(workload), "env").Cast<YamlMappingNode>().Single(e => Str(e, "name") == name);

    /// <summary>Plain-valued environment variables of the workload's container.</summary>
    private static Dictionary<string, string> Env(YamlMappingNode workload) =>
        Seq(Container(workload), "env").Cast<YamlMappingNode>()
            .Where(e => e.Children.ContainsKey(new YamlScalarNode("value")))
            .ToDictionary(e => Str(e, "name"), e => Str(e, "value"));

    private static Dictionary<string, string> Labels(YamlMappingNode node) =>
        node.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => ((YamlScalarNode)c.Value).Value!);

    private static bool Contains(Dictionary<string, string> labels, IReadOnlyDictionary<string, string> wanted) =>
        wanted.All(w => labels.TryGetValue(w.Key, out var v) && v == w.Value);

    private static YamlNode Node(YamlNode node, params string[] path)
    {
        foreach (var key in path) node = ((YamlMappingNode)node).Children[new YamlScalarNode(key)];
        return node;
    }

    private static bool TryMap(YamlMappingNode node, out YamlMappingNode result, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                result = null!;
                return false;
            }
            current = next;
        }
        result = (YamlMappingNode)current;
        return true;
    }

    private static string Str(YamlNode node, params string[] path) => ((YamlScalarNode)Node(node, path)).Value ?? "";

    private static YamlMappingNode Map(YamlNode node, params string[] path) => (YamlMappingNode)Node(node, path);

    private static List<YamlNode> Seq(YamlNode node, params string[] path) => [.. ((YamlSequenceNode)Node(node, path)).Children];
}
