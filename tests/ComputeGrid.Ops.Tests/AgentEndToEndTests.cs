using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.Http.Json;
using System.Text.Json;
using ComputeGrid.Client;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Gateway.Security;
using Microsoft.Extensions.DependencyInjection;

namespace ComputeGrid.Ops.Tests;

/// <summary>
/// The real silo host with two data centers in hub ningxia, each run by a real <c>cg-agent</c> process that syncs over
/// the gateway: jobs with a command really run, end with their exit codes and output, are killed with their process
/// trees, and move elsewhere when an agent dies.
/// </summary>
public sealed class AgentClusterFixture : SiloHostFixture
{
    /// <summary>The partner key allowed to submit commands; its tenant is <c>agents</c>.</summary>
    public const string CommandKey = "test-key-agents";

    /// <summary>The two agent-run data centers.</summary>
    public static readonly string[] DataCenters = ["agent-a", "agent-b"];

    private readonly Dictionary<string, Process> _agents = new(StringComparer.Ordinal);
    private readonly string _root = Root();

    /// <summary>Each data center's agent token.</summary>
    public Dictionary<string, string> Tokens { get; } = new(StringComparer.Ordinal);

    protected override IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>
    {
        ["Gateway:ApiKeys:agents-partner:Tenant"] = "agents",
        ["Gateway:ApiKeys:agents-partner:Role"] = nameof(GatewayRole.Partner),
        ["Gateway:ApiKeys:agents-partner:Sha256"] = ApiKeyHash.Of(CommandKey),
        ["Gateway:ApiKeys:agents-partner:AllowCommands"] = "true",
        ["ComputeGrid:Agents:SyncInterval"] = "00:00:00.250",
        ["ComputeGrid:Agents:HeartbeatTimeout"] = "00:00:03",
        ["ComputeGrid:Agents:Lease"] = "00:00:03",

        // Both agents sync from 127.0.0.1 every 250 ms; the limit tests send from addresses of their own.
        ["Gateway:AgentSync:Burst"] = "200",
        ["Gateway:AgentSync:PerSecond"] = "50",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var admin = Services.GetRequiredService<IComputeGridClient>().Admin;
        var topology = Services.GetRequiredService<NationalTopology>();
        using var http = Client(OperatorKey);
        foreach (var id in DataCenters)
        {
            await admin.RegisterDataCenterAsync(new DataCenterSpec(
                id, $"Agent test {id}", "ningxia", topology.Hubs["ningxia"].Location, ResourceVector.Of(8000, 16384), new EnergyProfile(1.2, 0.6, 0.5, 0.4)));
            using var issued = await http.PostAsJsonAsync(new Uri($"v1/data-centers/{id}/agents", UriKind.Relative), new { name = $"{id}-host", allowedTenants = new[] { "agents" } });
            var body = await issued.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(issued.StatusCode == HttpStatusCode.Created, body.ToString());
            Tokens[id] = body.GetProperty("token").GetString()!;
            StartAgent(id);
        }

        try
        {
            await Eventually.TrueAsync(async () => (await AgentsAsync(DataCenters[0])).Concat(await AgentsAsync(DataCenters[1])).All(a => a.GetProperty("online").GetBoolean() && a.GetProperty("lastSyncAt").ValueKind != JsonValueKind.Null), "both agents sync", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{Logs()}", e);
        }
    }

    public override async Task DisposeAsync()
    {
        foreach (var agent in _agents.Values)
        {
            KillTree(agent);
        }

        await base.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Starts the data center's agent (again), with its state directory kept across restarts.</summary>
    public void StartAgent(string dataCenterId)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(AgentDll);
        start.Environment["CG_AGENT_GATEWAY"] = BaseAddress.ToString();
        start.Environment["CG_AGENT_CREDENTIAL"] = Tokens[dataCenterId];
        start.Environment["CG_AGENT_STATE_DIR"] = Path.Combine(_root, dataCenterId, "state");
        start.Environment["CG_AGENT_WORK_ROOT"] = Path.Combine(_root, dataCenterId, "work");
        start.Environment["CG_AGENT_MAX_RETRY_DELAY"] = "00:00:00.200";
        var agent = Process.Start(start)!;
        var log = Path.Combine(_root, $"{dataCenterId}.log");
        agent.OutputDataReceived += (_, e) => Append(log, e.Data);
        agent.ErrorDataReceived += (_, e) => Append(log, e.Data);
        agent.BeginOutputReadLine();
        agent.BeginErrorReadLine();
        _agents[dataCenterId] = agent;
    }

    /// <summary>Issues a new credential for the data center and restarts its agent with it (after a test revoked the old one).</summary>
    public async Task ReissueAsync(string dataCenterId)
    {
        await KillAgentAsync(dataCenterId);
        using var http = Client(OperatorKey);
        using var issued = await http.PostAsJsonAsync(new Uri($"v1/data-centers/{dataCenterId}/agents", UriKind.Relative), new { name = $"{dataCenterId}-host", allowedTenants = new[] { "agents" } });
        Tokens[dataCenterId] = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        StartAgent(dataCenterId);
        await Eventually.TrueAsync(async () => (await AgentsAsync(dataCenterId)).Any(a => a.GetProperty("online").GetBoolean()), $"the new agent of {dataCenterId} syncs", TimeSpan.FromSeconds(60));
    }

    /// <summary>A client whose connections come from <paramref name="localAddress"/> (any of 127.0.0.0/8), so it has a rate limit of its own.</summary>
    public HttpClient From(string localAddress) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        BaseAddress = BaseAddress,
    };

    /// <summary>kill -9 of the data center's agent (its jobs, in their own sessions, survive it).</summary>
    public async Task KillAgentAsync(string dataCenterId)
    {
        var agent = _agents[dataCenterId];
        agent.Kill();
        await agent.WaitForExitAsync();
    }

    public async Task<List<JsonElement>> AgentsAsync(string dataCenterId)
    {
        using var http = Client(OperatorKey);
        return [.. (await http.GetFromJsonAsync<JsonElement>(new Uri($"v1/data-centers/{dataCenterId}/agents", UriKind.Relative))).EnumerateArray()];
    }

    /// <summary>A temporary root that jobs (run as nobody) can pass through to their own directories.</summary>
    private static string Root()
    {
        var root = Directory.CreateTempSubdirectory("cg-agent-e2e-");
        if (!OperatingSystem.IsWindows())
        {
            root.UnixFileMode |= UnixFileMode.OtherExecute | UnixFileMode.GroupExecute;
        }
        return root.FullName;
    }

    /// <summary>The agents' output, for the failure message of a test that waited for them in vain.</summary>
    public string Logs() => string.Join("\n", Directory.EnumerateFiles(_root, "*.log").Select(f => $"== {Path.GetFileName(f)}\n{File.ReadAllText(f)}"));

    private static void Append(string log, string? line)
    {
        if (line is not null)
        {
            lock (typeof(AgentClusterFixture))
            {
                File.AppendAllLines(log, [line]);
            }
        }
    }

    private static void KillTree(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>The agent from its own build output (its packages must not resolve against the tests' framework).</summary>
    private static string AgentDll
    {
        get
        {
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
            return Path.GetFullPath(Path.Combine(output.FullName, "../../../../../src/ComputeGrid.Agent/bin", output.Parent!.Name, output.Name, "ComputeGrid.Agent.dll"));
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AgentClusterCollection : ICollectionFixture<AgentClusterFixture>
{
    public const string Name = "agent-cluster";
}

[Collection(AgentClusterCollection.Name)]
public sealed class AgentEndToEndTests(AgentClusterFixture cluster)
{
    [Fact]
    public async Task A_command_runs_on_a_real_agent_and_the_job_ends_with_its_exit_code_and_output()
    {
        var hi = await SubmitAsync("sh", "-c", "echo hi; exit 0");
        var three = await SubmitAsync("sh", "-c", "echo failing >&2; exit 3");

        var succeeded = await EndedAsync(hi);
        Assert.Equal("Succeeded", succeeded.GetProperty("state").GetString());
        Assert.Equal(0, succeeded.GetProperty("outcome").GetProperty("exitCode").GetInt32());
        Assert.Contains("hi", succeeded.GetProperty("outcome").GetProperty("outputTail").GetString(), StringComparison.Ordinal);
        Assert.Contains(succeeded.GetProperty("placement").GetProperty("dataCenterId").GetString(), AgentClusterFixture.DataCenters);

        var failed = await EndedAsync(three);
        Assert.Equal("Failed", failed.GetProperty("state").GetString());
        Assert.Equal(3, failed.GetProperty("outcome").GetProperty("exitCode").GetInt32());
        Assert.Contains("failing", failed.GetProperty("outcome").GetProperty("outputTail").GetString(), StringComparison.Ordinal);
        Assert.Contains("exited with code 3", failed.GetProperty("events").EnumerateArray().Last().GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_running_command_kills_its_whole_process_tree()
    {
        var job = await SubmitAsync("sh", "-c", "sleep 600 & sleep 600; wait");
        await Eventually.TrueAsync(async () => await StateAsync(job) == "Running" && JobProcesses.Of(job).Count >= 3, "the job and its children run");

        using (var http = cluster.Client(AgentClusterFixture.CommandKey))
        {
            using var cancelled = await http.PostAsync(new Uri($"v1/jobs/{job}/cancel", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        }

        await Eventually.TrueAsync(() => Task.FromResult(JobProcesses.Of(job).Count == 0), "every process of the job is gone", TimeSpan.FromSeconds(30));
        Assert.Equal("Cancelled", await StateAsync(job));

        // The agent's report of the kill reaches the cancelled job: it keeps its exit code and output.
        await Eventually.TrueAsync(async () => (await JobAsync(job)).GetProperty("outcome").ValueKind == JsonValueKind.Object, "the cancelled job keeps its outcome", TimeSpan.FromSeconds(30));
        Assert.Equal(137, (await JobAsync(job)).GetProperty("outcome").GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task A_revoked_agent_kills_its_job_before_its_lease_ends_and_the_job_runs_elsewhere_only_after_it_ended_and_finishes_once()
    {
        var job = await SubmitAsync("sh", "-c", "echo begun; sleep 5; echo finished");
        await Eventually.TrueAsync(async () => await StateAsync(job) == "Running" && JobProcesses.Of(job).Count >= 1, "the job runs");
        var first = await PlacedAtAsync(job) ?? throw new InvalidOperationException("the running job has no placement");
        var agentId = (await cluster.AgentsAsync(first)).Single(a => a.GetProperty("revokedAt").ValueKind == JsonValueKind.Null).GetProperty("agentId").GetString();
        var lease = TimeSpan.FromSeconds(3);
        var groups = 0;
        try
        {
            using (var operators = cluster.Client(SiloHostFixture.OperatorKey))
            {
                using var revoked = await operators.DeleteAsync(new Uri($"v1/data-centers/{first}/agents/{agentId}", UriKind.Relative));
                Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
            }

            await Eventually.TrueAsync(
                () =>
                {
                    groups = Math.Max(groups, JobProcesses.Groups(job));
                    return Task.FromResult(JobProcesses.Of(job).Count == 0);
                },
                "the revoked agent kills the job",
                TimeSpan.FromSeconds(30));
            var killed = DateTimeOffset.UtcNow;
            var lastSync = (await cluster.AgentsAsync(first)).Single(a => a.GetProperty("agentId").GetString() == agentId).GetProperty("lastSyncAt").GetDateTimeOffset();

            await Eventually.TrueAsync(
                async () =>
                {
                    groups = Math.Max(groups, JobProcesses.Groups(job));
                    return await StateAsync(job) == "Succeeded";
                },
                "the job finishes elsewhere",
                TimeSpan.FromSeconds(60));

            var ended = await JobAsync(job);
            var events = ended.GetProperty("events").EnumerateArray().ToList();
            var requeued = events.Single(e => e.GetProperty("state").GetString() == "Preempted").GetProperty("at").GetDateTimeOffset();
            Assert.True(killed < lastSync + lease, $"killed by {killed:O}, the lease ends at {lastSync + lease:O}");
            Assert.True(lastSync + lease <= requeued, $"requeued at {requeued:O}, before the lease ends at {lastSync + lease:O}");
            Assert.Equal(1, groups);
            Assert.Single(events, e => e.GetProperty("state").GetString() == "Succeeded");
            Assert.NotEqual(first, ended.GetProperty("placement").GetProperty("dataCenterId").GetString());
            Assert.Contains("finished", ended.GetProperty("outcome").GetProperty("outputTail").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await cluster.ReissueAsync(first);
        }
    }

    [Fact]
    public async Task Syncs_with_made_up_credentials_answer_401_before_their_body_is_read_and_activate_no_data_center()
    {
        using var stranger = cluster.From("127.0.0.3");
        var made = Enumerable.Range(0, 40).Select(i => $"made-up-{i}-{Guid.NewGuid():N}"[..24]).ToList();
        foreach (var id in made)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/agent/sync") { Content = new StringContent("{ not json", System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", $"cga.{id}.0123456789ab.secret");
            using var response = await stranger.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/agent/sync") { Content = new StringContent("{ not json", System.Text.Encoding.UTF8, "application/json") })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", $"cga.{AgentClusterFixture.DataCenters[0]}.0123456789ab.secret");
            using var response = await stranger.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var activations = await cluster.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        var keys = activations.Select(a => a.GrainId.Key.ToString()).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(made, keys.Contains);
    }

    [Fact]
    public async Task Syncs_are_rate_limited_per_client_address_with_a_429_problem()
    {
        using var flood = cluster.From("127.0.0.2");
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 400 && limited is null; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/agent/sync") { Content = JsonContent.Create(new { instanceId = "x", running = Array.Empty<string>(), reports = Array.Empty<object>() }) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "cga.nowhere.0123456789ab.secret");
            var response = await flood.SendAsync(request);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        using (limited)
        {
            Assert.NotNull(limited);
            Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
            Assert.True(limited.Headers.RetryAfter is not null, "429 says when to retry");
        }

        Assert.Equal(HttpStatusCode.Unauthorized, statuses[0]);

        // Another address has a limit of its own: the flood did not use it up.
        using var other = cluster.From("127.0.0.4");
        Assert.Equal(HttpStatusCode.Unauthorized, await SyncAsync(other, "cga.nowhere.0123456789ab.secret"));
    }

    [Fact]
    public async Task An_agent_killed_with_kill_9_takes_its_data_center_offline_its_job_runs_elsewhere_and_once_it_restarts_nothing_runs_twice()
    {
        var job = await SubmitAsync("sh", "-c", "sleep 600");
        await Eventually.TrueAsync(async () => await StateAsync(job) == "Running" && JobProcesses.Of(job).Count >= 1, "the job runs");
        var first = await PlacedAtAsync(job) ?? throw new InvalidOperationException("the running job has no placement");
        var other = AgentClusterFixture.DataCenters.Single(d => d != first);

        await cluster.KillAgentAsync(first);

        // After the heartbeat timeout (3 s here) the data center is Offline and the job runs at the other one.
        await Eventually.TrueAsync(async () => await StatusOfAsync(first) == "Offline", $"{first} goes Offline", TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(async () => await PlacedAtAsync(job) == other && await StateAsync(job) == "Running", $"the job runs in {other}", TimeSpan.FromSeconds(60));

        // The restarted agent kills the orphan it finds in its state; its data center comes back; one process group is left.
        cluster.StartAgent(first);
        await Eventually.TrueAsync(async () => await StatusOfAsync(first) == "Online", $"{first} is back Online", TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => Task.FromResult(JobProcesses.Groups(job) == 1), "the job runs exactly once", TimeSpan.FromSeconds(30));
        var events = (await JobAsync(job)).GetProperty("events").EnumerateArray().Select(e => e.GetProperty("state").GetString()).ToList();
        Assert.Contains("Preempted", events);
        Assert.Equal(1, events.Count(s => s == "Preempted"));

        using var http = cluster.Client(AgentClusterFixture.CommandKey);
        using var cancelled = await http.PostAsync(new Uri($"v1/jobs/{job}/cancel", UriKind.Relative), null);
        await Eventually.TrueAsync(() => Task.FromResult(JobProcesses.Of(job).Count == 0), "the job's processes are gone after the cancel", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_key_without_the_permission_cannot_submit_a_command_and_no_api_key_is_an_agent_credential()
    {
        using (var partner = cluster.Client(SiloHostFixture.PartnerKey))
        {
            using var refused = await partner.PostAsJsonAsync(new Uri("v1/jobs", UriKind.Relative), Body("true"));
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("\"command\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var anonymous = new HttpClient { BaseAddress = cluster.BaseAddress };
        foreach (var token in new[] { SiloHostFixture.PartnerKey, SiloHostFixture.OperatorKey, "cga.agent-a.nope.nope" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/agent/sync") { Content = JsonContent.Create(new { instanceId = "x", running = Array.Empty<string>(), reports = Array.Empty<object>() }) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await anonymous.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_revoked_agent_credential_is_refused_at_its_next_sync()
    {
        using var operators = cluster.Client(SiloHostFixture.OperatorKey);
        using var issued = await operators.PostAsJsonAsync(new Uri("v1/data-centers/agent-b/agents", UriKind.Relative), new { name = "to-revoke", allowedTenants = new[] { "nobody-uses-this" } });
        var credential = await issued.Content.ReadFromJsonAsync<JsonElement>();
        var token = credential.GetProperty("token").GetString()!;
        using var anonymous = new HttpClient { BaseAddress = cluster.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, await SyncAsync(anonymous, token));

        using var revoked = await operators.DeleteAsync(new Uri($"v1/data-centers/agent-b/agents/{credential.GetProperty("agentId").GetString()}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await SyncAsync(anonymous, token));
    }

    private static async Task<HttpStatusCode> SyncAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/agent/sync") { Content = JsonContent.Create(new { instanceId = "probe", running = Array.Empty<string>(), reports = Array.Empty<object>() }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static object Body(string executable, params string[] arguments) => new
    {
        originHub = "ningxia",
        resources = new { cpuMillicores = 500, memoryMiB = 256 },
        runTimeSeconds = 900,
        allowedHubs = new[] { "ningxia" },
        policy = "Fastest",
        command = new { executable, arguments },
    };

    private async Task<string> SubmitAsync(string executable, params string[] arguments)
    {
        using var http = cluster.Client(AgentClusterFixture.CommandKey);
        using var response = await http.PostAsJsonAsync(new Uri("v1/jobs", UriKind.Relative), Body(executable, arguments));
        var job = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, job.ToString());
        return job.GetProperty("jobId").GetString()!;
    }

    private async Task<JsonElement> JobAsync(string jobId)
    {
        using var http = cluster.Client(AgentClusterFixture.CommandKey);
        return await http.GetFromJsonAsync<JsonElement>(new Uri($"v1/jobs/{jobId}", UriKind.Relative));
    }

    private async Task<string> StateAsync(string jobId) => (await JobAsync(jobId)).GetProperty("state").GetString()!;

    private async Task<string?> PlacedAtAsync(string jobId) =>
        (await JobAsync(jobId)).GetProperty("placement") is { ValueKind: JsonValueKind.Object } p ? p.GetProperty("dataCenterId").GetString() : null;

    private async Task<JsonElement> EndedAsync(string jobId)
    {
        await Eventually.TrueAsync(async () => await StateAsync(jobId) is "Succeeded" or "Failed" or "Cancelled", $"job {jobId} ends", TimeSpan.FromSeconds(60));
        return await JobAsync(jobId);
    }

    private async Task<string> StatusOfAsync(string dataCenterId)
    {
        var snapshot = await cluster.Services.GetRequiredService<IComputeGridClient>().Admin.GetDirectoryAsync();
        return snapshot.DataCenters.Single(d => d.Spec.Id == dataCenterId).Status.ToString();
    }
}

/// <summary>The live processes of a job, found by the CG_JOB_ID the agent puts in their environment.</summary>
internal static class JobProcesses
{
    public static List<int> Of(string jobId) => [.. Live(jobId).Select(p => p.Pid)];

    /// <summary>How many process groups (one per start of the job) have live processes.</summary>
    public static int Groups(string jobId) => Live(jobId).Select(p => p.Group).Distinct().Count();

    private static IEnumerable<(int Pid, int Group)> Live(string jobId)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            string environ, stat;
            try
            {
                environ = File.ReadAllText(Path.Combine(directory, "environ"));
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            // stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces, so read after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[0] != "Z" && ("\0" + environ).Contains($"\0CG_JOB_ID={jobId}\0", StringComparison.Ordinal))
            {
                yield return (pid, int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }
}
