using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.JobArrays;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Tests;

[Collection(GridCollection.Name)]
public sealed class JobArrayTests(GridClusterFixture fixture)
{
    private IComputeGridClient Grid => fixture.Grid;

    private static JobArrayRequest Array(string model, string origin, int count, string? id = null) => new()
    {
        ArrayId = id ?? Jobs.NewId("array"),
        Template = Jobs.OnGpu("arrays", model, origin, TimeSpan.FromHours(1)) with { JobId = null },
        Count = count,
    };

    private async Task<JobArraySnapshot> CountsAsync(string arrayId, Func<JobArraySnapshot, bool> until, string what)
    {
        await Eventually.TrueAsync(async () => until(await Grid.GetArrayAsync(arrayId)), what, TimeSpan.FromSeconds(90),
            describe: async () => string.Join(", ", (await Grid.GetArrayAsync(arrayId)).Counts.Select(c => $"{c.Key}={c.Value}")));
        return await Grid.GetArrayAsync(arrayId);
    }

    private static int Placed(JobArraySnapshot array) => array.Counts[JobState.Scheduled] + array.Counts[JobState.Running];

    [Fact]
    public async Task An_array_of_500_elements_places_every_element_and_its_counts_add_up_to_its_size()
    {
        await fixture.RegisterPrivateDataCenterAsync("array-dc", "ningxia", "ARRAY", gpus: 500, cores: 600);
        var request = Array("ARRAY", "ningxia", 500);

        var accepted = await Grid.SubmitArrayAsync(request);
        Assert.Equal(500, accepted.Count);
        Assert.Equal(500, accepted.Counts.Values.Sum());
        Assert.True(accepted.Submitted >= 1);

        var placed = await CountsAsync(request.ArrayId!, a => Placed(a) == 500, "every element is placed");
        Assert.Equal(500, placed.Counts.Values.Sum());
        Assert.Equal(500, placed.Submitted);
        var dataCenter = await fixture.Cluster.Client.GetGrain<IDataCenterGrain>("array-dc").GetSnapshotAsync();
        Assert.Equal(500, dataCenter!.Reservations);

        var cancelled = await Grid.CancelArrayAsync(request.ArrayId!);
        Assert.Equal(500, cancelled.Counts[JobState.Cancelled]);
    }

    [Fact]
    public async Task Submitting_the_same_array_again_returns_it_and_a_different_one_under_its_id_conflicts()
    {
        await fixture.RegisterPrivateDataCenterAsync("array-idem-dc", "gansu", "ARRIDEM", gpus: 20, cores: 40);
        var request = Array("ARRIDEM", "gansu", 10);
        var first = await Grid.SubmitArrayAsync(request);

        var again = await Grid.SubmitArrayAsync(request);
        Assert.Equal(first.ArrayId, again.ArrayId);
        Assert.Equal(first.SubmittedAt, again.SubmittedAt);
        await Assert.ThrowsAsync<JobConflictException>(() => Grid.SubmitArrayAsync(request with { Count = 11 }));
        await Assert.ThrowsAsync<JobConflictException>(() => Grid.SubmitArrayAsync(request with { Template = request.Template with { Priority = 7 } }));

        await CountsAsync(request.ArrayId!, a => Placed(a) == 10, "every element is placed once");
        var dataCenter = await fixture.Cluster.Client.GetGrain<IDataCenterGrain>("array-idem-dc").GetSnapshotAsync();
        Assert.Equal(10, dataCenter!.Reservations);
        await Grid.CancelArrayAsync(request.ArrayId!);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(JobArrayRules.MaxCount + 1)]
    public async Task An_array_outside_1_to_100000_elements_is_refused_and_nothing_is_created(int count)
    {
        var request = Array("ARRAY", "ningxia", count);
        var refused = await Assert.ThrowsAsync<ComputeGridValidationException>(() => Grid.SubmitArrayAsync(request));
        Assert.Contains(refused.Errors, e => e.Field == "count");
        var result = await fixture.Cluster.Client.GetGrain<IJobArrayGrain>(request.ArrayId!).SubmitAsync(request.Template.ToSpec(), count);
        Assert.Equal(SubmitRefusal.Invalid, result.Refusal);
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.GetArrayAsync(request.ArrayId!));
    }

    [Fact]
    public async Task An_array_whose_elements_can_never_run_is_refused_and_forgotten()
    {
        var request = Array("NO-SUCH-MODEL", "gansu", 5);
        await Assert.ThrowsAnyAsync<ComputeGridValidationException>(() => Grid.SubmitArrayAsync(request));
        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.GetArrayAsync(request.ArrayId!));
    }

    [Fact]
    public async Task A_refused_array_goes_away_cleanly_and_its_id_stays_free()
    {
        var request = Array("NO-SUCH-MODEL", "gansu", 3);
        await Assert.ThrowsAnyAsync<ComputeGridValidationException>(() => Grid.SubmitArrayAsync(request));

        // Its activation holds nothing to write: it goes without writing (it used to throw writing a book it no longer had).
        await fixture.Cluster.DeactivateAsync(fixture.Cluster.Client.GetGrain<IJobArrayGrain>(request.ArrayId!));

        await Assert.ThrowsAsync<ComputeGridNotFoundException>(() => Grid.GetArrayAsync(request.ArrayId!));
        await fixture.RegisterPrivateDataCenterAsync("array-refused-dc", "gansu", "ARRREFUSED", gpus: 3, cores: 6);
        var accepted = await Grid.SubmitArrayAsync(Array("ARRREFUSED", "gansu", 3, request.ArrayId));
        Assert.Equal((request.ArrayId, 3), (accepted.ArrayId, accepted.Count));
    }

    [Fact]
    public async Task Cancelling_an_array_cancels_every_element_and_releases_their_capacity()
    {
        await fixture.RegisterPrivateDataCenterAsync("array-cancel-dc", "guizhou", "ARRCANCEL", gpus: 30, cores: 60);
        var request = Array("ARRCANCEL", "guizhou", 40);
        await Grid.SubmitArrayAsync(request);
        await CountsAsync(request.ArrayId!, a => a.Submitted == 40 && Placed(a) == 30 && a.Counts[JobState.Queued] == 10, "30 elements placed, 10 queued");

        var cancelled = await Grid.CancelArrayAsync(request.ArrayId!);

        Assert.True(cancelled.Cancelled);
        Assert.Equal(40, cancelled.Counts[JobState.Cancelled]);
        var elements = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Grid.GetJobAsync(JobArrayRules.ElementId(request.ArrayId!, i))));
        Assert.All(elements, e => Assert.Equal(JobState.Cancelled, e.State));
        await Eventually.TrueAsync(
            async () => (await fixture.Cluster.Client.GetGrain<IDataCenterGrain>("array-cancel-dc").GetSnapshotAsync())!.Reservations == 0,
            "the data center holds no reservation of the array");
        Assert.Equal(40, (await Grid.CancelArrayAsync(request.ArrayId!)).Counts[JobState.Cancelled]);
    }

    [Fact]
    public async Task An_element_is_a_job_read_and_cancelled_by_its_own_id_and_its_array_counts_follow()
    {
        await fixture.RegisterPrivateDataCenterAsync("array-elem-dc", "yangtze", "ARRELEM", gpus: 10, cores: 20);
        var request = Array("ARRELEM", "yangtze", 5);
        await Grid.SubmitArrayAsync(request);
        await CountsAsync(request.ArrayId!, a => Placed(a) == 5, "every element is placed");

        var element = await Grid.GetJobAsync($"{request.ArrayId}-3");
        Assert.Equal(request.ArrayId, element.Spec.ArrayId);
        Assert.Equal(3, element.Spec.ArrayIndex);
        Assert.Equal(JobState.Cancelled, (await Grid.CancelJobAsync(element.JobId)).State);
        var explained = await Grid.ExplainJobAsync(element.JobId);
        Assert.Equal(element.JobId, explained.Job.JobId);

        var counts = await CountsAsync(request.ArrayId!, a => a.Counts[JobState.Cancelled] == 1, "the array counts the cancelled element");
        Assert.Equal(4, Placed(counts));
        var cancelledOnly = await Grid.ListArrayElementsAsync(request.ArrayId!, JobState.Cancelled);
        Assert.Equal([3], cancelledOnly.Elements.Select(e => e.Index));
        await Grid.CancelArrayAsync(request.ArrayId!);
    }

    [Fact]
    public async Task Elements_are_listed_in_index_order_a_page_at_a_time()
    {
        await fixture.RegisterPrivateDataCenterAsync("array-page-dc", "gansu", "ARRPAGE", gpus: 10, cores: 20);
        var request = Array("ARRPAGE", "gansu", 7);
        await Grid.SubmitArrayAsync(request);

        var first = await Grid.ListArrayElementsAsync(request.ArrayId!, limit: 4);
        var second = await Grid.ListArrayElementsAsync(request.ArrayId!, limit: 4, cursor: ComputeGridClient.NextArrayCursor(first));

        Assert.Equal([0, 1, 2, 3], first.Elements.Select(e => e.Index));
        Assert.Equal([4, 5, 6], second.Elements.Select(e => e.Index));
        Assert.Null(second.NextIndex);
        Assert.Equal($"{request.ArrayId}-6", second.Elements[^1].JobId);
        await Grid.CancelArrayAsync(request.ArrayId!);
    }

    [Fact]
    public async Task An_elements_command_gets_its_index_for_percent_a_and_in_its_environment()
    {
        var dc = await fixture.RegisterPrivateDataCenterAsync("array-cmd-dc", "guizhou", "ARRCMD", gpus: 4, cores: 8);
        var credential = await Grid.Admin.IssueAgentAsync(dc.Id, "array-agent", ["*"]);
        await Grid.Admin.SyncAgentAsync(credential.Token, new AgentSyncRequest("i", [], []));
        var commands = new ComputeGridClient(fixture.Cluster.Client) { AllowCommands = true };
        var request = Array("ARRCMD", "guizhou", 3) is var r
            ? r with { Template = r.Template with { Command = new JobCommand("/bin/echo", ["task=%a", "array=%A", "100%%"], new Dictionary<string, string>()) } }
            : null!;

        await commands.SubmitArrayAsync(request);
        await CountsAsync(request.ArrayId!, a => a.Submitted == 3, "every element is a job");

        var element = await Grid.GetJobAsync($"{request.ArrayId}-2");
        Assert.Equal(["task=2", $"array={request.ArrayId}", "100%"], element.Spec.Command!.Arguments);
        Assert.Equal("2", element.Spec.Command.Environment[JobArrayRules.TaskIdVariable]);
        Assert.Equal(request.ArrayId, element.Spec.Command.Environment[JobArrayRules.ArrayIdVariable]);
        await Grid.CancelArrayAsync(request.ArrayId!);
    }
}
