namespace ComputeGrid.Agent.Running;

/// <summary>The agent will not start a job; the message is the report's detail.</summary>
internal sealed class JobRejectedException(string detail) : Exception(detail);
