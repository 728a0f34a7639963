namespace ComputeGrid.Gateway.Security;

/// <summary>What an API key may do.</summary>
public enum GatewayRole
{
    /// <summary>Submits, reads, lists, watches and cancels its own tenant's jobs; reads hubs, data centers and the pool.</summary>
    Partner,

    /// <summary>Everything a partner may do, and registers, drains, resumes and removes data centers.</summary>
    Operator,
}
