using System.Collections.Immutable;
using Microsoft.Data.Sqlite;

namespace Ntk.Cluster.Persistence;

/// <summary>
/// The coordinator's persisted shard ledger: one SQLite file (by default sweep-ledger.db in the results directory)
/// holding, per point, the in-order merged prefix (shards merged, trials, done, PointAccumulator bytes) of the last
/// snapshot, and the hash of the sweep it belongs to. Each snapshot is written in one transaction, and a point's row
/// only ever moves forward (more shards merged), so a crash mid-write leaves the previous snapshot intact.
/// Resuming from it reproduces the uninterrupted run bit for bit, because the merged state is the exact in-order
/// prefix (PointResumeState). Not thread-safe: used from the result writer's thread and at start-up only.
/// </summary>
public sealed class SweepLedger : IDisposable
{
    /// <summary>File name of the ledger in the results directory.</summary>
    public const string FileName = "sweep-ledger.db";

    private readonly SqliteConnection _connection;

    private SweepLedger(SqliteConnection connection) { _connection = connection; }

    /// <summary>
    /// Opens (creating if needed) the ledger at <paramref name="path"/> for the sweep <paramref name="sweepHash"/>.
    /// With <paramref name="resume"/> false, any previous content is deleted (a fresh run). With
    /// <paramref name="resume"/> true, a ledger of another sweep throws <see cref="ArgumentException"/>.
    /// </summary>
    public static SweepLedger Open(string path, string sweepHash, bool resume)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS points (
                    point INTEGER PRIMARY KEY,
                    shards_merged INTEGER NOT NULL,
                    trials INTEGER NOT NULL,
                    done INTEGER NOT NULL,
                    state BLOB NOT NULL,
                    updated_utc TEXT NOT NULL);
                """);
            var ledger = new SweepLedger(connection);
            var stored = ledger.Meta("sweep_hash");
            if (resume && stored is not null && stored != sweepHash)
                throw new ArgumentException(
                    $"{path} was written by a different sweep (the sweep file changed since); run without --resume to start over, or use another --out");
            if (!resume || stored is null)
            {
                using var transaction = connection.BeginTransaction();
                Execute(connection, "DELETE FROM points; DELETE FROM meta;", transaction);
                using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = "INSERT INTO meta (key, value) VALUES ('sweep_hash', $hash)";
                insert.Parameters.AddWithValue("$hash", sweepHash);
                insert.ExecuteNonQuery();
                transaction.Commit();
            }
            return ledger;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>True when a ledger file exists at <paramref name="path"/>.</summary>
    public static bool Exists(string path) => File.Exists(path);

    /// <summary>The points with at least one merged shard, in point order.</summary>
    public ImmutableArray<PointResumeState> Load()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT point, shards_merged, state FROM points WHERE shards_merged > 0 ORDER BY point";
        using var reader = command.ExecuteReader();
        var states = ImmutableArray.CreateBuilder<PointResumeState>();
        while (reader.Read())
            states.Add(new PointResumeState(reader.GetInt32(0), reader.GetInt32(1), ImmutableArray.Create((byte[])reader.GetValue(2))));
        return states.ToImmutable();
    }

    /// <summary>Records every point of <paramref name="snapshot"/> in one transaction; a point's row is replaced only
    /// by a state with more shards merged (or the same shards, newly done).</summary>
    public void Record(SweepSnapshot snapshot)
    {
        using var transaction = _connection.BeginTransaction();
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO points (point, shards_merged, trials, done, state, updated_utc)
            VALUES ($point, $shards, $trials, $done, $state, $now)
            ON CONFLICT (point) DO UPDATE SET
                shards_merged = excluded.shards_merged, trials = excluded.trials, done = excluded.done,
                state = excluded.state, updated_utc = excluded.updated_utc
            WHERE excluded.shards_merged > points.shards_merged
               OR (excluded.shards_merged = points.shards_merged AND excluded.done > points.done)
            """;
        var point = command.Parameters.Add("$point", SqliteType.Integer);
        var shards = command.Parameters.Add("$shards", SqliteType.Integer);
        var trials = command.Parameters.Add("$trials", SqliteType.Integer);
        var done = command.Parameters.Add("$done", SqliteType.Integer);
        var state = command.Parameters.Add("$state", SqliteType.Blob);
        var now = command.Parameters.Add("$now", SqliteType.Text);
        now.Value = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var p in snapshot.Points)
        {
            if (p.ShardsMerged == 0) continue;
            point.Value = p.PointIndex;
            shards.Value = p.ShardsMerged;
            trials.Value = p.Trials;
            done.Value = p.Done ? 1 : 0;
            state.Value = p.Merged.ToBytes();
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public void Dispose() => _connection.Dispose();

    private string? Meta(string key)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as string;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>Records each snapshot in the <see cref="SweepLedger"/> first, then hands it to the results sink: the
/// ledger is never behind the results files.</summary>
public sealed class LedgerSink : ISweepResultSink
{
    private readonly SweepLedger _ledger;
    private readonly ISweepResultSink _inner;

    public LedgerSink(SweepLedger ledger, ISweepResultSink inner)
    {
        _ledger = ledger;
        _inner = inner;
    }

    public void Publish(SweepSnapshot snapshot)
    {
        _ledger.Record(snapshot);
        _inner.Publish(snapshot);
    }
}
