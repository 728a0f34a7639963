namespace ComputeGrid.Grains.Persistence;

/// <summary>
/// Group commit for a reentrant grain. A call changes the grain's in-memory state in one synchronous step and then awaits
/// <see cref="CommitAsync"/>: a lone call is written at once; calls that change state while a write is in flight join the
/// next batch, which one write commits after the current one. Every caller is answered only after a write that holds its
/// change has succeeded.
/// </summary>
/// <remarks>
/// A failed write fails every caller of its batch and of the batch waiting behind it (their changes were decided against
/// state that never became durable), refuses every later commit with the same error, and calls the grain's
/// <c>onFailure</c> (it deactivates the grain, so the next activation reads storage back; the ETag stays the fence against
/// a duplicate activation). Nothing acknowledged is lost: an acknowledged change was in a successful write.
/// The write must take what is in memory when it starts (a <see cref="ShardedMap{TValue}"/> marks a shard clean before
/// writing it, so a change made during the write is written by the next batch).
/// </remarks>
internal sealed class GroupCommit(Func<CancellationToken, Task> write, Action<Exception> onFailure)
{
    private TaskCompletionSource? _next;
    private bool _writing;
    private Exception? _failed;

    /// <summary>Writes so far, successful or not (tests and benchmarks read it).</summary>
    public long Writes { get; private set; }

    /// <summary>
    /// Completes once a write that started after this call has succeeded: everything the caller changed before calling is
    /// durable then. Throws the write's exception if that write (or an earlier one of this activation) failed.
    /// </summary>
    public Task CommitAsync()
    {
        if (_failed is not null)
        {
            return Task.FromException(new InvalidOperationException("an earlier write of this activation failed; retry", _failed));
        }

        var batch = _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_writing)
        {
            _ = RunAsync();
        }

        return batch.Task;
    }

    private async Task RunAsync()
    {
        _writing = true;
        try
        {
            while (_next is { } batch)
            {
                _next = null;
                Writes++;
                try
                {
                    await write(CancellationToken.None);
                }
                catch (Exception e)
                {
                    _failed = e;
                    batch.TrySetException(e);
                    var behind = _next;
                    _next = null;
                    behind?.TrySetException(new InvalidOperationException("a write this change waited behind failed; retry", e));
                    onFailure(e);
                    return;
                }

                batch.TrySetResult();
            }
        }
        finally
        {
            _writing = false;
        }
    }
}
