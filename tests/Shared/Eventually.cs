namespace ComputeGrid.Tests.Shared;

/// <summary>Polls a condition until it holds or a deadline passes; no fixed sleeps. Linked into each test project from tests/Shared.</summary>
public static class Eventually
{
    /// <summary>The deadline when none is given: 30 s.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Polls <paramref name="condition"/> (5 ms apart at first, doubling to 100 ms) until it is true; past
    /// <paramref name="timeout"/> throws a <see cref="TimeoutException"/> naming <paramref name="what"/> and, when given,
    /// what <paramref name="describe"/> says the state is now.
    /// </summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<Task<string>>? describe = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        var delay = 5;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}." + (describe is null ? string.Empty : $" Now: {await describe()}"));
            }

            await Task.Delay(delay);
            delay = Math.Min(delay * 2, 100);
        }
    }

    /// <summary>
    /// Reads with <paramref name="read"/> until <paramref name="until"/> holds for what it read, and returns that; past
    /// <paramref name="timeout"/> throws a <see cref="TimeoutException"/> naming <paramref name="what"/> and the last value.
    /// </summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> until, string what, TimeSpan? timeout = null)
    {
        var last = default(T);
        await TrueAsync(async () => until(last = await read()), what, timeout, () => Task.FromResult(last?.ToString() ?? "nothing"));
        return last!;
    }
}
