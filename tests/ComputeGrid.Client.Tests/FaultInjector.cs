using System.Collections.Concurrent;

namespace ComputeGrid.Client.Tests;

/// <summary>
/// An outgoing grain-call filter of the test cluster's client. A test arms it for one grain method and a grain key: the
/// next calls then fail before they leave (the cluster never sees them) or after the cluster answered (the answer is
/// lost), as a dropped connection or a response timeout would. It counts every call it saw by method and key.
/// </summary>
public sealed class FaultInjector : IOutgoingGrainCallFilter
{
    private readonly ConcurrentDictionary<(string Method, string Key), Plan> _plans = new();
    private readonly ConcurrentDictionary<(string Method, string Key), int> _calls = new();

    /// <summary>
    /// Fails the next <paramref name="times"/> calls of <paramref name="method"/> on <paramref name="key"/> (any key: "*")
    /// with <paramref name="fault"/>; after the call reached the cluster when <paramref name="afterAnswer"/>.
    /// </summary>
    public void Arm(string method, string key, int times, Func<Exception> fault, bool afterAnswer = false) =>
        _plans[(method, key)] = new Plan(times, fault, afterAnswer);

    /// <summary>Holds the next <paramref name="times"/> calls of <paramref name="method"/> on <paramref name="key"/> unanswered until the caller cancels them.</summary>
    public void Hang(string method, string key, int times) =>
        _plans[(method, key)] = new Plan(times, () => new InvalidOperationException("unreachable"), false) { Hang = true };

    /// <summary>Disarms every plan.</summary>
    public void Clear() => _plans.Clear();

    /// <summary>How many calls of <paramref name="method"/> on <paramref name="key"/> the client made (failed ones included).</summary>
    public int Calls(string method, string key) => _calls.TryGetValue((method, key), out var n) ? n : 0;

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        var id = (context.InterfaceMethod?.Name ?? string.Empty, context.TargetId.Key.ToString());
        _calls.AddOrUpdate(id, 1, (_, n) => n + 1);
        Plan? plan = null;
        if ((_plans.TryGetValue(id, out var armed) || _plans.TryGetValue((id.Item1, "*"), out armed)) && armed.TryTake())
        {
            plan = armed;
        }

        if (plan is { Hang: true })
        {
            // A call whose silo died under it: no answer until the caller gives up (its token is cancelled).
            await Task.Delay(Timeout.Infinite, context.Request.GetCancellationToken());
        }

        if (plan is { AfterAnswer: false })
        {
            throw plan.Fault();
        }

        await context.Invoke();
        if (plan is { AfterAnswer: true })
        {
            throw plan.Fault();
        }
    }

    private sealed class Plan(int times, Func<Exception> fault, bool afterAnswer)
    {
        private int _left = times;

        public Func<Exception> Fault { get; } = fault;

        public bool AfterAnswer { get; } = afterAnswer;

        public bool Hang { get; init; }

        public bool TryTake() => Interlocked.Decrement(ref _left) >= 0;
    }
}
