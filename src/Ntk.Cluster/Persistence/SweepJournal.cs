using System.Globalization;
using Akka.Configuration;
using Microsoft.Data.Sqlite;

namespace Ntk.Cluster.Persistence;

/// <summary>Where the sweep's persistent actors keep their events.</summary>
public enum JournalBackend
{
    /// <summary>In process memory (`ntk run`: a crashed process resumes from results.json instead).</summary>
    InMemory,
    /// <summary>A SQLite file (by default sweep-journal.db in the results directory).</summary>
    Sqlite,
    /// <summary>A PostgreSQL database, by connection string.</summary>
    PostgreSql,
}

/// <summary>
/// The Akka.Persistence configuration of a sweep: the journal and snapshot store of Akka.Persistence.Sql (linq2db)
/// on SQLite or PostgreSQL, or Akka's in-memory plugins. Both SQL stores create their tables on first use.
/// </summary>
public sealed record SweepJournal
{
    /// <summary>File name of the default SQLite journal in the results directory.</summary>
    public const string SqliteFileName = "sweep-journal.db";

    private SweepJournal(JournalBackend backend, string connectionString, string? sqlitePath)
    {
        Backend = backend;
        ConnectionString = connectionString;
        SqlitePath = sqlitePath;
    }

    public JournalBackend Backend { get; }

    /// <summary>ADO.NET connection string (empty in memory).</summary>
    public string ConnectionString { get; }

    /// <summary>The database file of a SQLite journal; null otherwise.</summary>
    public string? SqlitePath { get; }

    public static SweepJournal InMemory { get; } = new(JournalBackend.InMemory, "", null);

    /// <summary>A SQLite journal in the file <paramref name="path"/>.</summary>
    public static SweepJournal Sqlite(string path)
    {
        var full = Path.GetFullPath(path);
        var connection = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            // Several writers (journal and snapshot store) share the file: wait for the lock instead of failing.
            DefaultTimeout = 60,
        }.ToString();
        return new SweepJournal(JournalBackend.Sqlite, connection, full);
    }

    /// <summary>A PostgreSQL journal (Npgsql connection string: Host=…;Port=…;Database=…;Username=…;Password=…).</summary>
    public static SweepJournal PostgreSql(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString)) throw new ArgumentException("the PostgreSQL connection string is empty");
        return new SweepJournal(JournalBackend.PostgreSql, connectionString, null);
    }

    /// <summary>
    /// Reads the --journal value: empty or "sqlite" → SQLite in <paramref name="resultsDirectory"/>;
    /// "sqlite:PATH" → SQLite at PATH; "postgresql:CONNECTION" or a connection string with Host= → PostgreSQL.
    /// Throws <see cref="ArgumentException"/> for anything else.
    /// </summary>
    public static SweepJournal Parse(string? text, string resultsDirectory)
    {
        var value = text?.Trim() ?? "";
        if (value.Length == 0 || value.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
            return Sqlite(Path.Combine(resultsDirectory, SqliteFileName));
        if (value.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = value["sqlite:".Length..].Trim();
            if (path.Length == 0) throw new ArgumentException("\"sqlite:\" needs a file path after the colon");
            return Sqlite(path);
        }
        foreach (var prefix in new[] { "postgresql:", "postgres:" })
            if (value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && !value.Contains("://", StringComparison.Ordinal))
                return PostgreSql(value[prefix.Length..].Trim());
        if (value.Contains("host=", StringComparison.OrdinalIgnoreCase) || value.Contains("server=", StringComparison.OrdinalIgnoreCase))
            return PostgreSql(value);
        throw new ArgumentException(
            $"\"{value}\" is neither \"sqlite\", \"sqlite:PATH\" nor a PostgreSQL connection string (Host=…;Database=…;Username=…;Password=…)");
    }

    /// <summary>For logs and messages: the backend and where, without a password.</summary>
    public string Describe() => Backend switch
    {
        JournalBackend.InMemory => "in memory",
        JournalBackend.Sqlite => "SQLite " + SqlitePath,
        _ => "PostgreSQL " + string.Join(';', ConnectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Where(part => !part.TrimStart().StartsWith("password", StringComparison.OrdinalIgnoreCase))),
    };

    /// <summary>The akka.persistence configuration (plugins, connection, provider).</summary>
    internal Config ToConfig()
    {
        if (Backend == JournalBackend.InMemory)
            return ConfigurationFactory.ParseString("""
                akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
                akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
                """);
        // linq2db provider names; PostgreSQL.15 speaks to any server from 15 on (the SQL it emits is plain).
        var provider = Backend == JournalBackend.Sqlite ? "SQLite.MS" : "PostgreSQL.15";
        var connection = Quote(ConnectionString);
        // The plugin's reference configuration (class names, table layout, batching) is not loaded by itself.
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  connection-string = {{connection}}
                  provider-name = "{{provider}}"
                  auto-initialize = true
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  connection-string = {{connection}}
                  provider-name = "{{provider}}"
                  auto-initialize = true
                }
              }
            }
            """).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    /// <summary>
    /// Readies the store before the actor system uses it. SQLite: creates the directory and the file in WAL mode
    /// (readers never block the writer; the mode is stored in the file); with <paramref name="fresh"/>, deletes a
    /// previous file first (a new run). Others: nothing (a new run gets new persistence ids, see SweepRunRegistry).
    /// Throws <see cref="ArgumentException"/> when the file cannot be created.
    /// </summary>
    public void Prepare(bool fresh)
    {
        if (Backend != JournalBackend.Sqlite) return;
        var path = SqlitePath!;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (fresh)
                foreach (var file in new[] { path, path + "-wal", path + "-shm" })
                    File.Delete(file);
            using var connection = new SqliteConnection(ConnectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = WAL;";
            command.ExecuteNonQuery();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SqliteException)
        {
            throw new ArgumentException($"journal: cannot create {path}: {e.Message}", e);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
        }
    }

    /// <summary>
    /// For a PostgreSQL journal: opens one connection (10 s at most) and returns why it failed, or null when it works
    /// (always null for the other backends). Akka.Persistence.Sql retries its initialization in the background and a
    /// refused connection surfaces only as a recovery timeout half a minute later, without the cause.
    /// </summary>
    public string? Probe()
    {
        if (Backend != JournalBackend.PostgreSql) return null;
        try
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString) { Timeout = 10, Pooling = false };
            using var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString);
            connection.Open();
            return null;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException or InvalidOperationException or ArgumentException)
        {
            return e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;
        }
    }

    /// <summary>True when a SQLite journal file exists (always true for a database server).</summary>
    public bool MayHoldRuns => Backend switch
    {
        JournalBackend.Sqlite => File.Exists(SqlitePath),
        JournalBackend.PostgreSql => true,
        _ => false,
    };

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>Persistence-id prefix of run <paramref name="generation"/> of the sweep with hash <paramref name="sweepHash"/>.</summary>
    public static string RunKey(string sweepHash, int generation) =>
        $"ntk-{ShortHash(sweepHash)}-run{generation.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The first 16 hex digits of the sweep hash: enough to tell sweeps apart in one database.</summary>
    public static string ShortHash(string sweepHash) => sweepHash.Length <= 16 ? sweepHash : sweepHash[..16];
}
