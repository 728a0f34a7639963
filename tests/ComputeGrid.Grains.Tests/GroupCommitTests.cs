using ComputeGrid.Grains.Persistence;

namespace ComputeGrid.Grains.Tests;

/// <summary>The group-commit rules, with writes the test completes by hand.</summary>
public sealed class GroupCommitTests
{
    private readonly List<TaskCompletionSource> _writes = [];
    private readonly List<Exception> _failures = [];

    private GroupCommit NewCommit() => new(
        _ =>
        {
            var write = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _writes.Add(write);
            return write.Task;
        },
        _failures.Add);

    [Fact]
    public async Task A_lone_commit_is_written_at_once_and_answered_when_its_write_succeeds()
    {
        var commit = NewCommit();

        var answer = commit.CommitAsync();

        Assert.Single(_writes);
        Assert.False(answer.IsCompleted);
        _writes[0].SetResult();
        await answer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, commit.Writes);
    }

    [Fact]
    public async Task Commits_that_arrive_during_a_write_are_written_together_by_the_next_write()
    {
        var commit = NewCommit();
        var first = commit.CommitAsync();
        var behind = Enumerable.Range(0, 50).Select(_ => commit.CommitAsync()).ToList();

        Assert.Single(_writes);
        _writes[0].SetResult();
        await first.WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => Task.FromResult(_writes.Count == 2), "the next batch's write starts");

        Assert.All(behind, b => Assert.False(b.IsCompleted));
        _writes[1].SetResult();
        await Task.WhenAll(behind).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, commit.Writes);
    }

    [Fact]
    public async Task A_caller_that_arrives_during_a_write_is_not_answered_by_that_write()
    {
        var commit = NewCommit();
        _ = commit.CommitAsync();
        var late = commit.CommitAsync();

        _writes[0].SetResult();
        await Eventually.TrueAsync(() => Task.FromResult(_writes.Count == 2), "the next batch's write starts");

        Assert.False(late.IsCompleted);
        _writes[1].SetResult();
        await late.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_failed_write_fails_every_caller_of_its_batch_and_of_the_batch_behind_it_and_lets_the_activation_go()
    {
        var commit = NewCommit();
        var inBatch = commit.CommitAsync();
        var behind = commit.CommitAsync();

        _writes[0].SetException(new IOException("storage refused"));

        await Assert.ThrowsAsync<IOException>(() => inBatch.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => behind.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Single(_failures);
        Assert.Single(_writes);
    }

    [Fact]
    public async Task After_a_failed_write_no_later_commit_is_acknowledged()
    {
        var commit = NewCommit();
        var first = commit.CommitAsync();
        _writes[0].SetException(new IOException("storage refused"));
        await Assert.ThrowsAsync<IOException>(() => first.WaitAsync(TimeSpan.FromSeconds(10)));

        await Assert.ThrowsAsync<InvalidOperationException>(() => commit.CommitAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Single(_writes);
    }
}
