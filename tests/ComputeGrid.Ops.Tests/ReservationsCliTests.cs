using System.Net.Http.Json;
using System.Text.Json;
using Spectre.Console.Testing;

namespace ComputeGrid.Ops.Tests;

/// <summary>cg-ops reservations against the real silo host.</summary>
[Collection(SiloHostCollection.Name)]
public sealed class ReservationsCliTests(SiloHostFixture host)
{
    [Fact]
    public async Task Reservations_list_and_show_print_the_reservation_its_window_and_its_share()
    {
        var reservationId = await CreateAsync();

        var (listCode, list) = await RunAsync("reservations", "list");
        var (showCode, shown) = await RunAsync("reservations", "show", reservationId);

        Assert.True(listCode == 0, list);
        Assert.Contains(reservationId, list, StringComparison.Ordinal);
        Assert.True(showCode == 0, shown);
        Assert.Contains("Scheduled", shown, StringComparison.Ordinal);
        Assert.Contains("hub yangtze", shown, StringComparison.Ordinal);
        Assert.Contains("1000m CPU, 1024 MiB", shown, StringComparison.Ordinal);
    }

    private async Task<string> CreateAsync()
    {
        using var http = host.Client(SiloHostFixture.PartnerKey);
        var start = DateTimeOffset.UtcNow.AddHours(1);
        var body = new { resources = new { cpuMillicores = 1000, memoryMiB = 1024 }, hubId = "yangtze", start, end = start.AddHours(1) };
        using var response = await http.PostAsJsonAsync(new Uri("v1/reservations", UriKind.Relative), body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json.GetProperty("reservationId").GetString()!;
    }

    private async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var code = await OpsCli.RunAsync(["--url", host.BaseAddress.ToString(), .. args], console, handler: null, CancellationToken.None);
        return (code, console.Output);
    }
}
