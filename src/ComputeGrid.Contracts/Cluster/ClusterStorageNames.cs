namespace ComputeGrid.Contracts.Cluster;

/// <summary>The Azure Storage tables and blob container of a cluster in <see cref="StorageKind.AzureStorage"/> mode; rows are keyed by service and cluster id, so clusters can share an account.</summary>
public static class ClusterStorageNames
{
    /// <summary>Table of the cluster membership (silos and gateways); SDK clients read it to find gateways.</summary>
    public const string MembershipTable = "ComputeGridMembership";

    /// <summary>Table of the <c>PubSubStore</c> grain storage (stream subscriptions).</summary>
    public const string PubSubTable = "ComputeGridPubSub";

    /// <summary>Table of the reminders.</summary>
    public const string ReminderTable = "ComputeGridReminders";

    /// <summary>Blob container of the <c>grid</c> grain storage (jobs, data centers, regions, tenants, the pool).</summary>
    public const string GrainStateContainer = "computegrid-state";
}
