using System.Net.Http.Json;
using System.Text.Json;
using Spectre.Console.Testing;

namespace ComputeGrid.Ops.Tests;

/// <summary>cg-ops gangs against the real silo host.</summary>
[Collection(SiloHostCollection.Name)]
public sealed class GangsCliTests(SiloHostFixture host)
{
    [Fact]
    public async Task Gangs_show_prints_the_gang_its_members_states_and_the_gang_placed_step()
    {
        var gangId = await SubmitGangAsync(3);

        var (code, output) = await RunAsync("gangs", "show", gangId);
        var (cancelCode, cancelled) = await RunAsync("gangs", "cancel", gangId, "--json");

        Assert.True(code == 0, output);
        Assert.Contains(gangId, output, StringComparison.Ordinal);
        Assert.Contains($"{gangId}+2", output, StringComparison.Ordinal);
        Assert.Contains("gang placed: 3 members in", output, StringComparison.Ordinal);
        Assert.True(cancelCode == 0, cancelled);
        Assert.Equal("Cancelled", JsonDocument.Parse(cancelled).RootElement.GetProperty("state").GetString());
    }

    private async Task<string> SubmitGangAsync(int members)
    {
        using var http = host.Client(SiloHostFixture.PartnerKey);
        var body = new
        {
            gang = new { members },
            template = new { originHub = "yangtze", resources = new { cpuMillicores = 1000, memoryMiB = 1024 }, runTimeSeconds = 3600, policy = "Fastest" },
        };
        using var response = await http.PostAsJsonAsync(new Uri("v1/gangs", UriKind.Relative), body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json.GetProperty("gangId").GetString()!;
    }

    private async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var code = await OpsCli.RunAsync(["--url", host.BaseAddress.ToString(), .. args], console, handler: null, CancellationToken.None);
        return (code, console.Output);
    }
}
