using ComputeGrid.Agent.Configuration;

return await AgentCli.RunAsync(args, Console.Error, Environment.GetEnvironmentVariable, CancellationToken.None);
