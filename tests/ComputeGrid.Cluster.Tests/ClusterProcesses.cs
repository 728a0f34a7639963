using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ComputeGrid.Cluster.Tests;

/// <summary>
/// Azurite and silo processes on loopback, each on free ports chosen once (a restarted process gets its old ports back),
/// logging to <see cref="LogDirectory"/>, stopped by PID. <see cref="Process.Kill()"/> sends SIGKILL on Linux: a crash.
/// </summary>
public sealed class ClusterProcesses : IDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };
    private readonly Dictionary<string, Process> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SiloPorts> _silos = new(StringComparer.Ordinal);
    private readonly (int Blob, int Queue, int Table) _azurite = (FreePort(), FreePort(), FreePort());
    private readonly string _azuriteData;
    private readonly object _gate = new();

    public ClusterProcesses(string repositoryRoot, string logDirectory)
    {
        RepositoryRoot = repositoryRoot;
        LogDirectory = logDirectory;
        Directory.CreateDirectory(logDirectory);
        _azuriteData = Path.Combine(logDirectory, "azurite-data");
    }

    public string RepositoryRoot { get; }

    public string LogDirectory { get; }

    /// <summary>The connection string of the private Azurite (explicit endpoints, since its ports are not the defaults).</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{_azurite.Blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{_azurite.Queue}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{_azurite.Table}/devstoreaccount1";

    public IReadOnlyCollection<string> Silos => _silos.Keys;

    /// <summary>Starts Azurite with on-disk data (so a restart keeps it) and waits until its table port answers.</summary>
    public async Task StartAzuriteAsync(CancellationToken cancellationToken)
    {
        var azurite = Path.Combine(RepositoryRoot, "tools", "azurite", "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
        {
            await RunToEndAsync("npm", ["ci", "--no-audit", "--no-fund", "--silent"], Path.Combine(RepositoryRoot, "tools", "azurite"), cancellationToken);
        }

        Start("azurite", azurite, [
            "--silent", "--skipApiVersionCheck", "--location", _azuriteData,
            "--blobHost", "127.0.0.1", "--blobPort", $"{_azurite.Blob}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{_azurite.Queue}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{_azurite.Table}"], new Dictionary<string, string>());
        await Poll.UntilAsync(() => Task.FromResult(Accepts(_azurite.Table) && Accepts(_azurite.Blob) && Accepts(_azurite.Queue)), "Azurite listens", TimeSpan.FromSeconds(60), cancellationToken);
    }

    /// <summary>Starts (or restarts, on the same ports) a silo of <paramref name="zone"/> in Azure Storage mode.</summary>
    public void StartSilo(string name, string zone)
    {
        SiloPorts ports;
        lock (_gate)
        {
            if (!_silos.TryGetValue(name, out ports!))
            {
                ports = new SiloPorts(zone, FreePort(), FreePort(), FreePort(), FreePort());
                _silos[name] = ports;
            }
        }

        var silo = Path.Combine(RepositoryRoot, "silo", "ComputeGrid.Silo", "bin", BuildConfiguration, "net10.0", "ComputeGrid.Silo.dll");
        Start(name, "dotnet", [silo, "--urls", $"http://127.0.0.1:{ports.Http}"], new Dictionary<string, string>
        {
            ["Silo__Storage"] = "AzureStorage",
            ["Silo__AzureStorageConnectionString"] = ConnectionString,
            ["Silo__Zone"] = zone,
            ["Silo__SiloPort"] = $"{ports.Silo}",
            ["Silo__GatewayPort"] = $"{ports.Gateway}",
            ["Silo__ManagementPort"] = $"{ports.Management}",
            ["Silo__ClusterId"] = "chaos",
            ["Silo__ServiceId"] = "chaos",

            // Silos outside Development need a configured key; these tests drive the SDK, so nobody holds this one. The
            // name has no hyphen: /bin/sh drops environment variables whose names are not shell identifiers.
            ["Gateway__ApiKeys__clustertests__Tenant"] = "operators",
            ["Gateway__ApiKeys__clustertests__Role"] = "Operator",
            ["Gateway__ApiKeys__clustertests__Sha256"] = UnusedKeyHash,
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Orleans"] = "Warning",

            // A few lines per job and loan: enough to follow one through the logs when the chaos test finds something.
            ["Logging__LogLevel__ComputeGrid"] = "Information",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        });
    }

    /// <summary>The silo-to-silo port of the silo process <paramref name="name"/>.</summary>
    public int SiloPort(string name)
    {
        lock (_gate)
        {
            return _silos[name].Silo;
        }
    }

    /// <summary>The zone of the silo process listening on silo port <paramref name="siloPort"/>, or null when none is ours.</summary>
    public string? ZoneOfSiloPort(int siloPort)
    {
        lock (_gate)
        {
            return _silos.Values.FirstOrDefault(p => p.Silo == siloPort)?.Zone;
        }
    }

    /// <summary>Waits until the silo's <c>/health</c> answers Healthy (it is active and the pool answers through it).</summary>
    /// <remarks>Fails at once, with the end of its log, when the process has exited.</remarks>
    /// <remarks>
    /// A silo that exited because one of its ports was taken is started again on new ones (at most twice): a port picked
    /// free is an ephemeral port, and another process's outgoing connection (the test assemblies running beside this one
    /// talk to their own silos and Azurite) can take it before the silo binds it.
    /// </remarks>
    public async Task WaitHealthyAsync(string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Poll.UntilAsync(
                    async () => await HealthAsync(name) switch
                    {
                        "Healthy" => true,
                        "stopped" => throw new InvalidOperationException($"{name} exited: {string.Join(Environment.NewLine, File.ReadLines(LogPath(name)).TakeLast(30))}"),
                        _ => false,
                    },
                    $"{name} is healthy",
                    timeout,
                    cancellationToken);
                return;
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                RestartOnNewPorts(name);
            }
        }
    }

    /// <summary>Starts the exited silo <paramref name="name"/> again, in its zone, on ports picked afresh.</summary>
    private void RestartOnNewPorts(string name)
    {
        string zone;
        lock (_gate)
        {
            zone = _silos[name].Zone;
            _silos[name] = new SiloPorts(zone, FreePort(), FreePort(), FreePort(), FreePort());
        }

        File.AppendAllText(LogPath(name), $"{Environment.NewLine}== a port was taken: started again on new ports{Environment.NewLine}");
        StartSilo(name, zone);
    }

    private string LogPath(string name) => Path.Combine(LogDirectory, $"{name}.log");

    public async Task<string> HealthAsync(string name)
    {
        if (!IsRunning(name))
        {
            return "stopped";
        }

        try
        {
            return await Http.GetStringAsync(new Uri($"http://127.0.0.1:{_silos[name].Http}/health"));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return "unreachable";
        }
    }

    /// <summary>Kills the process with SIGKILL (kill -9) and waits until it is gone.</summary>
    public void Kill(string name)
    {
        Process? process;
        lock (_gate)
        {
            _running.Remove(name, out process);
        }

        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }

        process.Dispose();
    }

    /// <summary>
    /// Stops the process with SIGTERM and waits until it is gone. Azurite keeps acknowledged writes in memory and saves
    /// them to disk a moment later, so a SIGKILL loses the last writes, which real Azure Storage never does: a storage
    /// outage is simulated by stopping Azurite gracefully.
    /// </summary>
    public Task StopAsync(string name) => StopAsync(name, Timeout.InfiniteTimeSpan);

    /// <summary>
    /// Stops the process with SIGTERM and waits until it is gone; throws <see cref="TimeoutException"/> (after killing it)
    /// when it has not exited within <paramref name="limit"/>: a silo that does not finish draining in time.
    /// </summary>
    public async Task StopAsync(string name, TimeSpan limit)
    {
        Process? process;
        lock (_gate)
        {
            _running.Remove(name, out process);
        }

        if (process is null)
        {
            return;
        }

        using (var term = Process.Start("kill", ["-TERM", $"{process.Id}"]))
        {
            await term.WaitForExitAsync();
        }

        try
        {
            await process.WaitForExitAsync().WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            process.Kill();
            await process.WaitForExitAsync();
            throw new TimeoutException($"{name} did not exit within {limit} of SIGTERM (killed it)");
        }
        finally
        {
            process.Dispose();
        }
    }

    public bool IsRunning(string name)
    {
        lock (_gate)
        {
            return _running.TryGetValue(name, out var process) && !process.HasExited;
        }
    }

    /// <summary>Kills every process this object started, by PID.</summary>
    public void Dispose()
    {
        string[] names;
        lock (_gate)
        {
            names = [.. _running.Keys];
        }

        foreach (var name in names)
        {
            Kill(name);
        }
    }

    /// <summary>The hash of a random key no test knows.</summary>
    private static readonly string UnusedKeyHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Guid.NewGuid().ToByteArray()));

    private static string BuildConfiguration =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    private void Start(string name, string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        // sh execs the program, so the PID we hold is the program's own and its output goes straight to the log file.
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = RepositoryRoot };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$0\" \"$@\" >>\"$CLUSTER_TEST_LOG\" 2>&1");
        start.ArgumentList.Add(fileName);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CLUSTER_TEST_LOG"] = LogPath(name);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {name}.");
        lock (_gate)
        {
            _running[name] = process;
        }
    }

    private static async Task RunToEndAsync(string fileName, IReadOnlyList<string> arguments, string directory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName) { UseShellExecute = false, WorkingDirectory = directory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode} in {directory}.");
        }
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record SiloPorts(string Zone, int Silo, int Gateway, int Http, int Management);
}

/// <summary>Polls a condition until it holds or a deadline passes; no fixed sleeps.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(50);
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting until {what}.");
            }

            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 500));
        }
    }
}
