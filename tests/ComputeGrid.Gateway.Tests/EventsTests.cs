using System.Net;
using System.Text.Json;

namespace ComputeGrid.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class EventsTests(GatewayFixture fixture)
{
    [Fact]
    public async Task The_event_stream_delivers_a_jobs_lifecycle_in_order_and_ends_with_it()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("sse");
        using var submitted = await http.SubmitAsync(Bodies.Job(runTimeSeconds: 600), key);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/acme.{key}/events"), HttpCompletionOption.ResponseHeadersRead, timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<(string Id, string Type, JsonElement Data)>();
        await foreach (var evt in ReadAsync(response, timeout.Token))
        {
            events.Add(evt);
            if (evt.Data.GetProperty("state").GetString() == "Running")
            {
                fixture.Time.Advance(TimeSpan.FromSeconds(600));
            }
        }

        Assert.Equal(["Pending", "Scheduled", "Running", "Succeeded"], events.Select(e => e.Data.GetProperty("state").GetString()));
        Assert.Equal(["1", "2", "3", "4"], events.Select(e => e.Id));
        Assert.All(events, e => Assert.Equal("job-event", e.Type));
    }

    [Fact]
    public async Task Reconnecting_with_last_event_id_resumes_after_that_event()
    {
        using var http = fixture.Client("acme");
        var key = Bodies.NewKey("resume");
        using var submitted = await http.SubmitAsync(Bodies.Job(runTimeSeconds: 60), key);
        using var cancelled = await http.PostAsync($"/v1/jobs/acme.{key}/cancel", content: null);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/acme.{key}/events");
        request.Headers.Add("Last-Event-ID", "1");

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);

        var events = new List<(string Id, string Type, JsonElement Data)>();
        await foreach (var evt in ReadAsync(response, timeout.Token))
        {
            events.Add(evt);
        }

        Assert.Equal("2", events[0].Id);
        Assert.Equal("Cancelled", events[^1].Data.GetProperty("state").GetString());
    }

    /// <summary>A minimal text/event-stream reader: id, event and data lines, blank line ends an event.</summary>
    private static async IAsyncEnumerable<(string Id, string Type, JsonElement Data)> ReadAsync(
        HttpResponseMessage response, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        string id = string.Empty, type = "message", data = string.Empty;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    yield return (id, type, JsonDocument.Parse(data).RootElement.Clone());
                }

                (id, type, data) = (string.Empty, "message", string.Empty);
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data += line[6..];
            }
        }
    }
}
