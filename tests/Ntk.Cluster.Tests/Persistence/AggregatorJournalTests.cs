using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using Ntk.Cluster.Actors;
using Ntk.Cluster.Messages;
using Ntk.Cluster.Persistence;
using Ntk.Cluster.Settings;
using Ntk.Cluster.Tests.Support;
using Ntk.Numerics.MonteCarlo;
using Ntk.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cluster.Tests.Persistence;

/// <summary>
/// Aggregators and the run registry on the real Akka.Persistence.Sql journal (SQLite file; PostgreSQL in
/// <see cref="PostgresJournalTests"/>): a node that stops and starts again recovers exactly the shards it accepted —
/// merged prefix and held shards — and the merged state is bit for bit the in-order merge of every shard.
/// </summary>
public sealed class AggregatorJournalTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ntk-journal-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task An_aggregator_recovers_merged_and_held_shards_from_a_SQLite_journal_after_its_node_restarts(int snapshotEvery)
    {
        var journal = SweepJournal.Sqlite(Path.Combine(_directory, SweepJournal.SqliteFileName));
        journal.Prepare(fresh: true);
        await JournalScenarios.AggregatorRestartAsync(journal, snapshotEvery, output);
    }

    [Fact]
    public async Task A_new_run_gets_the_next_generation_and_a_resume_continues_the_latest()
    {
        var journal = SweepJournal.Sqlite(Path.Combine(_directory, SweepJournal.SqliteFileName));
        journal.Prepare(fresh: true);
        await JournalScenarios.RunGenerationsAsync(journal);
    }

    [Fact]
    public void Journal_strings_select_the_backend_and_bad_ones_say_what_is_expected()
    {
        Assert.Equal(JournalBackend.Sqlite, SweepJournal.Parse(null, _directory).Backend);
        Assert.Equal(Path.Combine(_directory, SweepJournal.SqliteFileName), SweepJournal.Parse("sqlite", _directory).SqlitePath);
        Assert.Equal(Path.GetFullPath("/tmp/x.db"), SweepJournal.Parse("sqlite:/tmp/x.db", _directory).SqlitePath);
        var pg = SweepJournal.Parse("Host=db;Database=ntk;Username=ntk;Password=secret", _directory);
        Assert.Equal(JournalBackend.PostgreSql, pg.Backend);
        Assert.DoesNotContain("secret", pg.Describe());
        Assert.Equal(JournalBackend.PostgreSql, SweepJournal.Parse("postgresql:Host=db;Database=ntk", _directory).Backend);
        var error = Assert.Throws<ArgumentException>(() => SweepJournal.Parse("mysql://x", _directory));
        Assert.Contains("PostgreSQL connection string", error.Message);
        Assert.Throws<ArgumentException>(() => SweepJournal.Parse("sqlite:", _directory));
    }
}

/// <summary>The same scenarios on PostgreSQL, on a throw-away server started for this class.</summary>
public sealed class PostgresJournalTests(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task An_aggregator_recovers_merged_and_held_shards_from_a_PostgreSQL_journal_after_its_node_restarts()
    {
        var journal = SweepJournal.PostgreSql(postgres.Server.CreateDatabase("aggregator_restart"));
        output.WriteLine($"journal: {journal.Describe()}");
        await JournalScenarios.AggregatorRestartAsync(journal, snapshotEvery: 2, output);
    }

    [Fact]
    public async Task Run_generations_work_on_PostgreSQL()
    {
        var journal = SweepJournal.PostgreSql(postgres.Server.CreateDatabase("run_generations"));
        await JournalScenarios.RunGenerationsAsync(journal);
    }
}

public sealed class PostgresFixture : IDisposable
{
    public PostgresServer Server { get; } = new();

    public void Dispose() => Server.Dispose();
}

internal static class JournalScenarios
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>A node's actor system on <paramref name="journal"/>, every message serialized as over the wire.</summary>
    public static ActorSystem CreateSystem(SweepJournal journal) =>
        ActorSystem.Create("journal-test", journal.ToConfig()
            .WithFallback(ConfigurationFactory.ParseString("""
                akka.actor.serialize-messages = on
                akka.loggers = ["Akka.Event.DefaultLogger"]
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                """))
            .WithFallback(SweepHocon.Config));

    private static ShardResult ResultOf(SimulationPlan plan, int shardIndex, long leaseId)
    {
        var spec = plan.Shard(0, shardIndex);
        var accumulator = ShardRunner.Run(new FakeSampler(plan.Points[0].Definition), spec.FirstTrial, spec.TrialCount);
        return new ShardResult(new ShardId(0, shardIndex), new LeaseId(leaseId), spec.TrialCount,
            ImmutableCollectionsMarshal.AsImmutableArray(accumulator.ToBytes()));
    }

    /// <summary>
    /// Node 1 accepts shards 1, 0, 3, 2, 5 of 6 (prefix 0..3 merged, 5 held) and stops; node 2 starts on the same
    /// journal: the aggregator reports the prefix and the held shard, refuses both again as duplicates, and shard 4
    /// completes the point with the bytes of the in-order reference merge.
    /// </summary>
    public static async Task AggregatorRestartAsync(SweepJournal journal, int snapshotEvery, ITestOutputHelper output)
    {
        var plan = TestPlans.Fixed(points: 1, trials: 240, shardTrials: 40);
        const string Id = "test-sweep-run1-point-0";
        var system = CreateSystem(journal);
        try
        {
            var inbox = Inbox.Create(system);
            var aggregator = system.ActorOf(AggregatorActor.Props(plan, 0, Id, snapshotEvery, "/user/no-coordinator"));
            inbox.Send(aggregator, new RestorePoint(0, 0, ImmutableArray<byte>.Empty));
            Assert.Equal(new PointRestored(0, 0, 0, false, []), await inbox.ReceiveAsync(Patience));
            var lease = 10;
            foreach (var shard in new[] { 1, 0, 3, 2, 5 })
            {
                inbox.Send(aggregator, ResultOf(plan, shard, ++lease));
                Assert.IsType<ShardMerged>(await inbox.ReceiveAsync(Patience));
            }
        }
        finally
        {
            await system.Terminate();
        }
        output.WriteLine($"node 1 stopped after accepting shards 1, 0, 3, 2, 5 ({journal.Describe()}, snapshot every {snapshotEvery})");

        system = CreateSystem(journal);
        try
        {
            var inbox = Inbox.Create(system);
            var aggregator = system.ActorOf(AggregatorActor.Props(plan, 0, Id, snapshotEvery, "/user/no-coordinator"));
            inbox.Send(aggregator, new RestorePoint(0, 0, ImmutableArray<byte>.Empty));
            Assert.Equal(new PointRestored(0, 4, 160, false, [5]), await inbox.ReceiveAsync(Patience));
            inbox.Send(aggregator, ResultOf(plan, 3, 20));
            Assert.Equal(DiscardReason.Duplicate, Assert.IsType<ShardDiscarded>(await inbox.ReceiveAsync(Patience)).Reason);
            inbox.Send(aggregator, ResultOf(plan, 5, 21));
            Assert.Equal(DiscardReason.Duplicate, Assert.IsType<ShardDiscarded>(await inbox.ReceiveAsync(Patience)).Reason);
            inbox.Send(aggregator, ResultOf(plan, 4, 22));
            var merged = Assert.IsType<ShardMerged>(await inbox.ReceiveAsync(Patience));
            Assert.Equal((6, 240L, true), (merged.ShardsMerged, merged.MergedTrials, merged.PointDone));
            inbox.Send(aggregator, new GetPointSnapshot(0, 1));
            var snapshot = Assert.IsType<PointSnapshotResult>(await inbox.ReceiveAsync(Patience));
            var reference = Reference.Point(plan, 0, p => new FakeSampler(p));
            Assert.Equal(reference.Merged.ToBytes(), snapshot.State.ToArray());
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>Fresh, fresh, resume, and a resume of a sweep the journal never saw.</summary>
    public static async Task RunGenerationsAsync(SweepJournal journal)
    {
        async Task<SweepRun> Begin(string hash, bool resume)
        {
            var system = CreateSystem(journal);
            try
            {
                return await SweepRuns.BeginAsync(system, hash, resume, Patience);
            }
            finally
            {
                await system.Terminate();
            }
        }
        const string Hash = "0123456789abcdef0123456789abcdef";
        Assert.Equal(new SweepRun(Hash, 1, false), await Begin(Hash, resume: false));
        Assert.Equal(new SweepRun(Hash, 2, false), await Begin(Hash, resume: false));
        var resumed = await Begin(Hash, resume: true);
        Assert.Equal(new SweepRun(Hash, 2, true), resumed);
        Assert.Equal("ntk-0123456789abcdef-run2-point-3", resumed.AggregatorId(3));
        Assert.Equal(new SweepRun("fedcba9876543210ffff", 1, false), await Begin("fedcba9876543210ffff", resume: true));
    }
}
