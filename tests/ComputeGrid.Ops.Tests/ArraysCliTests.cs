using System.Net.Http.Json;
using System.Text.Json;
using Spectre.Console.Testing;

namespace ComputeGrid.Ops.Tests;

/// <summary>cg-ops arrays against the real silo host.</summary>
[Collection(SiloHostCollection.Name)]
public sealed class ArraysCliTests(SiloHostFixture host)
{
    [Fact]
    public async Task Arrays_show_prints_an_arrays_counts_by_state_and_json_gives_the_gateways_answer()
    {
        var arrayId = await SubmitArrayAsync(3);

        var (code, output) = await RunAsync("arrays", "show", arrayId);
        var (jsonCode, json) = await RunAsync("arrays", "show", arrayId, "--json");

        Assert.True(code == 0, output);
        Assert.Contains(arrayId, output, StringComparison.Ordinal);
        Assert.Contains("Elements by state", output, StringComparison.Ordinal);
        Assert.Contains("Scheduled", output, StringComparison.Ordinal);
        Assert.Equal(0, jsonCode);
        var answer = JsonDocument.Parse(json).RootElement;
        Assert.Equal(arrayId, answer.GetProperty("arrayId").GetString());
        Assert.Equal(3, answer.GetProperty("counts").EnumerateObject().Sum(c => c.Value.GetInt32()));
    }

    [Fact]
    public async Task Arrays_cancel_cancels_every_element_and_an_unknown_array_is_an_error()
    {
        var arrayId = await SubmitArrayAsync(2);

        var (code, output) = await RunAsync("arrays", "cancel", arrayId, "--json");
        var (unknownCode, unknown) = await RunAsync("arrays", "show", "no-such-array");

        Assert.True(code == 0, output);
        Assert.Equal(2, JsonDocument.Parse(output).RootElement.GetProperty("counts").GetProperty("Cancelled").GetInt32());
        Assert.Equal(1, unknownCode);
        Assert.Contains("error", unknown, StringComparison.Ordinal);
    }

    private async Task<string> SubmitArrayAsync(int count)
    {
        using var http = host.Client(SiloHostFixture.PartnerKey);
        var body = new
        {
            count,
            template = new { originHub = "yangtze", resources = new { cpuMillicores = 1000, memoryMiB = 1024 }, runTimeSeconds = 3600, policy = "Fastest" },
        };
        using var response = await http.PostAsJsonAsync(new Uri("v1/job-arrays", UriKind.Relative), body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json.GetProperty("arrayId").GetString()!;
    }

    private async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var code = await OpsCli.RunAsync(["--url", host.BaseAddress.ToString(), .. args], console, handler: null, CancellationToken.None);
        return (code, console.Output);
    }
}
