namespace ComputeGrid.Benchmarks.Floor;

/// <summary>The floor: a grain call that does nothing, so its cost is Orleans' own (client, messaging, scheduling).</summary>
public interface IPingGrain : IGrainWithIntegerKey
{
    /// <summary>Returns <paramref name="value"/> at once.</summary>
    Task<int> PingAsync(int value);
}

internal sealed class PingGrain : Grain, IPingGrain
{
    public Task<int> PingAsync(int value) => Task.FromResult(value);
}

/// <summary>
/// The persisted floor: each call activates a new grain that writes its state once, in the grid's grain storage. A job
/// is a grain and its acceptance is persisted before it is acknowledged, so no submission can cost less than this.
/// </summary>
public interface IRecordGrain : IGrainWithStringKey
{
    /// <summary>Writes <paramref name="value"/> to this grain's state and returns it.</summary>
    Task<int> RecordAsync(int value);
}

/// <summary>The state an <see cref="IRecordGrain"/> writes.</summary>
[GenerateSerializer, Alias("bench.RecordState")]
public sealed class RecordState
{
    /// <summary>The last value recorded.</summary>
    [Id(0)] public int Value { get; set; }
}

internal sealed class RecordGrain([PersistentState("record", ComputeGrid.Grains.Hosting.GridStorage.Name)] IPersistentState<RecordState> state) : Grain, IRecordGrain
{
    public async Task<int> RecordAsync(int value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
        return value;
    }
}
