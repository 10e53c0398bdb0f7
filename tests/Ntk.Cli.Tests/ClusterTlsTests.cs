using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Ntk.Cli.Tests.Support;
using static Ntk.Cli.Tests.Support.ClusterProcesses;
using Ntk.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using Ntk.Cluster.Logging;

namespace Ntk.Cli.Tests;

/// <summary>
/// Mutual TLS between nodes (docs/cluster.md, "Secure"), with real OS processes on 127.0.0.1: a coordinator and a
/// worker with certificates signed by the cluster's CA run the sweep to results byte-identical to `ntk run`, while a
/// worker whose certificate comes from another CA is refused (it never joins nor receives the plan) and changes
/// nothing. The certificates are made here (.NET's CertificateRequest), as the documented openssl commands would.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class ClusterTlsTests(ITestOutputHelper output)
{
    private const string Password = "test-password";

    private const string TlsTestHocon = ClusterProcesses.TestHocon + "\n" + """
        # Opening the SQLite journal (plugin start-up, first queries) took over the default 30 s when the shared build
        # machine ran at a load average of 50-90.
        akka.persistence.journal.sql.recovery-event-timeout = 120s
        """;

    private const string Sweep = """
        {
          "name": "tls",
          "seed": 5,
          "trials": 4000,
          "shardTrials": 200,
          "network": { "inputDim": 4, "depth": [2, 3], "width": 16, "weights": "gaussian", "engine": "auto" },
          "inputs": { "kind": "pair", "thetaDegrees": [45, 120] }
        }
        """;

    [Fact]
    public async Task Nodes_with_certificates_of_the_cluster_CA_run_the_sweep_and_a_node_signed_by_another_CA_is_refused()
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("sweep.json", Sweep);
        var config = temp.Write("test.hocon", TlsTestHocon);
        using var clusterCa = CreateAuthority("CN=ntk test cluster CA");
        using var rogueCa = CreateAuthority("CN=some other CA");
        var caFile = temp.Write("ca.pem", clusterCa.ExportCertificatePem());
        var coordinatorPfx = WriteNodeCertificate(temp, "coordinator.pfx", clusterCa, "CN=coordinator");
        var workerPfx = WriteNodeCertificate(temp, "worker.pfx", clusterCa, "CN=worker");
        var roguePfx = WriteNodeCertificate(temp, "rogue.pfx", rogueCa, "CN=worker");

        var reference = await CliRunner.RunAsync("run", sweep, "--out", Path.Combine(temp.Path, "reference"), "--workers", "1");
        Assert.True(reference.ExitCode == 0, reference.ToString());

        var port = NodeProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        var outDir = Path.Combine(temp.Path, "cluster");
        var rogueLogs = Path.Combine(temp.Path, "rogue-logs");
        var nodes = new List<NodeProcess>();
        try
        {
            var coordinator = Start(nodes, temp, "coordinator", "coordinator", sweep, "--port", port, "--out", outDir, "--min-workers", "1",
                "--config", config, "--tls-certificate", coordinatorPfx, "--tls-password", Password, "--tls-ca", caFile);
            // Workers start once the coordinator's journal is open: three processes starting at once on 2 loaded cores
            // only slow each other down.
            await WaitForLogAsync(Path.Combine(outDir, "run.log"), LogEvents.JournalOpened, coordinator);
            // The rogue node trusts the cluster's CA, but its own certificate is not from it.
            var rogue = Start(nodes, temp, "rogue", "worker", "--seeds", $"127.0.0.1:{port}", "--threads", "1", "--log-dir", rogueLogs,
                "--config", config, "--tls-certificate", roguePfx, "--tls-password", Password, "--tls-ca", caFile);
            var worker = Start(nodes, temp, "worker", "worker", "--seeds", $"127.0.0.1:{port}", "--threads", "1", "--log-dir", outDir,
                "--config", config, "--tls-certificate", workerPfx, "--tls-password", Password, "--tls-ca", caFile);

            var exited = await coordinator.WaitForExitAsync(RunTimeout);
            if (!exited || coordinator.ExitCode != 0)
            {
                foreach (var node in nodes) output.WriteLine(node.ToString());
                Assert.Fail(exited ? $"coordinator exited with {coordinator.ExitCode}" : "the coordinator did not finish");
            }
            Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)) && worker.ExitCode == 0, worker.ToString());
            Assert.False(rogue.HasExited && rogue.ExitCode == 0, "the rogue worker finished as if it had joined:\n" + rogue);
            output.WriteLine(rogue.Stderr);

            var expected = File.ReadAllBytes(Path.Combine(temp.Path, "reference", "results.csv"));
            var actual = File.ReadAllBytes(Path.Combine(outDir, "results.csv"));
            Assert.True(expected.AsSpan().SequenceEqual(actual), "results.csv of the TLS cluster differs from ntk run's");

            // The coordinator saw exactly one worker member; the rogue never got the plan nor a shard.
            var coordinatorEvents = Events(Path.Combine(outDir, "run.log"));
            Assert.Single(coordinatorEvents, e => e.Name == LogEvents.MemberUp && e.Roles == "worker");
            var rogueEvents = Directory.GetFiles(rogueLogs, "worker-*.log").SelectMany(Events).ToList();
            Assert.Contains(rogueEvents, e => e.Name == LogEvents.NodeStarted);
            Assert.DoesNotContain(rogueEvents, e => e.Name is LogEvents.PlanReceived or LogEvents.ShardLeased or LogEvents.MemberUp);
        }
        finally
        {
            foreach (var node in nodes) node.Dispose();
        }
    }

    private sealed record LogEvent(string Name, string? Roles);

    private static async Task WaitForLogAsync(string file, string eventName, NodeProcess node)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        while (DateTime.UtcNow < deadline && !node.HasExited)
        {
            if (File.Exists(file) && Events(file).Any(e => e.Name == eventName)) return;
            await Task.Delay(200);
        }
        Assert.Fail($"no {eventName} in {file}:\n{node}");
    }

    private static X509Certificate2 CreateAuthority(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    /// <summary>A node certificate for 127.0.0.1 signed by <paramref name="authority"/>, with its key, as PKCS#12.</summary>
    private static string WriteNodeCertificate(TempDirectory temp, string file, X509Certificate2 authority, string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client authentication
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        var serial = RandomNumberGenerator.GetBytes(12);
        using var certificate = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
        using var withKey = certificate.CopyWithPrivateKey(key);
        var path = Path.Combine(temp.Path, file);
        File.WriteAllBytes(path, withKey.Export(X509ContentType.Pkcs12, Password));
        return path;
    }

    private static IEnumerable<LogEvent> Events(string file) =>
        NodeLogs.ReadFile(file).Select(e => new LogEvent(e.Name, e["Roles"]));
}
