using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ComputeGrid.Benchmarks.Harness;

/// <summary>
/// A private in-memory Azurite (npm <c>azurite</c>) on free loopback ports, stopped by its process id: the one pinned in
/// tools/azurite when it is installed there (as for the cluster tests), else installed under artifacts/azurite on first use.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    private const string Version = "3.37.0";
    private readonly Process _process;

    private Azurite(Process process, string connectionString)
    {
        _process = process;
        ConnectionString = connectionString;
    }

    /// <summary>The devstoreaccount1 connection string with this instance's endpoints.</summary>
    public string ConnectionString { get; }

    /// <summary>Installs Azurite if needed, starts it and waits until its table endpoint accepts connections.</summary>
    public static async Task<Azurite> StartAsync(string root, CancellationToken cancellationToken = default)
    {
        var pinned = Path.Combine(root, "tools", "azurite", "node_modules", ".bin", "azurite");
        var prefix = Path.Combine(root, "artifacts", "azurite");
        var bin = File.Exists(pinned) ? pinned : Path.Combine(prefix, "node_modules", ".bin", "azurite");
        if (!File.Exists(bin))
        {
            Directory.CreateDirectory(prefix);
            using var npm = Process.Start(new ProcessStartInfo("npm", ["install", "--prefix", prefix, "--no-audit", "--no-fund", $"azurite@{Version}"]) { RedirectStandardOutput = true })
                ?? throw new InvalidOperationException("npm did not start");
            await npm.WaitForExitAsync(cancellationToken);
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm install azurite@{Version} failed with exit code {npm.ExitCode}");
            }
        }

        var (blob, queue, table) = (FreePort(), FreePort(), FreePort());
        var start = new ProcessStartInfo(bin,
        [
            "--silent", "--inMemoryPersistence", "--skipApiVersionCheck",
            "--blobHost", "127.0.0.1", "--blobPort", $"{blob}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{queue}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{table}",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("azurite did not start");
        const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        var azurite = new Azurite(process,
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};" +
            $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, table, cancellationToken);
                return azurite;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    /// <summary>Stops this Azurite (and only it) by its process id.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
